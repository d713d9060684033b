import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { compileFeatureSet } from '../../pipelines/compile/compileFeatureSet.js';
import { formatDuration } from '../../pipelines/data/duration.js';
import { formatTime } from '../../pipelines/data/time.js';
import { loadConfig } from '../../sdk/config/loadConfig.js';
import { registryFor } from '../../sdk/replay.js';
import { EventLog } from '../../store/log/eventLog.js';
import { table } from '../format.js';

/**
 * `tributary inspect <config>`: the sources (and what their logs hold), the features with their
 * identities, the dependency graph, and the row counts of the last replay's tables.
 */
export async function inspectCommand(file: string, flags: { json?: boolean }, out: (line: string) => void): Promise<number> {
  const config = loadConfig(file);
  const compiled = compileFeatureSet(config, await registryFor(config));
  const logDir = join(config.dataDir, 'log');
  const log = existsSync(logDir) ? await EventLog.open(logDir) : undefined;
  const sources = Object.values(config.sources).map((s) => {
    const l = log?.source(s.name);
    return {
      name: s.name,
      time: s.time,
      keys: s.keys,
      lateness: formatDuration(s.lateness),
      columns: s.columns,
      derive: s.derive,
      logRows: l?.rowCount ?? 0,
      segments: l?.segments.length ?? 0,
      timeRange: l?.timeRange,
    };
  });
  const features = compiled.nodes.map((n) => ({
    names: n.names,
    definition: n.definition.name,
    kind: n.kind,
    source: n.source,
    key: n.key,
    identity: n.identity,
    stepId: n.stepId,
    inputs: n.inputs,
    columns: Object.fromEntries(n.columns),
  }));
  const derived = compiled.derived.map((d) => ({ name: d.name, source: d.source ?? "(fetch time)", expr: d.expression.text, uses: [...d.uses] }));
  const tables = compiled.tables.map((t) => {
    const path = join(config.dataDir, 'features', `${t.name}.arrow`);
    const rows = existsSync(path) ? tableFromIPC(readFileSync(path)).numRows : undefined;
    return { ...t, file: path, rows };
  });
  if (flags.json) {
    out(JSON.stringify({ name: config.name, dataDir: config.dataDir, sources, features, derived, tables }, null, 2));
    return 0;
  }
  out(`feature set ${config.name} (${config.file}), data in ${config.dataDir}\n`);
  out('sources');
  out(table(sources.map((s) => [s.name, s.time, s.keys.join(',') || '-', s.lateness, Object.keys(s.columns).length, s.logRows, s.segments, s.timeRange ? `${formatTime(s.timeRange.min)} .. ${formatTime(s.timeRange.max)}` : '-']), ['source', 'time', 'keys', 'lateness', 'columns', 'log rows', 'segments', 'time range']));
  out('\nfeatures');
  out(table(features.map((f) => [f.names.join(' = '), f.definition, f.kind, f.source, f.key.join(',') || '(global)', f.identity.slice(0, 12), Object.values(f.columns).flat().join(', ')]), ['feature', 'definition', 'kind', 'source', 'key', 'identity', 'columns']));
  out('\ndependency graph');
  for (const s of sources) {
    const pit = features.filter((f) => f.source === s.name && f.kind === 'pointInTime');
    const win = features.filter((f) => f.source === s.name && f.kind === 'windowed');
    const der = derived.filter((d) => d.source === s.name);
    if (pit.length + der.length > 0) {
      out(`  ${s.name} ─▶ reorder ─▶ ${pit.map((f) => f.names.join('=')).join(' ─▶ ')}${der.length ? ` ─▶ derive(${der.map((d) => d.name).join(', ')})` : ''} ─▶ table ${s.name}`);
    }
    for (const f of win) out(`  ${s.name} ─▶ ${f.names.join('=')} ─▶ table ${f.names.join(', ')}`);
  }
  for (const d of derived) out(`  ${d.name} ◀─ ${d.uses.join(', ')}`);
  out('\ntables (last replay)');
  out(table(tables.map((t) => [t.name, t.kind, t.rows ?? 'not written', t.file]), ['table', 'kind', 'rows', 'file']));
  return 0;
}
