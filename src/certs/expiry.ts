const DAY_MS = 86_400_000;

/**
 * Whole days from `now` until `notAfter`, rounded down: 0 on the last day,
 * negative once expired (-1 the first day after).
 */
export function daysLeft(notAfter: Date, now: Date): number {
  return Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
}

/** A copy sorted by `notAfter`, earliest first; ties keep their order. */
export function byExpiry<T extends { notAfter: Date }>(
  items: Iterable<T>,
): T[] {
  return [...items].sort((a, b) => a.notAfter.getTime() - b.notAfter.getTime());
}
