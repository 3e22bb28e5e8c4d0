import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { parseFile } from 'music-metadata';
import { CliError } from './errors.js';

/** The formats the API stores, by file extension. */
const AUDIO_TYPES: Record<string, string> = {
  '.mp3': 'audio/mpeg',
  '.m4a': 'audio/mp4',
  '.flac': 'audio/flac',
  '.wav': 'audio/wav',
  '.ogg': 'audio/ogg',
  '.opus': 'audio/opus',
};

/** What an upload needs to know about a file before the first byte is sent. */
export interface AudioFile {
  path: string;
  filename: string;
  contentType: string;
  size: number;
  title: string;
}

/** Refuses what is not an audio file here, before the API is asked; the API still checks the bytes. */
export async function inspectAudioFile(path: string, title?: string): Promise<AudioFile> {
  const filename = basename(path);
  const extension = extname(filename).toLowerCase();
  const contentType = AUDIO_TYPES[extension];
  if (!contentType) {
    throw new CliError(`not an audio file (${extension || 'no extension'}; plyr takes ${Object.keys(AUDIO_TYPES).join(' ')})`);
  }
  const facts = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new CliError(err.code === 'ENOENT' ? 'no such file' : `cannot read it: ${err.message}`);
  });
  if (!facts.isFile()) throw new CliError('not a file');
  if (facts.size === 0) throw new CliError('the file is empty');
  return { path, filename, contentType, size: facts.size, title: title ?? (await tagTitle(path)) ?? basename(filename, extname(filename)) };
}

/** The title in the file's tags (ID3, Vorbis comments, MP4 atoms…), if it has one. */
async function tagTitle(path: string): Promise<string | undefined> {
  try {
    const { common } = await parseFile(path, { duration: false, skipCovers: true, skipPostHeaders: true });
    return common.title?.trim() || undefined;
  } catch {
    // An unreadable tag is no reason to refuse the upload: the file name is the title then.
    return undefined;
  }
}
