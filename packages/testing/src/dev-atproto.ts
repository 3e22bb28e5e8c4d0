import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { startLocalAtprotoNetwork } from './atproto/network.js';

/**
 * `pnpm dev:atproto`: a local PLC directory and PDS with two demo accounts, so a person can sign in to
 * a locally started API through a real sign-in page without the internet. Ctrl-C stops it and
 * deletes its data (accounts are new on every start).
 */

// `pnpm dev` makes supporter.test a supporter of artist.test at the stand-in atprotofans; listener.test is not.
const DEMO_ACCOUNTS = ['artist', 'supporter', 'listener'] as const;

const network = await startLocalAtprotoNetwork();
try {
  const accounts = [];
  for (const name of DEMO_ACCOUNTS) {
    accounts.push(await network.createAccount(name, randomBytes(9).toString('base64url')));
  }
  const env = Object.entries(network.env).map(([k, v]) => `${k}=${v}`);
  console.log(
    [
      `Local ATProto network up: PLC ${network.plcUrl}, PDS ${network.pdsUrl}`,
      '',
      'Demo accounts (new on every start):',
      ...accounts.map((a) => `  ${a.handle.padEnd(16)} password ${a.password}   ${a.did}`),
      '',
      'Variables that point the API at it (`pnpm dev` passes them on by itself):',
      ...env.map((line) => `  ${line}`),
      `e.g. ${env.join(' ')} pnpm start`,
      '',
      'Then sign in: open http://localhost:3000/auth/start?handle=artist.test in a browser',
      '(or use the frontend), enter the password above and approve.',
      '',
      'Ctrl-C stops the network.',
    ].join('\n'),
  );
  await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
} finally {
  await network.close();
}
