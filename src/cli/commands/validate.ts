import { compileFeatureSet } from '../../pipelines/compile/compileFeatureSet.js';
import { loadConfig } from '../../sdk/config/loadConfig.js';
import { registryFor } from '../../sdk/replay.js';

/** `tributary validate <config>`: check the config and everything it names, without running it. */
export async function validateCommand(file: string, out: (line: string) => void): Promise<number> {
  const config = loadConfig(file);
  const compiled = compileFeatureSet(config, await registryFor(config));
  const features = config.features.length;
  const shared = compiled.nodes.filter((n) => n.names.length > 1);
  out(`${file}: valid — ${Object.keys(config.sources).length} sources, ${features} features, ${compiled.tables.length} output tables`);
  for (const n of shared) out(`  ${n.names.join(', ')} have the same identity and are computed once`);
  return 0;
}
