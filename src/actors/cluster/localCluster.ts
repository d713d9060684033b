import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Coordinator, type CoordinatorOptions } from './coordinator.js';

const CLI = fileURLToPath(new URL('../../../bin/tributary.mjs', import.meta.url));

export interface LocalClusterOptions extends Omit<CoordinatorOptions, 'bind'> {
  /** Node processes to start (default 2). */
  nodes?: number;
  /** Node ids are `<prefix><i>` (default `node-`). */
  prefix?: string;
  /** Start a replacement when a node process dies (as a StatefulSet would). */
  restart?: boolean;
  /** Told of each node's exit and of lines it printed. */
  onNodeLog?: (node: string, line: string) => void;
}

/**
 * A coordinator in this process and N `tributary node` child processes on loopback: the cluster
 * executor on one machine, and what the recovery tests SIGKILL nodes of. The nodes are real
 * processes talking ZeroMQ over TCP, exactly as pods do.
 *
 * @example
 * const cluster = await LocalCluster.start({ nodes: 3 });
 * await cluster.coordinator.run({ ...job, nodes: 3 });
 * cluster.kill('node-1');          // SIGKILL
 * await cluster.close();
 */
export class LocalCluster {
  private readonly children = new Map<string, ChildProcess>();
  private closing = false;

  private constructor(
    readonly coordinator: Coordinator,
    private readonly opts: LocalClusterOptions,
  ) {}

  static async start(opts: LocalClusterOptions = {}): Promise<LocalCluster> {
    const coordinator = await Coordinator.start({ ...opts, bind: 'tcp://127.0.0.1:*' });
    const cluster = new LocalCluster(coordinator, opts);
    const n = opts.nodes ?? 2;
    for (let i = 0; i < n; i++) cluster.startNode(`${opts.prefix ?? 'node-'}${i}`);
    try {
      await coordinator.waitForMembers(n, 60_000);
    } catch (err) {
      await cluster.close();
      throw err;
    }
    return cluster;
  }

  /** Running node ids. */
  get nodes(): string[] {
    return [...this.children.keys()].sort();
  }

  pidOf(node: string): number | undefined {
    return this.children.get(node)?.pid;
  }

  /** Start a node process (a new one, or a replacement under a lost node's id). */
  startNode(id: string): void {
    const args = [CLI, 'node', '--id', id, '--coordinator', this.coordinator.endpoint, '--data-bind', 'tcp://127.0.0.1:*', '--join-timeout', '60s'];
    if (this.opts.curveDir !== undefined) args.push('--curve-dir', this.opts.curveDir);
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.set(id, child);
    const forward = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') this.opts.onNodeLog?.(id, line);
    };
    child.stdout!.on('data', forward);
    child.stderr!.on('data', forward);
    child.on('exit', (code, signal) => {
      if (this.children.get(id) === child) this.children.delete(id);
      if (this.closing) return;
      this.opts.onNodeLog?.(id, `exited (${signal ?? `code ${code}`})`);
      this.coordinator.declareLost(id, `its process exited (${signal ?? `code ${code}`})`);
      if (this.opts.restart) this.startNode(id);
    });
  }

  /** Send a signal to a node process (SIGKILL by default). */
  kill(node: string, signal: NodeJS.Signals = 'SIGKILL'): void {
    const child = this.children.get(node);
    if (child === undefined) throw new Error(`no running node ${node}`);
    child.kill(signal);
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.coordinator.stopNodes('the cluster is closing').catch(() => undefined);
    const exits = [...this.children.values()].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          const t = setTimeout(() => c.kill('SIGKILL'), 3000);
          c.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
        }),
    );
    await Promise.all(exits);
    this.children.clear();
    await this.coordinator.close();
  }
}
