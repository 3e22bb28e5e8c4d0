import { chromium, type Browser } from 'playwright-core';
import { test } from 'vitest';
import { startFakeAtprotofans, startTestS3, storageEnv } from '@plyr/testing';
import { loginAs, type SignedInUser } from '@plyr/testing/atproto/login';
import { startLocalAtprotoNetwork, type LocalAtprotoNetwork, type TestAccount } from '@plyr/testing/atproto/network';
import { startTestApp } from './app.js';

export interface StackAccounts {
  /** Publishes. */
  artist: TestAccount;
  /** Supports the artist at the stand-in atprotofans. */
  supporter: TestAccount;
  /** Supports nobody. */
  listener: TestAccount;
}

export type TestS3 = Awaited<ReturnType<typeof startTestS3>>;

/** Debian's Chromium, installed by `.ci/run`; nothing is downloaded at run time. */
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * One value for every file a worker runs (the suite runs with `isolate: false`, so this module and
 * its state outlive a file). Vitest keeps a worker fixture per `test.extend` chain, and each file
 * builds its own chain (`withStack(env)`, `.extend(...)`), so the sharing is done here; the chain
 * that started the value closes it when the worker ends.
 */
function sharedInWorker<T>(start: () => Promise<T>, close: (value: T) => Promise<void>) {
  let shared: Promise<T> | undefined;
  return (onCleanup: (fn: () => Promise<void>) => void): Promise<T> => {
    if (!shared) {
      const started = start();
      shared = started;
      started.catch(() => (shared = undefined));
      onCleanup(async () => {
        shared = undefined;
        // A start that failed failed its test already; there is nothing to close.
        const value = await started.catch(() => undefined);
        if (value !== undefined) await close(value);
      });
    }
    return shared;
  };
}

/**
 * The PLC directory and PDS are shared by the files of a worker: each file still gets its own
 * accounts (unique handles, below), atprotofans, API, database, Redis db and storage, so nothing a
 * file does reaches another; what is shared holds only accounts nobody else signs in as.
 */
const sharedNetwork = sharedInWorker(startLocalAtprotoNetwork, (network) => network.close());
/** One Chromium per worker: each test opens its own context (cookies, storage), closed by the test. */
const sharedBrowser = sharedInWorker(
  () => chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 }),
  (browser) => browser.close(),
);

/** Handles are `<name><n>.test`, n counting the account sets made on one network. */
const accountSets = new WeakMap<LocalAtprotoNetwork, number>();

/**
 * The whole stack as vitest fixtures, each built only when a test asks for it: a local ATProto
 * network (PLC + PDS) and Chromium shared by the worker's files; per file, the stand-in atprotofans,
 * an S3-compatible server, the API on its own database and Redis db, three accounts, and `signIn`
 * for a signed-in user (cookie or token). `env` takes SPEC.md variable names for the API and wins
 * over the defaults; an extension that must compute them (e.g. from a port it picks) overrides the
 * `appEnv` fixture.
 */
export function withStack(env: Record<string, string> = {}) {
  return (
    test
      // eslint-disable-next-line no-empty-pattern
      .extend('network', { scope: 'worker' }, async ({}, { onCleanup }) => sharedNetwork(onCleanup))
      // eslint-disable-next-line no-empty-pattern
      .extend('browser', { scope: 'worker' }, async ({}, { onCleanup }): Promise<Browser> => sharedBrowser(onCleanup))
      // eslint-disable-next-line no-empty-pattern
      .extend('fans', { scope: 'file' }, async ({}, { onCleanup }) => {
        const fans = await startFakeAtprotofans();
        onCleanup(() => fans.close());
        return fans;
      })
      // eslint-disable-next-line no-empty-pattern
      .extend('s3', { scope: 'file' }, async ({}, { onCleanup }): Promise<TestS3> => {
        const s3 = await startTestS3();
        onCleanup(() => s3.close());
        return s3;
      })
      .extend('appEnv', { scope: 'file' }, env)
      .extend('app', { scope: 'file' }, async ({ network, fans, s3, appEnv }, { onCleanup }) => {
        const app = await startTestApp(
          { ...network.env, ATPROTOFANS_URL: fans.url, RATE_LIMIT_ENABLED: 'false', ...appEnv },
          { s3Env: storageEnv(s3.config) },
        );
        onCleanup(() => app.close());
        return app;
      })
      .extend('accounts', { scope: 'file' }, async ({ network, fans }): Promise<StackAccounts> => {
        const n = (accountSets.get(network) ?? 0) + 1;
        accountSets.set(network, n);
        const [artist, supporter, listener] = await Promise.all(['artist', 'supporter', 'listener'].map((name) => network.createAccount(`${name}${n}`)));
        fans.setSupporters([[supporter!.did, artist!.did]]);
        return { artist: artist!, supporter: supporter!, listener: listener! };
      })
      .extend(
        'signIn',
        { scope: 'file' },
        async ({ app }) =>
          (account: TestAccount, mode: 'cookie' | 'token' = 'cookie'): Promise<SignedInUser> =>
            loginAs(app, account.handle, account.password, { mode }),
      )
  );
}

/** The stack with the API's test defaults. */
export const stackTest = withStack();
