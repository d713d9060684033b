import type { KubeTarget } from './kubeClient.js';

/** The flags every Kubernetes command (deploy, scale, status, teardown) takes, as kubectl spells them. */
export interface KubeFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

/** KubeFlags without the ones not given (the API types are exact about optional fields). */
export function kubeTarget(flags: KubeFlags): KubeTarget {
  return {
    ...(flags.kubeconfig !== undefined && { kubeconfig: flags.kubeconfig }),
    ...(flags.context !== undefined && { context: flags.context }),
    ...(flags.namespace !== undefined && { namespace: flags.namespace }),
  };
}

/** A whole number ≥ 0 from a flag or argument, or an error naming it. */
export function parseCount(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) throw new Error(`${what} must be a whole number ≥ 0, got "${text}"`);
  return n;
}
