// A third-party Node script, written against the published @plyr/client only (see the SDK README).
import { createReadStream } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canPlay, createPlyrClient, isPlyrError, type Track } from '@plyr/client';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const plyr = createPlyrClient({ baseUrl: env('PLYR_API_URL'), token: env('PLYR_TOKEN') });

const me = await plyr.auth.me.query();

const page = await plyr.tracks.list.query({ limit: 20 });
const titles = page.items.map((track: Track) => (canPlay(track) ? track.title : `${track.title} (supporters only)`));

const gatedAudio = await plyr.preflightAudio(env('GATED_FILE_ID'));

let gatedDownload: string;
try {
  await plyr.downloads.track.query({ id: env('GATED_TRACK_ID') });
  gatedDownload = 'allowed';
} catch (err) {
  if (!isPlyrError(err, 'PAYMENT_REQUIRED')) throw err;
  gatedDownload = `support required (HTTP ${err.data.httpStatus})`;
}

const file = env('UPLOAD_FILE');
const { size } = await stat(file);
const sent: number[] = [];
const uploaded = await plyr.uploadTrack(
  createReadStream(file),
  { title: 'From a script', supportGate: null, filename: 'from-a-script.mp3', contentType: 'audio/mpeg', size },
  { onProgress: ({ loaded }) => sent.push(loaded) },
);

for (const id of [env('PUBLIC_TRACK_ID'), env('GATED_TRACK_ID')]) await plyr.tracks.like.mutate({ id });

const outDir = env('OUT_DIR');
await mkdir(outDir, { recursive: true });
const report: string[] = [];
let received = 0;
const summary = await plyr.downloadLikedTracks({
  async onTrack(result) {
    if (result.status === 'downloaded') {
      await writeFile(join(outDir, result.filename), new Uint8Array(await result.response.arrayBuffer()));
      report.push(`saved ${result.filename}`);
    } else if (result.status === 'skipped') {
      report.push(`skipped ${result.track.title}: ${result.reason}`);
    } else {
      report.push(`failed ${result.track.title}: ${result.error.message}`);
    }
  },
  onProgress: ({ loaded }) => (received = Math.max(received, loaded)),
});

console.log(
  JSON.stringify({
    me,
    titles,
    gatedAudio,
    gatedDownload,
    upload: { title: uploaded.title, gated: uploaded.gated, size, events: sent.length, last: sent.at(-1) },
    summary,
    report,
    received,
  }),
);
