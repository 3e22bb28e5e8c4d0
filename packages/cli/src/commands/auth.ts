import type { Command } from 'commander';
import { configFile, forgetLogin, saveLogin } from '../config.js';
import { CliError } from '../errors.js';
import { note, printJson } from '../output.js';
import { readToken } from '../prompt.js';
import { connect, connectWith, resolveApiUrl } from '../session.js';

export function registerAuth(program: Command): void {
  program
    .command('login')
    .description('sign in with a developer token (pasted, piped on stdin, or --token), checked with the API and saved')
    .option('--token <token>', 'the token (else it is read from the prompt or stdin)')
    .option('--api-url <url>', 'the API to sign in to (default: PLYR_API_URL, then https://api.plyr.fm)')
    .option('--json', 'print the account as JSON')
    .action(async (options: { token?: string; apiUrl?: string; json?: boolean }) => {
      const token = (options.token ?? (await readToken())).trim();
      if (!token) throw new CliError('no token given: paste one, pipe it on stdin, or pass --token');
      const { client, apiUrl } = connectWith(await resolveApiUrl(options.apiUrl), token);
      const me = await client.auth.me.query();
      const file = await saveLogin({ apiUrl, token });
      if (options.json) printJson({ ...me, apiUrl });
      else process.stdout.write(`signed in as ${me.handle} (${me.did}) at ${apiUrl}\n`);
      note(`token saved in ${file}`);
      if (process.env.PLYR_TOKEN) note('note: PLYR_TOKEN is set and takes precedence over the saved token');
    });

  program
    .command('whoami')
    .description('the account the CLI is signed in as')
    .option('--json', 'print it as JSON')
    .action(async (options: { json?: boolean }) => {
      const { client, apiUrl } = await connect();
      const me = await client.auth.me.query();
      if (options.json) printJson({ ...me, apiUrl });
      else process.stdout.write(`${me.handle} (${me.did}) at ${apiUrl}\n`);
    });

  program
    .command('logout')
    .description('forget the saved token (it stays valid; `plyr tokens revoke` ends it)')
    .action(async () => {
      const removed = await forgetLogin();
      process.stdout.write(removed ? `signed out: removed ${configFile()}\n` : 'not signed in: nothing saved\n');
    });
}
