// Testcontainers' LocalStack module (node), for real, against the image under a Docker engine confined to a network
// namespace this test makes (its bridge and published ports exist only there); the client runs in it too.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT } from '../helpers/paths.ts';
import { dockerMissing, startDocker, type DockerEngine } from './docker.ts';
import { IMAGE } from './podman.ts';

const skip = dockerMissing();
const NETNS = `pa-tc-${process.pid}`;

describe('Testcontainers (@testcontainers/localstack) starts the image', { skip, timeout: 300_000 }, () => {
  let engine: (DockerEngine & { socket: string }) | undefined;
  let result: {
    startMs: number; stopMs: number; uri: string; health: { edition: string }; error?: string;
    failedStart: { rejected: boolean; message?: string; logs?: string };
  };

  before(async () => {
    for (const args of [['netns', 'add', NETNS], ['netns', 'exec', NETNS, 'ip', 'link', 'set', 'lo', 'up']]) {
      const r = spawnSync('ip', args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
    }
    engine = await startDocker({ netns: NETNS, podmanImage: IMAGE });
    const client = spawnSync('nsenter', [`--net=/run/netns/${NETNS}`, process.execPath, join(ROOT, 'test/image/testcontainers-client.ts')], {
      encoding: 'utf8', timeout: 240_000,
      // No Ryuk (its image is in no registry here); this machine has /.dockerenv, so the host is named outright.
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: `unix://${engine.socket}`, TESTCONTAINERS_RYUK_DISABLED: 'true', TESTCONTAINERS_HOST_OVERRIDE: 'localhost' },
    });
    result = JSON.parse(client.stdout.trim().split('\n').at(-1) ?? '{}');
    assert.equal(result.error, undefined, `${result.error ?? ''}${client.stderr}`);
    process.stderr.write(`testcontainers: start() resolved in ${result.startMs} ms, stop({ timeout }) in ${result.stopMs} ms\n`);
  });
  after(async () => {
    await engine?.stop();
    spawnSync('ip', ['netns', 'delete', NETNS]);
  });

  test('start() resolves once the image prints Ready.; getConnectionUri() serves health with the Pro edition', () => {
    assert.match(result.uri, /^http:\/\/localhost:\d+$/);
    assert.equal(result.health.edition, 'pro');
  });

  test('with no token start() rejects, and the container\'s logs hold the banner', () => {
    assert.equal(result.failedStart.rejected, true);
    assert.match(result.failedStart.message!, /Log stream ended and message "Ready" was not received/);
    assert.match(result.failedStart.logs!, /License activation failed! 🔑❌/);
    assert.match(result.failedStart.logs!, /Reason: No credentials are set/);
  });
});
