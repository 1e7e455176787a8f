import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mirrorFrom } from '../../scripts/image/base-image.ts';

test('the base image comes from the bookworm mirror the host\'s apt sources name, deb822 or one-line', () => {
  const deb822 = 'Types: deb\nURIs: http://mirror.test/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\nTypes: deb\nURIs: http://mirror.test/debian-security\nSuites: bookworm-security\n';
  assert.equal(mirrorFrom([deb822]), 'http://mirror.test/debian');
  assert.equal(mirrorFrom(['Types: deb-src\nURIs: http://src.test/debian\nSuites: bookworm\n', deb822]), 'http://mirror.test/debian', 'source-only entries are not a mirror');
  assert.equal(mirrorFrom(['Types: deb\nURIs: http://off.test/debian\nSuites: bookworm\nEnabled: no\n', deb822]), 'http://mirror.test/debian', 'a disabled stanza is skipped');
  assert.equal(mirrorFrom(['# comment\ndeb [signed-by=/k.gpg] http://list.test/debian bookworm main\n']), 'http://list.test/debian');
  assert.equal(mirrorFrom(['deb http://old.test/debian bullseye main\n']), undefined, 'another release is not used');
});
