import { readFileSync } from 'fs';
import { join } from 'path';
import { Chart, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Postgres } from '../../src/engines';
import { Provisioner, StorageClass } from '../../src/storage';
import { RestrictedNamespace, StatefulWorkload } from '../../src/workload';
import { exactly, newChart, only, synth } from '../util';

process.env.CDK8S_STATEFUL_QUIET = '1';

const RESTRICTED_LABELS = {
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/enforce-version': RestrictedNamespace.VERIFIED_VERSION,
  'pod-security.kubernetes.io/warn': 'restricted',
  'pod-security.kubernetes.io/warn-version': 'latest',
  'pod-security.kubernetes.io/audit': 'restricted',
  'pod-security.kubernetes.io/audit-version': 'latest',
};

describe('RestrictedNamespace', () => {
  test('a namespaced chart\'s Namespace: named after the chart\'s namespace, restricted, and without a namespace of its own', () => {
    // GIVEN a chart whose objects live in namespace `shop`
    const chart = newChart('shop');
    // WHEN
    const ns = new RestrictedNamespace(chart, 'namespace');
    // THEN
    const obj = only(synth(chart), 'Namespace');
    // (cdk8s-plus writes an empty spec for every Namespace.)
    expect(obj).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: RESTRICTED_LABELS }, spec: {} });
    expect(obj.metadata).not.toHaveProperty('namespace');
    expect(ns.name).toBe('shop');
    expect(ns.enforceVersion).toBe(RestrictedNamespace.VERIFIED_VERSION);
  });

  test('named by `name`, or by its id in a chart without a namespace', () => {
    const named = newChart('shop');
    new RestrictedNamespace(named, 'other', { name: 'payments' });
    expect(only(synth(named), 'Namespace').metadata.name).toBe('payments');

    const plain = new Chart(Testing.app(), 'test');
    new RestrictedNamespace(plain, 'tools');
    expect(only(synth(plain), 'Namespace').metadata).toEqual({ name: 'tools', labels: RESTRICTED_LABELS });
  });

  test('enforceVersion pins another version of the profile, or follows the latest', () => {
    const chart = newChart('shop');
    new RestrictedNamespace(chart, 'ns', { enforceVersion: 'latest' });
    expect(only(synth(chart), 'Namespace').metadata.labels['pod-security.kubernetes.io/enforce-version']).toBe('latest');
    const pinned = newChart('shop');
    new RestrictedNamespace(pinned, 'ns', { enforceVersion: 'v1.30' });
    expect(only(synth(pinned), 'Namespace').metadata.labels['pod-security.kubernetes.io/enforce-version']).toBe('v1.30');
  });

  test('the pinned version is the release whose Pod Security admission checks every example in CI', () => {
    // test/manifests/psa pins k8s.io/pod-security-admission v0.<minor>.<patch>, which is Kubernetes v1.<minor>.
    const goMod = readFileSync(join(__dirname, '..', 'manifests', 'psa', 'go.mod'), 'utf8');
    const minor = /k8s\.io\/pod-security-admission v0\.(\d+)\./.exec(goMod)?.[1];
    expect(minor).toBeDefined();
    expect(RestrictedNamespace.VERIFIED_VERSION).toBe(`v1.${minor}`);
  });

  test('comes first in its chart\'s YAML even when created last, so `kubectl apply -f` creates it first', () => {
    // GIVEN objects created before the Namespace, and one added to an earlier construct afterwards
    const chart = newChart('shop');
    const db = new Postgres(chart, 'orders', { replicas: 1 });
    const web = new StatefulWorkload(chart, 'web', {
      replicas: 1,
      containers: [{ image: 'nginxinc/nginx-unprivileged:1.27.3', ports: [{ name: 'http', number: 8080 }] }],
      volumeClaims: [{ size: Size.gibibytes(1), mountPath: '/data' }],
    });
    // WHEN
    new RestrictedNamespace(chart, 'namespace');
    web.addClientService('Admin', { name: 'web-admin' });
    // THEN
    const kinds = synth(chart).map((o) => o.kind);
    expect(kinds[0]).toBe('Namespace');
    expect(kinds.filter((k) => k === 'Namespace')).toHaveLength(1);
    expect(kinds.length).toBeGreaterThan(10);
    expect(db.namespace).toBe('shop');
  });

  test('several Namespaces of one chart: all before the other objects, in the order they were created', () => {
    // GIVEN a platform chart without a namespace, a class, then three Namespaces
    const chart = new Chart(Testing.app(), 'platform');
    new StorageClass(chart, 'ssd', { provisioner: Provisioner.awsEbs() });
    for (const name of ['web', 'orders', 'events']) { new RestrictedNamespace(chart, `ns-${name}`, { name }); }
    // WHEN / THEN no dependency cycle, and the Namespaces lead
    expect(synth(chart).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Namespace/web', 'Namespace/orders', 'Namespace/events', 'StorageClass/ssd',
    ]);
  });

  test('is a cdk8s-plus Namespace: a peer that admits every pod in it', () => {
    const chart = newChart('shop');
    const tools = new RestrictedNamespace(chart, 'tools', { name: 'tools' });
    expect(tools).toBeInstanceOf(kplus.Namespace);
    const db = new Postgres(chart, 'orders', { replicas: 1 });
    db.allowFrom(tools);
    const policy = only(synth(chart), 'NetworkPolicy', 'orders');
    expect(policy.spec.ingress).toContainEqual(expect.objectContaining({
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'tools' } }, podSelector: {} }],
    }));
  });

  test('two Namespaces of one name are refused', () => {
    const app = Testing.app();
    new RestrictedNamespace(new Chart(app, 'a', { namespace: 'shop' }), 'ns');
    new RestrictedNamespace(new Chart(app, 'b', { namespace: 'shop' }), 'ns');
    expect(() => app.synth()).toThrow(/two Namespace objects are named 'shop': a\/ns\/Resource and b\/ns\/Resource/);
  });

  test('a label turned away from restricted through metadata is refused at synth', () => {
    const chart = newChart('shop');
    const ns = new RestrictedNamespace(chart, 'ns');
    ns.metadata.addLabel('pod-security.kubernetes.io/enforce', 'privileged');
    expect(() => synth(chart)).toThrow(/test\/ns: the label 'pod-security.kubernetes.io\/enforce' must stay 'restricted' on a RestrictedNamespace, got 'privileged'; use a kplus.Namespace for another level/);
  });

  test.each([
    ['a name that is not a DNS label', { name: 'Shop' }, /^test\/ns: 'name' must be a DNS label .*, got 'Shop'$/],
    ['a name of another type (Python, JavaScript)', { name: 5 }, exactly("test/ns: 'name' must be a string, got 5 (a number)")],
    ['a version that is not one', { enforceVersion: '1.30' }, exactly("test/ns: 'enforceVersion' must be 'latest' or a Kubernetes version 'v1.<minor>' such as 'v1.30', got '1.30'")],
    ['a version of another type', { enforceVersion: 1.3 }, exactly("test/ns: 'enforceVersion' must be a string, got 1.3 (a number)")],
    ['a misspelt prop', { enforce_version: 'v1.30' }, /^test\/ns: 'enforce_version' is not a known prop; did you mean 'enforceVersion'\? valid: enforceVersion, name$/],
    ['props that are not an object', 'shop', /^test\/ns: 'props' must be an object of named props, got 'shop'/],
  ])('%s is refused, naming the construct and the prop', (_what, props, message) => {
    expect(() => new RestrictedNamespace(newChart('shop'), 'ns', props as any)).toThrow(message);
  });
});
