import { parse } from 'content-disposition';
import { describe, expect, it } from 'vitest';
import {
  asciiFilename,
  attachmentDisposition,
  downloadFilename,
  MAX_FILENAME_BYTES,
} from '../../src/downloads/filename.js';

const utf8Bytes = (s: string) => new TextEncoder().encode(s).length;

describe('downloadFilename', () => {
  it('is "Artist - Title.ext"', () => {
    expect(downloadFilename({ artist: 'alice.test', title: 'Morning Song', ext: 'mp3' })).toBe(
      'alice.test - Morning Song.mp3',
    );
  });

  it('removes path separators, quotes and control characters, turning line breaks into spaces', () => {
    const name = downloadFilename({ artist: 'a/b\\c', title: 'AC/DC "Live"\nat\r\n the\t\0Hall\x7f\x85', ext: 'flac' });
    expect(name).toBe('abc - ACDC Live at the Hall.flac');
  });

  it('removes the characters Windows refuses and bidi overrides that could disguise the extension', () => {
    expect(downloadFilename({ artist: 'x', title: 'a<b>c:d|e?f*g', ext: 'mp3' })).toBe('x - abcdefg.mp3');
    expect(downloadFilename({ artist: 'x', title: 'song\u202Eexe.3pm', ext: 'mp3' })).toBe('x - songexe.3pm.mp3');
  });

  it('keeps non-ASCII titles as they are (NFC)', () => {
    expect(downloadFilename({ artist: 'björk', title: 'Jóga 🎵 東京', ext: 'm4a' })).toBe('björk - Jóga 🎵 東京.m4a');
    expect(downloadFilename({ artist: 'x', title: 'Cafe\u0301', ext: 'mp3' })).toBe('x - Caf\u00e9.mp3');
  });

  it('never yields a hidden file or an empty title', () => {
    expect(downloadFilename({ artist: '', title: '../../etc/passwd', ext: 'mp3' })).toBe('etcpasswd.mp3');
    expect(downloadFilename({ artist: 'x', title: ' \n/"\t ', ext: 'ogg' })).toBe('x - Untitled.ogg');
    expect(downloadFilename({ artist: '', title: '...', ext: 'ogg' })).toBe('Untitled.ogg');
  });

  it('caps the name in UTF-8 bytes without splitting a character, keeping the extension', () => {
    const name = downloadFilename({ artist: 'x', title: '🎵é'.repeat(200), ext: 'opus' });
    expect(utf8Bytes(name)).toBeLessThanOrEqual(MAX_FILENAME_BYTES);
    expect(name.endsWith('.opus')).toBe(true);
    expect(name).not.toMatch(/\uFFFD/);
    // A split surrogate pair would not survive a UTF-8 round trip.
    expect(new TextDecoder().decode(new TextEncoder().encode(name))).toBe(name);
  });

  it('refuses an extension that is not one', () => {
    expect(() => downloadFilename({ artist: 'x', title: 't', ext: 'mp3/../x' })).toThrow(TypeError);
  });
});

describe('attachmentDisposition', () => {
  it('sends a plain filename for ASCII names and no filename*', () => {
    const header = attachmentDisposition('alice.test - Morning Song.mp3');
    expect(header).toBe('attachment; filename="alice.test - Morning Song.mp3"');
  });

  it('adds an RFC 8187 filename* for non-ASCII names with an ASCII fallback', () => {
    const filename = 'björk - Jóga 🎵 東京.m4a';
    const header = attachmentDisposition(filename);
    expect(header).toMatch(/^attachment; filename="bjork - Joga _ _\.m4a"; filename\*=UTF-8''/);
    expect(header).toContain(`filename*=UTF-8''bj%C3%B6rk%20-%20J%C3%B3ga%20%F0%9F%8E%B5%20%E6%9D%B1%E4%BA%AC.m4a`);
    expect(/^[\x20-\x7e]*$/.test(header)).toBe(true);
    expect(parse(header)).toEqual({ type: 'attachment', parameters: { filename, 'filename*': expect.any(String) } });
  });

  it('keeps a literal percent sign out of the plain filename so no client decodes it', () => {
    const header = attachmentDisposition('x - 100%41 Pure.mp3');
    expect(header).toContain('filename="x - 100_41 Pure.mp3"');
    expect(parse(header).parameters.filename).toBe('x - 100%41 Pure.mp3');
  });

  it('round-trips every cleaned filename through a parser', () => {
    const titles = ['a"b', 'tab\there', 'ünïcödé', 'Ελληνικά', 'emoji 👩‍👩‍👧', "it's (live) [2024]; ok", 'back\\slash', '%20'];
    for (const title of titles) {
      const filename = downloadFilename({ artist: 'artist', title, ext: 'wav' });
      const header = attachmentDisposition(filename);
      expect(/^[\x20-\x7e]*$/.test(header)).toBe(true);
      expect(parse(header).parameters.filename).toBe(filename);
    }
  });
});

describe('asciiFilename', () => {
  it('drops accents and replaces other non-ASCII runs', () => {
    expect(asciiFilename('Beyoncé - Ça va 東京.mp3')).toBe('Beyonce - Ca va _.mp3');
  });
});
