// proper-lockfile calls signal-exit 3's `onExit(cb)`; version 4 has the same call without loading node:assert, whose
// error printer makes Node's stderr stream as it loads (~3.5 ms of every container start). Bundled in its place.
module.exports = require('signal-exit').onExit;
