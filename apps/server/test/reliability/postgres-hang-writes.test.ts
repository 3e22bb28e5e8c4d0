import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '@plyr/testing';
import { startTestApp, type TestApp } from '../support/index.js';
import { mp3Bytes } from '../tracks/helpers.js';
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.js';
import { eventually, http, trpcCode, trpcMutation, type HttpAnswer } from './support/http.js';
import { seedMember, seedTrack, type Member } from './support/seed.js';

/**
 * Postgres stops answering in the middle of a write: a finalize (inside its transaction) and a gate
 * toggle. The caller gets 503 within the deadline instead of a hang, nothing is half-written, and the
 * same process serves the retried write once Postgres is back. The API reaches Postgres through a
 * relay this test owns; the checks read the database directly.
 */

/** The client deadline is statement_timeout (4 s) + 1 s; a loaded machine adds some. */
const BOUNDED_MS = 8_000;
const REQUEST_TIMEOUT_MS = 20_000;

let relay: FaultProxy;
let app: TestApp;
let direct: postgres.Sql;
let dropDatabase: () => Promise<void>;
let member: Member;

beforeAll(async () => {
  const database = await createTestDatabase();
  dropDatabase = database.drop;
  relay = await startFaultProxy(5432);
  const url = new URL(database.url);
  url.port = String(relay.port);
  app = await startTestApp({ RATE_LIMIT_ENABLED: 'false' }, { databaseUrl: url.toString() });
  direct = postgres(database.url, { max: 2, onnotice: () => {} });
  member = await seedMember(app.services, 'hang-writes');
});

afterAll(async () => {
  await relay?.setMode('up');
  await app?.close();
  await direct?.end();
  await relay?.close();
  await dropDatabase?.();
});

function expectOutage(res: HttpAnswer | Error): void {
  if (res instanceof Error) throw new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms (${res.name}): the write hung`);
  expect([res.status, trpcCode(res)], res.text.slice(0, 200)).toEqual([503, 'SERVICE_UNAVAILABLE']);
  expect(res.ms).toBeLessThan(BOUNDED_MS);
}

const send = (path: string, input: unknown) => trpcMutation(app.url, path, input, member.bearer, REQUEST_TIMEOUT_MS).catch((err: Error) => err);

async function servingAgain(): Promise<void> {
  await eventually('/ready is 200 again', async () => (await http(`${app.url}/ready`)).status === 200, 30_000);
}

describe('Postgres hangs in the middle of a finalize', () => {
  it('503 within the deadline; no track, the upload kept; the retried finalize creates exactly one track', async () => {
    const bytes = mp3Bytes();
    const ticket = await send('tracks.createUpload', { filename: 'song.mp3', contentType: 'audio/mpeg', size: bytes.length });
    if (ticket instanceof Error) throw ticket;
    const { uploadId, url, headers } = ticket.json.result.data as { uploadId: string; url: string; headers: Record<string, string> };
    expect((await fetch(url, { method: 'PUT', headers, body: new Uint8Array(bytes) })).status).toBe(200);

    // The transaction has claimed the upload row; the track insert never gets an answer.
    const hung = relay.hangAt(/^insert into "tracks"/);
    const finalize = send('tracks.finalizeUpload', { uploadId, title: 'Hung finalize' });
    await hung;
    expectOutage(await finalize);
    expect(await direct`select id from tracks where title = 'Hung finalize'`).toHaveLength(0);
    expect(await direct`select id from uploads where id = ${uploadId}`).toHaveLength(1);

    // Postgres answers again: the held insert arrives inside a transaction that only rolls back.
    await relay.setMode('up');
    await servingAgain();
    expect(await direct`select id from tracks where title = 'Hung finalize'`).toHaveLength(0);
    expect(await direct`select id from uploads where id = ${uploadId}`).toHaveLength(1);

    const retried = await send('tracks.finalizeUpload', { uploadId, title: 'Hung finalize' });
    if (retried instanceof Error) throw retried;
    expect(retried.status, retried.text.slice(0, 200)).toBe(200);
    expect(await direct`select id from tracks where title = 'Hung finalize'`).toHaveLength(1);
    expect(await direct`select id from uploads where id = ${uploadId}`).toHaveLength(0);
  });
});

describe('Postgres hangs in the middle of a gate toggle', () => {
  it('503 within the deadline; the track unchanged; after Postgres restarts the retried toggle moves it', async () => {
    const track = await seedTrack(app.services, member, { gated: false });
    const key = app.services.storage.audioKey(track.fileId, track.fileType);

    const hung = relay.hangAt(/^update "tracks"/);
    const toggle = send('tracks.update', { id: track.id, supportGate: { type: 'any' } });
    await hung;
    expectOutage(await toggle);
    expect(await direct`select support_gate, bucket, moving from tracks where id = ${track.id}`).toEqual([
      { support_gate: null, bucket: 'public', moving: false },
    ]);

    // A restart of the hung server: its connections drop, what they held back is lost.
    await relay.setMode('refuse');
    await relay.setMode('up');
    await servingAgain();
    expect(await direct`select support_gate, bucket, moving from tracks where id = ${track.id}`).toEqual([
      { support_gate: null, bucket: 'public', moving: false },
    ]);

    const retried = await send('tracks.update', { id: track.id, supportGate: { type: 'any' } });
    if (retried instanceof Error) throw retried;
    expect(retried.status, retried.text.slice(0, 200)).toBe(200);
    await eventually(
      'the track is gated, in the private bucket, settled',
      async () => {
        const [row] = await direct`select support_gate, bucket, moving from tracks where id = ${track.id}`;
        return row?.bucket === 'private' && row.moving === false && row.support_gate !== null;
      },
      30_000,
    );
    expect(await app.services.storage.head('public', key)).toBeNull();
  });
});
