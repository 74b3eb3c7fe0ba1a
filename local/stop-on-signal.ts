/**
 * Stops a long-running local command cleanly: on SIGINT, SIGTERM or SIGHUP, and when the process that
 * started it goes away. `npm start` runs the command through `sh -c`; a SIGTERM to npm's process reaches
 * that shell, which dies without passing it on, and the command would be left serving, reparented. So
 * the command also watches its parent process id and stops when it changes.
 */
export function stopOnSignal(close: () => Promise<void>): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    clearInterval(watch);
    void close()
      .catch((e: unknown) => console.error(e instanceof Error ? e.message : String(e)))
      .then(() => process.exit(0));
  };
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid !== parent) stop();
  }, 500);
  watch.unref();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGHUP', stop);
}
