/** A start-up failure caused by the machine or the environment, said in one line with what to do. */
export class StartupError extends Error {
  override name = 'StartupError';
}

/** Errors whose message is already that one line: ours, and the embedded PostgreSQL's (@plyr/embedded). */
const ONE_LINE_ERRORS = new Set(['StartupError', 'EmbeddedPostgresError']);

/** For entry points: such an error as one line on stderr and exit 1; any other is a bug and keeps its stack. */
export function exitOnStartupError(err: unknown): never {
  if (err instanceof Error && ONE_LINE_ERRORS.has(err.name)) {
    console.error(`cannot start: ${err.message}`);
    process.exit(1);
  }
  throw err;
}

/** What a failed `listen` on host:port means for the person who set them (PORT and HOST, or METRICS_…). */
export function listenError(err: unknown, at: { host: string; port: number }, names = { port: 'PORT', host: 'HOST' }): unknown {
  const address = `${at.host}:${at.port}`;
  switch ((err as NodeJS.ErrnoException).code) {
    case 'EADDRINUSE':
      return new StartupError(`${names.port} ${at.port}: ${address} is already in use by another process; stop it or set ${names.port} to a free port`);
    case 'EACCES':
      return new StartupError(`${names.port} ${at.port}: not allowed to listen on ${address} (ports below 1024 need privileges); set ${names.port} to 1024 or above`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new StartupError(`${names.host} ${at.host}: not an address of this machine; set ${names.host} to one of its addresses (e.g. 127.0.0.1 or 0.0.0.0)`);
    default:
      return err;
  }
}
