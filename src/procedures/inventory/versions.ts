/**
 * Dotted release numbers as the components report them ("v1.32.4",
 * "15.18 (Debian 15.18-0+deb12u1)", "2.42.0+ds", "1.14.4-alpine"): the
 * leading numbers are the version, anything after them is ignored.
 */

/** The numeric parts of a version, or undefined when it starts with none. */
export function parseVersion(raw: string): number[] | undefined {
  const m = /^v?(\d+(?:\.\d+)*)/i.exec(raw.trim());
  if (!m?.[1]) return undefined;
  const parts = m[1].split('.').map(Number);
  return parts.every((n) => Number.isSafeInteger(n)) ? parts : undefined;
}

/** Negative, zero or positive as `a` is older than, equal to or newer than `b` (missing parts are 0). */
export function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Whether `version` belongs to the release line `release` ("1.32" holds 1.32.4; "15" holds 15.18). */
export function inRelease(release: number[], version: number[]): boolean {
  return (
    version.length >= release.length &&
    release.every((n, i) => version[i] === n)
  );
}

/** A version's parts joined again: [1, 32, 4] -> "1.32.4". */
export function formatVersion(parts: number[]): string {
  return parts.join('.');
}
