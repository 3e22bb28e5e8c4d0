import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import type { Track } from '@plyr/client';
import { MultiBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { inspectAudioFile } from '../audio-file.js';
import { CliError, describeError } from '../errors.js';
import { formatTable, printJson } from '../output.js';
import { connect } from '../session.js';
import { gateFrom, isoDateTime } from './arguments.js';

type Outcome = { file: string; status: 'uploaded'; track: Track } | { file: string; status: 'failed'; error: string };

export function registerUpload(program: Command): void {
  program
    .command('upload')
    .description('upload audio files, one track each; titles from --title, the file tags, or the file names')
    .argument('<files...>', 'audio files (mp3, m4a, flac, wav, ogg, opus)')
    .option('--title <title>', 'the track title (one file only)')
    .option('--gate', 'supporters only (supporters of yours on atprotofans)')
    .option('--public-at <iso>', 'supporters only until this date and time, public from then on', isoDateTime)
    .option('--json', 'print the outcome of each file as JSON')
    .action(async (files: string[], options: { title?: string; gate?: boolean; publicAt?: string; json?: boolean }) => {
      if (options.title !== undefined && files.length > 1) {
        throw new CliError('--title names one track: give one file, or leave it out to use each file’s tag or name');
      }
      const gate = gateFrom(Boolean(options.gate), options.publicAt);
      const { client, apiUrl } = await connect();
      // One bar per file on stderr, at a terminal only: piped output stays the summary alone.
      const bars = process.stderr.isTTY
        ? new MultiBar({ format: ' {bar} {percentage}% | {file} {status}', hideCursor: true, autopadding: true }, Presets.shades_classic)
        : null;
      const rows = files.map((file) => ({ file, bar: bars?.create(1, 0, { file: basename(file), status: '' }) }));
      const outcomes: Outcome[] = [];
      for (const { file, bar } of rows) {
        try {
          const audio = await inspectAudioFile(file, options.title);
          bar?.setTotal(audio.size);
          const track = await client.uploadTrack(
            createReadStream(audio.path),
            { title: audio.title, supportGate: gate, filename: audio.filename, contentType: audio.contentType, size: audio.size },
            { onProgress: ({ loaded }) => bar?.update(loaded) },
          );
          bar?.update(audio.size, { status: 'done' });
          outcomes.push({ file, status: 'uploaded', track });
        } catch (err) {
          bar?.update({ status: 'failed' });
          outcomes.push({ file, status: 'failed', error: describeError(err, apiUrl) });
        }
      }
      bars?.stop();
      if (options.json) printJson(outcomes);
      else process.stdout.write(`${summary(outcomes)}\n`);
      if (outcomes.some((o) => o.status === 'failed')) process.exitCode = 1;
    });
}

function summary(outcomes: Outcome[]): string {
  const rows = outcomes.map((o) =>
    o.status === 'uploaded'
      ? [o.file, 'uploaded', o.track.id, `${o.track.title}${o.track.supportGate ? ' (supporters only)' : ''}`]
      : [o.file, 'failed', '', o.error],
  );
  const failed = outcomes.filter((o) => o.status === 'failed').length;
  const totals = `${outcomes.length} file${outcomes.length === 1 ? '' : 's'}: ${outcomes.length - failed} uploaded, ${failed} failed`;
  return `${formatTable(['FILE', 'RESULT', 'TRACK', 'TITLE / REASON'], rows)}\n${totals}`;
}
