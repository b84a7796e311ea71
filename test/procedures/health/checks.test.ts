import { execFileSync } from 'node:child_process';
import { mkdtempSync, utimesSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { backupCheck } from '../../../src/health/backup-age.js';
import { makeArchive, newIdentity } from '../../archive/make-archive.js';
import { cryptoArgv, cryptoCheck } from '../../../src/health/crypto.js';
import { podsCheck } from '../../../src/health/pods.js';
import { resourceCheck, usages } from '../../../src/health/resources.js';
import { parseQuantity } from '../../../src/kube/quantity.js';
import { LocalRunner } from '../../../src/process/runner.js';

function pod(
  name: string,
  opts: {
    ready?: boolean;
    waiting?: string;
    restarts?: number;
    oom?: boolean;
    limits?: Record<string, string>;
    requests?: Record<string, string>;
  } = {},
): V1Pod {
  return {
    metadata: { name },
    spec: {
      containers: [
        {
          name: 'app',
          resources: { limits: opts.limits, requests: opts.requests },
        },
      ],
    },
    status: {
      phase: 'Running',
      conditions: [
        { type: 'Ready', status: opts.ready === false ? 'False' : 'True' },
      ],
      containerStatuses: [
        {
          name: 'app',
          image: 'x',
          imageID: '',
          ready: opts.ready !== false,
          restartCount: opts.restarts ?? 0,
          state: opts.waiting
            ? { waiting: { reason: opts.waiting } }
            : { running: {} },
          lastState: opts.oom
            ? { terminated: { reason: 'OOMKilled', exitCode: 137 } }
            : {},
        },
      ],
    },
  };
}

describe('quantities', () => {
  it.each([
    ['250m', 0.25],
    ['253011429n', 0.253011429],
    ['2', 2],
    ['51200Ki', 51200 * 1024],
    ['1Gi', 2 ** 30],
    ['128M', 128e6],
    ['1e3', 1000],
  ])('%s', (q, v) => expect(parseQuantity(q)).toBeCloseTo(v, 9));
  it('malformed is NaN', () => expect(parseQuantity('12 apples')).toBeNaN());
});

describe('pods check', () => {
  it('is ok when every pod is Ready', () => {
    const r = podsCheck([pod('a'), pod('b')], 5);
    expect(r.check).toMatchObject({ status: 'ok', observed: '2/2 Ready' });
  });
  it('names crash-looping and image-pull containers as unhealthy', () => {
    const r = podsCheck(
      [
        pod('a'),
        pod('b', { ready: false, waiting: 'CrashLoopBackOff', restarts: 7 }),
        pod('c', { ready: false, waiting: 'ImagePullBackOff' }),
      ],
      5,
    );
    expect(r.check.status).toBe('failed');
    expect(r.check.detail).toContain('b/app: CrashLoopBackOff (7 restarts)');
    expect(r.check.detail).toContain('c/app: ImagePullBackOff');
  });
  it('reports OOM kills, restarts and unready pods as degraded', () => {
    const r = podsCheck(
      [
        pod('a', { oom: true, restarts: 1 }),
        pod('b', { restarts: 9 }),
        pod('c', { ready: false }),
      ],
      5,
    );
    expect(r.check.status).toBe('warning');
    expect(r.check.detail).toContain('a/app: OOMKilled');
    expect(r.check.detail).toContain('b/app: 9 restarts');
    expect(r.check.detail).toContain('c: not Ready');
  });
  it('is unhealthy with no pods at all', () => {
    expect(podsCheck([], 5).check).toMatchObject({
      status: 'failed',
      detail: 'no pods match the selector',
    });
  });
});

describe('resource check', () => {
  const pods = [
    pod('a', { limits: { cpu: '500m', memory: '256Mi' } }),
    pod('b', { requests: { cpu: '1', memory: '1Gi' } }),
    pod('c'),
  ];
  const metric = (name: string, cpu: string, memory: string) => ({
    metadata: { name, namespace: 'ns', selfLink: '', creationTimestamp: '' },
    timestamp: '',
    window: '30s',
    containers: [{ name: 'app', usage: { cpu, memory } }],
  });
  it('compares with the limit, else the request, and says which', () => {
    const us = usages(pods, [
      metric('a', '450m', '100Mi'),
      metric('b', '253011429n', '51200Ki'),
      metric('c', '1', '1Gi'),
    ]);
    const cpu = resourceCheck(us, 'cpu', 80);
    expect(cpu.status).toBe('warning');
    expect(cpu.observed).toContain('90% of limit');
    expect(cpu.detail).toContain('a/app 90% of limit');
    const mem = resourceCheck(us, 'memory', 80);
    expect(mem.status).toBe('ok');
    expect(
      us.find((u) => u.pod === 'b' && u.resource === 'memory')?.basis,
    ).toBe('request');
    expect(
      us.find((u) => u.pod === 'c' && u.resource === 'cpu')?.basis,
    ).toBeUndefined();
  });
});

describe('crypto self-test on this machine', () => {
  const runner = new LocalRunner();
  it('the liboqs-python preset fails clearly, and fast, where Python has no liboqs', async () => {
    const argv = cryptoArgv('liboqs-python', ['ML-KEM-768', 'ML-DSA-65']);
    argv[0] = '/usr/bin/python3';
    const t = Date.now();
    const c = await cryptoCheck(runner, argv, {
      timeoutMs: 20_000,
      algorithms: ['ML-KEM-768', 'ML-DSA-65'],
      preset: 'liboqs-python',
    });
    expect(c.status).toBe('failed');
    expect(c.observed).toMatch(
      /exit 2: import oqs failed: ModuleNotFoundError/,
    );
    expect(Date.now() - t).toBeLessThan(20_000);
  });
  it('the command preset passes with a real post-quantum implementation (liboqs WebAssembly)', async () => {
    const script = join(
      import.meta.dirname,
      '..',
      '..',
      'fixtures',
      'oqs-selftest.mjs',
    );
    const c = await cryptoCheck(
      runner,
      [process.execPath, script, '@oqs/liboqs-js', 'ML-KEM-768', 'ML-DSA-65'],
      {
        timeoutMs: 30_000,
        algorithms: ['ML-KEM-768', 'ML-DSA-65'],
        preset: 'command',
      },
    );
    expect(c.status).toBe('ok');
    expect(c.observed).toContain(
      'ML-KEM-768 round trip ok, ML-DSA-65 sign/verify ok',
    );
  });
  it('a missing algorithm fails by name', async () => {
    const script = join(
      import.meta.dirname,
      '..',
      '..',
      'fixtures',
      'oqs-selftest.mjs',
    );
    const c = await cryptoCheck(
      runner,
      [process.execPath, script, '@oqs/liboqs-js', 'ML-KEM-768', 'NOPE-1'],
      {
        timeoutMs: 30_000,
        algorithms: ['ML-KEM-768', 'NOPE-1'],
        preset: 'command',
      },
    );
    expect(c).toMatchObject({
      status: 'failed',
      observed: 'exit 1: not enabled: NOPE-1',
    });
  });
  it('a hanging self-test is cut off at the timeout', async () => {
    const c = await cryptoCheck(runner, ['sleep', '30'], {
      timeoutMs: 500,
      algorithms: ['ML-KEM-768'],
      preset: 'liboqs-python',
    });
    expect(c.status).toBe('failed');
    expect(c.observed).toBe('no result within 1 s');
    expect(c.detail).toContain('builds liboqs at import time');
  });
});

describe('backup freshness', () => {
  const now = new Date();
  const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);
  const dir = () => mkdtempSync(join(tmpdir(), 'bk-'));
  /** A GNU tar (not a pqc-ops archive) with fresh mtime. */
  const gnuTar = (d: string, name: string) => {
    writeFileSync(join(d, 'data.txt'), 'x'.repeat(3000));
    execFileSync('tar', ['-cf', join(d, name), '-C', d, 'data.txt']);
  };

  it('accepts a fresh archive and reads its age from the manifest', async () => {
    const d = dir();
    await makeArchive({ dir: d, nameAt: hoursAgo(2) });
    const c = await backupCheck(d, 86_400_000, now);
    expect(c.status).toBe('ok');
    expect(c.observed).toMatch(
      /^pqc-audit-backup_\d{8}_\d{6}\.tar: 2\.0 h old, 1 member\(s\) match the manifest \(written /,
    );
  });

  it('unrelated-logs.tar does not hide a 57-day-old backup', async () => {
    const d = dir();
    await makeArchive({ dir: d, nameAt: hoursAgo(57 * 24) });
    gnuTar(d, 'unrelated-logs.tar');
    const c = await backupCheck(d, 86_400_000, now);
    expect(c.status).toBe('warning');
    expect(c.observed).toMatch(/^pqc-audit-backup_.*: 1368\.0 h old/);
    expect(c.detail).toContain('older than 24 h');
  });

  it("restore's safety backups (pqc-audit-emergency) do not count as backups", async () => {
    const d = dir();
    await makeArchive({ dir: d, nameAt: hoursAgo(30) });
    await makeArchive({ dir: d, prefix: 'pqc-audit-emergency', nameAt: now });
    const c = await backupCheck(d, 86_400_000, now);
    expect(c.status).toBe('warning');
    expect(c.observed).toMatch(/^pqc-audit-backup_.*: 30\.0 h old/);
  });

  it('uses the configured prefix', async () => {
    const d = dir();
    await makeArchive({ dir: d, prefix: 'nightly', nameAt: hoursAgo(1) });
    expect((await backupCheck(d, 86_400_000, now)).observed).toMatch(
      /^no archive named pqc-audit-backup_YYYYmmdd_HHMMSS\.tar\[\.zst\]\[\.age\] in/,
    );
    const c = await backupCheck(d, 86_400_000, now, 'nightly');
    expect(c.status).toBe('ok');
    expect(c.observed).toMatch(/^nightly_/);
  });

  it("a touched file's mtime does not make an old backup fresh: the manifest's endedAt counts", async () => {
    const d = dir();
    const a = await makeArchive({ dir: d, nameAt: hoursAgo(30) });
    utimesSync(a.path, now, now);
    const c = await backupCheck(d, 86_400_000, now);
    expect(c.status).toBe('warning');
    expect(c.observed).toContain('30.0 h old');
  });

  it("a manifest time more than a day from the name's timestamp fails", async () => {
    const d = dir();
    // Name says 1 h ago; the manifest says it ended 3 days ago.
    await makeArchive({
      dir: d,
      nameAt: hoursAgo(1),
      endedAt: hoursAgo(72),
    });
    const c = await backupCheck(d, 86_400_000, now);
    expect(c.status).toBe('failed');
    expect(c.observed).toMatch(
      /: the manifest says the backup ended .*, 71\.0 h before the time in the archive's name .*: the name or the manifest was changed/,
    );
  });

  it('an encrypted archive is aged by the time in its name, not its mtime', async () => {
    const d = dir();
    const a = await makeArchive({
      dir: d,
      nameAt: hoursAgo(30),
      identity: await newIdentity(),
    });
    utimesSync(a.path, now, now);
    const c = await backupCheck(d, 86_400_000, now);
    expect(c.status).toBe('warning');
    expect(c.observed).toMatch(/\.tar\.age: 30\.0 h old, age header ok/);
    const fresh = dir();
    await makeArchive({
      dir: fresh,
      nameAt: hoursAgo(1),
      identity: await newIdentity(),
    });
    expect((await backupCheck(fresh, 86_400_000, now)).status).toBe('ok');
  });

  it('an archive named from the future does not stand in for the newest backup', async () => {
    const d = dir();
    await makeArchive({ dir: d, nameAt: hoursAgo(30) });
    writeFileSync(join(d, 'pqc-audit-backup_29990101_000000.tar'), 'garbage');
    const c = await backupCheck(d, 86_400_000, now);
    expect(c.status).toBe('warning');
    expect(c.observed).toContain('30.0 h old');
    expect(c.detail).toContain(
      'named from the future (not trusted, check the clock or remove them): pqc-audit-backup_29990101_000000.tar',
    );
  });

  it('warns on a truncated or corrupted archive', async () => {
    const d = dir();
    const a = await makeArchive({ dir: d, nameAt: hoursAgo(1) });
    const buf = readFileSync(a.path);
    writeFileSync(a.path, buf.subarray(0, 1024));
    const c = await backupCheck(d, 86_400_000, now);
    expect(c.status).toBe('warning');
    expect(c.observed).toContain('unreadable');
    buf[100] = 0x41;
    writeFileSync(a.path, buf);
    expect((await backupCheck(d, 86_400_000, now)).detail).toContain(
      'header checksum mismatch',
    );
  });

  it('warns when there is no archive', async () => {
    const d = dir();
    gnuTar(d, 'pqc-audit-backup.tar');
    expect((await backupCheck(d, 1000, now)).observed).toMatch(
      /^no archive named pqc-audit-backup_YYYYmmdd_HHMMSS\.tar\[\.zst\]\[\.age\] in/,
    );
  });
});
