import type { Command } from 'commander';
import { note, printJson, printTable } from '../output.js';
import { connect } from '../session.js';
import { positiveInteger } from './arguments.js';

export function registerTokens(program: Command): void {
  const tokens = program.command('tokens').description('developer tokens of the signed-in account');

  tokens
    .command('create')
    .description('mint a developer token (needs a session token: a developer token cannot mint others)')
    .argument('<name>', 'what the token is for, e.g. "release script"')
    .option('--days <n>', 'days until it expires (the API caps it)', positiveInteger)
    .option('--json', 'print { id, token, expiresAt } as JSON')
    .action(async (name: string, options: { days?: number; json?: boolean }) => {
      const { client } = await connect();
      const created = await client.auth.developerTokens.create.mutate({ name, expiresInDays: options.days });
      if (options.json) return printJson(created);
      // The token alone on stdout, so `plyr tokens create x > token.txt` keeps just the secret.
      process.stdout.write(`${created.token}\n`);
      note(`token ${created.id} expires ${created.expiresAt}; it is shown only now`);
    });

  tokens
    .command('list')
    .description('the active developer tokens')
    .option('--json', 'print them as JSON')
    .action(async (options: { json?: boolean }) => {
      const { client } = await connect();
      const { tokens: list } = await client.auth.developerTokens.list.query();
      if (options.json) return printJson(list);
      printTable(
        ['ID', 'NAME', 'CREATED', 'EXPIRES'],
        list.map((t) => [t.id, t.name, t.createdAt, t.expiresAt]),
      );
    });

  tokens
    .command('revoke')
    .description('end a developer token at once')
    .argument('<id>', 'the token id (see `plyr tokens list`)')
    .action(async (id: string) => {
      const { client } = await connect();
      await client.auth.developerTokens.revoke.mutate({ id });
      process.stdout.write(`revoked ${id}\n`);
    });
}
