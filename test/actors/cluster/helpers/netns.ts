import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Hosts in Linux network namespaces, joined by veth pairs to a bridge that lives in a namespace of
 * its own (the "switch"), so the test touches nothing in the root namespace and needs no firewall
 * rules:
 *
 *   <prefix>-sw      bridge br0, and one veth end per host (v-<host>), all up
 *   <prefix>-<host>  eth0 (the other end) with 10.77.0.<n>/24, and lo
 *
 * `cut(host)` sets the host's switch-side veth down: its cable is pulled, the process in it keeps
 * running but nothing it sends arrives and nothing reaches it (no RST, no FIN), so a peer only notices
 * by silence. Commands go through `ip` with argument arrays, never a shell.
 */

export interface Host {
  name: string;
  ns: string;
  ip: string;
}

/** Run `ip` (or `tc`) and throw with its stderr when it fails. */
function run(cmd: 'ip' | 'tc', args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/**
 * Why the multi-host test cannot run here, or undefined when it can: not Linux, not root, no `ip`
 * (iproute2), or the kernel/container refuses a network namespace, a bridge or a veth pair.
 */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return `not root (uid ${process.getuid?.()}): creating network namespaces needs CAP_SYS_ADMIN and CAP_NET_ADMIN`;
  const v = spawnSync('ip', ['-V'], { encoding: 'utf8' });
  if (v.error || v.status !== 0) return `iproute2's \`ip\` is not installed (${v.error?.message ?? v.stderr.trim()})`;
  const probe = `trib-probe-${process.pid}`;
  try {
    run('ip', ['netns', 'add', probe]);
    run('ip', ['-n', probe, 'link', 'add', 'br0', 'type', 'bridge']);
    run('ip', ['-n', probe, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
    run('ip', ['-n', probe, 'link', 'set', 'v0', 'master', 'br0']);
    return undefined;
  } catch (err) {
    return `cannot build a network namespace topology here: ${(err as Error).message}`;
  } finally {
    spawnSync('ip', ['netns', 'del', probe]);
  }
}

/** Namespaces `trib-<pid>-*` left behind by test runs whose process is gone (a crash, a kill -9). */
export function removeStaleNamespaces(): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  const removed: string[] = [];
  for (const line of (r.stdout ?? '').split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = /^trib-(\d+)-/.exec(name);
    if (m === null || Number(m[1]) === process.pid) continue;
    try {
      process.kill(Number(m[1]), 0);
      continue; // that run is still going
    } catch {
      // no such process
    }
    if (spawnSync('ip', ['netns', 'del', name]).status === 0) removed.push(name);
  }
  return removed;
}

export class NetnsTopology {
  readonly hosts = new Map<string, Host>();
  private readonly namespaces: string[] = [];
  private readonly children = new Set<ChildProcess>();
  private readonly sw: string;

  /** `hosts[i]` gets 10.77.0.<first + i>; unique names per process: trib-<pid>-<host>. */
  constructor(
    hosts: readonly { name: string; octet: number }[],
    readonly prefix = `trib-${process.pid}`,
    readonly subnet = '10.77.0',
  ) {
    this.sw = `${prefix}-sw`;
    try {
      this.addNs(this.sw);
      run('ip', ['-n', this.sw, 'link', 'add', 'br0', 'type', 'bridge']);
      run('ip', ['-n', this.sw, 'link', 'set', 'br0', 'up']);
      for (const { name, octet } of hosts) {
        const ns = `${prefix}-${name}`;
        const ip = `${subnet}.${octet}`;
        this.addNs(ns);
        run('ip', ['-n', this.sw, 'link', 'add', `v-${name}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
        run('ip', ['-n', this.sw, 'link', 'set', `v-${name}`, 'master', 'br0']);
        run('ip', ['-n', this.sw, 'link', 'set', `v-${name}`, 'up']);
        run('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
        run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
        run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
        this.hosts.set(name, { name, ns, ip });
      }
    } catch (err) {
      this.destroyNamespaces();
      throw err;
    }
  }

  private addNs(ns: string): void {
    run('ip', ['netns', 'add', ns]);
    this.namespaces.push(ns);
  }

  host(name: string): Host {
    const h = this.hosts.get(name);
    if (h === undefined) throw new Error(`no host ${name}`);
    return h;
  }

  /**
   * Limit what `name` sends (token bucket on its eth0), so a replay's shuffle takes a while on the
   * wire. False when the kernel has no tbf qdisc: the test goes on unthrottled.
   */
  throttle(name: string, rate: string): boolean {
    const r = spawnSync('tc', ['-n', this.host(name).ns, 'qdisc', 'add', 'dev', 'eth0', 'root', 'tbf', 'rate', rate, 'burst', '64kb', 'latency', '2s'], { encoding: 'utf8' });
    return !r.error && r.status === 0;
  }

  /** Pull `name`'s cable: its switch port goes down (the process in it keeps running). */
  cut(name: string): void {
    this.host(name);
    run('ip', ['-n', this.sw, 'link', 'set', `v-${name}`, 'down']);
  }

  /** Bytes `name` sent and received on eth0. */
  traffic(name: string): { tx: number; rx: number } {
    const out = run('ip', ['-n', this.host(name).ns, '-j', '-s', 'link', 'show', 'eth0']);
    const [link] = JSON.parse(out) as { stats64: { tx: { bytes: number }; rx: { bytes: number } } }[];
    return { tx: link!.stats64.tx.bytes, rx: link!.stats64.rx.bytes };
  }

  /** Whether anything in the namespace of process `pid` listens on TCP `port` (/proc/<pid>/net/tcp shows its namespace's sockets). */
  static listening(pid: number, port: number): boolean {
    const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
    try {
      const text = readFileSync(`/proc/${pid}/net/tcp`, 'utf8');
      return text.split('\n').some((l) => {
        const f = l.trim().split(/\s+/);
        return f[1]?.endsWith(hex) === true && f[3] === '0A';
      });
    } catch {
      return false;
    }
  }

  /** Start `command args` inside `name`'s namespace: `ip netns exec <ns> command args` (ip execs it, so the pid is the command's). */
  spawn(name: string, command: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.host(name).ns, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** SIGKILL every process started here that is still running, then delete every namespace (the veths and the bridge go with them). */
  async destroy(): Promise<void> {
    const exits = [...this.children].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGKILL');
          setTimeout(resolve, 5000).unref();
        }),
    );
    await Promise.all(exits);
    this.children.clear();
    this.destroyNamespaces();
  }

  private destroyNamespaces(): void {
    for (const ns of this.namespaces.splice(0).reverse()) spawnSync('ip', ['netns', 'del', ns]);
  }

  /** Namespaces of this topology that still exist (for the cleanup check). */
  remaining(): string[] {
    const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
    return list
      .split('\n')
      .map((l) => l.split(' ')[0] ?? '')
      .filter((n) => n.startsWith(`${this.prefix}-`));
  }
}
