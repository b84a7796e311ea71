/**
 * Every command this process started and has not seen end: local child
 * processes and remote execs. A cancel (SIGTERM/SIGINT) ends them all, so no
 * pg_dump keeps writing after the run that started it has gone.
 */
const running = new Set<() => void>();

/** Tracks a running command by its kill function; returns the untrack function. */
export function trackChild(kill: () => void): () => void {
  running.add(kill);
  return () => running.delete(kill);
}

/** Kills every tracked command. */
export function terminateChildren(): void {
  for (const kill of [...running]) {
    try {
      kill();
    } catch {
      // already gone
    }
  }
}
