/** The longest delay Node's timers take; a longer one fires at once (after 1 ms). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A delay safe for setTimeout and AbortSignal.timeout: at most
 * {@link MAX_TIMER_MS} and never negative.
 */
export function timerMs(ms: number): number {
  if (!Number.isFinite(ms)) return ms > 0 ? MAX_TIMER_MS : 0;
  return Math.min(Math.max(0, ms), MAX_TIMER_MS);
}
