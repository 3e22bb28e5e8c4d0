import { z } from 'zod';

// C0 controls but tab, line feed and carriage return, plus DEL: Postgres refuses NUL in text, and
// none of them belongs in a name a person reads (track titles, file names, token names).
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** Text a person typed: trimmed, bounded, and free of control characters. */
export function plainText(maxLength: number) {
  return z
    .string()
    .trim()
    .min(1)
    .max(maxLength)
    .refine((value) => !CONTROL_CHARACTERS.test(value), 'must not contain control characters');
}
