import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyTRPCProcedure } from '@trpc/server';
import { appRouter, restRoutes, type RestRoute } from '@plyr/api';
import type { SignedInUser } from '@plyr/testing/atproto/login';
import { mp3Bytes, mutate, ok, query, uploadTrack, type Caller, type Track } from '../tracks/helpers.js';
import { createDeveloperToken, rest, startRestStack, type RestStack } from './support/stack.js';

/**
 * REST and tRPC cannot drift: every REST route answers exactly what its procedure answers for the
 * same input and the same credentials, success or error (status, code, message, field errors).
 */

let stack: RestStack;
let gatedTrack: Track;
let publicTrack: Track;
let devToken: string;

beforeAll(async () => {
  stack = await startRestStack();
  publicTrack = await uploadTrack(stack.app, stack.artist, { title: 'Open' });
  gatedTrack = await uploadTrack(stack.app, stack.artist, { title: 'Exclusive', supportGate: { type: 'any' } });
  ok(await mutate(stack.app, stack.fan, 'tracks.like', { id: publicTrack.id }));
  ok(await mutate(stack.app, stack.fan, 'tracks.like', { id: gatedTrack.id }));
  devToken = await createDeveloperToken(stack.app, stack.artist);
});

afterAll(() => stack?.close());

const procedures = appRouter._def.procedures as unknown as Record<string, AnyTRPCProcedure>;

interface Case {
  who: () => SignedInUser | Caller;
  /** Built once per transport, so a call that consumes something (an upload, a token) gets its own. */
  input?: () => Promise<Record<string, unknown>> | Record<string, unknown>;
  /** Answers that carry fresh ids, signatures or times are compared with those masked. */
  volatile?: boolean;
}

const anonymous: Caller = { headers: {} };
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

async function stagedUpload(): Promise<string> {
  const bytes = mp3Bytes();
  const ticket = ok(
    await mutate(stack.app, stack.artist, 'tracks.createUpload', { filename: 'a.mp3', contentType: 'audio/mpeg', size: bytes.length }),
  );
  const put = await fetch(ticket.url, { method: 'PUT', headers: ticket.headers, body: new Uint8Array(bytes) });
  expect(put.status).toBe(200);
  return ticket.uploadId;
}

async function developerTokenId(): Promise<string> {
  return ok(await mutate(stack.app, stack.artist, 'auth.developerTokens.create', { name: 'to revoke' })).id;
}

/** One success case per route; the error cases below reuse the routes. */
const SUCCESS: Record<string, Case> = {
  'tracks.list': { who: () => stack.stranger, input: () => ({ limit: 5 }) },
  'tracks.byId': { who: () => stack.stranger, input: () => ({ id: gatedTrack.id }) },
  'tracks.mine': { who: () => stack.artist, input: () => ({ limit: 10 }) },
  'tracks.liked': { who: () => stack.fan },
  'tracks.createUpload': { who: () => stack.artist, input: () => ({ filename: 'x.mp3', contentType: 'audio/mpeg', size: 1000 }), volatile: true },
  'tracks.finalizeUpload': { who: () => stack.artist, input: async () => ({ uploadId: await stagedUpload(), title: 'Finalized' }), volatile: true },
  'tracks.update': { who: () => stack.artist, input: () => ({ id: publicTrack.id, title: 'Open (renamed)' }) },
  'tracks.delete': { who: () => stack.artist, input: async () => ({ id: (await uploadTrack(stack.app, stack.artist)).id }), volatile: true },
  'tracks.like': { who: () => stack.stranger, input: () => ({ id: publicTrack.id }) },
  'tracks.unlike': { who: () => stack.stranger, input: () => ({ id: publicTrack.id }) },
  'supporters.check': { who: () => stack.fan, input: () => ({ artistDid: stack.artist.did }) },
  'supporters.supportedArtists': { who: () => stack.fan, input: () => ({ artistDids: [stack.artist.did, stack.stranger.did] }) },
  'downloads.track': { who: () => stack.fan, input: () => ({ id: gatedTrack.id }), volatile: true },
  'downloads.likedTracks': { who: () => stack.stranger, volatile: true },
  'downloads.preferences': { who: () => stack.fan },
  'downloads.setPreferences': { who: () => stack.fan, input: () => ({ autoDownloadLiked: true }) },
  'auth.me': { who: () => stack.artist },
  'auth.developerTokens.create': { who: () => stack.artist, input: () => ({ name: 'parity', expiresInDays: 7 }), volatile: true },
  'auth.developerTokens.list': { who: () => stack.artist },
  'auth.developerTokens.revoke': { who: () => stack.artist, input: async () => ({ id: await developerTokenId() }) , volatile: true },
};

