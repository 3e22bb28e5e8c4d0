import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyTRPCProcedure } from '@trpc/server';
import { appRouter, examplesByProcedure, restRoutes } from '@plyr/api';
import { startTestApp, type TestApp } from '../support/index.js';

/** GET /openapi.json: a valid OpenAPI 3.1 document of every REST route, with credentials, errors and examples. */

let app: TestApp;
let document: any;

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_ENABLED: 'false' });
  const res = await fetch(`${app.url}/openapi.json`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  document = await res.json();
});

afterAll(() => app?.close());

/** The procedures third-party apps use (issue 18): each has exactly one REST route. */
const PUBLISHED = [
  'tracks.list',
  'tracks.byId',
  'tracks.mine',
  'tracks.liked',
  'tracks.createUpload',
  'tracks.finalizeUpload',
  'tracks.update',
  'tracks.delete',
  'tracks.like',
  'tracks.unlike',
  'supporters.check',
  'supporters.supportedArtists',
  'downloads.track',
  'downloads.likedTracks',
  'downloads.preferences',
  'downloads.setPreferences',
  'auth.me',
  'auth.developerTokens.create',
  'auth.developerTokens.list',
  'auth.developerTokens.revoke',
];

const operations = () =>
  restRoutes.map((route) => ({ route, operation: document.paths[route.path]?.[route.method.toLowerCase()] }));

describe('/openapi.json', () => {
  it('validates as OpenAPI 3.1 (swagger-parser, every $ref resolved)', async () => {
    expect(document.openapi).toBe('3.1.0');
    // validate() dereferences in place: give it a copy.
    await expect(SwaggerParser.validate(structuredClone(document))).resolves.toBeTruthy();
    // The validator does check: a response without its required description is refused.
    const broken = structuredClone(document);
    delete broken.paths['/tracks'].get.responses['200'].description;
    await expect(SwaggerParser.validate(broken)).rejects.toThrow();
  });

  it('has a route for every procedure a third-party app uses, and no other', () => {
    expect(restRoutes.map((r) => r.procedure).sort()).toEqual([...PUBLISHED].sort());
    for (const { route, operation } of operations()) expect(operation, `${route.method} ${route.path}`).toBeDefined();
    expect(document.servers).toEqual([{ url: `${app.url}/v1` }]);
  });

  it('names the bearer scheme and the session cookie; public routes take either or none', () => {
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.components.securitySchemes.cookie).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'session_id' });
    for (const { route, operation } of operations()) {
      const expected = route.protect ? [{ bearer: [] }, { cookie: [] }] : [{}, { bearer: [] }, { cookie: [] }];
      expect(operation.security, route.procedure).toEqual(expected);
    }
    expect(restRoutes.filter((r) => !r.protect).map((r) => r.procedure).sort()).toEqual(['tracks.byId', 'tracks.list']);
  });

  it('documents the one error body on every error answer, and the rate-limit headers', () => {
    const error = document.components.schemas.Error;
    expect(error.required).toEqual(expect.arrayContaining(['code', 'message']));
    expect(Object.keys(error.properties)).toEqual(expect.arrayContaining(['code', 'message', 'issues', 'data']));
    for (const { route, operation } of operations()) {
      for (const [status, response] of Object.entries<any>(operation.responses)) {
        if (status === '200') {
          expect(Object.keys(response.headers)).toEqual(['RateLimit', 'RateLimit-Policy']);
          continue;
        }
        const resolved = response.$ref ? document.components.responses[response.$ref.split('/').pop()] : response;
        expect(resolved.content['application/json'].schema, `${route.procedure} ${status}`).toEqual({ $ref: '#/components/schemas/Error' });
      }
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['200', '401', '429', '500', '503']));
    }
    expect(Object.keys(document.components.responses.TooManyRequests.headers)).toEqual(['RateLimit', 'RateLimit-Policy', 'Retry-After']);
  });

  it("walks a track's life in its description and in the operations' examples", () => {
    for (const step of ['/uploads', '/finalize', '"supportGate":{"type":"any"}', '"supportGate":null', '/audio/$FILE_ID']) {
      expect(document.info.description).toContain(step);
    }
    const examples = (path: string, method: string) => document.paths[path][method].requestBody.content['application/json'].examples;
    expect(examples('/uploads', 'post').upload.value).toEqual({ filename: 'song.mp3', contentType: 'audio/mpeg', size: 4_200_000 });
    expect(examples('/tracks/{id}', 'patch').gate.value).toEqual({ supportGate: { type: 'any' } });
    expect(examples('/tracks/{id}', 'patch').ungate.value).toEqual({ supportGate: null });
  });

  it('every example is accepted by its procedure: the input by its input schema, the answer by its output schema', async () => {
    const procedures = appRouter._def.procedures as unknown as Record<string, AnyTRPCProcedure>;
    const examples = examplesByProcedure(app.url);
    expect([...examples.keys()].sort()).toEqual([...PUBLISHED].sort());
    for (const [path, named] of examples) {
      const def = procedures[path]!._def as unknown as { inputs: Array<{ parseAsync(v: unknown): Promise<unknown> }>; output: { parseAsync(v: unknown): Promise<unknown> } };
      for (const [name, example] of Object.entries(named)) {
        if (example.input !== undefined) await expect(def.inputs[0]!.parseAsync(example.input), `${path} ${name} input`).resolves.toBeDefined();
        await expect(def.output.parseAsync(example.output), `${path} ${name} output`).resolves.toBeDefined();
      }
    }
  });
});
