/**
 * Where a streamed archive goes: a directory (a temporary file linked to its
 * name once verified) or an object store (a multipart upload completed once
 * every part is stored). Both take the parts of a PartWriter and verify what
 * they stored by reading it back.
 */
import { createHash } from 'node:crypto';
import { garbageCollector } from '../process/memory.js';
import type { PartLayout, PartRecord, PartSink } from './part-writer.js';

/** The archive as stored. */
export interface StoredArchive {
  /** The file path, or the s3:// URL. */
  path: string;
  sha256: string;
  size: number;
  /** Where else the sha256 was recorded, or why it was not (buckets). */
  note?: string;
}

/** A place archives are written to. */
export interface ArchiveTarget {
  /** The directory or the s3:// URL of the prefix, for messages. */
  readonly where: string;
  /** Refuses, before anything is dumped, a name this run cannot use. */
  assertNameFree(prefix: string, at: Date): Promise<void>;
  /** Starts an archive under `name`. */
  begin(name: string): Promise<ArchiveUpload>;
}

/** One archive being written. */
export interface ArchiveUpload {
  sink: PartSink;
  layout: PartLayout;
  /**
   * Makes the archive appear under its name, after checking that what is
   * stored is, byte for byte, the parts written; removes it again if not.
   */
  commit(parts: PartRecord[], size: number): Promise<StoredArchive>;
  /**
   * Removes everything written (never throws); returns a warning when
   * something could not be removed.
   */
  abort(): Promise<string | undefined>;
}

/**
 * Reads a stored archive back and checks every part's sha256 and the total
 * size against what was written; returns the whole archive's sha256.
 */
export async function checkReadBack(
  src: AsyncIterable<Uint8Array>,
  parts: PartRecord[],
  size: number,
): Promise<{ sha256: string; size: number }> {
  const whole = createHash('sha256');
  const sorted = [...parts].sort((a, b) => a.offset - b.offset);
  let i = 0;
  let part = createHash('sha256');
  let inPart = 0;
  let total = 0;
  const endPart = () => {
    const p = sorted[i];
    if (!p) return;
    const sha = part.digest('hex');
    if (sha !== p.sha256)
      throw new Error(
        `the stored archive differs from what was written in part ${p.n} (bytes ${p.offset}-${p.offset + p.size - 1})`,
      );
    i++;
    part = createHash('sha256');
    inPart = 0;
  };
  const collected = garbageCollector();
  for await (const chunk of src) {
    collected(chunk.byteLength);
    let c = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    whole.update(c);
    total += c.length;
    while (c.length > 0) {
      const p = sorted[i];
      if (!p)
        throw new Error(
          `the stored archive is longer than what was written (${size} bytes)`,
        );
      const n = Math.min(c.length, p.size - inPart);
      part.update(c.subarray(0, n));
      inPart += n;
      c = c.subarray(n);
      if (inPart === p.size) endPart();
    }
  }
  if (total !== size || i !== sorted.length)
    throw new Error(
      `the stored archive has ${total} bytes; ${size} were written`,
    );
  return { sha256: whole.digest('hex'), size: total };
}