const ERRORS: Array<[name: string, procedure: string, Case]> = [
  ['unknown track (404)', 'tracks.byId', { who: () => anonymous, input: () => ({ id: UNKNOWN_ID }) }],
  ['malformed id (400, field errors)', 'tracks.byId', { who: () => anonymous, input: () => ({ id: 'not-a-uuid' }) }],
  ['limit out of range (400)', 'tracks.list', { who: () => anonymous, input: () => ({ limit: 1000 }) }],
  ['signed out (401)', 'tracks.mine', { who: () => anonymous, input: () => ({}) }],
  ['dead bearer token on a public route (401)', 'tracks.list', { who: () => ({ headers: { authorization: 'Bearer plyr_dev_nope' } }), input: () => ({}) }],
  ["someone else's track (403)", 'tracks.update', { who: () => stack.stranger, input: () => ({ id: publicTrack.id, title: 'Mine now' }) }],
  ['bad gate (400, field errors)', 'tracks.update', { who: () => stack.artist, input: () => ({ id: publicTrack.id, supportGate: { type: 'some' } }) }],
  ['not a supporter (402)', 'downloads.track', { who: () => stack.stranger, input: () => ({ id: gatedTrack.id }) }],
  ['unknown developer token (404)', 'auth.developerTokens.revoke', { who: () => stack.artist, input: () => ({ id: UNKNOWN_ID }) }],
  ['a developer token cannot create one (403)', 'auth.developerTokens.create', { who: () => ({ headers: { authorization: `Bearer ${devToken}` } }), input: () => ({ name: 'again' }) }],
  ['bad DID (400)', 'supporters.check', { who: () => stack.fan, input: () => ({ artistDid: 'nope' }) }],
];

/** The REST request for a procedure input: `{param}`s from the input, the rest as query (GET, DELETE) or JSON body. */
function restCall(route: RestRoute, input: Record<string, unknown> | undefined) {
  const rest: Record<string, unknown> = { ...input };
  const path = route.path.replace(/\{(\w+)\}/g, (_, key: string) => {
    const value = rest[key];
    delete rest[key];
    return encodeURIComponent(String(value));
  });
  if (route.method === 'GET' || route.method === 'DELETE') {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(rest)) {
      for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item));
    }
    const qs = params.toString();
    return { path: qs ? `${path}?${qs}` : path, body: undefined };
  }
  return { path, body: rest };
}

interface Comparable {
  status: number;
  body: unknown;
}

async function viaRest(route: RestRoute, c: Case): Promise<Comparable> {
  const input = await c.input?.();
  const { path, body } = restCall(route, input);
  const answer = await rest(stack.app, route.method, path, { headers: c.who().headers, body });
  if (answer.status === 200) return { status: 200, body: answer.body };
  const zodError = answer.body.data?.zodError ?? null;
  if (zodError) {
    // The one deliberate difference: REST says so in words and lists the issues; tRPC's message is the issue list as JSON.
    expect(answer.body.message).toBe('Input validation failed');
    expect(answer.body.issues.length).toBeGreaterThan(0);
    return { status: answer.status, body: { code: answer.body.code, zodError } };
  }
  return { status: answer.status, body: { code: answer.body.code, message: answer.body.message, zodError } };
}

async function viaTrpc(route: RestRoute, c: Case): Promise<Comparable> {
  const input = await c.input?.();
  const call = procedures[route.procedure]!._def.type === 'query' ? query : mutate;
  const answer = await call(stack.app, c.who(), route.procedure, input);
  if (!answer.error) return { status: answer.status, body: answer.data };
  const { data, message } = answer.error;
  if (data.zodError) return { status: answer.status, body: { code: data.code, zodError: data.zodError } };
  return { status: answer.status, body: { code: data.code, message, zodError: null } };
}

/** Fresh ids, tokens, times and presigned-URL signatures masked; everything else compared as is. */
function mask(value: unknown): unknown {
  if (typeof value === 'string') {
    return value
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
      .replace(/[0-9a-f]{32}/g, '<fileId>')
      .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, '<time>')
      .replace(/plyr_dev_\S+/g, 'plyr_dev_<secret>')
      .replace(/\?.*$/, '?<signature>');
  }
  if (Array.isArray(value)) return value.map(mask);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mask(v)]));
  return value;
}

const routeOf = (procedure: string) => restRoutes.find((r) => r.procedure === procedure)!;

describe('every REST route answers what its tRPC procedure answers', () => {
  it('has a case for every REST route', () => {
    expect(Object.keys(SUCCESS).sort()).toEqual(restRoutes.map((r) => r.procedure).sort());
  });

  it.each(Object.keys(SUCCESS))('%s', async (procedure) => {
    const route = routeOf(procedure);
    const c = SUCCESS[procedure]!;
    const viaRestAnswer = await viaRest(route, c);
    const viaTrpcAnswer = await viaTrpc(route, c);
    expect(viaRestAnswer.status, JSON.stringify(viaRestAnswer.body)).toBe(200);
    if (c.volatile) expect(mask(viaRestAnswer)).toEqual(mask(viaTrpcAnswer));
    else expect(viaRestAnswer).toEqual(viaTrpcAnswer);
  });

  it.each(ERRORS)('%s: %s', async (_name, procedure, c) => {
    const route = routeOf(procedure);
    const viaRestAnswer = await viaRest(route, c);
    expect(viaRestAnswer.status).toBeGreaterThanOrEqual(400);
    expect(viaRestAnswer).toEqual(await viaTrpc(route, c));
  });
});
