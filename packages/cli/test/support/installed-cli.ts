import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEnv, npmInstallInto, packInto, run, type Outcome } from '@plyr/testing/tarball';

const cliDir = join(import.meta.dirname, '..', '..');
const clientDir = join(cliDir, '..', 'client');

/** The CLI as a user gets it: both tarballs (the SDK and the CLI) installed with npm into an empty folder. */
export interface InstalledCli {
  dir: string;
  /** The installed `plyr` executable (`node_modules/.bin/plyr`). */
  bin: string;
  /** Runs `plyr args…` with plain pipes; `env` comes on top of a clean environment without PLYR_* variables. */
  plyr(args: string[], options?: { env?: Record<string, string>; input?: string }): Promise<Outcome>;
  /** The same through a real terminal (`script`), for what only a TTY shows: progress bars. */
  plyrInTerminal(args: string[], options?: { env?: Record<string, string> }): Promise<Outcome>;
  remove(): Promise<void>;
}

export async function installCli(): Promise<InstalledCli> {
  const dir = await mkdtemp(join(tmpdir(), 'plyr-cli-'));
  const tarballs = await packInto(dir, [clientDir, cliDir]);
  await npmInstallInto(dir, tarballs.map((t) => `./${t}`));
  const bin = join(dir, 'node_modules', '.bin', 'plyr');
  // Never the real ~/.config: a config home of its own unless a test gives one.
  const env = (extra: Record<string, string> = {}) => ({
    ...Object.fromEntries(Object.entries(cleanEnv()).filter(([key]) => !key.startsWith('PLYR_'))),
    XDG_CONFIG_HOME: join(dir, 'config'),
    ...extra,
  });
  return {
    dir,
    bin,
    plyr: (args, options = {}) => run(bin, args, { cwd: dir, env: env(options.env), timeoutMs: 110_000, input: options.input }),
    plyrInTerminal: (args, options = {}) =>
      run('script', ['-qec', [bin, ...args].map(shellQuote).join(' '), '/dev/null'], {
        cwd: dir,
        env: env({ TERM: 'xterm-256color', ...options.env }),
        timeoutMs: 110_000,
      }),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

function shellQuote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}
