export type AudioExtension = 'mp3' | 'm4a' | 'flac' | 'wav' | 'ogg' | 'opus';
export type AudioFormat = { ext: AudioExtension; contentType: string };

/** How many leading bytes to read before sniffing: an MP4 ftyp box with its brands, an Ogg first page. */
export const AUDIO_SNIFF_BYTES = 4096;

const MP3: AudioFormat = { ext: 'mp3', contentType: 'audio/mpeg' };
const M4A: AudioFormat = { ext: 'm4a', contentType: 'audio/mp4' };
const FLAC: AudioFormat = { ext: 'flac', contentType: 'audio/flac' };
const WAV: AudioFormat = { ext: 'wav', contentType: 'audio/wav' };
const OGG: AudioFormat = { ext: 'ogg', contentType: 'audio/ogg' };
// RFC 7845: Ogg Opus files are audio/ogg; the codecs parameter lets players pick a decoder.
const OPUS: AudioFormat = { ext: 'opus', contentType: 'audio/ogg; codecs=opus' };

/** ISO-BMFF brands whose files carry AAC/ALAC audio that browsers play as audio/mp4. */
const MP4_AUDIO_BRANDS = new Set(['M4A ', 'M4B ', 'M4P ', 'F4A ', 'mp41', 'mp42', 'isom', 'iso2', 'iso4', 'iso5', 'iso6', 'dash']);

/** Codec identification packets that may open an Ogg stream with audio we can serve. */
const OGG_AUDIO_CODECS: ReadonlyArray<[magic: string, format: AudioFormat]> = [
  ['OpusHead', OPUS],
  ['\x01vorbis', OGG],
  ['\x7fFLAC', OGG],
  ['Speex   ', OGG],
];

/**
 * The audio container the leading bytes of a file belong to, from their signature, or null when
 * they are not one of MP3, M4A/AAC, FLAC, WAV or Ogg (Vorbis, Opus, FLAC, Speex).
 */
export function sniffAudioFormat(firstBytes: Uint8Array): AudioFormat | null {
  const b = firstBytes;
  if (ascii(b, 0, 3) === 'ID3') return sniffAfterId3(b);
  if (ascii(b, 0, 4) === 'fLaC') return isFlacStreamInfo(b, 4) ? FLAC : null;
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WAVE') return WAV;
  if (ascii(b, 0, 4) === 'OggS') return sniffOgg(b);
  if (ascii(b, 4, 4) === 'ftyp') return isMp4Audio(b) ? M4A : null;
  return isMp3Frame(b, 0) ? MP3 : null;
}

/** ID3v2 prefixes MP3 (and, from some taggers, FLAC): look past the tag when it fits in the buffer. */
function sniffAfterId3(b: Uint8Array): AudioFormat | null {
  if (b.length < 10) return null;
  const [major, , flags] = [b[3]!, b[4]!, b[5]!];
  const sizeBytes = [b[6]!, b[7]!, b[8]!, b[9]!];
  if (major < 2 || major > 4 || sizeBytes.some((x) => x >= 0x80)) return null;
  // Tag sizes are "synchsafe": 7 bits per byte.
  const tagSize = sizeBytes.reduce((acc, x) => (acc << 7) | x, 0);
  const footer = flags & 0x10 ? 10 : 0;
  const audioStart = 10 + tagSize + footer;
  if (audioStart + 4 > b.length) return MP3;
  if (ascii(b, audioStart, 4) === 'fLaC') return isFlacStreamInfo(b, audioStart + 4) ? FLAC : null;
  return isMp3Frame(b, audioStart) ? MP3 : null;
}

/** An MPEG audio Layer III frame header: 11 sync bits, then no reserved values. */
function isMp3Frame(b: Uint8Array, at: number): boolean {
  if (b.length < at + 4) return false;
  const [b0, b1, b2, b3] = [b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!];
  const version = (b1 >> 3) & 0b11;
  const layer = (b1 >> 1) & 0b11;
  const bitrateIndex = b2 >> 4;
  const sampleRateIndex = (b2 >> 2) & 0b11;
  const emphasis = b3 & 0b11;
  return (
    b0 === 0xff &&
    (b1 & 0xe0) === 0xe0 &&
    version !== 0b01 &&
    layer === 0b01 &&
    bitrateIndex !== 0b1111 &&
    sampleRateIndex !== 0b11 &&
    emphasis !== 0b10
  );
}

/** A FLAC stream's first metadata block is always a 34-byte STREAMINFO. */
function isFlacStreamInfo(b: Uint8Array, at: number): boolean {
  if (b.length < at + 4) return false;
  const type = b[at]! & 0x7f;
  const length = (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
  return type === 0 && length === 34;
}

/** An ftyp box whose major or compatible brands name an MP4 audio profile. */
function isMp4Audio(b: Uint8Array): boolean {
  if (b.length < 16) return false;
  const boxSize = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  if (boxSize < 16 || boxSize % 4 !== 0) return false;
  const end = Math.min(boxSize, b.length);
  const brands = [ascii(b, 8, 4)];
  for (let at = 16; at + 4 <= end; at += 4) brands.push(ascii(b, at, 4));
  return brands.some((brand) => MP4_AUDIO_BRANDS.has(brand));
}

/** The first Ogg page (beginning-of-stream) holds the codec identification packet. */
function sniffOgg(b: Uint8Array): AudioFormat | null {
  if (b.length < 27 || b[4] !== 0 || (b[5]! & 0x02) === 0) return null;
  const packetStart = 27 + b[26]!;
  for (const [magic, format] of OGG_AUDIO_CODECS) {
    if (ascii(b, packetStart, magic.length) === magic) return format;
  }
  return null;
}

/** The bytes at [at, at+length) read as Latin-1, or '' when the buffer is shorter. */
function ascii(b: Uint8Array, at: number, length: number): string {
  if (b.length < at + length) return '';
  return String.fromCharCode(...b.subarray(at, at + length));
}
