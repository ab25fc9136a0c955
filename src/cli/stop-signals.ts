/**
 * Ctrl-C and a service manager's stop (SIGTERM from systemd, Kubernetes, docker stop) asked of a
 * long-running command: the first signal aborts `signal`, and the command ends at its next safe
 * point with its report; a second signal, with no handler left, ends the process at once, as
 * without ferry's handling.
 */
export async function untilStopped<T>(run: (signal: AbortSignal) => Promise<T>, onStop?: () => void): Promise<T> {
  const stop = new AbortController();
  const onSignal = () => {
    remove();
    onStop?.();
    stop.abort();
  };
  const remove = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await run(stop.signal);
  } finally {
    remove();
  }
}
