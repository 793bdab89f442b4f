/** What the sandbox's standalone commands share: reading `--name value` flags and stopping cleanly. */

/** The value after `--name`, or undefined. */
export function flag(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** Closes the server and exits on Ctrl-C or SIGTERM. */
export function closeOnSignal(close: () => Promise<void>): void {
  const stop = (): void => {
    void close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
