import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The parts of a V8 `.cpuprofile` (what `node --cpu-prof` writes) this reads. */
interface CpuProfile {
  /** µs on the monotonic clock (the same clock as process.hrtime on Linux). */
  startTime: number;
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
}

const VM_FRAMES = new Set(['(root)', '(program)', '(idle)', '(garbage collector)']);
const WORKSPACE = fileURLToPath(new URL('../../../', import.meta.url));

/** Where code lives, coarse enough to act on: an npm package, a workspace file, a Node subsystem, or the VM. */
function areaOf(url: string, functionName: string): string {
  if (!url) return VM_FRAMES.has(functionName) ? functionName : '(native)';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = path.slice(nm + '/node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (path.startsWith('node:internal/')) return `node:${path.split('/')[1]}`;
  if (path.startsWith('node:')) return path;
  return path.startsWith(WORKSPACE) ? path.slice(WORKSPACE.length) : path;
}

function shortLocation(url: string): string {
  const area = areaOf(url, '');
  const file = url.slice(url.lastIndexOf('/') + 1);
  return area.endsWith(file) ? area : `${area}/${file}`;
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  /** Self time by area, busiest first. */
  areas: Array<[string, number]>;
  /** Self time by function. */
  self: Array<[string, number]>;
  /** Time with the function anywhere on the stack (each sample counted once per function). */
  inclusive: Array<[string, number]>;
  /**
   * Time with the area anywhere on the stack. Exact for libraries that do not call onward (drizzle,
   * postgres, pino, the AWS SDK); middleware frameworks (express, router, helmet) also hold the
   * frames of whatever runs after them.
   */
  areasInclusive: Array<[string, number]>;
}

/** `window` (monotonic µs) keeps only the samples taken inside it, e.g. the measured run without start-up and warm-up. */
export function summarizeProfile(file: string, window?: { startUs: number; endUs: number }): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = new Map(
    profile.nodes.map((n) => {
      const { functionName, url, lineNumber } = n.callFrame;
      const name = functionName || '(anonymous)';
      return [n.id, url ? `${name} ${shortLocation(url)}:${lineNumber + 1}` : name];
    }),
  );
  const add = (map: Map<string, number>, key: string, ms: number) => map.set(key, (map.get(key) ?? 0) + ms);
  const areas = new Map<string, number>();
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const areasInclusive = new Map<string, number>();
  const areaOfNode = new Map(profile.nodes.map((n) => [n.id, areaOf(n.callFrame.url, n.callFrame.functionName)]));
  let totalMs = 0;
  let idleMs = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (window && (at < window.startUs || at > window.endUs)) return;
    const ms = delta / 1000;
    const node = byId.get(id)!;
    totalMs += ms;
    if (node.callFrame.functionName === '(idle)') {
      idleMs += ms;
      return;
    }
    add(areas, areaOf(node.callFrame.url, node.callFrame.functionName), ms);
    add(self, keyOf.get(id)!, ms);
    const seen = new Set<string>();
    const seenAreas = new Set<string>();
    for (let frame: number | undefined = id; frame !== undefined; frame = parent.get(frame)) {
      const key = keyOf.get(frame)!;
      if (!VM_FRAMES.has(key) && !seen.has(key)) {
        seen.add(key);
        add(inclusive, key, ms);
      }
      const area = areaOfNode.get(frame)!;
      if (!VM_FRAMES.has(area) && !seenAreas.has(area)) {
        seenAreas.add(area);
        add(areasInclusive, area, ms);
      }
    }
  });
  const sorted = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]);
  return {
    totalMs,
    idleMs,
    areas: sorted(areas),
    self: sorted(self),
    inclusive: sorted(inclusive),
    areasInclusive: sorted(areasInclusive),
  };
}

export function formatProfileSummary(name: string, summary: ProfileSummary, requests?: number): string {
  const busy = summary.totalMs - summary.idleMs;
  const pct = (ms: number) => `${((ms / busy) * 100).toFixed(1).padStart(5)}%`;
  const list = (rows: Array<[string, number]>, n: number) => rows.slice(0, n).map(([k, ms]) => `  ${pct(ms)}  ${ms.toFixed(0).padStart(7)} ms  ${k}`);
  return [
    `== ${name}: ${busy.toFixed(0)} ms busy of ${summary.totalMs.toFixed(0)} ms sampled` +
      (requests ? ` (${((busy * 1000) / requests).toFixed(0)} us busy per request, profiler on)` : ''),
    'self time by area:',
    ...list(summary.areas, 20),
    'inclusive time by area (middleware frameworks include what runs after them):',
    ...list(summary.areasInclusive, 30),
    'self time by function:',
    ...list(summary.self, 25),
    'inclusive time by function:',
    ...list(summary.inclusive, 80),
  ].join('\n');
}

// `tsx src/profile/summarize.ts <file.cpuprofile>…` prints the summary of profiles taken by hand.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const file of process.argv.slice(2)) console.log(formatProfileSummary(file, summarizeProfile(file)));
}
