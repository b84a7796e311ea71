/**
 * A minimal, strict POSIX tar (ustar, with a pax `size` record for members of
 * 8 GiB and more): enough to write our archives member by member while
 * streaming, and to read them back refusing anything malformed.
 */

/** Tar block size. */
export const BLOCK = 512;
const MAX_OCTAL_SIZE = 0o77777777777;

/** A member header as written and read. */
export interface TarEntry {
  name: string;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  mode?: number;
}

function writeString(b: Buffer, off: number, len: number, s: string): void {
  const bytes = Buffer.from(s, 'utf8');
  if (bytes.length > len)
    throw new Error(`tar: field "${s}" is longer than ${len} bytes`);
  bytes.copy(b, off);
}

function writeOctal(b: Buffer, off: number, len: number, n: number): void {
  writeString(b, off, len, n.toString(8).padStart(len - 1, '0') + '\0');
}

function checksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (b[i] ?? 0);
  return sum;
}

function ustarHeader(
  name: string,
  size: number,
  mtime: number,
  mode: number,
  type: string,
): Buffer {
  const b = Buffer.alloc(BLOCK);
  writeString(b, 0, 100, name);
  writeOctal(b, 100, 8, mode);
  writeOctal(b, 108, 8, 0);
  writeOctal(b, 116, 8, 0);
  writeOctal(b, 124, 12, size);
  writeOctal(b, 136, 12, mtime);
  b.write(type, 156, 'latin1');
  b.write('ustar\0', 257, 'latin1');
  b.write('00', 263, 'latin1');
  writeString(b, 265, 32, 'root');
  writeString(b, 297, 32, 'root');
  b.write(checksum(b).toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return b;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (String(len).length + body.length !== len)
    len = String(len).length + body.length;
  return `${len}${body}`;
}

/** Zero bytes that pad a member of `size` bytes to a whole block. */
export function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

/**
 * The header block(s) of one member: a pax extended header first when the
 * size does not fit the 11 octal digits of ustar.
 */
export function entryHeader(e: TarEntry): Buffer {
  if (!/^[A-Za-z0-9._-]{1,99}$/.test(e.name))
    throw new Error(`tar: unsupported member name "${e.name}"`);
  const mode = e.mode ?? 0o600;
  if (e.size <= MAX_OCTAL_SIZE)
    return ustarHeader(e.name, e.size, e.mtime, mode, '0');
  const pax = Buffer.from(paxRecord('size', String(e.size)), 'utf8');
  return Buffer.concat([
    ustarHeader(
      `PaxHeaders/${e.name}`.slice(0, 99),
      pax.length,
      e.mtime,
      0o644,
      'x',
    ),
    pax,
    padding(pax.length),
    ustarHeader(e.name, 0, e.mtime, mode, '0'),
  ]);
}

/**
 * The size of streamedEntryHeader(): fixed, so it can be reserved before the
 * member's size is known.
 */
export const STREAMED_HEADER_SIZE = 3 * BLOCK;

/**
 * The header of a member written while it streams (its size known only at
 * the end): always the pax form (a pax `size` record, then a ustar header),
 * STREAMED_HEADER_SIZE bytes whatever the size. GNU tar and our reader read it
 * like any other.
 */
export function streamedEntryHeader(e: TarEntry): Buffer {
  if (!/^[A-Za-z0-9._-]{1,99}$/.test(e.name))
    throw new Error(`tar: unsupported member name "${e.name}"`);
  const pax = Buffer.from(paxRecord('size', String(e.size)), 'utf8');
  const h = Buffer.concat([
    ustarHeader(
      `PaxHeaders/${e.name}`.slice(0, 99),
      pax.length,
      e.mtime,
      0o644,
      'x',
    ),
    pax,
    padding(pax.length),
    ustarHeader(
      e.name,
      Math.min(e.size, MAX_OCTAL_SIZE),
      e.mtime,
      e.mode ?? 0o600,
      '0',
    ),
  ]);
  if (h.length !== STREAMED_HEADER_SIZE)
    throw new Error('tar: streamed header of unexpected size');
  return h;
}

/** The end-of-archive marker: two zero blocks. */
export function endOfArchive(): Buffer {
  return Buffer.alloc(2 * BLOCK);
}

function readOctal(b: Buffer, off: number, len: number, what: string): number {
  const s = b
    .toString('latin1', off, off + len)
    .replace(/[\0 ]+$/, '')
    .replace(/^ +/, '');
  if (!/^[0-7]+$/.test(s)) throw new Error(`tar: bad ${what} field`);
  return parseInt(s, 8);
}

function readString(b: Buffer, off: number, len: number): string {
  const end = b.indexOf(0, off);
  return b.toString(
    'utf8',
    off,
    end === -1 || end > off + len ? off + len : end,
  );
}

/** Whether a block is all zeros. */
export function isZeroBlock(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/** A parsed ustar header block; throws on a bad checksum or format. */
export function parseHeader(b: Buffer): TarEntry & { type: string } {
  const stored = readOctal(b, 148, 8, 'checksum');
  if (stored !== checksum(b))
    throw new Error(
      'tar: header checksum mismatch (the archive is damaged or was modified)',
    );
  if (b.toString('latin1', 257, 262) !== 'ustar')
    throw new Error('tar: not a ustar header');
  const type = b.toString('latin1', 156, 157) || '0';
  return {
    name: readString(b, 0, 100),
    size: readOctal(b, 124, 12, 'size'),
    mtime: readOctal(b, 136, 12, 'mtime'),
    mode: readOctal(b, 100, 8, 'mode'),
    type: type === '\0' ? '0' : type,
  };
}

/** The `size` record of a pax extended header, if any. */
export function paxSize(data: Buffer): number | undefined {
  const m = /(?:^|\n)\d+ size=(\d+)\n/.exec(data.toString('utf8'));
  return m ? Number(m[1]) : undefined;
}
