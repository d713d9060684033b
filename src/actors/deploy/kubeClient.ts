import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

/** Which cluster and namespace: the `--kubeconfig`, `--context` and `--namespace` flags. */
export interface KubeTarget {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

export interface KubeConnection {
  config: KubeConfig;
  context: string;
  /** The API server URL, for messages. */
  server: string;
  namespace: string;
}

/**
 * The user's kubeconfig, as kubectl finds it: `--kubeconfig`, else $KUBECONFIG, else ~/.kube/config,
 * else the in-cluster service account. The namespace is `--namespace`, else the context's, else `default`.
 *
 * Unlike a bare `loadFromDefault()`, it refuses to go on when no kubeconfig exists at all: the
 * client would otherwise fall back to http://localhost:8080 and fail with a confusing connection error.
 *
 * @example
 * const k = connect({ context: 'staging', namespace: 'fraud' });
 * k.config.makeApiClient(AppsV1Api);
 */
export function connect(target: KubeTarget, env: NodeJS.ProcessEnv = process.env): KubeConnection {
  const config = new KubeConfig();
  if (target.kubeconfig !== undefined) {
    if (!existsSync(target.kubeconfig)) throw new Error(`--kubeconfig ${target.kubeconfig}: no such file`);
    config.loadFromFile(target.kubeconfig);
  } else {
    const inCluster = env.KUBERNETES_SERVICE_HOST !== undefined;
    const fromEnv = env.KUBECONFIG !== undefined && env.KUBECONFIG !== '';
    if (!fromEnv && !inCluster && !existsSync(join(env.HOME ?? homedir(), '.kube', 'config'))) {
      throw new Error('no kubeconfig: give --kubeconfig <file>, set KUBECONFIG, or create ~/.kube/config');
    }
    config.loadFromDefault();
  }
  if (target.context !== undefined) {
    const names = config.getContexts().map((c) => c.name);
    if (!names.includes(target.context)) throw new Error(`--context ${target.context}: not in the kubeconfig (it has ${names.join(', ') || 'no contexts'})`);
    config.setCurrentContext(target.context);
  }
  const context = config.getCurrentContext();
  const cluster = config.getCurrentCluster();
  if (cluster === null) throw new Error(`the kubeconfig's current context "${context}" names no cluster`);
  const namespace = target.namespace ?? config.getContextObject(context)?.namespace ?? 'default';
  return { config, context, server: cluster.server, namespace };
}
