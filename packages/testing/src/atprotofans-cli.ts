/**
 * Runs the stand-in atprotofans for local trials:
 *   pnpm exec tsx packages/testing/src/atprotofans-cli.ts [--port 4100] [--table pairs.json] [supporterDid,artistDid ...]
 * pairs.json holds [["did:plc:supporter…", "did:plc:artist…"], …]. Prints the URL to use as ATPROTOFANS_URL.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { startFakeAtprotofans } from './atprotofans.js';

type Pair = readonly [string, string];

function parsePair(value: unknown, where: string): Pair {
  if (
    Array.isArray(value) &&
    value.length === 2 &&
    typeof value[0] === 'string' &&
    typeof value[1] === 'string'
  ) {
    return [value[0], value[1]];
  }
  throw new Error(`${where}: expected a [supporterDid, artistDid] pair, got ${JSON.stringify(value)}`);
}

async function readTable(path: string): Promise<Pair[]> {
  const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
  if (!Array.isArray(parsed)) throw new Error(`${path}: expected a JSON array of pairs`);
  return parsed.map((entry, i) => parsePair(entry, `${path}[${i}]`));
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { port: { type: 'string', default: '0' }, table: { type: 'string' } },
    allowPositionals: true,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: not a port: ${values.port}`);
  const pairs = [
    ...(values.table ? await readTable(values.table) : []),
    ...positionals.map((arg) => parsePair(arg.split(','), `argument "${arg}"`)),
  ];
  const fake = await startFakeAtprotofans({ supporters: pairs, port });
  console.log(fake.url);
  const stop = () => void fake.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
