import { text } from 'node:stream/consumers';
import confirm from '@inquirer/confirm';
import password from '@inquirer/password';
import { CliError } from './errors.js';

/** Whether the user is at a terminal that can answer a question. */
export function interactive(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

/** A token pasted at a hidden prompt, or piped in on stdin (`plyr login < token.txt`). */
export async function readToken(): Promise<string> {
  const token = interactive()
    ? await password({ message: 'Paste your plyr developer token:', mask: '*' }, { output: process.stderr })
    : await text(process.stdin);
  return token.trim();
}

/** Asks yes/no at a terminal; without one there is nobody to ask, so the caller's flag must say it. */
export async function confirmed(question: string, flag: string): Promise<boolean> {
  if (!interactive()) throw new CliError(`refusing without confirmation: stdin is not a terminal; pass ${flag}`);
  return confirm({ message: question, default: false }, { output: process.stderr });
}
