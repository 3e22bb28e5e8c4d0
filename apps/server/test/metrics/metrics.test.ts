import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startFakeAtprotofans, type FakeAtprotofans } from '@plyr/testing';
import { startTestApp, type TestApp } from '../support/index.js';
import { enqueueJob } from '@plyr/core/jobs';
import { runReconcile } from '@plyr/core/reconcile';
import { loadEnv } from '../../src/env.js';
import { seedMember, seedTrack } from '../reliability/support/seed.js';

const TOKEN = 'metrics-token-0123456789';

/** The value of one sample line `name{labels} value` of a Prometheus text page, 0 when absent. */
function sample(page: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of page.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const inside = line.slice(name.length + 1, line.indexOf('}'));
    const have = inside.split(',');
    if (want.every((w) => have.includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

/** did:plc identifiers are 24 characters of base32 (a-z, 2-7). */
const plc = (name: string) => `did:plc:${name.padEnd(24, 'a')}`;
const VIEWER = plc('metricsviewer');
const ARTIST = plc('metricsartist');
const OTHER_ARTIST = plc('metricsother');

describe('Prometheus metrics on METRICS_PORT', () => {
  let app: TestApp;
  let atprotofans: FakeAtprotofans;
  let metricsUrl: string;
  const scrape = async () => {
    const res = await fetch(metricsUrl, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.text();
  };

  beforeAll(async () => {
    const port = await freePort();
    atprotofans = await startFakeAtprotofans({ supporters: [[VIEWER, ARTIST]] });
    app = await startTestApp({ METRICS_PORT: String(port), METRICS_TOKEN: TOKEN, ATPROTOFANS_URL: atprotofans.url });
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
  });
  afterAll(async () => {
    await app?.close();
    await atprotofans?.close();
  });

  it('is not served on the public port', async () => {
    expect((await fetch(`${app.url}/metrics`)).status).toBe(404);
  });

  it('asks for the bearer token when one is configured', async () => {
    expect((await fetch(metricsUrl)).status).toBe(401);
    expect((await fetch(metricsUrl, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
  });

  it('counts requests by route label and status, with a duration histogram', async () => {
    const before = await scrape();
    const health = sample(before, 'plyr_http_requests_total', { route: '/health', method: 'GET', status: '200' });
    const audio404 = sample(before, 'plyr_http_requests_total', { route: '/audio/:fileId', method: 'GET', status: '404' });
    for (let i = 0; i < 3; i++) expect((await fetch(`${app.url}/health`)).status).toBe(200);
    expect((await fetch(`${app.url}/audio/not-a-file-id`)).status).toBe(404);

    // A request is counted when its response closes, just after the client has it.
    await expect
      .poll(async () => sample(await scrape(), 'plyr_http_requests_total', { route: '/health', method: 'GET', status: '200' }))
      .toBe(health + 3);
    const after = await scrape();
    expect(sample(after, 'plyr_http_requests_total', { route: '/audio/:fileId', method: 'GET', status: '404' })).toBe(audio404 + 1);
    expect(sample(after, 'plyr_audio_answers_total', { decision: 'not_found' })).toBe(sample(before, 'plyr_audio_answers_total', { decision: 'not_found' }) + 1);
    expect(sample(after, 'plyr_http_request_duration_seconds_count', { route: '/health', method: 'GET' })).toBeGreaterThanOrEqual(health + 3);
  });

  it('labels unknown paths as one route, so callers cannot grow the page', async () => {
    for (const path of ['/x1', '/x2', '/x3']) await fetch(`${app.url}${path}`);
    await expect.poll(async () => sample(await scrape(), 'plyr_http_requests_total', { route: 'other', method: 'GET', status: '404' })).toBeGreaterThanOrEqual(3);
    expect(await scrape()).not.toMatch(/route="\/x1"/);
  });

  it('counts supporter lookups by source and outcome, their upstream time, and cache hits per tier', async () => {
    const check = (outcome: string) => ({ source: 'atprotofans', outcome });
    const supporterCache = (tier: string, result: string) => ({ cache: 'supporter', tier, result });
    const before = await scrape();
    expect(await app.services.supporters.check(VIEWER, ARTIST)).toBe('supporter');
    expect(await app.services.supporters.check(VIEWER, ARTIST)).toBe('supporter'); // cached in memory
    expect(await app.services.supporters.check(VIEWER, OTHER_ARTIST)).toBe('not_supporter');
    atprotofans.setMode('error500');
    expect(await app.services.supporters.check(plc('metricsnobody'), ARTIST)).toBe('unavailable');

    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels);
    expect(delta('plyr_supporter_checks_total', check('supporter'))).toBe(1);
    expect(delta('plyr_supporter_checks_total', check('not_supporter'))).toBe(1);
    expect(delta('plyr_supporter_checks_total', check('unavailable'))).toBe(1);
    expect(delta('plyr_supporter_upstream_duration_seconds_count', { source: 'atprotofans' })).toBe(3);
    expect(delta('plyr_cache_lookups_total', supporterCache('memory', 'hit'))).toBe(1);
    expect(delta('plyr_cache_lookups_total', supporterCache('memory', 'miss'))).toBe(3);
    // Only what memory lacked reaches Redis.
    expect(delta('plyr_cache_lookups_total', supporterCache('redis', 'hit'))).toBe(0);
    expect(delta('plyr_cache_lookups_total', supporterCache('redis', 'miss'))).toBe(3);
  });

  it('counts hot-read cache lookups (tracks, sessions) per tier and result', async () => {
    const artist = await seedMember(app.services, 'metrics-artist');
    const listener = await seedMember(app.services, 'metrics-listener');
    const track = await seedTrack(app.services, artist, { gated: false });
    const lookups = (page: string, cache: string, tier: string, result: string) => sample(page, 'plyr_cache_lookups_total', { cache, tier, result });
    const before = await scrape();
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${app.url}/audio/${track.fileId}`, { redirect: 'manual', headers: listener.bearer });
      expect(res.status).toBe(307);
    }
    const after = await scrape();
    const delta = (cache: string, tier: string, result: string) => lookups(after, cache, tier, result) - lookups(before, cache, tier, result);
    for (const cache of ['track', 'session']) {
      // The first play reads PostgreSQL through both tiers; the next two are memory hits.
      expect(delta(cache, 'memory', 'miss'), `${cache} memory miss`).toBe(1);
      expect(delta(cache, 'redis', 'miss'), `${cache} redis miss`).toBe(1);
      expect(delta(cache, 'memory', 'hit'), `${cache} memory hit`).toBe(2);
      expect(delta(cache, 'redis', 'hit'), `${cache} redis hit`).toBe(0);
    }
  });

  it('counts finished jobs by name and result, and shows the queue by state', async () => {
    const done = async () => sample(await scrape(), 'plyr_jobs_finished_total', { name: 'maintenance', result: 'completed' });
    const before = await done();
    // Far in the future: seen as queued on every scrape until the test ends.
    await enqueueJob(app.services.db, 'maintenance', {}, { runAt: new Date(Date.now() + 3_600_000), jobKey: 'metrics-test-later' });
    await enqueueJob(app.services.db, 'maintenance', {});
    await expect.poll(done, { timeout: 30_000 }).toBe(before + 1);
    expect(sample(await scrape(), 'plyr_jobs', { name: 'maintenance', state: 'queued' })).toBeGreaterThanOrEqual(1);
  });

  it("reports this process's PostgreSQL connections", async () => {
    await expect.poll(async () => (await scrape()).match(/^plyr_postgres_connections\{state="[a-z ]+"\} [1-9]/m)).toBeTruthy();
  });

  it("counts the reconciler's runs and findings, with the last run's duration and time", async () => {
    const before = await scrape();
    const artist = await seedMember(app.services, 'metrics-drift');
    const track = await seedTrack(app.services, artist, { gated: false });
    await app.services.storage.delete('public', app.services.storage.audioKey(track.fileId, track.fileType));
    await runReconcile(app.services, { repair: 'none' });
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels);
    expect(delta('plyr_reconciler_findings_total', { kind: 'audio_missing', action: 'reported' })).toBe(1);
    expect(delta('plyr_reconciler_runs_total', { result: 'drift' })).toBe(1);
    expect(after).toMatch(/^plyr_reconciler_last_run_duration_seconds \d/m);
    expect(after).toMatch(/^plyr_reconciler_last_run_timestamp_seconds [1-9]/m);
  });

  it('passes promtool check metrics', async () => {
    const page = await scrape();
    const check = spawnSync('promtool', ['check', 'metrics'], { input: page, encoding: 'utf8' });
    expect(check.error).toBeUndefined();
    expect(check.stdout + check.stderr).toBe('');
    expect(check.status).toBe(0);
  });
});

describe('metrics configuration', () => {
  it('keeps the listener on loopback unless a token guards it', () => {
    expect(loadEnv({ METRICS_PORT: '9464' }).metrics).toEqual({ port: 9464, host: '127.0.0.1', token: null });
    expect(() => loadEnv({ METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' })).toThrow(/METRICS_HOST: a non-loopback metrics listener needs METRICS_TOKEN/);
    expect(loadEnv({ METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0', METRICS_TOKEN: TOKEN }).metrics?.host).toBe('0.0.0.0');
    expect(loadEnv({}).metrics).toBeNull();
  });

  it('refuses a bad port, a port shared with the API, or a short token', () => {
    expect(() => loadEnv({ METRICS_PORT: 'abc' })).toThrow(/METRICS_PORT/);
    expect(() => loadEnv({ METRICS_PORT: '3000', PORT: '3000' })).toThrow(/METRICS_PORT: must differ from PORT/);
    expect(() => loadEnv({ METRICS_PORT: '9464', METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
  });
});
