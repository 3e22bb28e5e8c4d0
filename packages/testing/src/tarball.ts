import { execFile } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';

/**
 * A third-party developer's setup: a workspace package packed with `pnpm pack` and installed with npm
 * into a folder outside the workspace, so only its declared dependencies come along, from the registry.
 */

export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; a non-zero exit is an outcome to assert on, not an exception. */
export function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number; input?: string },
): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      { cwd: options.cwd, env: options.env, timeout: options.timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') reject(Object.assign(err, { stdout, stderr }));
        else resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
      },
    );
    // Always ended, so a command that reads stdin sees end-of-file instead of waiting forever.
    child.stdin?.end(options.input ?? '');
  });
}

/** The environment without what pnpm injects for its own scripts, so npm behaves as in an empty shell. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(npm|pnpm)_/i.test(key)));
  return { ...env, ...extra };
}

/** `pnpm pack`s each package into `dir`; the tarballs' file names, in the same order. */
export async function packInto(dir: string, packageDirs: string[]): Promise<string[]> {
  const names: string[] = [];
  for (const packageDir of packageDirs) {
    const before = new Set(await readdir(dir));
    const packed = await run('pnpm', ['pack', '--pack-destination', dir], { cwd: packageDir, env: cleanEnv(), timeoutMs: 60_000 });
    if (packed.code !== 0) throw new Error(`pnpm pack failed in ${packageDir}:\n${packed.stdout}${packed.stderr}`);
    const tarball = (await readdir(dir)).find((f) => f.endsWith('.tgz') && !before.has(f));
    if (!tarball) throw new Error(`pnpm pack wrote no tarball for ${packageDir}`);
    names.push(tarball);
  }
  return names;
}

/** An empty ESM project in `dir` with `specs` installed by npm (tarballs as `./name.tgz`). */
export async function npmInstallInto(dir: string, specs: string[]): Promise<void> {
  await writeFile(`${dir}/package.json`, JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const installed = await run('npm', ['install', '--no-audit', '--no-fund', ...specs], { cwd: dir, env: cleanEnv(), timeoutMs: 180_000 });
  if (installed.code !== 0) throw new Error(`npm install failed:\n${installed.stdout}${installed.stderr}`);
}
