import { describe, expect, it } from 'vitest';
import { sniffAudioFormat } from '../../src/storage/index.js';

const bytes = (...parts: Array<string | number[]>): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));
const zeros = (n: number): number[] => new Array<number>(n).fill(0);
const u32be = (n: number): number[] => [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const u32le = (n: number): number[] => u32be(n).reverse();

/** MPEG-1 Layer III, 128 kb/s, 44.1 kHz, no CRC: the most common MP3 frame header. */
const MP3_FRAME = [0xff, 0xfb, 0x90, 0x64, ...zeros(28)];
/** An ID3v2.3 tag with `size` bytes of (padding) body. */
const id3 = (size: number): number[] => [...bytes('ID3', [3, 0, 0]), 0, 0, (size >> 7) & 0x7f, size & 0x7f, ...zeros(size)];
/** FLAC marker + STREAMINFO header (last block, 34 bytes) + its body. */
const FLAC = [...bytes('fLaC'), 0x80, 0, 0, 34, 0x10, 0x00, 0x10, 0x00, ...zeros(30)];
/** A canonical 44-byte PCM WAV header (16-bit stereo 44.1 kHz) with four samples. */
const WAV = [
  ...bytes('RIFF'), ...u32le(36 + 16), ...bytes('WAVE'),
  ...bytes('fmt '), ...u32le(16), 1, 0, 2, 0, ...u32le(44_100), ...u32le(176_400), 4, 0, 16, 0,
  ...bytes('data'), ...u32le(16), ...zeros(16),
];
/** The first (beginning-of-stream) Ogg page carrying one identification packet. */
const oggPage = (packet: number[]): number[] => [
  ...bytes('OggS'), 0, 0x02, ...zeros(8), ...u32le(0x1234), ...u32le(0), ...u32le(0), 1, packet.length, ...packet,
];
const OPUS_HEAD = [...bytes('OpusHead'), 1, 2, 0x38, 0x01, ...u32le(48_000), 0, 0, 0];
const VORBIS_ID = [...bytes('\x01vorbis'), ...u32le(0), 2, ...u32le(44_100), ...zeros(13), 0xb8, 1];
/** An ftyp box: size, 'ftyp', major brand, minor version, compatible brands. */
const ftyp = (major: string, ...compatible: string[]): number[] => [
  ...u32be(16 + 4 * compatible.length), ...bytes('ftyp', major), ...u32be(0x200), ...compatible.flatMap((b) => [...bytes(b)]),
  ...u32be(8), ...bytes('free'),
];

describe('sniffAudioFormat', () => {
  it.each([
    ['MP3 with an ID3v2 tag', bytes(id3(20), MP3_FRAME), 'mp3', 'audio/mpeg'],
    ['MP3 whose ID3 tag runs past the bytes read', bytes(id3(5000)).subarray(0, 4096), 'mp3', 'audio/mpeg'],
    ['MP3 frame without a tag', bytes(MP3_FRAME), 'mp3', 'audio/mpeg'],
    ['MPEG-2 Layer III frame (22.05 kHz)', bytes([0xff, 0xf3, 0x80, 0xc4]), 'mp3', 'audio/mpeg'],
    ['M4A (iTunes AAC)', bytes(ftyp('M4A ', 'M4A ', 'mp42', 'isom')), 'm4a', 'audio/mp4'],
    ['MP4 audio with brand mp42', bytes(ftyp('mp42', 'mp41', 'isom')), 'm4a', 'audio/mp4'],
    ['MP4 with brand isom (ffmpeg default)', bytes(ftyp('isom', 'iso2', 'mp41')), 'm4a', 'audio/mp4'],
    ['MP4 with an unknown major brand but M4A compatible', bytes(ftyp('XYZ1', 'M4A ')), 'm4a', 'audio/mp4'],
    ['FLAC', bytes(FLAC), 'flac', 'audio/flac'],
    ['FLAC behind an ID3 tag', bytes(id3(12), FLAC), 'flac', 'audio/flac'],
    ['WAV', bytes(WAV), 'wav', 'audio/wav'],
    ['Ogg Opus', bytes(oggPage(OPUS_HEAD)), 'opus', 'audio/ogg; codecs=opus'],
    ['Ogg Vorbis', bytes(oggPage(VORBIS_ID)), 'ogg', 'audio/ogg'],
    ['Ogg FLAC', bytes(oggPage([...bytes('\x7fFLAC'), 1, 0, 0, 1, ...bytes('fLaC')])), 'ogg', 'audio/ogg'],
  ])('recognises %s', (_name, sample, ext, contentType) => {
    expect(sniffAudioFormat(sample)).toEqual({ ext, contentType });
  });

  it.each([
    ['empty input', bytes()],
    ['plain text', bytes('Hello, this is definitely not a song.\n')],
    ['an HTML page', bytes('<!doctype html><html><body>upload</body></html>')],
    ['PNG', bytes([0x89, ...bytes('PNG'), 0x0d, 0x0a, 0x1a, 0x0a, ...u32be(13), ...bytes('IHDR'), ...zeros(13)])],
    ['JPEG', bytes([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, ...bytes('JFIF'), 0])],
    ['PDF', bytes('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n')],
    ['ZIP', bytes('PK', [3, 4, 20, 0, 0, 0, 8, 0])],
    ['an AVI (RIFF but not WAVE)', bytes('RIFF', u32le(100), 'AVI LIST')],
    ['a QuickTime movie (ftyp qt)', bytes(ftyp('qt  ', 'qt  '))],
    ['a 3GP video', bytes(ftyp('3gp4', '3gp4', '3gp6'))],
    ['Ogg Theora video', bytes(oggPage([...bytes('\x80theora'), 3, 2, 1]))],
    ['an Ogg page that is not the first of a stream', bytes([...oggPage(OPUS_HEAD)].map((b, i) => (i === 5 ? 0 : b)))],
    ['fLaC followed by something other than STREAMINFO', bytes('fLaC', [0x84, 0, 0, 40], zeros(40))],
    ['an ID3 tag followed by text', bytes(id3(4), 'just some words here')],
    ['raw AAC (ADTS), which is not one of the containers', bytes([0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc])],
    ['an MPEG frame with a reserved sample rate', bytes([0xff, 0xfb, 0x9c, 0x64])],
    ['truncated magic', bytes('fLa')],
  ])('refuses %s', (_name, sample) => {
    expect(sniffAudioFormat(sample)).toBeNull();
  });

  it('never throws, whatever the bytes', () => {
    let seed = 42;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) & 0xff;
    for (let i = 0; i < 5_000; i++) {
      const sample = Uint8Array.from({ length: i % 97 }, next);
      // Half the samples start with a real signature so the deeper parsers see garbage too.
      const prefixed = i % 2 ? sample : bytes(['ID3', 'OggS', 'fLaC', 'RIFF'][(i >> 1) % 4]!, [...sample]);
      const format = sniffAudioFormat(prefixed);
      expect(format === null || typeof format.ext === 'string').toBe(true);
    }
  });
});
