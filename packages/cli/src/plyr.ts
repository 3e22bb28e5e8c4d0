#!/usr/bin/env node
import { describeError } from './errors.js';
import { buildProgram } from './program.js';
import { lastApiUrl } from './session.js';

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  // One line with the reason, never a stack trace: this is what a person or a script reads.
  process.stderr.write(`plyr: ${describeError(err, lastApiUrl())}\n`);
  process.exitCode = 1;
}
