import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Runs the TypeScript checker over this package (sources and tests, `types.test.ts` included), so the
 * `expectTypeOf` assertions and `@ts-expect-error` lines are enforced. A canary file with one false
 * assertion rides along in the same program: it must be reported, or the check proves nothing.
 */

const packageDir = join(import.meta.dirname, '..');
const canaryPath = join(packageDir, 'test', '__canary__.ts');
const canarySource = `import { expectTypeOf } from 'vitest';
import type { Track } from '../src/index.js';
expectTypeOf<Track['gated']>().toEqualTypeOf<string>();
`;

function checkPackage(): { ownErrors: string[]; canaryErrors: number } {
  const config = ts.getParsedCommandLineOfConfigFile(join(packageDir, 'tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!config) throw new Error('tsconfig.json could not be read');
  const host = ts.createCompilerHost(config.options);
  const { getSourceFile, fileExists } = host;
  host.fileExists = (file) => file === canaryPath || fileExists.call(host, file);
  host.getSourceFile = (file, language, ...rest) =>
    file === canaryPath ? ts.createSourceFile(file, canarySource, language) : getSourceFile.call(host, file, language, ...rest);
  const program = ts.createProgram({ rootNames: [...config.fileNames, canaryPath], options: config.options, host });
  const diagnostics = ts.getPreEmitDiagnostics(program);
  const format = (d: ts.Diagnostic) => ts.formatDiagnostic(d, { ...host, getNewLine: () => '\n' }).trim();
  // Other packages' sources are compiled too (the router type comes from them); their errors are theirs.
  const ownErrors = diagnostics
    .filter((d) => !d.file || (d.file.fileName.startsWith(`${packageDir}/`) && d.file.fileName !== canaryPath))
    .map(format);
  const canaryErrors = diagnostics.filter((d) => d.file?.fileName === canaryPath).length;
  return { ownErrors, canaryErrors };
}

describe('type tests', () => {
  it('the SDK and its type tests compile under strict settings; a false type assertion is caught', { timeout: 180_000 }, () => {
    const { ownErrors, canaryErrors } = checkPackage();
    expect(ownErrors).toEqual([]);
    expect(canaryErrors).toBeGreaterThan(0);
  });
});
