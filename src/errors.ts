/**
 * The user's mistake: a bad input, a missing file, an impossible combination.
 * The message names the input and the accepted form. The CLI exits 2 on it.
 */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/** A precondition of the live system that makes the procedure refuse. */
export class RefusedError extends Error {
  override readonly name = 'RefusedError';
}

/**
 * One line for any thrown value, including non-Error throws (a string, an
 * object), so a failing step always says why.
 */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) {
    const msg = e.message.trim();
    return firstLine(msg === '' ? e.name : msg);
  }
  if (typeof e === 'string') return firstLine(e);
  try {
    return firstLine(JSON.stringify(e) ?? String(e));
  } catch {
    return String(e);
  }
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return i === -1 ? s : s.slice(0, i);
}
