import type { CompiledFeatureSet, FeatureNode } from '../../pipelines/compile/compileFeatureSet.js';

/** Hidden column carrying each row's number in its source stream, so the main thread can restore the local order. */
export const ROW_COLUMN = '__tributary_row';

/**
 * A lane: the features of one source that share one key. A lane's rows are split by the key group
 * of that key, so every worker sees all events of the keys it owns; features keyed differently
 * from each other are in different lanes (each lane is its own keyed shuffle of the source).
 */
export interface LaneSpec {
  id: number;
  source: string;
  key: string[];
  /** Feature names computed in this lane (every name of its nodes). */
  features: string[];
  /** Whether it has point-in-time features (it then produces the source's events rows). */
  pointInTime: boolean;
  /** The first point-in-time lane of its source: its events rows carry the source columns, and its late events are reported. */
  primary: boolean;
  /** Its state spans keys (see crossKeyState): every row goes to the owner of key group 0. */
  serial: boolean;
}

export interface LanePlan {
  lanes: LaneSpec[];
  /** Things the user should know (a feature kept on one worker, and why). */
  notes: string[];
}

/**
 * Why a feature's state is not a function of its own key's events alone (so splitting its rows by
 * key would change its values), or undefined when it is key-local, as features normally are.
 * A definition may say so itself with `keyLocal(params)`; known cases are listed here.
 */
export function crossKeyState(n: FeatureNode): string | undefined {
  const hook = (n.definition as { keyLocal?: unknown }).keyLocal;
  if (typeof hook === 'function') return (hook as (p: unknown) => boolean)(n.params) ? undefined : `${n.definition.name} keeps state across keys`;
  if (n.definition.name === 'user_period_features') {
    const histograms = (n.params as { histograms?: { column: string; values?: unknown }[] }).histograms ?? [];
    const learned = histograms.find((h) => h.values === undefined);
    if (learned !== undefined) return `its histogram of ${learned.column} learns its slots from the first values seen across all keys (declare values: to split it by key)`;
  }
  return undefined;
}

/**
 * The lanes of a feature set: per source, its features grouped by key (in config order), or why
 * the feature set cannot run on threads (the caller then runs it locally). A feature whose state
 * spans keys gets a lane of its own that runs on one worker ("serial"), so its values stay exact.
 */
export function planLanes(compiled: CompiledFeatureSet, sources: readonly string[]): LanePlan | { unsupported: string } {
  const lanes: LaneSpec[] = [];
  const notes: string[] = [];
  for (const source of sources) {
    const src = compiled.config.sources[source];
    if (src === undefined) return { unsupported: `unknown source "${source}"` };
    const groups = new Map<string, { serial: boolean; nodes: FeatureNode[] }>();
    for (const n of compiled.nodes) {
      if (n.source !== source) continue;
      const missing = n.key.find((c) => !(c in src.columns) && !(c in src.derive));
      if (missing !== undefined) return { unsupported: `feature ${n.names[0]} is keyed on "${missing}", which is not a column of source "${source}"` };
      const why = crossKeyState(n);
      if (why !== undefined) notes.push(`threads executor: feature ${n.names[0]} runs on one worker: ${why}`);
      const k = `${JSON.stringify(n.key)}${why === undefined ? '' : '#serial'}`;
      const g = groups.get(k) ?? { serial: why !== undefined, nodes: [] };
      g.nodes.push(n);
      groups.set(k, g);
    }
    let primary = false;
    for (const { serial, nodes } of groups.values()) {
      const pointInTime = nodes.some((n) => n.kind === 'pointInTime');
      lanes.push({
        id: lanes.length,
        source,
        key: nodes[0]!.key,
        features: nodes.flatMap((n) => n.names),
        pointInTime,
        primary: pointInTime && !primary,
        serial,
      });
      if (pointInTime) primary = true;
    }
    const events = compiled.tables.find((t) => t.kind === 'events' && t.source === source);
    if (events !== undefined && !primary) return { unsupported: `the events table of "${source}" has derived features but no point-in-time feature` };
  }
  return { lanes, notes };
}
