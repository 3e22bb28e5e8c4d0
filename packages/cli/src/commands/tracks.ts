import { Argument, type Command } from 'commander';
import type { PlyrClient, Track } from '@plyr/client';
import { CliError } from '../errors.js';
import { printJson, printTable } from '../output.js';
import { confirmed } from '../prompt.js';
import { connect } from '../session.js';
import { gateFrom, isoDateTime, positiveInteger } from './arguments.js';

/** The API's largest page. */
const PAGE_SIZE = 100;

export function registerTracks(program: Command): void {
  program
    .command('tracks')
    .description('list tracks, newest first (every artist’s, or --mine)')
    .option('--mine', 'only your own tracks')
    .option('--limit <n>', 'at most this many', positiveInteger, 100)
    .option('--json', 'print the tracks as JSON')
    .action(async (options: { mine?: boolean; limit: number; json?: boolean }) => {
      const { client } = await connect();
      const tracks = await listTracks(client, Boolean(options.mine), options.limit);
      if (options.json) return printJson(tracks);
      printTable(
        ['ID', 'TITLE', 'ARTIST', 'ACCESS', 'YOU CAN PLAY'],
        tracks.map((t) => [t.id, t.title, t.artist.handle, t.supportGate ? 'supporters' : 'public', t.gated ? 'no' : 'yes']),
      );
    });

  program
    .command('gate')
    .description('make one of your tracks supporters only (on) or public (off)')
    .argument('<id>', 'the track id (see `plyr tracks --mine`)')
    .addArgument(new Argument('<state>', 'on or off').choices(['on', 'off']))
    .option('--public-at <iso>', 'with on: public again from this date and time', isoDateTime)
    .option('--json', 'print the updated track as JSON')
    .action(async (id: string, state: 'on' | 'off', options: { publicAt?: string; json?: boolean }) => {
      if (state === 'off' && options.publicAt) throw new CliError('--public-at goes with `on`: `off` makes the track public now');
      const { client } = await connect();
      const track = await client.tracks.update.mutate({ id, supportGate: gateFrom(state === 'on', options.publicAt) });
      if (options.json) return printJson(track);
      process.stdout.write(`"${track.title}" is now ${track.supportGate ? 'for supporters only' : 'public'}\n`);
    });

  program
    .command('delete')
    .description('delete one of your tracks: its audio and its record (asks first unless --yes)')
    .argument('<id>', 'the track id (see `plyr tracks --mine`)')
    .option('-y, --yes', 'do not ask')
    .option('--json', 'print { id, deleted } as JSON')
    .action(async (id: string, options: { yes?: boolean; json?: boolean }) => {
      const { client } = await connect();
      const track = await client.tracks.byId.query({ id });
      if (!options.yes && !(await confirmed(`Delete "${track.title}" (${id}) for good?`, '--yes'))) {
        throw new CliError('not deleted');
      }
      const result = await client.tracks.delete.mutate({ id });
      if (options.json) return printJson(result);
      process.stdout.write(`deleted "${track.title}" (${id})\n`);
    });
}

/** Follows cursors until `limit` tracks or the end. */
async function listTracks(client: PlyrClient, mine: boolean, limit: number): Promise<Track[]> {
  const tracks: Track[] = [];
  let cursor: string | undefined;
  do {
    const input = { cursor, limit: Math.min(PAGE_SIZE, limit - tracks.length) };
    const page = mine ? await client.tracks.mine.query(input) : await client.tracks.list.query(input);
    tracks.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && tracks.length < limit);
  return tracks;
}
