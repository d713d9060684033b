import { resolve } from 'node:path';
import { generateCurveKeys } from '../../actors/cluster/curve.js';
import { NAMES } from '../../actors/deploy/names.js';

export interface KeysFlags {
  /** Replace keys already in the directory. */
  force?: boolean;
}

/**
 * `tributary keys <dir> [--force]`: write a fresh CURVE key directory (server and client keypairs,
 * authorized_keys) for `--curve-dir` or the `tributary-curve` Secret. Refuses to replace keys unless --force.
 *
 * Wire it in main.ts:
 *   program.command('keys').argument('<dir>', 'directory to write the CURVE keys to')
 *     .description('generate ZeroMQ CURVE keys for the cluster (the tributary-curve Secret)')
 *     .option('--force', 'replace keys already in the directory')
 *     .action((dir: string, flags) => run(() => keysCommand(dir, flags, out))());
 *
 * @example
 * // tributary keys ./curve
 * // kubectl create secret generic tributary-curve --from-file=./curve -n fraud
 */
export async function keysCommand(dir: string, flags: KeysFlags, out: (line: string) => void): Promise<number> {
  const r = await generateCurveKeys(dir, { ...(flags.force && { force: true }) });
  const shown = resolve(r.dir);
  out(`wrote CURVE keys to ${shown}: ${r.files.join(', ')}`);
  out(`  server public key ${r.serverPublicKey}`);
  out(`  client public key ${r.clientPublicKey}`);
  out(`for Kubernetes: kubectl create secret generic ${NAMES.curveSecret} --from-file=${shown} -n <namespace>`);
  if (flags.force) out('replaced existing keys: every node and the coordinator need the new ones (restart them)');
  return 0;
}
