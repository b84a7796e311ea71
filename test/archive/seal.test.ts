// manifest.sha256 (the manifest's own checksum, the last member) and the
// cross-check of the manifest's time against the archive's name, on real
// archives read back with GNU tar, sha256sum and the age CLI.
import { execFileSync } from 'node:child_process';
import {
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { archiveName } from '../../src/archive/naming.js';
import { verifyArchive } from '../../src/archive/verify.js';
import { makeArchive, newIdentity } from './make-archive.js';

const at = new Date('2025-03-04T05:06:07Z');
const statusOf = (
  v: { checks: { name: string; status: string }[] },
  n: string,
) => v.checks.find((c) => c.name === n)?.status;

/** Extracts with GNU tar; returns the directory. */
function extract(archive: string): string {
  const x = mkdtempSync(join(tmpdir(), 'seal-x-'));
  execFileSync('tar', ['-xf', archive, '-C', x]);
  return x;
}

/** Packs files with GNU tar (ustar) in this order into `archive`. */
function repack(archive: string, from: string, names: string[]): void {
  rmSync(archive);
  execFileSync('tar', ['--format=ustar', '-cf', archive, '-C', from, ...names]);
}

describe('manifest.sha256', () => {
  it('is the last member, and GNU tar plus sha256sum -c check it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seal-'));
    const a = await makeArchive({ dir, nameAt: at });
    expect(
      execFileSync('tar', ['-tf', a.path]).toString().trim().split('\n'),
    ).toEqual(['manifest.json', 'database.dump', 'manifest.sha256']);
    const x = extract(a.path);
    expect(
      execFileSync('sha256sum', ['-c', 'manifest.sha256'], {
        cwd: x,
      }).toString(),
    ).toBe('manifest.json: OK\n');
    const v = await verifyArchive(a.path, [], new Set(['database']));
    expect(v.ok).toBe(true);
    expect(statusOf(v, 'manifest seal')).toBe('ok');
    expect(statusOf(v, 'archive time')).toBe('ok');
  });

  it('an edited endedAt in an unencrypted archive no longer passes verification', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seal-edit-'));
    const a = await makeArchive({ dir, nameAt: at });
    const x = extract(a.path);
    const m = JSON.parse(readFileSync(join(x, 'manifest.json'), 'utf8'));
    m.endedAt = new Date(at.getTime() + 3_600_000).toISOString(); // an hour younger
    writeFileSync(join(x, 'manifest.json'), JSON.stringify(m, null, 2) + '\n');
    repack(a.path, x, ['manifest.json', 'database.dump', 'manifest.sha256']);
    const v = await verifyArchive(a.path, [], new Set(['database']));
    expect(v.ok).toBe(false);
    expect(v.checks.find((c) => c.name === 'manifest seal')).toMatchObject({
      status: 'failed',
      observed:
        'manifest.json does not match manifest.sha256: the manifest was modified or is damaged',
    });
  });

  it('a current-format archive whose manifest.sha256 was stripped fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seal-strip-'));
    const a = await makeArchive({ dir, nameAt: at });
    const x = extract(a.path);
    repack(a.path, x, ['manifest.json', 'database.dump']);
    const v = await verifyArchive(a.path, [], new Set(['database']));
    expect(v.ok).toBe(false);
    expect(v.checks.find((c) => c.name === 'manifest seal')?.observed).toMatch(
      /manifest\.sha256 is missing, though the manifest is format version 2/,
    );
  });

  it('an archive of the older format (version 1, no manifest.sha256) is readable, with a warning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seal-v1-'));
    const a = await makeArchive({ dir, nameAt: at, formatVersion: 1 });
    const x = extract(a.path);
    repack(a.path, x, ['manifest.json', 'database.dump']);
    const v = await verifyArchive(a.path, [], new Set(['database']));
    expect(v.ok).toBe(true);
    expect(v.checks.find((c) => c.name === 'manifest seal')).toMatchObject({
      status: 'warning',
      observed: expect.stringMatching(/older format/),
    });
  });

  it('a member after manifest.sha256 is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seal-after-'));
    const a = await makeArchive({ dir, nameAt: at });
    const x = extract(a.path);
    writeFileSync(join(x, 'extra'), 'x');
    repack(a.path, x, [
      'manifest.json',
      'database.dump',
      'manifest.sha256',
      'extra',
    ]);
    const v = await verifyArchive(a.path, [], new Set());
    expect(v.ok).toBe(false);
    expect(v.checks.find((c) => c.name === 'integrity')?.observed).toMatch(
      /extra after manifest\.sha256, which must be the last member/,
    );
  });

  it('an encrypted archive carries it too, and the age CLI and GNU tar read it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seal-age-'));
    const id = await newIdentity();
    const a = await makeArchive({ dir, nameAt: at, identity: id });
    expect(a.path).toMatch(/\.tar\.age$/);
    const key = join(dir, 'key.txt');
    writeFileSync(key, `${id}\n`);
    const plain = execFileSync('age', ['-d', '-i', key, a.path]);
    expect(
      execFileSync('tar', ['-t'], { input: plain })
        .toString()
        .trim()
        .split('\n'),
    ).toEqual(['manifest.json', 'database.dump', 'manifest.sha256']);
    const v = await verifyArchive(a.path, [id], new Set(['database']));
    expect(v.ok).toBe(true);
    expect(statusOf(v, 'manifest seal')).toBe('ok');
  });
});

describe('manifest time against the name', () => {
  it('a manifest time more than a day from the name fails verification', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'time-'));
    const a = await makeArchive({ dir, nameAt: at });
    // The file renamed to look 3 days younger than its content.
    const renamed = join(
      dir,
      archiveName(
        'pqc-audit-backup',
        new Date(at.getTime() + 3 * 86_400_000),
        false,
      ),
    );
    renameSync(a.path, renamed);
    const v = await verifyArchive(renamed, [], new Set(['database']));
    expect(v.ok).toBe(false);
    expect(v.checks.find((c) => c.name === 'archive time')?.observed).toMatch(
      /ended 2025-03-04T05:06:12\.000Z, 72\.0 h before the time in the archive's name \(2025-03-07T05:06:07\.000Z\)/,
    );
  });

  it('a backup that ran for hours is consistent; a manifest time in the future fails with now', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'time-'));
    const a = await makeArchive({
      dir,
      nameAt: at,
      endedAt: new Date(at.getTime() + 5 * 3_600_000),
    });
    const v = await verifyArchive(a.path, [], new Set());
    expect(statusOf(v, 'archive time')).toBe('ok');
    const early = await verifyArchive(a.path, [], new Set(), {}, { now: at });
    expect(early.ok).toBe(false);
    expect(
      early.checks.find((c) => c.name === 'archive time')?.observed,
    ).toMatch(/5\.0 h in the future/);
  });

  it('a file not named like an archive is verified with a warning that its time is not cross-checked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'time-'));
    const a = await makeArchive({ dir, nameAt: at });
    const other = join(dir, 'downloaded.tar');
    renameSync(a.path, other);
    const v = await verifyArchive(other, [], new Set());
    expect(v.ok).toBe(true);
    expect(statusOf(v, 'archive time')).toBe('warning');
  });
});
