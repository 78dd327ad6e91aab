import { ApiObject, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { NetworkPeer, StatefulWorkload, StatefulWorkloadProps } from '../../src/workload';
import { newChart, only, synth } from '../util';

const web = (overrides: Partial<StatefulWorkloadProps> = {}): StatefulWorkloadProps => ({
  replicas: 3,
  containers: [{ name: 'web', image: 'nginxinc/nginx-unprivileged:1.27.3', ports: [{ name: 'http', number: 8080 }] }],
  ...overrides,
});

/** The `from` of the policy's rule for the first allowFrom peer (rule 0 is the instance's own pods). */
function admitted(chart: Chart, ...peers: kplus.INetworkPolicyPeer[]): any[] {
  new StatefulWorkload(chart, 'db', web({ allowFrom: peers }));
  return only(synth(chart), 'NetworkPolicy').spec.ingress.slice(1).map((rule: any) => rule.from);
}

const NAME = 'kubernetes.io/metadata.name';

describe('NetworkPeer', () => {
  describe('rendered by a StatefulWorkload', () => {
    test('pods by labels, in the policy namespace: a podSelector only', () => {
      expect(admitted(newChart('db'), NetworkPeer.pods({ labels: { app: 'shop' } })))
        .toEqual([[{ podSelector: { matchLabels: { app: 'shop' } } }]]);
    });

    test('pods of another namespace get a namespaceSelector on its name; of the same namespace none', () => {
      expect(admitted(newChart('db'),
        NetworkPeer.pods({ labels: { app: 'shop' }, namespace: 'web' }),
        NetworkPeer.pods({ labels: { app: 'admin' }, namespace: 'db' }),
      )).toEqual([
        [{ namespaceSelector: { matchLabels: { [NAME]: 'web' } }, podSelector: { matchLabels: { app: 'shop' } } }],
        [{ podSelector: { matchLabels: { app: 'admin' } } }],
      ]);
    });

    test('pods by namespace labels, alone or with a namespace name (even the policy own namespace)', () => {
      expect(admitted(newChart('db'),
        NetworkPeer.pods({ labels: { app: 'shop' }, namespaceLabels: { team: 'shop' } }),
        NetworkPeer.pods({ labels: { app: 'shop' }, namespace: 'db', namespaceLabels: { team: 'shop' } }),
      )).toEqual([
        [{ namespaceSelector: { matchLabels: { team: 'shop' } }, podSelector: { matchLabels: { app: 'shop' } } }],
        [{ namespaceSelector: { matchLabels: { team: 'shop', [NAME]: 'db' } }, podSelector: { matchLabels: { app: 'shop' } } }],
      ]);
    });

    test('whole namespaces, by name or by labels: a namespaceSelector only', () => {
      expect(admitted(newChart('db'), NetworkPeer.namespace('web'), NetworkPeer.namespace('db'), NetworkPeer.namespaces({ team: 'shop' })))
        .toEqual([
          [{ namespaceSelector: { matchLabels: { [NAME]: 'web' } } }],
          [{ namespaceSelector: { matchLabels: { [NAME]: 'db' } } }],
          [{ namespaceSelector: { matchLabels: { team: 'shop' } } }],
        ]);
    });

    test('IP blocks, IPv4 and IPv6, with exceptions', () => {
      expect(admitted(newChart('db'),
        NetworkPeer.ipBlock('10.0.0.0/16', ['10.0.1.0/24', '10.0.255.255/32']),
        NetworkPeer.ipBlock('fd00::/8', ['fd00:1::/32', 'fd12:3456::/32']),
        NetworkPeer.ipBlock('192.168.1.1/24'),
      )).toEqual([
        [{ ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.1.0/24', '10.0.255.255/32'] } }],
        [{ ipBlock: { cidr: 'fd00::/8', except: ['fd00:1::/32', 'fd12:3456::/32'] } }],
        [{ ipBlock: { cidr: '192.168.1.1/24' } }],
      ]);
    });
  });

  describe('fromApiObject', () => {
    const deployment = (scope: Construct, labels?: { [key: string]: string }) => new ApiObject(scope, 'app', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'shop' },
      spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [] } } },
    });

    test('a plain ApiObject Deployment: its pod template labels, in its namespace', () => {
      const app = Testing.app();
      const db = new Chart(app, 'db', { namespace: 'db' });
      const same = deployment(db, { app: 'shop', tier: 'web' });
      const other = deployment(new Chart(app, 'web', { namespace: 'web' }), { app: 'front' });
      expect(admitted(db, NetworkPeer.fromApiObject(same), NetworkPeer.fromApiObject(other))).toEqual([
        [{ podSelector: { matchLabels: { app: 'shop', tier: 'web' } } }],
        [{ namespaceSelector: { matchLabels: { [NAME]: 'web' } }, podSelector: { matchLabels: { app: 'front' } } }],
      ]);
    });

    test('reads the labels at synth: a label added after allowFrom counts', () => {
      const chart = newChart('db');
      const app = new kplus.Deployment(chart, 'shop', { containers: [{ image: 'shop:1.0.0' }] });
      const w = new StatefulWorkload(chart, 'db', web());
      w.allowFrom(NetworkPeer.fromApiObject(ApiObject.of(app)));
      app.podMetadata.addLabel('app', 'shop');
      const from = only(synth(chart), 'NetworkPolicy').spec.ingress[1].from;
      const podLabels = only(synth(chart), 'Deployment').spec.template.metadata.labels;
      expect(podLabels.app).toBe('shop');
      expect(from).toEqual([{ podSelector: { matchLabels: podLabels } }]);
    });

    test.each([
      ['StatefulSet', 'apps/v1', { template: { metadata: { labels: { app: 'x' } } } }],
      ['DaemonSet', 'apps/v1', { template: { metadata: { labels: { app: 'x' } } } }],
      ['ReplicaSet', 'apps/v1', { template: { metadata: { labels: { app: 'x' } } } }],
      ['Job', 'batch/v1', { template: { metadata: { labels: { app: 'x' } } } }],
      ['CronJob', 'batch/v1', { jobTemplate: { spec: { template: { metadata: { labels: { app: 'x' } } } } } }],
    ])('a %s: the labels of its pod template', (kind, apiVersion, spec) => {
      const chart = newChart('db');
      const obj = new ApiObject(chart, 'obj', { apiVersion, kind, metadata: { name: 'x' }, spec });
      expect(admitted(chart, NetworkPeer.fromApiObject(obj))).toEqual([[{ podSelector: { matchLabels: { app: 'x' } } }]]);
    });

    test('a Pod: its own labels', () => {
      const chart = newChart('db');
      const pod = new ApiObject(chart, 'pod', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'tool', labels: { app: 'tool' } } });
      expect(admitted(chart, NetworkPeer.fromApiObject(pod))).toEqual([[{ podSelector: { matchLabels: { app: 'tool' } } }]]);
    });

    test('a kind without pods is refused when the peer is made', () => {
      const chart = newChart('db');
      const cm = new ApiObject(chart, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
      expect(() => NetworkPeer.fromApiObject(cm)).toThrow(
        "NetworkPeer.fromApiObject: 'obj' must be a Deployment, StatefulSet, DaemonSet or ReplicaSet (apps), a Job or CronJob (batch) or a Pod (v1): the objects that run pods with labels a NetworkPolicy can select, got 'v1 ConfigMap (test/cm)'");
      const custom = new ApiObject(chart, 'rollout', { apiVersion: 'example.com/v1', kind: 'Deployment', metadata: { name: 'x' } });
      expect(() => NetworkPeer.fromApiObject(custom)).toThrow(/got 'example.com\/v1 Deployment \(test\/rollout\)'/);
    });

    test('pods without labels are refused at synth, naming the object and the field', () => {
      const chart = newChart('db');
      const obj = deployment(chart);
      new StatefulWorkload(chart, 'db', web({ allowFrom: [NetworkPeer.fromApiObject(obj)] }));
      expect(() => synth(chart)).toThrow(
        "NetworkPeer.fromApiObject: 'obj' (Deployment test/app) has no pod labels at spec.template.metadata.labels: a NetworkPolicy selects pods by label, so give its pods at least one");
    });

    test('a bad peer is a validation error, reported before any manifest is serialized', () => {
      const chart = newChart('db');
      new StatefulWorkload(chart, 'db', web({ allowFrom: [NetworkPeer.fromApiObject(deployment(chart))] }));
      expect(() => synth(chart)).toThrow(/^Validation failed with the following errors:\n.*NetworkPeer.fromApiObject: 'obj' \(Deployment test\/app\) has no pod labels/);
    });

    test('a construct that is not an ApiObject is refused with how to get one', () => {
      const chart = newChart('db');
      const app = new kplus.Deployment(chart, 'shop', { containers: [{ image: 'shop:1.0.0' }] });
      expect(() => NetworkPeer.fromApiObject(app as any)).toThrow(
        "NetworkPeer.fromApiObject: 'obj' must be an ApiObject such as ApiObject.of(deployment), got a Deployment");
    });
  });

  describe('as a cdk8s-plus-27 peer', () => {
    test('a cdk8s-plus NetworkPolicy renders it as it renders its own peers', () => {
      const chart = newChart('db');
      const policy = new kplus.NetworkPolicy(chart, 'policy', { metadata: { name: 'p' } });
      policy.addIngressRule(NetworkPeer.pods({ labels: { app: 'shop' }, namespace: 'web', namespaceLabels: { team: 'a' } }));
      policy.addIngressRule(NetworkPeer.ipBlock('10.0.0.0/8', ['10.1.0.0/16']));
      policy.addIngressRule(NetworkPeer.namespaces({ team: 'b' }));
      expect(only(synth(chart), 'NetworkPolicy').spec.ingress.map((r: any) => r.from)).toEqual([
        [{ namespaceSelector: { matchLabels: { team: 'a', [NAME]: 'web' } }, podSelector: { matchLabels: { app: 'shop' } } }],
        [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }],
        [{ namespaceSelector: { matchLabels: { team: 'b' } }, podSelector: {} }],
      ]);
    });

    test('cdk8s-plus connections: both policies for pods; two peers do not clash', () => {
      const chart = newChart('db');
      const app = new kplus.Deployment(chart, 'shop', { containers: [{ image: 'shop:1.0.0', portNumber: 8080 }] });
      app.connections.allowFrom(NetworkPeer.pods({ labels: { role: 'a' } }));
      app.connections.allowFrom(NetworkPeer.pods({ labels: { role: 'b' } }));
      const policies = synth(chart).filter((o) => o.kind === 'NetworkPolicy');
      // Ingress to the app and egress from each peer's pods.
      expect(policies).toHaveLength(4);
      expect(policies.filter((p) => p.spec.policyTypes[0] === 'Egress').map((p) => p.spec.podSelector))
        .toEqual([{ matchLabels: { role: 'a' } }, { matchLabels: { role: 'b' } }]);
    });

    test('an IP block is not a pod selector', () => {
      expect(NetworkPeer.ipBlock('10.0.0.0/8').toPodSelector()).toBeUndefined();
      expect(() => NetworkPeer.ipBlock('10.0.0.0/8').toPodSelectorConfig()).toThrow("NetworkPeer.ipBlock: 'cidr' is an IP block, not a selection of pods");
    });

    test('a peer is a root construct of its own, outside every chart', () => {
      const peer = NetworkPeer.pods({ labels: { app: 'shop' } });
      expect(peer.node.root).toBe(peer);
      expect(peer.node.scope).toBeUndefined();
      // An app that synthesizes with it holds no trace of it.
      const chart = newChart('db');
      new StatefulWorkload(chart, 'db', web({ allowFrom: [peer] }));
      expect(chart.node.findAll()).not.toContain(peer);
    });
  });

  describe('bad input names the factory, the argument and what is valid', () => {
    test.each([
      ['a label key with a space', () => NetworkPeer.pods({ labels: { 'app name': 'shop' } }),
        "NetworkPeer.pods: 'labels' has a key that is not a label key: an optional DNS subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, got 'app name'"],
      ['a label key prefix with capitals', () => NetworkPeer.pods({ labels: { 'Example.com/app': 'shop' } }), /'labels' has a key that is not a label key.*got 'Example.com\/app'/],
      ['a label value with \'!\'', () => NetworkPeer.pods({ labels: { app: 'shop!' } }),
        "NetworkPeer.pods: 'labels.app' must be a label value: empty, or at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, got 'shop!'"],
      ['a label value of 64 characters', () => NetworkPeer.pods({ labels: { app: 'a'.repeat(64) } }), /'labels.app' must be a label value/],
      ['no labels', () => NetworkPeer.pods({ labels: {} }),
        "NetworkPeer.pods: 'labels' must have at least one label: an empty selector admits every pod; use NetworkPeer.namespace(name) for a whole namespace"],
      ['a namespace with capitals', () => NetworkPeer.pods({ labels: { app: 'shop' }, namespace: 'Web' }),
        "NetworkPeer.pods: 'namespace' must be a DNS label (lower-case letters, digits and '-', starting and ending with a letter or digit) of at most 63 characters, got 'Web'"],
      ['empty namespace labels', () => NetworkPeer.pods({ labels: { app: 'shop' }, namespaceLabels: {} }),
        "NetworkPeer.pods: 'namespaceLabels' must have at least one label: an empty namespace selector admits these pods in every namespace"],
      ['a misspelt option', () => NetworkPeer.pods({ labels: { app: 'shop' }, namspace: 'web' } as any),
        "NetworkPeer.pods: 'namspace' is not a known prop; did you mean 'namespace'? valid: labels, namespace, namespaceLabels"],
      ['a number as a label value', () => NetworkPeer.pods({ labels: { app: 1 } } as any), "NetworkPeer.pods: 'labels.app' must be a string, got 1 (a number)"],
      ['a string for the options', () => NetworkPeer.pods('app=shop' as any), "NetworkPeer.pods: 'options' must be an object of named props, got 'app=shop' (a string)"],
      ['a namespace of 64 characters', () => NetworkPeer.namespace('a'.repeat(64)), /^NetworkPeer.namespace: 'name' must be a DNS label .* of at most 63 characters/],
      ['no namespace labels', () => NetworkPeer.namespaces({}), "NetworkPeer.namespaces: 'labels' must have at least one label: an empty namespace selector admits every pod of the cluster"],
      ['a CIDR without a prefix', () => NetworkPeer.ipBlock('10.0.0.0'), "NetworkPeer.ipBlock: 'cidr' must be an IPv4 CIDR such as 10.0.0.0/16 or an IPv6 CIDR such as fd00::/8, got '10.0.0.0'"],
      ['an octet above 255', () => NetworkPeer.ipBlock('10.0.0.256/8'), /'cidr' must be an IPv4 CIDR/],
      ['a prefix above 32', () => NetworkPeer.ipBlock('10.0.0.0/33'), /'cidr' must be an IPv4 CIDR/],
      ['a zero-padded octet', () => NetworkPeer.ipBlock('010.0.0.0/8'), /'cidr' must be an IPv4 CIDR/],
      ['two \'::\'', () => NetworkPeer.ipBlock('fd00::1::/64'), /'cidr' must be an IPv4 CIDR .* or an IPv6 CIDR/],
      ['an IPv6 prefix above 128', () => NetworkPeer.ipBlock('fd00::/129'), /'cidr' must be an IPv4 CIDR .* or an IPv6 CIDR/],
      ['an exception outside the block', () => NetworkPeer.ipBlock('10.0.0.0/16', ['10.1.0.0/24']),
        "NetworkPeer.ipBlock: 'exclude[0]' must be a CIDR strictly inside 10.0.0.0/16 (same IP family, longer prefix), got '10.1.0.0/24'"],
      ['an exception equal to the block', () => NetworkPeer.ipBlock('10.0.0.0/16', ['10.0.1.0/24', '10.0.0.0/16']), /'exclude\[1\]' must be a CIDR strictly inside 10.0.0.0\/16/],
      ['an exception of the other family', () => NetworkPeer.ipBlock('10.0.0.0/16', ['fd00::/64']), /'exclude\[0\]' must be a CIDR strictly inside/],
      ['an IPv6 exception outside the block', () => NetworkPeer.ipBlock('fd00::/16', ['fd01::/32']), /'exclude\[0\]' must be a CIDR strictly inside fd00::\/16/],
      ['a string for the exceptions', () => NetworkPeer.ipBlock('10.0.0.0/16', '10.0.1.0/24' as any), "NetworkPeer.ipBlock: 'exclude' must be a list of CIDRs, got '10.0.1.0/24' (a string)"],
    ])('%s', (_, make, message) => {
      expect(make).toThrow(message);
    });

    test('valid edge cases pass', () => {
      expect(() => NetworkPeer.ipBlock('0.0.0.0/0', ['10.0.0.0/8', '172.16.0.0/12'])).not.toThrow();
      expect(() => NetworkPeer.ipBlock('::/0', ['fd00::/8', '::ffff:10.0.0.0/104'])).not.toThrow();
      expect(() => NetworkPeer.ipBlock('2001:db8:0:0:0:0:0:0/32', ['2001:db8:ffff::/48'])).not.toThrow();
      expect(() => NetworkPeer.pods({ labels: { 'app.kubernetes.io/name': 'web', 'empty': '' } })).not.toThrow();
    });
  });
});
