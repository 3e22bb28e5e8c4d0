// Emits declarations for this package's own sources into .types/, for tsup to bundle into dist/index.d.ts.
// Why not tsup's own declaration step: it compiles with `noEmitOnError` over the whole program, and the
// program includes the API's sources (the router type is read from them), so a declaration-only
// complaint in another package (e.g. TS2742 on a type the API never publishes) would stop this build.
// Here only this package's files are checked and emitted; their errors still fail the build.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

const packageDir = join(import.meta.dirname, '..');
const srcDir = join(packageDir, 'src');
const outDir = join(packageDir, '.types');

const config = ts.getParsedCommandLineOfConfigFile(join(packageDir, 'tsconfig.json'), {}, {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
    throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
  },
});
const options = { ...config.options, noEmit: false, declaration: true, emitDeclarationOnly: true, noEmitOnError: false };
const program = ts.createProgram({ rootNames: config.fileNames.filter((f) => f.startsWith(`${srcDir}/`)), options });

rmSync(outDir, { recursive: true, force: true });
const diagnostics = [];
for (const file of program.getSourceFiles().filter((f) => f.fileName.startsWith(`${srcDir}/`))) {
  diagnostics.push(...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file));
  // Written by hand: the program spans other packages, so outDir alone would mirror their layout.
  const target = join(outDir, relative(srcDir, file.fileName).replace(/\.ts$/, '.d.ts'));
  const write = (_name, text) => {
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text);
  };
  diagnostics.push(...program.emit(file, write, undefined, true).diagnostics);
}
if (diagnostics.length > 0) {
  const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => packageDir, getNewLine: () => '\n' };
  console.error(ts.formatDiagnosticsWithColorAndContext(diagnostics, host));
  process.exit(1);
}
