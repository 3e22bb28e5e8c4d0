import { create as createContentDisposition } from 'content-disposition';

/** Most filesystems cap a name at 255 bytes; a margin leaves room for a browser's " (1)". */
export const MAX_FILENAME_BYTES = 240;
const FALLBACK_TITLE = 'Untitled';

// Controls that move or break text: C0/C1 controls, line/paragraph separators.
const LINE_BREAKING = /[\p{Cc}\u2028\u2029]+/gu;
// Bidirectional overrides and isolates can disguise an extension ("evil\u202Emp3.exe").
const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
// Path separators, quotes, and the characters Windows refuses in a name.
const FORBIDDEN = /[/\\"<>:|?*]/g;
const EXTENSION = /^[a-z0-9]{1,8}$/;

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });
const utf8 = new TextEncoder();

/** One part of a filename, cleaned: no separators, quotes or controls, single spaces. */
export function cleanFilenamePart(text: string): string {
  return text
    .normalize('NFC')
    .replace(LINE_BREAKING, ' ')
    .replace(BIDI_CONTROLS, '')
    .replace(FORBIDDEN, '')
    .replace(/\s+/gu, ' ')
    .trim();
}

/** `Artist - Title.ext`, safe to save on any common filesystem, at most MAX_FILENAME_BYTES of UTF-8. */
export function downloadFilename(track: { artist: string; title: string; ext: string }): string {
  if (!EXTENSION.test(track.ext)) throw new TypeError(`invalid extension: ${JSON.stringify(track.ext)}`);
  const artist = cleanFilenamePart(track.artist);
  const title = cleanFilenamePart(track.title) || FALLBACK_TITLE;
  // A leading dot would make a hidden file on Unix-like systems.
  const stem = (artist ? `${artist} - ${title}` : title).replace(/^[.\s]+/, '') || FALLBACK_TITLE;
  const suffix = `.${track.ext}`;
  return `${truncateToBytes(stem, MAX_FILENAME_BYTES - suffix.length)}${suffix}`;
}

// Cut on grapheme boundaries so an accent or emoji is never split into mojibake.
function truncateToBytes(text: string, maxBytes: number): string {
  if (utf8.encode(text).length <= maxBytes) return text;
  let out = '';
  let bytes = 0;
  for (const { segment } of graphemes.segment(text)) {
    const size = utf8.encode(segment).length;
    if (bytes + size > maxBytes) break;
    out += segment;
    bytes += size;
  }
  return out.trimEnd();
}

/**
 * The ASCII stand-in for clients that ignore `filename*`: accents dropped ("é" → "e"), other
 * non-ASCII runs become "_", and "%" too so no client percent-decodes the plain name.
 */
export function asciiFilename(filename: string): string {
  return filename
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[^\x20-\x7e]+/g, '_')
    .replace(/%/g, '_');
}

/** RFC 6266 `attachment` header: plain `filename=` in ASCII, plus `filename*=UTF-8''…` when the name is not. */
export function attachmentDisposition(filename: string): string {
  return createContentDisposition(filename, { type: 'attachment', fallback: asciiFilename(filename) });
}
