import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@plyr/testing';

/** How often HAProxy asks each instance's `/ready`, and after how many failed answers it takes it out. */
export const CHECK_INTERVAL_MS = 500;
export const CHECK_FALL = 2;
export const CHECK_RISE = 2;

/** Debian installs it under /usr/sbin, which a non-root PATH may lack. */
const HAPROXY = existsSync('/usr/sbin/haproxy') ? '/usr/sbin/haproxy' : 'haproxy';

export interface Backend {
  name: string;
  port: number;
}

export interface HaProxy {
  /** The balanced API, as clients and PUBLIC_URL see it. */
  url: string;
  /** Status per server as HAProxy sees it now (`UP`, `DOWN`, `UP 1/2`, …). */
  servers(): Promise<Record<string, string>>;
  close(): Promise<void>;
}

/**
 * HAProxy (Debian's package) in the foreground with a generated configuration on loopback ports:
 * round robin over the instances, each health-checked on `/ready`. No retries and no redispatch, so
 * a request an instance drops reaches the client as an error: draining is the instance's job.
 */
export async function startHaProxy(port: number, backends: Backend[]): Promise<HaProxy> {
  const statsPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'plyr-haproxy-'));
  const config = join(dir, 'haproxy.cfg');
  writeFileSync(
    config,
    [
      'global',
      '  maxconn 2000',
      'defaults',
      '  mode http',
      '  timeout connect 2s',
      '  timeout client 30s',
      '  timeout server 30s',
      '  timeout check 2s',
      '  retries 0',
      '  option httpchk',
      '  http-check send meth GET uri /ready',
      `  default-server inter ${CHECK_INTERVAL_MS}ms fall ${CHECK_FALL} rise ${CHECK_RISE}`,
      'frontend api',
      `  bind 127.0.0.1:${port}`,
      '  option forwardfor',
      '  default_backend plyr',
      'backend plyr',
      '  balance roundrobin',
      ...backends.map((b) => `  server ${b.name} 127.0.0.1:${b.port} check`),
      'frontend stats',
      `  bind 127.0.0.1:${statsPort}`,
      '  stats enable',
      '  stats uri /stats',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(HAPROXY, ['-db', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const servers = async (): Promise<Record<string, string>> => {
    const csv = await (await fetch(`http://127.0.0.1:${statsPort}/stats;csv`, { signal: AbortSignal.timeout(5_000) })).text();
    const [header, ...rows] = csv.trim().split('\n');
    const columns = header!.replace(/^# /, '').split(',');
    const status = columns.indexOf('status');
    const out: Record<string, string> = {};
    for (const row of rows.map((r) => r.split(','))) {
      if (row[0] === 'plyr' && row[1] !== 'BACKEND') out[row[1]!] = row[status]!;
    }
    return out;
  };

  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}: ${stderr}`);
    const up = await servers().catch(() => null);
    if (up && Object.keys(up).length === backends.length) break;
    if (i > 200) {
      await close();
      throw new Error(`haproxy did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `http://localhost:${port}`, servers, close };
}
