import { test } from 'vitest';
import { startFakeAtprotofans } from '@plyr/testing';
import { loginAs, type SignedInUser } from '@plyr/testing/atproto/login';
import { startLocalAtprotoNetwork, type TestAccount } from '@plyr/testing/atproto/network';
import { startTestApp } from './app.js';

export interface StackAccounts {
  /** Publishes. */
  artist: TestAccount;
  /** Supports the artist at the stand-in atprotofans. */
  supporter: TestAccount;
  /** Supports nobody. */
  listener: TestAccount;
}

/**
 * The whole stack as vitest fixtures, each built once per file and only when a test asks for it: a
 * local ATProto network (PLC + PDS), the stand-in atprotofans, the API on its own database, Redis db
 * and S3-compatible server, three accounts, and `signIn` for a signed-in user (cookie or token).
 * `env` takes SPEC.md variable names for the API and wins over the defaults.
 */
export function withStack(env: Record<string, string> = {}) {
  return (
    test
      // eslint-disable-next-line no-empty-pattern
      .extend('network', { scope: 'file' }, async ({}, { onCleanup }) => {
        const network = await startLocalAtprotoNetwork();
        onCleanup(() => network.close());
        return network;
      })
      // eslint-disable-next-line no-empty-pattern
      .extend('fans', { scope: 'file' }, async ({}, { onCleanup }) => {
        const fans = await startFakeAtprotofans();
        onCleanup(() => fans.close());
        return fans;
      })
      .extend('app', { scope: 'file' }, async ({ network, fans }, { onCleanup }) => {
        const app = await startTestApp({ ...network.env, ATPROTOFANS_URL: fans.url, RATE_LIMIT_ENABLED: 'false', ...env });
        onCleanup(() => app.close());
        return app;
      })
      .extend('accounts', { scope: 'file' }, async ({ network, fans }): Promise<StackAccounts> => {
        const [artist, supporter, listener] = await Promise.all(['artist', 'supporter', 'listener'].map((name) => network.createAccount(name)));
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
