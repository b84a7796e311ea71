/**
 * Keeps the garbage of a long stream (a dump, an archive read back) small.
 *
 * What piles up is not JavaScript objects but the memory of dead buffers
 * (zstd's output, socket reads), which V8 frees only when it collects the
 * small objects that own it. V8 collects the young generation when that
 * generation's own space is full, and grows the space (to 32 MiB and more)
 * while much is allocated: with a grown young generation, tens of megabytes
 * of dead buffers wait for a collection. So, while streaming:
 *  - the young generation is shrunk once and then kept at its size (V8
 *    reads its growth factor whenever it would grow it);
 *  - a young collection every GC_EVERY_BYTES streamed, and a full one every
 *    MAJOR_EVERY of those (buffers that were still in use at a young
 *    collection are promoted, and only a full one frees them);
 *  - collectAll() where one phase hands over to the next.
 * Measured on a backup of 210 MB of tar with zstd into a bucket (the
 * figures and the method are in bench/RESULTS.md): peak RSS 176 MiB with
 * none of this, 162 with the collections alone, 138 with all of it.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

/** How many streamed bytes between two young-generation collections. */
export const GC_EVERY_BYTES = 4 * 1024 * 1024;

/** Every this many young collections, a full one. */
export const MAJOR_EVERY = 8;

type Collect = (o: {
  type: 'minor' | 'major';
  flavor?: 'regular' | 'last-resort';
}) => void;

let collect: Collect | null | undefined;

/**
 * The exposed gc, made once per process, at the first stream (no action
 * pays for it before). Then the young generation stops growing and is
 * shrunk (a "last resort" collection is the one that gives back the young
 * generation's space): one full collection, once.
 */
function collector(): Collect | null {
  if (collect !== undefined) return collect;
  try {
    v8.setFlagsFromString('--expose-gc');
    collect = vm.runInNewContext('gc') as Collect;
  } catch {
    collect = null;
    return null;
  }
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  collect({ type: 'major', flavor: 'last-resort' });
  return collect;
}

/**
 * Returns the function to call with each streamed chunk's size; where gc
 * cannot be exposed it does nothing.
 */
export function garbageCollector(
  everyBytes = GC_EVERY_BYTES,
): (bytes: number) => void {
  const gc = collector();
  if (!gc) return () => undefined;
  let since = 0;
  let minors = 0;
  return (bytes) => {
    since += bytes;
    if (since >= everyBytes) {
      since = 0;
      minors++;
      gc({ type: minors % MAJOR_EVERY === 0 ? 'major' : 'minor' });
    }
  };
}

/**
 * A full collection now, where one phase of a stream hands over to the
 * next: what the first kept goes before the second piles up its own.
 */
export function collectAll(): void {
  collector()?.({ type: 'major' });
}

/**
 * A young collection now, for a loop that makes much garbage at once
 * without streaming (sealing a part with age: a fresh buffer per chunk).
 */
export function collectYoung(): void {
  collector()?.({ type: 'minor' });
}
