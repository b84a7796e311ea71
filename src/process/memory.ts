import v8 from 'node:v8';
import vm from 'node:vm';

/** How many streamed bytes between two young-generation collections. */
export const GC_EVERY_BYTES = 16 * 1024 * 1024;

/**
 * Every this many collections, a full one: chunks still referenced during a
 * minor collection (a part waiting for an upload slot holds the reads behind
 * it) are promoted, and only a full collection frees promoted buffers.
 */
export const MAJOR_EVERY = 2;

let collect: ((o?: { type: 'minor' | 'major' }) => void) | null | undefined;

function collector(): typeof collect {
  if (collect !== undefined) return collect;
  try {
    v8.setFlagsFromString('--expose-gc');
    collect = vm.runInNewContext('gc') as typeof collect;
  } catch {
    collect = null;
  }
  return collect;
}

/**
 * Keeps the garbage of a long stream small. Every pipe or socket read is a
 * fresh buffer, and V8 collects such external memory only once about 64 MB
 * of it has piled up, so streaming a dump through Node peaked near 150 MiB
 * whatever the part sizes. A young-generation collection every
 * GC_EVERY_BYTES streamed keeps it to that (measured: 142 -> 84 MiB for
 * 393 MB in 64 KiB chunks, and no slower). Returns the function to call
 * with each chunk's size; where gc cannot be exposed it does nothing.
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
