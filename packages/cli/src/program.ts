import { Command } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import { registerAuth } from './commands/auth.js';
import { registerDownloadLiked } from './commands/download-liked.js';
import { registerTokens } from './commands/tokens.js';
import { registerTracks } from './commands/tracks.js';
import { registerUpload } from './commands/upload.js';

/** Every command, with `--help` on each (commander adds it). */
export function buildProgram(): Command {
  const program = new Command('plyr')
    .description('The plyr command line. Signs in with a developer token; PLYR_TOKEN and PLYR_API_URL override the saved login.')
    .version(pkg.version);
  registerAuth(program);
  registerUpload(program);
  registerTracks(program);
  registerDownloadLiked(program);
  registerTokens(program);
  return program;
}
