import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { table } from './report.js';

/**
 * Reads the `.cpuprofile` files that `node --cpu-prof` leaves and says where the time went:
 * self time by place (a package under node_modules, a project file, node's internals, GC) and
 * by function. Enough to point at the expensive part without opening DevTools.
 */

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly byPlace: readonly { place: string; ms: number }[];
  readonly byFunction: readonly { fn: string; ms: number }[];
  /** Inclusive time of the project's own functions (src/): what each costs with all it calls. */
  readonly projectInclusive: readonly { fn: string; ms: number }[];
}

function placeOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1] ?? ''}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) return url;
  const project = url.match(/\/(src|bench|test)\/(.*)$/);
  return project ? `${project[1]}/${project[2]}` : url;
}

export async function summariseProfiles(dir: string): Promise<ProfileSummary> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
  const place = new Map<string, number>();
  const fn = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let totalMs = 0;
  for (const file of files) {
    const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile;
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const label = (n: ProfileNode, where: string): string => `${n.callFrame.functionName || '(anonymous)'} ${where}:${n.callFrame.lineNumber + 1}`;
    profile.samples.forEach((id, i) => {
      const node = nodes.get(id);
      const ms = (profile.timeDeltas[i] ?? 0) / 1000;
      if (!node || node.callFrame.functionName === '(idle)') return;
      totalMs += ms;
      // A native frame (writev, a hash) is charged to the nearest JavaScript caller's place.
      let owner: ProfileNode | undefined = node;
      while (owner && !owner.callFrame.url && !owner.callFrame.functionName.startsWith('(')) owner = nodes.get(parent.get(owner.id) ?? -1);
      const where = owner ? placeOf(owner.callFrame.url, owner.callFrame.functionName) : '(native)';
      place.set(where, (place.get(where) ?? 0) + ms);
      const selfWhere = placeOf(node.callFrame.url, node.callFrame.functionName);
      const name = label(node, node.callFrame.url ? selfWhere : `${selfWhere} in ${where}`);
      fn.set(name, (fn.get(name) ?? 0) + ms);
      const seen = new Set<string>();
      for (let at: ProfileNode | undefined = node; at; at = nodes.get(parent.get(at.id) ?? -1)) {
        const w = placeOf(at.callFrame.url, at.callFrame.functionName);
        if (!w.startsWith('src/')) continue;
        const key = label(at, w);
        if (seen.has(key)) continue;
        seen.add(key);
        inclusive.set(key, (inclusive.get(key) ?? 0) + ms);
      }
    });
  }
  const top = <K extends string>(m: Map<string, number>, key: K, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, ms]) => ({ [key]: k, ms }) as { [P in K]: string } & { ms: number });
  return { totalMs, byPlace: top(place, 'place', 15), byFunction: top(fn, 'fn', 15), projectInclusive: top(inclusive, 'fn', 15) };
}

/** The summary as two small tables (self time, busy samples only). */
export function formatProfile(summary: ProfileSummary): string {
  const share = (ms: number): string => `${((ms / summary.totalMs) * 100).toFixed(1)}%`;
  return [
    `busy CPU in the profile: ${Math.round(summary.totalMs)} ms (self time, idle excluded)`,
    table([['place', 'ms', 'share'], ...summary.byPlace.map((p) => [p.place, String(Math.round(p.ms)), share(p.ms)])]),
    '',
    table([['function (self)', 'ms', 'share'], ...summary.byFunction.map((f) => [f.fn, String(Math.round(f.ms)), share(f.ms)])]),
    '',
    table([['project function (inclusive)', 'ms', 'share'], ...summary.projectInclusive.map((f) => [f.fn, String(Math.round(f.ms)), share(f.ms)])]),
  ].join('\n');
}
