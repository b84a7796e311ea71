// Retention: which archives are deleted. The rules are relations, checked
// over generated archive sets with fast-check: never one of the newest
// keep-last, never one younger than retention-days, never one from the
// future, never another prefix's; plus boundary tables, and the listing,
// the deletion and the stale temporaries and spools in real directories.
import {
  mkdirSync,
  readdirSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../helpers/temp.js';
import { archiveName, MAX_CLOCK_SKEW_MS } from '../../src/archive/naming.js';
import {
  applyRetention,
  isSpoolOf,
  listArchives,
  planRetention,
  spoolDirPrefix,
  splitFuture,
  staleSpools,
  staleTemporaries,
  type FoundArchive,
} from '../../src/archive/retention.js';

const DAY = 86_400_000;
const NOW = new Date('2026-11-26T12:00:00Z');
const tempDir = tempDirs('retention');

function found(at: Date, encrypted = false): FoundArchive {
  const name = archiveName('p', at, encrypted);
  return { name, path: `/b/${name}`, at, encrypted, compression: 'pg' };
}

/** Archives, retention-days and keep-last, as planRetention takes them. */
const retentionArgs = (minDays: number) =>
  [
    archivesArb,
    fc.integer({ min: minDays, max: 40 }),
    fc.integer({ min: 0, max: 30 }),
  ] as const;

/** Archives newest first, as listArchives returns them, whole seconds apart. */
const archivesArb = fc
  .uniqueArray(fc.integer({ min: -60 * 86_400, max: 2 * 3600 }), {
    maxLength: 25,
  })
  .map((offsets) =>
    offsets
      .sort((a, b) => b - a)
      .map((s) => found(new Date(NOW.getTime() + s * 1000))),
  );

describe('planRetention', () => {
  it('keeps, expires or sets apart every archive exactly once', () => {
    fc.assert(
      fc.property(...retentionArgs(0), (archives, days, keepLast) => {
        const { keep, expired, future } = planRetention(
          archives,
          NOW,
          days,
          keepLast,
        );
        expect(
          [...keep, ...expired, ...future].map((a) => a.name).sort(),
        ).toEqual(archives.map((a) => a.name).sort());
      }),
    );
  });

  it('never deletes one of the newest keep-last trusted archives, nor a younger one, nor one from the future', () => {
    fc.assert(
      fc.property(...retentionArgs(0), (archives, days, keepLast) => {
        const { expired, future } = planRetention(
          archives,
          NOW,
          days,
          keepLast,
        );
        const trusted = archives.filter(
          (a) => a.at.getTime() <= NOW.getTime() + MAX_CLOCK_SKEW_MS,
        );
        const newest = new Set(trusted.slice(0, keepLast).map((a) => a.name));
        expect(future.map((a) => a.name)).toEqual(
          archives.filter((a) => !trusted.includes(a)).map((a) => a.name),
        );
        for (const a of expired) {
          expect(newest.has(a.name)).toBe(false);
          expect(days).toBeGreaterThan(0);
          expect(a.at.getTime()).toBeLessThan(NOW.getTime() - days * DAY);
        }
      }),
    );
  });

  it('deletes every trusted archive past keep-last that is older than the cutoff', () => {
    fc.assert(
      fc.property(...retentionArgs(1), (archives, days, keepLast) => {
        const { keep } = planRetention(archives, NOW, days, keepLast);
        const trusted = archives.filter(
          (a) => !splitFuture([a], NOW).future.length,
        );
        for (const [i, a] of trusted.entries())
          if (i >= keepLast && a.at.getTime() < NOW.getTime() - days * DAY)
            expect(keep).not.toContain(a);
      }),
    );
  });

  it('the cutoff is inclusive: an archive exactly retention-days old is kept', () => {
    const exact = found(new Date(NOW.getTime() - 7 * DAY));
    const older = found(new Date(NOW.getTime() - 7 * DAY - 1000));
    const plan = planRetention([exact, older], NOW, 7, 0);
    expect(plan.keep).toEqual([exact]);
    expect(plan.expired).toEqual([older]);
  });

  it('retention-days 0 keeps everything; keep-last 0 keeps only the young', () => {
    const old = [100, 200, 300].map((d) =>
      found(new Date(NOW.getTime() - d * DAY)),
    );
    expect(planRetention(old, NOW, 0, 0)).toEqual({
      keep: old,
      expired: [],
      future: [],
    });
    expect(planRetention(old, NOW, 1, 0).expired).toEqual(old);
    expect(planRetention(old, NOW, 1, 2)).toEqual({
      keep: old.slice(0, 2),
      expired: old.slice(2),
      future: [],
    });
  });

  it('an archive from the future neither takes a keep-last place nor expires', () => {
    const future = found(new Date(NOW.getTime() + MAX_CLOCK_SKEW_MS + 1000));
    const skewed = found(new Date(NOW.getTime() + MAX_CLOCK_SKEW_MS));
    const old = found(new Date(NOW.getTime() - 30 * DAY));
    expect(planRetention([future, old], NOW, 1, 1)).toEqual({
      keep: [old],
      expired: [],
      future: [future],
    });
    expect(planRetention([skewed, old], NOW, 1, 1)).toEqual({
      keep: [skewed],
      expired: [old],
      future: [],
    });
  });
});

describe('listArchives', () => {
  it('lists the non-empty regular archives of the prefix only, newest first', async () => {
    const dir = tempDir();
    const t = (d: number) => new Date(NOW.getTime() - d * DAY);
    const names = [
      archiveName('p', t(2), false),
      archiveName('p', t(1), false),
      archiveName('p', t(1), true),
      archiveName('p', t(3), true, 'zstd'),
    ];
    for (const n of names) writeFileSync(join(dir, n), 'x');
    writeFileSync(join(dir, archiveName('p', t(0), false)), '');
    mkdirSync(join(dir, archiveName('p', t(4), false)));
    writeFileSync(join(dir, archiveName('q', t(1), false)), 'x');
    writeFileSync(join(dir, archiveName('p_q', t(1), false)), 'x');
    writeFileSync(join(dir, `${archiveName('p', t(1), false)}.tmp-ab`), 'x');
    writeFileSync(join(dir, 'notes.txt'), 'x');
    symlinkSync(join(dir, 'missing'), join(dir, archiveName('p', t(5), false)));
    const list = await listArchives(dir, 'p');
    expect(list.map((a) => a.name)).toEqual([
      names[2],
      names[1],
      names[0],
      names[3],
    ]);
    expect(list[0]).toEqual({
      name: names[2],
      path: join(dir, names[2] ?? ''),
      at: t(1),
      encrypted: true,
      compression: 'pg',
    });
    expect(list[3]?.compression).toBe('zstd');
  });

  it('never lists another prefix, whatever the prefixes', async () => {
    const dir = tempDir();
    const prefixes = ['a', 'a.b', 'a_b', 'a-b', 'b', 'A', 'a_b_c'];
    for (const [i, pfx] of prefixes.entries())
      writeFileSync(
        join(dir, archiveName(pfx, new Date(NOW.getTime() - i * DAY), false)),
        'x',
      );
    for (const pfx of prefixes) {
      const list = await listArchives(dir, pfx);
      expect(list.map((a) => a.name)).toEqual([
        archiveName(
          pfx,
          new Date(NOW.getTime() - prefixes.indexOf(pfx) * DAY),
          false,
        ),
      ]);
    }
  });
});

describe('applyRetention', () => {
  it('deletes exactly the expired archives and names them', async () => {
    const dir = tempDir();
    const mk = (d: number) => {
      const at = new Date(NOW.getTime() - d * DAY);
      const name = archiveName('p', at, false);
      writeFileSync(join(dir, name), 'x');
      return name;
    };
    const [keep, gone1, gone2] = [mk(1), mk(40), mk(50)];
    const plan = planRetention(await listArchives(dir, 'p'), NOW, 30, 1);
    expect(await applyRetention(plan)).toEqual([gone1, gone2]);
    expect(readdirSync(dir)).toEqual([keep]);
    // Already gone (another run deleted it): not an error.
    expect(await applyRetention(plan)).toEqual([gone1, gone2]);
  });
});

describe('stale temporaries and spools', () => {
  const HOUR = 3_600_000;
  const age = (path: string, ms: number) => {
    const t = (NOW.getTime() - ms) / 1000;
    utimesSync(path, t, t);
  };

  it('temporaries of the prefix older than the limit, not younger, not at it', async () => {
    const dir = tempDir();
    const final = archiveName('p', NOW, true);
    const files = {
      old: `${final}.tmp-01`,
      limit: `${final}.tmp-02`,
      young: `${final}.tmp-03`,
      other: `${archiveName('q', NOW, true)}.tmp-04`,
      plain: `notes.tmp-05`,
    };
    for (const f of Object.values(files)) writeFileSync(join(dir, f), 'x');
    age(join(dir, files.old), HOUR + 1000);
    age(join(dir, files.limit), HOUR);
    age(join(dir, files.young), 1000);
    age(join(dir, files.other), 10 * HOUR);
    age(join(dir, files.plain), 10 * HOUR);
    expect(await staleTemporaries(dir, 'p', NOW, HOUR)).toEqual([
      join(dir, files.old),
    ]);
  });

  it('spool directories: exactly the prefix and six letters or digits', () => {
    expect(spoolDirPrefix('p')).toBe('.pqc-ops-spool-p-');
    expect(isSpoolOf('p', '.pqc-ops-spool-p-aB3xY9')).toBe(true);
    for (const name of [
      '.pqc-ops-spool-p-aB3xY',
      '.pqc-ops-spool-p-aB3xY90',
      '.pqc-ops-spool-p-aB3x_9',
      '.pqc-ops-spool-p-q-aB3xY9',
      '.pqc-ops-spool-pq-aB3xY9',
      'x.pqc-ops-spool-p-aB3xY9',
    ])
      expect(isSpoolOf('p', name)).toBe(false);
  });

  it('a spool is stale when its newest file, however deep, is older than the limit', async () => {
    const dir = tempDir();
    const spool = (s: string) => join(dir, `.pqc-ops-spool-p-${s}`);
    for (const s of ['aaaaa1', 'aaaaa2', 'aaaaa3'])
      mkdirSync(join(spool(s), 'sub'), { recursive: true });
    writeFileSync(join(spool('aaaaa2'), 'sub', 'dump'), 'x');
    writeFileSync(join(spool('aaaaa3'), 'sub', 'dump'), 'x');
    writeFileSync(spool('aaaaa4'), 'a file, not a spool');
    mkdirSync(join(dir, '.pqc-ops-spool-q-aaaaa5'));
    // 1: all old. 2: old, but a file deep inside was written recently. 3: at the limit.
    for (const p of [
      join(spool('aaaaa1'), 'sub'),
      spool('aaaaa1'),
      join(spool('aaaaa2'), 'sub'),
      spool('aaaaa2'),
      join(dir, '.pqc-ops-spool-q-aaaaa5'),
      spool('aaaaa4'),
    ])
      age(p, 10 * HOUR);
    age(join(spool('aaaaa2'), 'sub', 'dump'), 60_000);
    for (const p of [
      join(spool('aaaaa3'), 'sub', 'dump'),
      join(spool('aaaaa3'), 'sub'),
      spool('aaaaa3'),
    ])
      age(p, HOUR);
    // 6: old files, but the directory itself was written to just now.
    mkdirSync(spool('aaaaa6'));
    for (const f of ['a', 'b', 'c']) {
      writeFileSync(join(spool('aaaaa6'), f), 'x');
      age(join(spool('aaaaa6'), f), 10 * HOUR);
    }
    age(spool('aaaaa6'), 60_000);
    expect(await staleSpools(dir, 'p', NOW, HOUR)).toEqual([spool('aaaaa1')]);
  });
});
