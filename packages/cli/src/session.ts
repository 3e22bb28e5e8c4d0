import { createPlyrClient, type PlyrClient } from '@plyr/client';
import { readLogin } from './config.js';
import { CliError } from './errors.js';

export const DEFAULT_API_URL = 'https://api.plyr.fm';

/** The API this process last connected to, so a failure to reach it can name it. */
let connectedTo: string | undefined;

export function lastApiUrl(): string | undefined {
  return connectedTo;
}

/** A client for the API this run talks to; `apiUrl` is kept for messages about reaching it. */
export interface Connected {
  client: PlyrClient;
  apiUrl: string;
}

/** The API to talk to: `PLYR_API_URL`, else the one signed in to, else plyr's. */
export async function resolveApiUrl(flag?: string): Promise<string> {
  return flag || process.env.PLYR_API_URL || (await readLogin())?.apiUrl || DEFAULT_API_URL;
}

/** A client with `token` against `apiUrl`; a malformed URL is the user's to fix, said in one line. */
export function connectWith(apiUrl: string, token: string): Connected {
  try {
    const client = createPlyrClient({ baseUrl: apiUrl, token });
    connectedTo = apiUrl;
    return { client, apiUrl };
  } catch (err) {
    throw new CliError(`cannot use API URL "${apiUrl}": ${(err as Error).message}`);
  }
}

/** The signed-in client: `PLYR_TOKEN` and `PLYR_API_URL` override what `plyr login` saved. */
export async function connect(): Promise<Connected> {
  const stored = await readLogin();
  const token = process.env.PLYR_TOKEN || stored?.token;
  if (!token) throw new CliError('not signed in: run `plyr login` or set PLYR_TOKEN');
  return connectWith(process.env.PLYR_API_URL || stored?.apiUrl || DEFAULT_API_URL, token);
}
