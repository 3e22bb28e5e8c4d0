import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketsHolding, mp3Bytes } from '../tracks/helpers.js';
import { createDeveloperToken, startRestStack, type RestStack } from './support/stack.js';

/**
 * A TypeScript client generated from the live /openapi.json (openapi-typescript types + openapi-fetch),
 * compiled with tsc in a directory of its own, then run against the API: it uploads, gates, plays and
 * un-gates a track with a developer token.
 */

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const PROGRAM = join(import.meta.dirname, 'generated-client', 'track-life.ts');
const TSC = require.resolve('typescript/bin/tsc');

let stack: RestStack;
let dir: string;

/** The package folder of a dependency, for the temp project's node_modules. */
function packageDir(name: string, from = require): string {
  return dirname(from.resolve(`${name}/package.json`));
}

beforeAll(async () => {
  stack = await startRestStack();
  dir = mkdtempSync(join(tmpdir(), 'plyr-openapi-client-'));
  mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
  symlinkSync(packageDir('openapi-fetch'), join(dir, 'node_modules', 'openapi-fetch'));
  symlinkSync(packageDir('@types/node', createRequire(require.resolve('typescript'))), join(dir, 'node_modules', '@types', 'node'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'out', types: ['node'] },
      include: ['*.ts'],
    }),
  );
  copyFileSync(PROGRAM, join(dir, 'track-life.ts'));
});

afterAll(async () => {
  await stack?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a client generated from /openapi.json', () => {
  it('compiles against the generated types and walks a track through its life', async () => {
    const document = await (await fetch(`${stack.app.url}/openapi.json`)).json();
    writeFileSync(join(dir, 'schema.d.ts'), astToString(await openapiTS(document)));
    await run(process.execPath, [TSC, '-p', join(dir, 'tsconfig.json')], { timeout: 120_000 }).catch((err: { stdout: string }) => {
      throw new Error(`the generated client does not compile:\n${err.stdout}`);
    });

    const token = await createDeveloperToken(stack.app, stack.artist, 'generated client');
    const file = join(dir, 'song.mp3');
    writeFileSync(file, mp3Bytes(5_000));
    const { stdout } = await run(process.execPath, [join(dir, 'out', 'track-life.js'), stack.app.url, token, file], { timeout: 120_000 });
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({
      signedOut: 401,
      artistRedirect: 307,
      playedMatches: true,
      publicStatus: 307,
      publicLocation: `${stack.app.ctx.env.cdnBaseUrl}/audio/${result.fileId}.mp3`,
      missing: { status: 404, code: 'NOT_FOUND' },
    });
    expect(await bucketsHolding(stack.app, { fileId: result.fileId, fileType: 'mp3' })).toEqual(['public']);
  });
});
