/** How long a cancelled run may take to clean up before the process exits anyway. */
export const CANCEL_GRACE_MS = 8_000;

/**
 * Turns SIGTERM and SIGINT (what GitHub sends when a workflow is cancelled,
 * and Ctrl-C) into an aborted signal, so the running procedure kills its
 * children, cleans up and records. A second signal, or the grace period,
 * ends the process with `exitCode` at once. `dispose` removes the handlers.
 */
export function cancelOnSignals(
  exitCode: number,
  announce: (sig: NodeJS.Signals) => void,
): { signal: AbortSignal; dispose: () => void } {
  const cancel = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (cancel.signal.aborted) process.exit(exitCode);
    announce(sig);
    cancel.abort(new Error(`cancelled by ${sig}`));
    setTimeout(() => process.exit(exitCode), CANCEL_GRACE_MS).unref();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    signal: cancel.signal,
    dispose: () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}
