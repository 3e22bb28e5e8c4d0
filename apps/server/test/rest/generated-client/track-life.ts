// Compiled and run by generated-client.test.ts next to `schema.d.ts`, which openapi-typescript
// generates from the live /openapi.json at test time (so this file is not in the package's tsconfig).
import { readFile } from 'node:fs/promises';
import createClient from 'openapi-fetch';
import type { paths } from './schema.js';

const [apiUrl, token, file] = process.argv.slice(2) as [string, string, string];
const auth = { authorization: `Bearer ${token}` };
const client = createClient<paths>({ baseUrl: `${apiUrl}/v1`, headers: auth });

function fail(message: string): never {
  throw new Error(message);
}

async function audio(fileId: string, headers: Record<string, string>, method = 'GET'): Promise<Response> {
  return fetch(`${apiUrl}/audio/${fileId}`, { method, headers, redirect: 'manual', signal: AbortSignal.timeout(20_000) });
}

const bytes = await readFile(file);

// 1-3. Upload: a presigned PUT, the bytes straight to storage, then finalize.
const ticket = await client.POST('/uploads', { body: { filename: 'song.mp3', contentType: 'audio/mpeg', size: bytes.length } });
if (!ticket.data) fail(`createUpload: ${ticket.error?.code} ${ticket.error?.message}`);
const put = await fetch(ticket.data.url, { method: ticket.data.method, headers: ticket.data.headers, body: bytes });
if (put.status !== 200) fail(`PUT answered ${put.status}`);
const finalized = await client.POST('/uploads/{uploadId}/finalize', {
  params: { path: { uploadId: ticket.data.uploadId } },
  body: { title: 'From a generated client' },
});
if (!finalized.data) fail(`finalize: ${finalized.error?.code} ${finalized.error?.message}`);
const { id, fileId } = finalized.data;

// 4. Gate it, and play it as its artist: /audio redirects to a presigned URL.
const gated = await client.PATCH('/tracks/{id}', { params: { path: { id } }, body: { supportGate: { type: 'any' } } });
if (gated.data?.supportGate?.type !== 'any') fail('the gate was not set');
const signedOut = (await audio(fileId, {}, 'HEAD')).status;
const asArtist = await audio(fileId, auth);
const played = await fetch(asArtist.headers.get('location') ?? fail(`no redirect: ${asArtist.status}`), { headers: { Range: 'bytes=0-15' } });
const playedBytes = Buffer.from(await played.arrayBuffer());

// 5. Un-gate it; once the audio is back in the public bucket, anyone plays it.
await client.PATCH('/tracks/{id}', { params: { path: { id } }, body: { supportGate: null } });
let storage = 'moving';
const deadline = Date.now() + 90_000;
while (storage !== 'ready') {
  if (Date.now() > deadline) fail('the move back did not finish');
  const current = await client.GET('/tracks/{id}', { params: { path: { id } } });
  storage = current.data?.storage ?? fail(`byId: ${current.error?.code}`);
}
const publicAudio = await audio(fileId, {});

// An error answer is typed too: the documented error body.
const missing = await client.GET('/tracks/{id}', { params: { path: { id: '00000000-0000-4000-8000-000000000000' } } });

console.log(
  JSON.stringify({
    id,
    fileId,
    signedOut,
    artistRedirect: asArtist.status,
    playedMatches: playedBytes.equals(bytes.subarray(0, 16)),
    publicStatus: publicAudio.status,
    publicLocation: publicAudio.headers.get('location'),
    missing: { status: missing.response.status, code: missing.error?.code },
  }),
);
