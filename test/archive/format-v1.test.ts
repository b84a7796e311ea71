// The saved sample archives of format version 1 (test/fixtures/format-v1,
// plain and age-encrypted, written once and never regenerated): every later
// pqc-ops must still read and verify these very bytes. Version 1 has no
// manifest.sha256, which verification reports as a warning, not a failure.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIdentities } from '../../src/archive/age.js';
import {
  openArchive,
  readManifest,
  readSmall,
  readTar,
  withMember,
} from '../../src/archive/archive-reader.js';
import { verifyArchive } from '../../src/archive/verify.js';

const DIR = join(import.meta.dirname, '../fixtures/format-v1');
const PLAIN = join(DIR, 'pqc-audit-backup_20261101_020000.tar');
const ENCRYPTED = `${PLAIN}.age`;
const identities = parseIdentities(
  readFileSync(join(DIR, 'identity.txt'), 'utf8'),
);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const DUMP_SHA = sha(
  Buffer.from('PGDMP sample dump bytes of format version 1\n'.repeat(8)),
);

describe('format version 1 sample archives', () => {
  it('are the bytes saved when version 1 was current', () => {
    expect(sha(readFileSync(PLAIN))).toBe(
      '21112763c32801d459f7733eed96c49285158bfec2ad48abc932b422d93cd80d',
    );
    expect(sha(readFileSync(ENCRYPTED))).toBe(
      '8b56f23dd1b059c59ba954bd19a5da303b36ebc14e64a6e679384287adc94339',
    );
  });

  it.each([
    ['plain', PLAIN, []],
    ['age-encrypted', ENCRYPTED, identities],
  ])(
    'the %s one verifies: every member matches, the missing seal is a warning',
    async (_, path, ids) => {
      const v = await verifyArchive(
        path,
        ids,
        new Set(['database', 'config'] as const),
        {},
        { now: new Date('2026-11-27T00:00:00Z') },
      );
      expect(v.checks.filter((c) => c.status === 'failed')).toEqual([]);
      expect(v.ok).toBe(true);
      expect(v.manifest?.formatVersion).toBe(1);
      expect(v.manifest?.database?.tables).toEqual([
        { schema: 'public', table: 'scans', rows: 42 },
      ]);
      expect(v.checks.find((c) => c.name === 'manifest seal')?.status).toBe(
        'warning',
      );
      expect(
        v.checks
          .filter((c) => c.name.startsWith('member '))
          .map((c) => c.status),
      ).toEqual(['ok', 'ok']);
      expect(v.configDocs?.[0]?.['kind']).toBe('ConfigMap');
    },
  );

  it('reads member by member, and streams the dump out checked', async () => {
    const tar = readTar(openArchive(ENCRYPTED, identities));
    const first = await tar.next();
    const manifest = await readManifest(first.done ? undefined : first.value);
    expect(manifest.members.map((m) => [m.name, m.size])).toEqual([
      ['database.dump', 352],
      ['config.yaml', 113],
    ]);
    const rest: [string, number][] = [];
    for await (const m of tar) rest.push([m.name, (await readSmall(m)).length]);
    expect(rest).toEqual([
      ['database.dump', 352],
      ['config.yaml', 113],
    ]);
    const got: Buffer[] = [];
    await withMember(PLAIN, [], 'database.dump', DUMP_SHA, async (chunks) => {
      for await (const c of chunks) got.push(c);
    });
    expect(sha(Buffer.concat(got))).toBe(DUMP_SHA);
  });

  it('the encrypted one needs its identity', async () => {
    expect(() => openArchive(ENCRYPTED, [])).toThrow(
      `${ENCRYPTED} is encrypted: give input 'age-identity'`,
    );
    const other = parseIdentities(
      'AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX',
    );
    const v = await verifyArchive(ENCRYPTED, other, new Set());
    expect(v.ok).toBe(false);
    expect(v.checks.at(-1)?.name).toBe('integrity');
  });
});
