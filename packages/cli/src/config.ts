import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { CliError } from './errors.js';

/** What `plyr login` keeps: the API it signed in to and the token. */
export interface StoredLogin {
  apiUrl: string;
  token: string;
}

/** `$XDG_CONFIG_HOME/plyr`, or `~/.config/plyr` (the XDG spec ignores a relative XDG_CONFIG_HOME). */
export function configDir(): string {
  const xdg = process.env.XDG_CONFIG_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.config'), 'plyr');
}

export function configFile(): string {
  return join(configDir(), 'config.json');
}

export async function readLogin(): Promise<StoredLogin | null> {
  let text: string;
  try {
    text = await readFile(configFile(), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CliError(`cannot read ${configFile()}: ${(err as Error).message}`);
  }
  const parsed = safeParse(text);
  if (typeof parsed?.apiUrl !== 'string' || typeof parsed.token !== 'string') {
    throw new CliError(`${configFile()} is damaged; run \`plyr logout\` and \`plyr login\` again`);
  }
  return { apiUrl: parsed.apiUrl, token: parsed.token };
}

/** Readable by the owner only (0600, in a 0700 folder): the token is a password. Replaced atomically. */
export async function saveLogin(login: StoredLogin): Promise<string> {
  const file = configFile();
  await mkdir(configDir(), { recursive: true, mode: 0o700 });
  const partial = `${file}.${process.pid}.tmp`;
  await writeFile(partial, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
  await rename(partial, file);
  return file;
}

/** True when there was a saved login to remove. */
export async function forgetLogin(): Promise<boolean> {
  const file = configFile();
  try {
    await rm(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

function safeParse(text: string): Partial<Record<keyof StoredLogin, unknown>> | null {
  try {
    return JSON.parse(text) as Partial<Record<keyof StoredLogin, unknown>>;
  } catch {
    return null;
  }
}
