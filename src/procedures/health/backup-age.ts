import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import type { Check } from '../../report/step-result.js';

const ARCHIVE = /\.(tar|tar\.age|tar\.gz|tgz)$/;

/**
 * Walks a tar stream header by header, checking each header's checksum and
 * that the data of every member is present, without keeping it.
 * Resolves with the member count.
 */
export async function walkTar(stream: Readable): Promise<number> {
  let buf: Buffer = Buffer.alloc(0);
  let skip = 0;
  let members = 0;
  let ended = false;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    while (!ended) {
      if (skip > 0) {
        const n = Math.min(skip, buf.length);
        buf = buf.subarray(n);
        skip -= n;
        if (skip > 0) break;
      }
      if (buf.length < 512) break;
      const h = buf.subarray(0, 512);
      buf = buf.subarray(512);
      if (h.every((b) => b === 0)) {
        ended = true;
        break;
      }
      const stored = parseInt(
        h.subarray(148, 156).toString('ascii').replace(/\0.*$/, '').trim(),
        8,
      );
      let sum = 0;
      for (let i = 0; i < 512; i++)
        sum += i >= 148 && i < 156 ? 32 : (h[i] ?? 0);
      if (stored !== sum)
        throw new Error(`corrupt tar header after ${members} member(s)`);
      const size = parseInt(
        h.subarray(124, 136).toString('ascii').replace(/\0.*$/, '').trim() ||
          '0',
        8,
      );
      skip = Math.ceil(size / 512) * 512;
      members++;
    }
    if (ended) break;
  }
  if (!ended && (skip > 0 || buf.length > 0 || members === 0))
    throw new Error(`truncated tar after ${members} member(s)`);
  stream.destroy();
  return members;
}

/**
 * The newest archive in the backup directory is younger than `maxAgeMs` and
 * readable: tar and tar.gz are walked to the end; age-encrypted archives are
 * checked for the age header only (backup-verify decrypts them).
 */
export async function backupCheck(
  dir: string,
  maxAgeMs: number,
  now: Date,
): Promise<Check> {
  const threshold = `newest archive younger than ${Math.round(maxAgeMs / 3_600_000)} h and readable`;
  let names: string[];
  try {
    names = (await readdir(dir)).filter(
      (n) => ARCHIVE.test(n) && !n.includes('.tmp'),
    );
  } catch (e) {
    return {
      name: 'backup',
      status: 'warning',
      observed: `cannot read ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
      threshold,
    };
  }
  const files = await Promise.all(
    names.map(async (n) => ({ n, s: await stat(join(dir, n)) })),
  );
  const newest = files
    .filter((f) => f.s.isFile())
    .sort((a, b) => b.s.mtimeMs - a.s.mtimeMs)[0];
  if (!newest)
    return {
      name: 'backup',
      status: 'warning',
      observed: `no archive in ${dir}`,
      threshold,
    };
  const ageMs = now.getTime() - newest.s.mtimeMs;
  const age = `${(ageMs / 3_600_000).toFixed(1)} h old`;
  const path = join(dir, newest.n);
  let readable: string;
  try {
    if (newest.n.endsWith('.age')) {
      const head = await firstBytes(path, 64);
      if (!head.startsWith('age-encryption.org/v1\n'))
        throw new Error('not an age file');
      readable = 'age header ok (encrypted; backup-verify checks the content)';
    } else {
      const s = createReadStream(path);
      const members = await walkTar(
        /\.(gz|tgz)$/.test(newest.n) ? s.pipe(createGunzip()) : s,
      );
      readable = `${members} member(s) readable`;
    }
  } catch (e) {
    return {
      name: 'backup',
      status: 'warning',
      observed: `${newest.n}: ${age}, unreadable`,
      threshold,
      detail: `${path}: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
  const fresh = ageMs <= maxAgeMs;
  return {
    name: 'backup',
    status: fresh ? 'ok' : 'warning',
    observed: `${newest.n}: ${age}, ${readable}`,
    threshold,
    detail: fresh
      ? undefined
      : `the newest backup is older than ${Math.round(maxAgeMs / 3_600_000)} h: is the backup job running?`,
  };
}

async function firstBytes(path: string, n: number): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of createReadStream(path, {
    start: 0,
    end: n - 1,
  }) as AsyncIterable<Buffer>)
    chunks.push(c);
  return Buffer.concat(chunks).toString('latin1');
}
