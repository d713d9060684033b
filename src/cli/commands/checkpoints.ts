import { CheckpointStore } from '../../actors/cluster/checkpointStore.js';
import { loadConfig } from '../../sdk/config/loadConfig.js';

export interface CheckpointsFlags {
  prune?: string;
  dataDir?: string;
  json?: boolean;
}

/**
 * `tributary checkpoints <config>`: the complete checkpoints of a feature set's cluster runs, oldest
 * first (id, time, source offsets, nodes and their key groups, state size); `--prune N` keeps the N
 * newest.
 */
export async function checkpointsCommand(file: string, flags: CheckpointsFlags, out: (line: string) => void): Promise<number> {
  const config = loadConfig(file, flags.dataDir !== undefined ? { dataDir: flags.dataDir } : {});
  const store = new CheckpointStore(config.dataDir, config.name);
  if (flags.prune !== undefined) {
    const keep = Number(flags.prune);
    if (!Number.isInteger(keep) || keep < 1) throw new Error(`--prune "${flags.prune}" must be a whole number of at least 1`);
    const removed = await store.prune(keep);
    out(removed.length === 0 ? 'nothing to prune' : `removed checkpoint${removed.length > 1 ? 's' : ''} ${removed.join(', ')}`);
  }
  const list = await store.list();
  if (flags.json) {
    out(JSON.stringify(list, null, 2));
    return 0;
  }
  if (list.length === 0) {
    out(`no checkpoints of ${config.name} in ${store.dir}`);
    return 0;
  }
  out(`checkpoints of ${config.name} (${store.dir}):`);
  for (const m of list) {
    const offsets = Object.entries(m.sources).map(([s, o]) => `${s}@${o.offset}`).join(' ');
    const nodes = Object.entries(m.nodes).map(([n, g]) => `${n}:${g.length}`).join(' ');
    out(`  ${String(m.id).padStart(4)}  ${m.createdAt}  ${offsets}  nodes ${nodes}  ${m.states} key-group states, ${(m.bytes / 1024).toFixed(1)} KiB`);
  }
  return 0;
}
