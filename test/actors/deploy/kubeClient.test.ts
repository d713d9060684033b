import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connect } from '../../../src/actors/deploy/kubeClient.js';
import { kubeTarget, parseCount } from '../../../src/actors/deploy/flags.js';
import { tempDir } from '../../helpers/tables.js';

const tmp = tempDir();
afterAll(() => tmp.remove());
const file = join(tmp.dir, 'kubeconfig');
writeFileSync(
  file,
  `apiVersion: v1
kind: Config
clusters:
  - { name: a, cluster: { server: "https://a.example:6443" } }
  - { name: b, cluster: { server: "https://b.example:6443" } }
users:
  - { name: u, user: { token: t } }
contexts:
  - { name: dev, context: { cluster: a, user: u } }
  - { name: prod, context: { cluster: b, user: u, namespace: fraud } }
current-context: dev
`,
);

describe('connect', () => {
  it('uses the current context, and namespace default when the context names none', () => {
    const k = connect({ kubeconfig: file });
    expect(k).toMatchObject({ context: 'dev', server: 'https://a.example:6443', namespace: 'default' });
  });

  it('--context switches cluster and namespace; --namespace wins over the context', () => {
    expect(connect({ kubeconfig: file, context: 'prod' })).toMatchObject({ context: 'prod', server: 'https://b.example:6443', namespace: 'fraud' });
    expect(connect({ kubeconfig: file, context: 'prod', namespace: 'other' }).namespace).toBe('other');
  });

  it('says which contexts exist when --context names another', () => {
    expect(() => connect({ kubeconfig: file, context: 'staging' })).toThrow('--context staging: not in the kubeconfig (it has dev, prod)');
  });

  it('refuses a missing --kubeconfig file, and a machine without any kubeconfig', () => {
    expect(() => connect({ kubeconfig: join(tmp.dir, 'nope') })).toThrow(/no such file/);
    // No flag, no $KUBECONFIG, no ~/.kube/config, not in a pod: the client would fall back to localhost:8080.
    expect(() => connect({}, { HOME: tmp.dir })).toThrow(/no kubeconfig/);
  });

  it('follows $KUBECONFIG as kubectl does', () => {
    const saved = process.env.KUBECONFIG;
    process.env.KUBECONFIG = file;
    try {
      expect(connect({}, { KUBECONFIG: file, HOME: tmp.dir }).server).toBe('https://a.example:6443');
    } finally {
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
    }
  });
});

describe('flags', () => {
  it('kubeTarget keeps only the flags given', () => {
    expect(kubeTarget({ namespace: 'x' })).toEqual({ namespace: 'x' });
    expect(kubeTarget({ kubeconfig: 'k', context: 'c', namespace: 'n' })).toEqual({ kubeconfig: 'k', context: 'c', namespace: 'n' });
  });
  it('parseCount accepts whole numbers only', () => {
    expect(parseCount('3', 'replicas')).toBe(3);
    expect(parseCount('0', 'replicas')).toBe(0);
    for (const bad of ['-1', '1.5', 'three', '', '1e3']) expect(() => parseCount(bad, 'replicas')).toThrow(/replicas must be a whole number/);
  });
});
