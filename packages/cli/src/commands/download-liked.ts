import { createWriteStream } from 'node:fs';
import { access, mkdir, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { LikedTrackResult, SkipReason, Track } from '@plyr/client';
import type { Command } from 'commander';
import { describeError } from '../errors.js';
import { printJson } from '../output.js';
import { connect } from '../session.js';

const SKIP_REASONS: Record<SkipReason, string> = {
  gated: 'supporters only, and you do not support the artist',
  unavailable: 'the supporter check is unavailable; run again later',
};

interface Line {
  /** `kept`: saved by an earlier run, not fetched again. */
  status: 'saved' | 'kept' | 'skipped' | 'failed';
  id: string;
  title: string;
  file?: string;
  reason?: string;
}

export function registerDownloadLiked(program: Command): void {
  program
    .command('download-liked')
    .description('save every liked track you may play into <dir>; files already there are not fetched again')
    .argument('<dir>', 'the folder to save into (created if missing)')
    .option('--json', 'print what happened to each track as JSON')
    .action(async (dir: string, options: { json?: boolean }) => {
      const { client, apiUrl } = await connect();
      await mkdir(dir, { recursive: true });
      const lines: Line[] = [];
      const report = (line: Line) => {
        lines.push(line);
        if (!options.json) process.stdout.write(`${line.status.padEnd(7)}  ${line.file ?? line.title}${line.reason ? `: ${line.reason}` : ''}\n`);
      };
      // A file is renamed into place only once complete, so its presence alone means "saved".
      const target = (filename: string) => join(dir, basename(filename));
      await client.downloadLikedTracks({
        alreadySaved: async ({ track, filename }) => {
          const file = target(filename);
          if (!(await exists(file))) return false;
          report({ status: 'kept', id: track.id, title: track.title, file });
          return true;
        },
        onTrack: async (result: LikedTrackResult<Track>) => {
          const { id, title } = result.track;
          if (result.status === 'downloaded') {
            const file = target(result.filename);
            try {
              await save(result.response, file);
              report({ status: 'saved', id, title, file });
            } catch (err) {
              report({ status: 'failed', id, title, reason: describeError(err, apiUrl) });
            }
          } else if (result.status === 'skipped') {
            report({ status: 'skipped', id, title, reason: SKIP_REASONS[result.reason] });
          } else {
            report({ status: 'failed', id, title, reason: result.error.message });
          }
        },
      });
      const failed = lines.filter((l) => l.status === 'failed').length;
      if (options.json) printJson(lines);
      else process.stdout.write(`${totals(lines)}\n`);
      if (failed > 0) process.exitCode = 1;
    });
}

function totals(lines: Line[]): string {
  const count = (status: Line['status']) => lines.filter((l) => l.status === status).length;
  return `${count('saved')} saved, ${count('kept')} already there, ${count('skipped')} skipped, ${count('failed')} failed`;
}

/** Written next to its final name and renamed when complete: an interrupted run leaves no half file behind. */
async function save(response: Response, file: string): Promise<void> {
  const partial = `${file}.part`;
  try {
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), createWriteStream(partial));
    await rename(partial, file);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
