import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const CERT = readFileSync(join(FIXTURES, 'fake-apiserver.crt'));
const KEY = readFileSync(join(FIXTURES, 'fake-apiserver.key'));

/** One request the fake API server received. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
  authorization?: string;
  body?: unknown;
}

type Obj = { apiVersion?: string; kind?: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown }; spec?: Record<string, unknown>; status?: Record<string, unknown>; [k: string]: unknown };

/** The resources this fake knows, as a real API server's discovery lists them. */
const DISCOVERY: Record<string, { groupVersion: string; resources: { name: string; kind: string; namespaced: boolean }[] }> = {
  '/api/v1': {
    groupVersion: 'v1',
    resources: [
      { name: 'configmaps', kind: 'ConfigMap', namespaced: true },
      { name: 'services', kind: 'Service', namespaced: true },
      { name: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true },
      { name: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', namespaced: true },
      { name: 'pods', kind: 'Pod', namespaced: true },
      { name: 'namespaces', kind: 'Namespace', namespaced: false },
    ],
  },
  '/apis/apps/v1': {
    groupVersion: 'apps/v1',
    resources: [
      { name: 'statefulsets', kind: 'StatefulSet', namespaced: true },
      { name: 'statefulsets/scale', kind: 'Scale', namespaced: true },
      { name: 'deployments', kind: 'Deployment', namespaced: true },
    ],
  },
  '/apis/networking.k8s.io/v1': {
    groupVersion: 'networking.k8s.io/v1',
    resources: [{ name: 'networkpolicies', kind: 'NetworkPolicy', namespaced: true }],
  },
};

const KIND_OF: Record<string, string> = Object.fromEntries(Object.values(DISCOVERY).flatMap((d) => d.resources.map((r) => [r.name, r.kind])));

/**
 * A stand-in for the Kubernetes API server on https://127.0.0.1 (TLS with a test certificate that
 * the kubeconfig pins, and a bearer token, as a real cluster): it records every request and keeps the
 * objects it is given, enough for deploy, scale, status and teardown to run against it. It speaks
 * the same paths, verbs, content types, discovery documents and Status errors as the real one,
 * but it is not one: no admission, no field ownership, no controllers (nothing creates pods).
 */
export class FakeKubeApi {
  readonly requests: RecordedRequest[] = [];
  /** Objects by `<group-version path>/<namespace>/<resource>/<name>`. */
  readonly objects = new Map<string, Obj>();
  private server: Server | undefined;
  private failures: { match: (r: RecordedRequest) => boolean; code: number; message: string }[] = [];
  private dir: string | undefined;
  port = 0;

  async start(): Promise<this> {
    this.server = createServer({ cert: CERT, key: KEY }, (req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
  }

  /** A kubeconfig file pointing at this server, with two contexts (`fake` current, `other` with namespace `from-context`). */
  kubeconfig(): string {
    this.dir ??= mkdtempSync(join(tmpdir(), 'tributary-kube-'));
    const file = join(this.dir, 'kubeconfig');
    writeFileSync(
      file,
      `apiVersion: v1
kind: Config
clusters:
  - name: fake
    cluster: { server: "https://127.0.0.1:${this.port}", certificate-authority-data: ${CERT.toString('base64')} }
users:
  - name: tester
    user: { token: test-token }
contexts:
  - name: fake
    context: { cluster: fake, user: tester }
  - name: other
    context: { cluster: fake, user: tester, namespace: from-context }
current-context: fake
`,
    );
    return file;
  }

  /** Make the next request that matches fail with this HTTP status and Status message. */
  failNext(match: (r: RecordedRequest) => boolean, code: number, message: string): void {
    this.failures.push({ match, code, message });
  }

  /** Put an object in the store directly (say, pods, which nothing here would create). */
  put(gvPath: string, resource: string, o: Obj): void {
    this.objects.set(`${gvPath}/${o.metadata.namespace}/${resource}/${o.metadata.name}`, o);
  }

  get(gvPath: string, namespace: string, resource: string, name: string): Obj | undefined {
    return this.objects.get(`${gvPath}/${namespace}/${resource}/${name}`);
  }

  /** The requests that are not discovery (GET /api/v1, GET /apis/<group>/<version>). */
  calls(): RecordedRequest[] {
    return this.requests.filter((r) => !(r.method === 'GET' && r.path in DISCOVERY));
  }

  clear(): void {
    this.requests.length = 0;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const record: RecordedRequest = {
      method: req.method ?? '?',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      ...(req.headers['content-type'] !== undefined && { contentType: req.headers['content-type'] }),
      ...(req.headers.authorization !== undefined && { authorization: req.headers.authorization }),
      ...(text !== '' && { body: JSON.parse(text) as unknown }),
    };
    this.requests.push(record);
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const status = (code: number, reason: string, message: string) => send(code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });

    const failure = this.failures.findIndex((f) => f.match(record));
    if (failure >= 0) {
      const f = this.failures.splice(failure, 1)[0]!;
      return status(f.code, f.code === 403 ? 'Forbidden' : 'Invalid', f.message);
    }
    const discovery = DISCOVERY[url.pathname];
    if (discovery !== undefined && record.method === 'GET') return send(200, { kind: 'APIResourceList', apiVersion: 'v1', ...discovery });

    const m = /^(\/api\/v1|\/apis\/[^/]+\/[^/]+)\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?(?:\/(scale))?$/.exec(url.pathname);
    if (m === null) return status(404, 'NotFound', `the server could not find the requested resource (${url.pathname})`);
    const [, gv, ns, resource, name, sub] = m as unknown as [string, string, string, string, string | undefined, string | undefined];
    const key = `${gv}/${ns}/${resource}/${name}`;
    const existing = this.objects.get(key);
    const notFound = () => status(404, 'NotFound', `${resource} "${name}" not found`);

    if (name === undefined) {
      if (record.method !== 'GET') return status(405, 'MethodNotAllowed', 'not supported by the fake');
      const selector = (record.query.labelSelector ?? '').split(',').filter((s) => s !== '').map((s) => s.split('=') as [string, string]);
      const items = [...this.objects.entries()]
        .filter(([k]) => k.startsWith(`${gv}/${ns}/${resource}/`))
        .map(([, o]) => o)
        .filter((o) => selector.every(([k, v]) => o.metadata.labels?.[k] === v));
      return send(200, { kind: `${KIND_OF[resource]}List`, apiVersion: gv.replace(/^\/apis?\//, ''), metadata: { resourceVersion: '1' }, items });
    }

    if (sub === 'scale') {
      if (existing === undefined) return notFound();
      if (record.method === 'PATCH') {
        const replicas = (record.body as { spec?: { replicas?: number } }).spec?.replicas;
        existing.spec = { ...existing.spec, replicas };
      }
      return send(200, { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name, namespace: ns }, spec: { replicas: existing.spec?.replicas }, status: { replicas: existing.spec?.replicas ?? 0 } });
    }

    switch (record.method) {
      case 'GET':
        return existing === undefined ? notFound() : send(200, existing);
      case 'PATCH': {
        if (record.contentType !== 'application/apply-patch+yaml') return status(415, 'UnsupportedMediaType', `fake supports only server-side apply on objects, got ${record.contentType}`);
        const body = record.body as Obj;
        if (body.metadata.name !== name || (body.metadata.namespace !== undefined && body.metadata.namespace !== ns)) return status(400, 'BadRequest', 'the name or namespace of the object does not match the URL');
        // Roughly what apply does for fields only one manager sets: the applied config replaces them; status stays.
        const stored: Obj = { ...body, metadata: { ...body.metadata, namespace: ns, uid: existing?.metadata.uid ?? `uid-${this.objects.size}` }, ...(existing?.status && { status: existing.status }) };
        this.objects.set(key, stored);
        return send(existing === undefined ? 201 : 200, stored);
      }
      case 'DELETE':
        if (existing === undefined) return notFound();
        this.objects.delete(key);
        return send(200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, kind: resource } });
      default:
        return status(405, 'MethodNotAllowed', `${record.method} is not supported by the fake`);
    }
  }
}
