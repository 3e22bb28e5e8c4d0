import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npmInstallInto, packInto, run } from '@plyr/testing/tarball';

/**
 * A browser project's view of the published declarations: the SDK's tarball installed with TypeScript
 * and nothing else (no `@types/node`), compiled with the DOM libs and full library checking
 * (no `skipLibCheck`), under bundler and under nodenext resolution.
 */

const packageDir = join(import.meta.dirname, '..');
const projectDir = join(import.meta.dirname, 'browser-project');

let appDir: string;

beforeAll(async () => {
  appDir = await mkdtemp(join(tmpdir(), 'plyr-browser-project-'));
  const [tarball] = await packInto(appDir, [packageDir]);
  await npmInstallInto(appDir, [`./${tarball}`, 'typescript@5.9.3']);
  for (const file of ['main.ts', 'wrong.ts', 'tsconfig.bundler.json', 'tsconfig.nodenext.json']) {
    await copyFile(join(projectDir, file), join(appDir, file));
  }
}, 300_000);

afterAll(async () => {
  if (appDir) await rm(appDir, { recursive: true, force: true });
});

/** `tsc -p <config>`'s errors as `file(line,col) TSxxxx`, with the options it ran with. */
async function compile(config: string): Promise<{ errors: string[]; code: number; options: Record<string, unknown> }> {
  const tsc = join(appDir, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = await run(process.execPath, [tsc, '-p', config], { cwd: appDir, timeoutMs: 110_000 });
  const shown = await run(process.execPath, [tsc, '-p', config, '--showConfig'], { cwd: appDir, timeoutMs: 60_000 });
  const errors = result.stdout
    .split('\n')
    .filter((line) => /error TS\d+/.test(line))
    .map((line) => line.replace(/: error (TS\d+):.*/, ' $1'));
  return { errors, code: result.code, options: (JSON.parse(shown.stdout) as { compilerOptions: Record<string, unknown> }).compilerOptions };
}

describe('the SDK in a browser project (DOM libs, no @types/node, no skipLibCheck)', () => {
  it('installs without Node types', async () => {
    const lock = JSON.parse(await readFile(join(appDir, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
    expect(Object.keys(lock.packages)).not.toContain('node_modules/@types/node');
  });

  for (const config of ['tsconfig.bundler.json', 'tsconfig.nodenext.json']) {
    it(`${config}: the declarations and tRPC's compile; only the deliberate mistake is refused`, { timeout: 240_000 }, async () => {
      const { errors, code, options } = await compile(config);
      expect(options).toMatchObject({ target: 'es2022', lib: ['es2022', 'dom', 'dom.iterable'], strict: true });
      expect(options).not.toHaveProperty('skipLibCheck');
      expect(options).not.toHaveProperty('types');
      expect(errors).toEqual(['wrong.ts(5,14) TS2322']);
      expect(code).not.toBe(0);
    });
  }
});
