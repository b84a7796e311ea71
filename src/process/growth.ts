import { stat } from 'node:fs/promises';

/**
 * Reports how big `path` has grown every `everyMs` while `work` runs (a dump
 * written by another process), then once more at the end.
 */
export async function watchGrowth<T>(
  path: string,
  report: (bytes: number) => void,
  work: Promise<T>,
  everyMs = 500,
): Promise<T> {
  const look = () =>
    stat(path).then(
      (s) => report(s.size),
      () => undefined,
    );
  const timer = setInterval(() => void look(), everyMs);
  try {
    const out = await work;
    await look();
    return out;
  } finally {
    clearInterval(timer);
  }
}
