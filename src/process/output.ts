// What a finished command said: the tail of its stderr, its most telling line,
// and one error that explains its failure.

/** Keeps the last `max` bytes of a stream, for error messages. */
export function tail(stream: NodeJS.ReadableStream, max = 4096): () => string {
  let buf = '';
  stream.on('data', (c: Buffer | string) => {
    buf = (buf + String(c)).slice(-max);
  });
  stream.on('error', () => undefined);
  return () => buf.trim();
}

/**
 * Lines that say only that a tool gave up, not why: tar's "Error is not
 * recoverable: exiting now" and "Exiting with failure status due to previous
 * errors" follow the line with the reason.
 */
const GENERIC =
  /error is not recoverable|exiting with failure status|exiting now$/i;

/** The most telling line of a tool's stderr: its reason, not its sign-off. */
export function lastError(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const telling = lines.filter((l) => !GENERIC.test(l));
  const pool = telling.length > 0 ? telling : lines;
  const err = pool.filter((l) =>
    /error|fatal|could not|cannot|failed|no such file|denied/i.test(l),
  );
  return (
    (err.length > 0 ? err.slice(-2) : pool.slice(-1)).join(' / ') ||
    'no message'
  );
}

/**
 * Throws the one line that explains a settled command: the error it died
 * with, or its non-zero exit code and the last line of its stderr.
 */
export function throwIfFailed(
  exit: PromiseSettledResult<number>,
  tool: string,
  where: string,
  stderr: string,
): void {
  if (exit.status === 'rejected')
    throw exit.reason instanceof Error
      ? exit.reason
      : new Error(String(exit.reason));
  if (exit.value !== 0)
    throw new Error(
      `${tool} on ${where} failed (exit ${exit.value}): ${lastError(stderr)}`,
    );
}
