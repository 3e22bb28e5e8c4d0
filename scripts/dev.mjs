// `pnpm dev`: everything a person needs to try plyr offline, in one terminal.
//   1. a local ATProto network (PLC + PDS with demo accounts): `pnpm dev:atproto`
//   2. a stand-in atprotofans where the demo account `supporter.test` (if the network made one)
//      supports `artist.test`, plus any PLYR_DEV_SUPPORTERS="supporterDid,artistDid ..." pairs
//   3. the API on http://localhost:3000 (`pnpm start`, embedded database and storage), pointed at both
//   4. the demo artist's catalogue, uploaded through that API as artist.test: a public track, a gated
//      one and an early-access one that turns public a few minutes after start
//   5. the web page on http://localhost:5173 (Vite)
// Ctrl-C stops them all. Each child runs in its own process group so that one signal ends it whole.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const root = join(import.meta.dirname, '..');
const API_URL = 'http://localhost:3000';
const WEB_URL = 'http://localhost:5173';
const START_TIMEOUT_MS = 120_000;
const STOP_DEADLINE_MS = 10_000;

/** @type {{ name: string, child: import('node:child_process').ChildProcess }[]} */
const running = [];
let stopping = false;

/** Starts `command` in its own process group, prefixing its output with its name; a `oneShot` child may end. */
function start(name, command, args, env = {}, { oneShot = false } = {}) {
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const lines = createInterface({ input: child.stdout });
  createInterface({ input: child.stderr }).on('line', (line) => console.error(`[${name}] ${line}`));
  lines.on('line', (line) => console.log(`[${name}] ${line}`));
  child.once('exit', (code, signal) => {
    if (stopping || oneShot) return;
    console.error(`[dev] ${name} exited (${signal ?? `code ${code}`}); stopping the rest`);
    void stopAll(1);
  });
  running.push({ name, child });
  return { child, lines };
}

/** Resolves with the first match of `pattern` in the child's output lines, or fails after a timeout. */
function waitForLine({ lines }, pattern, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), START_TIMEOUT_MS);
    lines.on('line', function onLine(line) {
      const match = pattern.exec(line);
      if (!match) return;
      clearTimeout(timer);
      lines.off('line', onLine);
      resolve(match);
    });
  });
}

/** Collects `NAME=value` lines for the given names, wherever they appear in a line. */
async function waitForVariables(proc, names, what) {
  const found = {};
  const pattern = new RegExp(`\\b(${names.join('|')})=(\\S+)`);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what} (${names.join(', ')})`)), START_TIMEOUT_MS);
    proc.lines.on('line', function onLine(line) {
      const match = pattern.exec(line);
      if (!match) return;
      found[match[1]] = match[2].replace(/^["']|["']$/g, '');
      if (names.every((n) => n in found)) {
        clearTimeout(timer);
        proc.lines.off('line', onLine);
        resolve();
      }
    });
  });
  return found;
}

/** Handle → { password, did } of the demo accounts `pnpm dev:atproto` prints ("  artist.test  password …  did:plc:…"). */
function collectDemoAccounts({ lines }) {
  const accounts = new Map();
  lines.on('line', (line) => {
    const match = /^\s*(\S+\.test)\s+password (\S+)\s+(did:plc:[a-z2-7]+)\s*$/.exec(line);
    if (match) accounts.set(match[1], { password: match[2], did: match[3] });
  });
  return accounts;
}

/** Runs a one-shot child to its end, its output prefixed like the others; resolves with its exit code. */
function runToEnd(name, command, args, env) {
  const { child } = start(name, command, args, env, { oneShot: true });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
}

/** Polls a URL until it answers 2xx (the API's /health once its database and storage are up). */
async function waitForHttp(url, what) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline && !stopping) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`timed out waiting for ${what} at ${url}`);
}

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  const alive = running.filter(({ child }) => child.exitCode === null && child.signalCode === null);
  await Promise.all(
    alive.map(
      ({ name, child }) =>
        new Promise((resolve) => {
          const kill = setTimeout(() => {
            console.error(`[dev] ${name} did not stop in time; killing it`);
            signalGroup(child, 'SIGKILL');
          }, STOP_DEADLINE_MS);
          child.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          signalGroup(child, 'SIGTERM');
        }),
    ),
  );
  process.exit(code);
}

function signalGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

process.once('SIGINT', () => void stopAll(0));
process.once('SIGTERM', () => void stopAll(0));

async function main() {
  // The page imports the SDK from its build output.
  const built = spawnSync('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=@plyr/client'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('building @plyr/client failed');

  const atproto = start('atproto', 'pnpm', ['--silent', 'dev:atproto']);
  const demoAccounts = collectDemoAccounts(atproto);
  const network = await waitForVariables(atproto, ['ATPROTO_PLC_URL', 'ATPROTO_HANDLE_RESOLVER'], 'the local ATProto network');
  const supporter = demoAccounts.get('supporter.test')?.did;
  const artistAccount = demoAccounts.get('artist.test');
  const artist = artistAccount?.did;
  const fans = start('atprotofans', 'pnpm', [
    'exec',
    'tsx',
    'packages/testing/src/atprotofans-cli.ts',
    ...(supporter && artist ? [`${supporter},${artist}`] : []),
    ...(process.env.PLYR_DEV_SUPPORTERS?.split(/\s+/).filter(Boolean) ?? []),
  ]);
  const [atprotofansUrl] = await waitForLine(fans, /^https?:\/\/\S+$/, 'the stand-in atprotofans');

  start('api', 'pnpm', ['--silent', 'start'], {
    ...network,
    ATPROTOFANS_URL: atprotofansUrl,
    PUBLIC_URL: API_URL,
    FRONTEND_URL: WEB_URL,
  });
  await waitForHttp(`${API_URL}/health`, 'the API');

  // Not fatal: the page works without the demo tracks, and the reason is printed above.
  if (artistAccount) {
    const seeded = await runToEnd('seed', 'pnpm', ['exec', 'tsx', 'packages/testing/src/demo-catalogue-cli.ts'], {
      PLYR_API_URL: API_URL,
      PLYR_DEMO_HANDLE: 'artist.test',
      PLYR_DEMO_PASSWORD: artistAccount.password,
    });
    if (seeded !== 0) console.error('[dev] the demo catalogue was not seeded; the page starts empty');
  }

  start('web', 'pnpm', ['--silent', '--filter', '@plyr/web', 'dev'], { VITE_API_URL: API_URL });
  await waitForHttp(WEB_URL, 'the web page');

  console.log(`\n[dev] ready: open ${WEB_URL} and sign in with a demo account printed above (Ctrl-C stops everything)\n`);
}

main().catch((err) => {
  console.error(`[dev] ${err instanceof Error ? err.message : err}`);
  void stopAll(1);
});
