import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/** What npm ships: `dist/` as built by `pnpm build` (the root `pnpm test` builds it first). */

const packageDir = join(import.meta.dirname, '..');
const run = promisify(execFile);

/** Module specifiers a file imports: import declarations, re-exports, `import("…")` types and calls. */
function importedModules(source: string): string[] {
  const { importedFiles } = ts.preProcessFile(source, true, true);
  return [...new Set(importedFiles.map((f) => f.fileName))].sort();
}

describe('the published package', () => {
  it('declarations are one self-contained file: only the tRPC packages are referenced, nothing of the server', async () => {
    const dts = await readFile(join(packageDir, 'dist', 'index.d.ts'), 'utf8');
    expect(importedModules(dts)).toEqual(['@trpc/client', '@trpc/server']);
    expect(dts).not.toMatch(/@plyr\/|express|drizzle|ioredis|pino|@atproto|services/i);
    // The router is there in full: a procedure from each namespace, with the viewer-resolved flag.
    for (const name of ['exchange:', 'createUpload:', 'supportedArtists:', 'likedTracks:', 'gated: boolean;']) expect(dts).toContain(name);
  });

  it('at run time it imports @trpc/client and nothing else (no server code, no Node built-ins)', async () => {
    const js = await readFile(join(packageDir, 'dist', 'index.js'), 'utf8');
    expect(importedModules(js)).toEqual(['@trpc/client']);
  });

  it('the manifest: ESM with types, dist only, tRPC as its only dependencies, a version', async () => {
    const manifest = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      name: '@plyr/client',
      version: expect.stringMatching(/^\d+\.\d+\.\d+$/),
      type: 'module',
      exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' } },
      files: ['dist', 'README.md', 'CHANGELOG.md'],
    });
    expect(Object.keys(manifest.dependencies as object).sort()).toEqual(['@trpc/client', '@trpc/server']);
  });

  it('are-the-types-wrong finds no problem for ESM consumers (node16 and bundler resolution)', { timeout: 120_000 }, async () => {
    const attw = join(packageDir, 'node_modules', '.bin', 'attw');
    const result = await run(attw, ['--pack', '.', '--profile', 'esm-only', '--format', 'json'], { cwd: packageDir, timeout: 110_000 }).catch(
      (err: { stdout?: string; code?: number }) => ({ stdout: err.stdout ?? '', failed: err.code }),
    );
    type Problem = { kind: string; resolutionKind?: string };
    const report = JSON.parse(result.stdout) as { analysis: { types: unknown }; problems: Record<string, Problem[]> };
    expect('failed' in result ? result.failed : 0).toBe(0);
    expect(report.analysis.types).not.toBe(false);
    // The esm-only profile leaves out CommonJS `require` (node16-cjs) and pre-exports Node (node10).
    const esmProblems = Object.values(report.problems)
      .flat()
      .filter((p) => p.resolutionKind !== 'node16-cjs' && p.resolutionKind !== 'node10');
    expect(esmProblems).toEqual([]);
  });
});
