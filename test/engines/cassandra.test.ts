import { spawnSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { App, Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { AccessMode, Cassandra, CassandraProps, CassandraVersion, Credentials, Placement, PlacementProfile, Provisioner, SpreadMode, StorageClass, TlsCertificates } from '../../src';
import { testShellcheck } from '../shellcheck';
import { appYaml, newChart, only, selects, synth, warningsOf } from '../util';

process.env.CDK8S_STATEFUL_QUIET = '1';

const threeRacks = [
  { name: 'a', zone: 'eu-west-1a' },
  { name: 'b', zone: 'eu-west-1b' },
  { name: 'c', zone: 'eu-west-1c' },
];

function ring(props: CassandraProps = {}, id = 'ring') {
  const chart = newChart();
  const cassandra = new Cassandra(chart, id, props);
  return { chart, cassandra, objects: synth(chart) };
}

const cassandraYaml = (objects: any[], name = 'ring'): string => only(objects, 'ConfigMap', `${name}-config`).data['cassandra.yaml'];
const setting = (yaml: string, key: string): string | undefined =>
  yaml.split('\n').find((l) => l.startsWith(`${key}: `))?.slice(key.length + 2);
const mainContainer = (sts: any) => sts.spec.template.spec.containers[0];
const envOf = (container: any): { [k: string]: any } =>
  Object.fromEntries(container.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));

describe('Cassandra', () => {
  describe('a default ring', () => {
    test('one StatefulSet of 3 nodes, headless and client Services, one PDB, ConfigMaps, NetworkPolicy', () => {
      // GIVEN / WHEN
      const { objects } = ring();
      // THEN
      expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
        'ConfigMap/ring-config', 'ConfigMap/ring-scripts', 'Job/ring-credentials-init-1b5fe805',
        'NetworkPolicy/ring', 'NetworkPolicy/ring-credentials-init', 'PodDisruptionBudget/ring',
        'Role/ring-credentials-init', 'Role/ring-scale-down', 'RoleBinding/ring-credentials-init', 'RoleBinding/ring-scale-down',
        'Service/ring', 'Service/ring-headless', 'ServiceAccount/ring', 'ServiceAccount/ring-credentials-init', 'StatefulSet/ring',
      ]);
      const sts = only(objects, 'StatefulSet');
      expect(sts.spec.replicas).toBe(3);
      expect(sts.spec.podManagementPolicy).toBe('OrderedReady');
      expect(sts.spec.serviceName).toBe('ring-headless');
      // Long enough to stream the default 50 GiB volume at 24 MiB/s, plus the ring delays: 51200 / 24 + 120 s, in minutes
      expect(sts.spec.template.spec.terminationGracePeriodSeconds).toBe(2280);
    });

    test('the official image pinned to the version, as uid/gid 999', () => {
      const { objects } = ring();
      const pod = only(objects, 'StatefulSet').spec.template.spec;
      expect(pod.containers[0].image).toBe('cassandra:5.0.9');
      expect(pod.initContainers[0].image).toBe('cassandra:5.0.9');
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999 });
    });

    test('hardened: read-only root with emptyDirs for the config copy, logs and /tmp', () => {
      const { objects } = ring();
      const pod = only(objects, 'StatefulSet').spec.template.spec;
      for (const c of [...pod.containers, ...pod.initContainers]) {
        expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      }
      const mounts = Object.fromEntries(pod.containers[0].volumeMounts.map((m: any) => [m.mountPath, m.name]));
      expect(mounts).toEqual({
        '/var/lib/cassandra': 'data', '/opt/cdk8s-stateful': 'scripts', '/etc/cassandra': 'conf', '/var/log/cassandra': 'logs', '/tmp': 'tmp',
      });
      const volumes = Object.fromEntries(pod.volumes.map((v: any) => [v.name, v]));
      expect(volumes.conf.emptyDir).toEqual({});
      expect(volumes.logs.emptyDir).toEqual({});
      expect(volumes.tmp.emptyDir).toEqual({});
      expect(volumes.scripts.configMap).toEqual({ name: 'ring-scripts', defaultMode: 0o555 });
      expect(volumes.config.configMap).toEqual({ name: 'ring-config' });
      // The init container writes the prepared configuration into the emptyDir the server reads.
      const init = pod.initContainers[0];
      expect(init.command).toEqual(['/opt/cdk8s-stateful/prepare-config.sh']);
      expect(Object.fromEntries(init.volumeMounts.map((m: any) => [m.mountPath, m.name]))).toEqual({
        '/var/lib/cassandra': 'data', '/config': 'config', '/opt/cdk8s-stateful': 'scripts', '/prepared-conf': 'conf',
      });
      expect(envOf(init)).toMatchObject({ SOURCE_CONF: '/etc/cassandra', RENDERED_CONF: '/config', TARGET_CONF: '/prepared-conf', CASSANDRA_RACK: 'rack1' });
      expect(envOf(init).POD_IP).toEqual({ fieldRef: { fieldPath: 'status.podIP' } });
    });

    test('start.sh starts the server directly (not the entrypoint that edits its config in place)', () => {
      const { objects } = ring();
      const c = mainContainer(only(objects, 'StatefulSet'));
      expect(c.command).toEqual(['/opt/cdk8s-stateful/start.sh']);
      expect(only(objects, 'ConfigMap', 'ring-scripts').data['start.sh']).toMatch(/\nexec cassandra -f\n$/);
      expect(c.ports).toEqual([
        { name: 'cql', containerPort: 9042 },
        { name: 'intra-node', containerPort: 7000 },
      ]);
      expect(envOf(c)).toMatchObject({ CASSANDRA_CONF: '/etc/cassandra' });
    });

    test('probes: startup on CQL for 2 hours, readiness = Up/Normal via nodetool, liveness on the storage port', () => {
      const { objects } = ring();
      const c = mainContainer(only(objects, 'StatefulSet'));
      expect(c.startupProbe).toMatchObject({ tcpSocket: { port: 9042 }, periodSeconds: 15, failureThreshold: 480 });
      expect(c.readinessProbe).toMatchObject({ exec: { command: ['/opt/cdk8s-stateful/ready.sh'] }, periodSeconds: 20, timeoutSeconds: 45 });
      expect(c.livenessProbe).toMatchObject({ tcpSocket: { port: 7000 } });
      expect(c.lifecycle).toEqual({ preStop: { exec: { command: ['/opt/cdk8s-stateful/pre-stop.sh'] } } });
    });

    test('client Service: CQL only, every node; headless Service publishes not-ready pods', () => {
      const { objects } = ring();
      const svc = only(objects, 'Service', 'ring');
      expect(svc.spec.ports).toEqual([{ name: 'cql', port: 9042, targetPort: 9042 }]);
      const headless = only(objects, 'Service', 'ring-headless');
      expect(headless.spec.clusterIP).toBe('None');
      expect(headless.spec.publishNotReadyAddresses).toBe(true);
      const podLabels = only(objects, 'StatefulSet').spec.template.metadata.labels;
      for (const s of [svc, headless]) { expect(selects(s.spec.selector, podLabels)).toBe(true); }
    });

    test('one PodDisruptionBudget, at most one node down, selecting the pods', () => {
      const { objects } = ring();
      const pdb = only(objects, 'PodDisruptionBudget');
      expect(pdb.spec.maxUnavailable).toBe(1);
      expect(selects(pdb.spec.selector.matchLabels, only(objects, 'StatefulSet').spec.template.metadata.labels)).toBe(true);
    });

    test('cassandra.yaml: cluster name, 16 tokens, seeds, snitch, pod-IP placeholders, data under the mount', () => {
      const { objects } = ring();
      const yaml = cassandraYaml(objects);
      expect(setting(yaml, 'cluster_name')).toBe('"ring"');
      expect(setting(yaml, 'num_tokens')).toBe('16');
      expect(setting(yaml, 'allocate_tokens_for_local_replication_factor')).toBe('3');
      expect(setting(yaml, 'endpoint_snitch')).toBe('GossipingPropertyFileSnitch');
      expect(setting(yaml, 'listen_address')).toBe('__POD_IP__');
      expect(setting(yaml, 'broadcast_rpc_address')).toBe('__POD_IP__');
      expect(setting(yaml, 'rpc_address')).toBe('0.0.0.0');
      expect(setting(yaml, 'seed_provider')).toBe(
        '[{class_name: org.apache.cassandra.locator.SimpleSeedProvider, parameters: [{seeds: "ring-0.ring-headless.db.svc.cluster.local,ring-1.ring-headless.db.svc.cluster.local"}]}]');
      expect(setting(yaml, 'data_file_directories')).toBe('[/var/lib/cassandra/data]');
      for (const dir of ['commitlog', 'hints', 'saved_caches', 'cdc_raw']) {
        expect(setting(yaml, `${dir === 'commitlog' ? 'commitlog' : dir}_directory`)).toBe(`/var/lib/cassandra/${dir}`);
      }
      expect(setting(yaml, 'commitlog_sync_period')).toBe('10000ms');
      // Deterministic: keys sorted.
      const keys = yaml.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':')[0]);
      expect(keys).toEqual([...keys].sort());
      expect(only(objects, 'ConfigMap', 'ring-config').data['rackdc-rack1.properties']).toBe('# Rendered by cdk8s-stateful.\ndc=dc1\nrack=rack1\nprefer_local=true\n');
    });

    test('heap from memory: 4 GiB -> 2048M heap, 100M young generation per core', () => {
      const { objects } = ring();
      const c = mainContainer(only(objects, 'StatefulSet'));
      expect(envOf(c)).toMatchObject({ MAX_HEAP_SIZE: '2048M', HEAP_NEWSIZE: '100M' });
      expect(c.resources).toEqual({ requests: { cpu: '1000m', memory: '4096Mi' }, limits: { memory: '4096Mi' } });
    });

    test('claims: 50Gi per pod on the default class', () => {
      const { objects } = ring();
      const [claim] = only(objects, 'StatefulSet').spec.volumeClaimTemplates;
      expect(claim.metadata.name).toBe('data');
      expect(claim.spec.resources.requests.storage).toBe('50Gi');
      expect(claim.spec.storageClassName).toBeUndefined();
    });

    test('connection: client Service, CQL port, seed contact points, datacenter', () => {
      const { cassandra } = ring();
      expect(cassandra.connection).toEqual({
        host: 'ring.db.svc.cluster.local',
        port: 9042,
        contactPoints: ['ring-0.ring-headless.db.svc.cluster.local', 'ring-1.ring-headless.db.svc.cluster.local'],
        datacenter: 'dc1',
        clusterName: 'ring',
        username: 'admin',
        secretName: 'ring-credentials',
        passwordKey: 'password',
        passwordVariable: 'CASSANDRA_PASSWORD',
      });
      expect(cassandra.seeds).toEqual(cassandra.connection.contactPoints);
      expect(cassandra.workload.podDnsName(0)).toBe(cassandra.seeds[0]);
    });

    test('no Secret with data; two synths are byte-identical', () => {
      const { objects } = ring();
      expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
      const build = (app: App) => new Cassandra(new Chart(app, 'c', { namespace: 'db' }), 'ring', { racks: threeRacks });
      expect(appYaml(build)).toBe(appYaml(build));
    });

    test('snapshot of a small default ring', () => {
      expect(ring().objects).toMatchSnapshot();
    });
  });

  describe('versions', () => {
    test.each([
      [CassandraVersion.V5_0, 'cassandra:5.0.9', 'commitlog_sync_period', '10000ms'],
      [CassandraVersion.V4_1, 'cassandra:4.1.10', 'commitlog_sync_period', '10000ms'],
      [CassandraVersion.V4_0, 'cassandra:4.0.19', 'commitlog_sync_period_in_ms', '10000'],
    ])('%o: image %s, %s: %s', (version, image, key, value) => {
      const { objects } = ring({ version });
      const sts = only(objects, 'StatefulSet');
      expect(mainContainer(sts).image).toBe(image);
      expect(sts.metadata.labels['app.kubernetes.io/version']).toBe(version.fullVersion);
      const yaml = cassandraYaml(objects);
      expect(setting(yaml, key)).toBe(value);
      const other = key === 'commitlog_sync_period' ? 'commitlog_sync_period_in_ms' : 'commitlog_sync_period';
      expect(setting(yaml, other)).toBeUndefined();
    });

    test('of() for a newer release; image override', () => {
      const { objects } = ring({ version: CassandraVersion.of('5.0.10', '5.0'), image: 'registry.example.com/cassandra:5.0.10' });
      expect(mainContainer(only(objects, 'StatefulSet')).image).toBe('registry.example.com/cassandra:5.0.10');
    });

    test('an unpinned image is refused', () => {
      expect(() => ring({ image: 'cassandra:latest' })).toThrow(/image/);
    });
  });

  describe('racks', () => {
    test('one StatefulSet per rack, pinned to its zone, component rack-<name>', () => {
      const { objects, cassandra } = ring({ racks: threeRacks, replicas: 2 });
      const sets = objects.filter((o) => o.kind === 'StatefulSet');
      expect(sets.map((s) => s.metadata.name)).toEqual(['ring-a', 'ring-b', 'ring-c']);
      sets.forEach((sts, i) => {
        expect(sts.spec.replicas).toBe(2);
        expect(sts.spec.serviceName).toBe(`ring-${threeRacks[i].name}-headless`);
        expect(sts.spec.template.metadata.labels['app.kubernetes.io/component']).toBe(`rack-${threeRacks[i].name}`);
        expect(sts.spec.template.spec.nodeSelector).toEqual({ 'topology.kubernetes.io/zone': threeRacks[i].zone });
        expect(sts.spec.template.spec.topologySpreadConstraints).toBeUndefined();
        expect(envOf(sts.spec.template.spec.initContainers[0]).CASSANDRA_RACK).toBe(threeRacks[i].name);
      });
      expect(cassandra.statefulSets).toHaveLength(3);
      expect(cassandra.workloads).toHaveLength(3);
      const data = only(objects, 'ConfigMap', 'ring-config').data;
      expect(Object.keys(data).sort()).toEqual(['cassandra.yaml', 'rackdc-a.properties', 'rackdc-b.properties', 'rackdc-c.properties']);
      expect(data['rackdc-b.properties']).toContain('dc=dc1\nrack=b\n');
    });

    test('the development placement profile drops the racks\' zone pins; the racks keep their names', () => {
      // GIVEN an app for a single-node cluster without zone labels
      const app = Testing.app();
      Placement.useProfile(app, PlacementProfile.DEVELOPMENT);
      const chart = new Chart(app, 'test', { namespace: 'db' });
      // WHEN two nodes per rack
      new Cassandra(chart, 'ring', { racks: threeRacks, replicas: 2 });
      // THEN no pod needs a zone or a node of its own
      const sets = synth(chart).filter((o) => o.kind === 'StatefulSet');
      expect(sets).toHaveLength(3);
      sets.forEach((sts, i) => {
        const pod = sts.spec.template.spec;
        expect(pod.nodeSelector).toBeUndefined();
        expect(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toBeUndefined();
        expect(pod.topologySpreadConstraints.map((c: any) => c.whenUnsatisfiable)).toEqual(['ScheduleAnyway']);
        expect(envOf(pod.initContainers[0]).CASSANDRA_RACK).toBe(threeRacks[i].name);
      });
    });

    test('seeds: the first pod of each rack, by its own headless Service', () => {
      const { cassandra, objects } = ring({ racks: threeRacks });
      expect(cassandra.seeds).toEqual([
        'ring-a-0.ring-a-headless.db.svc.cluster.local',
        'ring-b-0.ring-b-headless.db.svc.cluster.local',
        'ring-c-0.ring-c-headless.db.svc.cluster.local',
      ]);
      cassandra.workloads.forEach((w, i) => expect(w.podDnsName(0)).toBe(cassandra.seeds[i]));
      expect(setting(cassandraYaml(objects), 'seed_provider')).toContain(`seeds: "${cassandra.seeds.join(',')}"`);
      for (const h of objects.filter((o) => o.kind === 'Service' && o.spec.clusterIP === 'None')) {
        expect(h.spec.publishNotReadyAddresses).toBe(true);
      }
    });

    test('a rack that is not a rack is refused by its index, never a TypeError', () => {
      expect(() => ring({ racks: [null as any] })).toThrow(/test\/ring: 'racks\[0\]' must be an object of named props, got null/);
      expect(() => ring({ racks: [{ name: 5, zone: 'z' } as any] })).toThrow(/'racks\[0\].name' must be a string, got 5 \(a number\)/);
      expect(() => ring({ racks: [{ name: 'a', zone: 'z', size: 3 } as any] })).toThrow(/'racks\[0\].size' is not a known prop/);
      // Blamed on the prop the user wrote, not on the rack's StatefulSet placement.
      expect(() => ring({ racks: [{ name: 'a', zone: 'eu/west-1a' }] })).toThrow(/^test\/ring: 'racks\[0\].zone' must be a label value/);
      expect(() => ring({ startupTimeout: Duration.millis(150500) })).toThrow(/'startupTimeout' must be whole seconds/);
    });

    test('seeds: at most three racks contribute', () => {
      const racks = ['a', 'b', 'c', 'd'].map((n) => ({ name: n, zone: `z-${n}` }));
      const { cassandra } = ring({ racks });
      expect(cassandra.seeds.map((s) => s.split('.')[0])).toEqual(['ring-a-0', 'ring-b-0', 'ring-c-0']);
    });

    test.each([[1, 1], [2, 2]])('replicas %d: warns that %d node(s) cannot keep QUORUM at RF 3', (replicas) => {
      const { cassandra } = ring({ replicas });
      const warnings = cassandra.node.metadata.filter((m) => m.type === 'cdk8s-stateful:warning').map((m) => m.data);
      expect(warnings).toEqual([expect.stringMatching(/a ring of \d node\(s\) cannot keep QUORUM at replication factor 3/)]);
    });

    test('three nodes: no warning', () => {
      const { cassandra } = ring({ racks: threeRacks });
      expect(cassandra.node.metadata.filter((m) => m.type === 'cdk8s-stateful:warning')).toEqual([]);
    });

    test('a single node: one seed', () => {
      const { cassandra, objects } = ring({ replicas: 1 });
      expect(cassandra.seeds).toEqual(['ring-0.ring-headless.db.svc.cluster.local']);
      expect(objects.filter((o) => o.kind === 'PodDisruptionBudget')).toEqual([]);
      expect(cassandra.podDisruptionBudget).toBeUndefined();
    });

    test('one client Service and one PDB across every rack, selecting every pod', () => {
      const { objects } = ring({ racks: threeRacks });
      const svc = only(objects, 'Service', 'ring');
      expect(svc.spec.ports).toEqual([{ name: 'cql', port: 9042, targetPort: 9042 }]);
      const pdb = only(objects, 'PodDisruptionBudget');
      expect(pdb.metadata.name).toBe('ring');
      expect(pdb.spec.maxUnavailable).toBe(1);
      for (const sts of objects.filter((o) => o.kind === 'StatefulSet')) {
        const labels = sts.spec.template.metadata.labels;
        expect(selects(svc.spec.selector, labels)).toBe(true);
        expect(selects(pdb.spec.selector.matchLabels, labels)).toBe(true);
        // Each rack's headless Service selects only its own pods.
        const headless = only(objects, 'Service', `${sts.metadata.name}-headless`);
        expect(selects(headless.spec.selector, labels)).toBe(true);
        expect(selects(sts.spec.selector.matchLabels, labels)).toBe(true);
      }
      const a = only(objects, 'StatefulSet', 'ring-a').spec.template.metadata.labels;
      expect(selects(only(objects, 'Service', 'ring-b-headless').spec.selector, a)).toBe(false);
    });

    test('replicas defaults to 1 per rack', () => {
      const { objects } = ring({ racks: threeRacks });
      expect(objects.filter((o) => o.kind === 'StatefulSet').map((s) => s.spec.replicas)).toEqual([1, 1, 1]);
    });

    test('the NetworkPolicies admit the whole ring on every port and allowFrom on CQL only', () => {
      const chart = newChart();
      const app = kplus.Pods.select(chart, 'App', { labels: { app: 'shop' } });
      new Cassandra(chart, 'ring', { racks: threeRacks, allowFrom: [app] });
      const objects = synth(chart);
      const policies = objects.filter((o) => o.kind === 'NetworkPolicy' && o.metadata.labels['app.kubernetes.io/name'] === 'cassandra');
      expect(policies).toHaveLength(3);
      for (const p of policies) {
        const rules = p.spec.ingress;
        expect(rules).toContainEqual({ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'cassandra', 'app.kubernetes.io/instance': 'ring' } } }], ports: [] });
        const appRules = rules.filter((r: any) => r.from.some((f: any) => f.podSelector?.matchLabels?.app === 'shop'));
        expect(appRules).toHaveLength(1);
        expect(appRules[0].ports).toEqual([{ port: 9042, protocol: 'TCP' }]);
      }
    });

    test.each([
      [[], /'racks' must list at least one rack/],
      [[{ name: 'a', zone: 'z1' }, { name: 'a', zone: 'z2' }], /'racks\[1\]\.name' must be unique: every rack is its own StatefulSet, got 'a'/],
      [[{ name: 'a', zone: 'z1' }, { name: 'b', zone: 'z1' }], /'racks\[1\]\.zone' must differ from the other racks' zones.*got 'z1'/],
      [[{ name: 'Rack_A', zone: 'z1' }], /'racks\[0\]\.name' must be 1 to 20 lower-case letters.*got 'Rack_A'/],
      [[{ name: 'a'.repeat(21), zone: 'z1' }], /'racks\[0\]\.name' must be 1 to 20/],
      [[{ name: 'a', zone: '' }], /'racks\[0\]\.zone' must be a zone name/],
    ])('racks %j are refused', (racks, message) => {
      expect(() => ring({ racks })).toThrow(message);
    });

    test('placement.zone cannot be combined with racks', () => {
      expect(() => ring({ racks: threeRacks, placement: { zone: 'z1' } })).toThrow(/'placement.zone' cannot be combined with racks/);
    });
  });

  describe('props', () => {
    test('clusterName and datacenter', () => {
      const { objects, cassandra } = ring({ clusterName: 'Shop Ring', datacenter: 'eu-west' });
      expect(setting(cassandraYaml(objects), 'cluster_name')).toBe('"Shop Ring"');
      expect(only(objects, 'ConfigMap', 'ring-config').data['rackdc-rack1.properties']).toContain('dc=eu-west\n');
      expect(cassandra.connection.datacenter).toBe('eu-west');
      expect(cassandra.connection.clusterName).toBe('Shop Ring');
    });

    test('name overrides the id', () => {
      const { objects, cassandra } = ring({ name: 'events' }, 'SomeId');
      expect(only(objects, 'StatefulSet').metadata.name).toBe('events');
      expect(setting(cassandraYaml(objects, 'events'), 'cluster_name')).toBe('"events"');
      expect(cassandra.connection.host).toBe('events.db.svc.cluster.local');
    });

    test('clusterDomain is used in the seeds', () => {
      const { cassandra } = ring({ clusterDomain: 'corp.internal', replicas: 1 });
      expect(cassandra.seeds).toEqual(['ring-0.ring-headless.db.svc.corp.internal']);
    });

    test('storage: size, class, access modes', () => {
      const chart = newChart();
      const ssd = new StorageClass(chart, 'ssd', { provisioner: Provisioner.awsEbs() });
      new Cassandra(chart, 'ring', { storage: { size: Size.gibibytes(500), storageClass: ssd, accessModes: [AccessMode.READ_WRITE_ONCE_POD] } });
      const [claim] = only(synth(chart), 'StatefulSet').spec.volumeClaimTemplates;
      expect(claim.spec).toMatchObject({ storageClassName: 'ssd', accessModes: ['ReadWriteOncePod'], resources: { requests: { storage: '500Gi' } } });
    });

    test.each([
      [2048, 1000, '1024M', '100M'],
      [8192, 4000, '4096M', '400M'],
      [16384, 2000, '8192M', '200M'],
      [65536, 8000, '16384M', '800M'],
      [131072, 16000, '16384M', '1600M'],
      [3072, 16000, '1536M', '384M'],
    ])('memory %d MiB, %d millicores: MAX_HEAP_SIZE %s, HEAP_NEWSIZE %s', (mem, cpu, heap, young) => {
      const { objects } = ring({ resources: { memory: Size.mebibytes(mem), cpu: kplus.Cpu.millis(cpu) } });
      expect(envOf(mainContainer(only(objects, 'StatefulSet')))).toMatchObject({ MAX_HEAP_SIZE: heap, HEAP_NEWSIZE: young });
    });

    test('memory too small for the heap is refused, with the minimum', () => {
      expect(() => ring({ resources: { memory: Size.mebibytes(1536) } }))
        .toThrow(/test\/ring: 'resources.memory' must be at least 2048 MiB.*got '1536 MiB'/);
    });

    test('cpu limit passes through', () => {
      const { objects } = ring({ resources: { cpu: kplus.Cpu.millis(2000), cpuLimit: kplus.Cpu.millis(4000) } });
      expect(mainContainer(only(objects, 'StatefulSet')).resources.limits).toEqual({ cpu: '4000m', memory: '4096Mi' });
    });

    test('config overrides win and stay sorted', () => {
      const { objects } = ring({
        config: {
          concurrent_writes: '48',
          num_tokens: '8',
          concurrent_reads: '64',
          commitlog_sync_period_in_ms: '5000',
          table_properties_requires: '[a, b]',
          key_cache_size: '100 MiB',
        },
      });
      const yaml = cassandraYaml(objects);
      expect(setting(yaml, 'concurrent_writes')).toBe('48');
      expect(setting(yaml, 'num_tokens')).toBe('8');
      expect(setting(yaml, 'concurrent_reads')).toBe('64');
      expect(setting(yaml, 'commitlog_sync_period_in_ms')).toBe('5000');
      expect(setting(yaml, 'commitlog_sync_period')).toBeUndefined();
      expect(setting(yaml, 'table_properties_requires')).toBe('[a, b]');
      expect(setting(yaml, 'key_cache_size')).toBe('"100 MiB"');
      const keys = yaml.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':')[0]);
      expect(keys).toEqual([...keys].sort());
    });

    test('a config change rolls the pods (checksum annotation)', () => {
      const a = only(ring().objects, 'StatefulSet').spec.template.metadata.annotations['cdk8s-stateful/config-checksum'];
      const b = only(ring({ config: { concurrent_reads: '64' } }).objects, 'StatefulSet').spec.template.metadata.annotations['cdk8s-stateful/config-checksum'];
      expect(a).toMatch(/^[0-9a-f]{16}$/);
      expect(a).not.toBe(b);
    });

    test('podAnnotations and placement pass through', () => {
      const { objects } = ring({ podAnnotations: { 'prometheus.io/scrape': 'true' }, placement: { nodeSpread: SpreadMode.PREFERRED, zoneSpread: SpreadMode.NONE } });
      const pod = only(objects, 'StatefulSet').spec.template;
      expect(pod.metadata.annotations['prometheus.io/scrape']).toBe('true');
      expect(pod.spec.topologySpreadConstraints).toBeUndefined();
      expect(pod.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    });

    test('startupTimeout and terminationGracePeriod', () => {
      const { objects } = ring({ startupTimeout: Duration.hours(6), terminationGracePeriod: Duration.minutes(10) });
      const sts = only(objects, 'StatefulSet');
      expect(mainContainer(sts).startupProbe.failureThreshold).toBe(6 * 3600 / 15);
      expect(sts.spec.template.spec.terminationGracePeriodSeconds).toBe(600);
    });

    test.each([
      [{ replicas: 0 }, /'replicas' must be a positive integer, got 0/],
      [{ replicas: 1.5 }, /'replicas' must be a positive integer, got 1.5/],
      [{ racks: threeRacks, replicas: 0 }, /'replicas' must be a positive integer, got 0/],
      [{ clusterName: 'bad"name' }, /'clusterName' must be 1 to 64 letters/],
      [{ clusterName: '' }, /'clusterName' must be 1 to 64 letters/],
      [{ datacenter: 'dc 1' }, /'datacenter' must be 1 to 48 letters/],
      [{ name: 'Ring' }, /'name' must be a DNS label/],
      [{ startupTimeout: Duration.seconds(60) }, /'startupTimeout' must be whole seconds from 120 s to 604800 s.*got '60 s'/],
      [{ terminationGracePeriod: Duration.seconds(10) }, /'terminationGracePeriod' must be whole seconds from 30 s to 604800 s/],
      [{ config: { listen_address: '10.0.0.1' } }, /'config.listen_address' cannot be overridden: it is the pod IP/],
      [{ config: { seed_provider: '[]' } }, /'config.seed_provider' cannot be overridden/],
      [{ config: { cluster_name: 'x' } }, /'config.cluster_name' cannot be overridden: it is set from the 'clusterName' prop/],
      [{ config: { data_file_directories: '[/x]' } }, /'config.data_file_directories' cannot be overridden: it must stay on the data volume/],
      [{ config: { native_transport_port: '9043' } }, /'config.native_transport_port' cannot be overridden/],
      [{ config: { 'Bad-Key': '1' } }, /'config.Bad-Key' must be a cassandra.yaml setting name/],
      [{ config: { concurrent_reads: '1\nlisten_address: 1.2.3.4' } }, /'config.concurrent_reads' must be a one-line YAML value/],
    ])('%j is refused', (props, message) => {
      expect(() => ring(props as CassandraProps)).toThrow(message);
    });
  });

  describe('scaling down: the preStop hook decommissions a node being scaled away', () => {
    test('each rack\'s pods may get their own StatefulSet\'s scale, and nothing else; their token is mounted', () => {
      const { objects } = ring({ racks: threeRacks });
      for (const rack of ['a', 'b', 'c']) {
        const role = only(objects, 'Role', `ring-${rack}-scale-down`);
        expect(role.rules).toEqual([{ apiGroups: ['apps'], resources: ['statefulsets/scale'], resourceNames: [`ring-${rack}`], verbs: ['get'] }]);
        const binding = only(objects, 'RoleBinding', `ring-${rack}-scale-down`);
        expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `ring-${rack}-scale-down` });
        const sts = only(objects, 'StatefulSet', `ring-${rack}`);
        expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: sts.spec.template.spec.serviceAccountName }]);
        expect(sts.spec.template.spec.automountServiceAccountToken).toBe(true);
      }
      expect(objects.filter((o) => o.kind === 'Role').map((r) => r.metadata.name).sort())
        .toEqual(['ring-a-scale-down', 'ring-b-scale-down', 'ring-c-scale-down', 'ring-credentials-init']);
    });

    test('the server knows its pod name and its rack\'s place in the leaving order (racks leave 20 s apart)', () => {
      const { objects } = ring({ racks: threeRacks });
      const delays = ['a', 'b', 'c'].map((rack) => {
        const env = envOf(mainContainer(only(objects, 'StatefulSet', `ring-${rack}`)));
        expect(env.POD_NAME).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
        return env.LEAVE_DELAY;
      });
      expect(delays).toEqual(['0', '20', '40']);
    });

    test('scaleDownRoles and terminationGracePeriod are exposed', () => {
      const { cassandra } = ring({ racks: threeRacks });
      expect(cassandra.scaleDownRoles.map((r) => r.name)).toEqual(['ring-a-scale-down', 'ring-b-scale-down', 'ring-c-scale-down']);
      expect(cassandra.terminationGracePeriod.toSeconds()).toBe(2280);
    });

    test.each([
      [Size.gibibytes(1), 300],
      [Size.gibibytes(10), 600],
      [Size.gibibytes(50), 2280],
      [Size.gibibytes(200), 8700],
    ])('the default grace period streams a full %s volume at 24 MiB/s: %d s', (size, seconds) => {
      const { objects } = ring({ storage: { size } });
      expect(only(objects, 'StatefulSet').spec.template.spec.terminationGracePeriodSeconds).toBe(seconds);
    });

    test('a terminationGracePeriod shorter than a full decommission is kept, with a warning', () => {
      const { objects, cassandra } = ring({ terminationGracePeriod: Duration.minutes(10) });
      expect(only(objects, 'StatefulSet').spec.template.spec.terminationGracePeriodSeconds).toBe(600);
      expect(warningsOf(cassandra)).toContainEqual(expect.stringMatching(
        /test\/ring: terminationGracePeriod 600 s is shorter than a decommission of a full 51200 MiB volume at 24 MiB\/s \(about 2280 s\): a node being scaled away that has not finished streaming is stopped, and stays in the ring as down/));
      expect(warningsOf(ring({ terminationGracePeriod: Duration.minutes(38) }).cassandra).filter((w) => /decommission/.test(w))).toEqual([]);
      // A single node is never scaled away
      expect(warningsOf(ring({ replicas: 1, terminationGracePeriod: Duration.minutes(10) }).cassandra).filter((w) => /decommission/.test(w))).toEqual([]);
    });

    test('replicationFactor: a ring of at least that many nodes is accepted', () => {
      expect(() => ring({ replicationFactor: 3 })).not.toThrow();
      expect(() => ring({ replicationFactor: 3, racks: threeRacks })).not.toThrow();
      expect(() => ring({ replicationFactor: 2, racks: threeRacks.slice(0, 2) })).not.toThrow();
      expect(() => ring({ replicationFactor: 5, racks: threeRacks, replicas: 2 })).not.toThrow();
    });

    test.each([
      [{ replicationFactor: 3, replicas: 2 },
        "test/ring: 'replicas' must give the ring at least 'replicationFactor' (3) nodes: 2 node(s) would leave rows with fewer replicas than the keyspaces ask for, and a node being scaled away could not decommission; valid: at least 3, got 2"],
      [{ replicationFactor: 3, racks: threeRacks.slice(0, 2), replicas: 1 },
        "test/ring: 'replicas' must give the ring at least 'replicationFactor' (3) nodes: 1 per rack × 2 racks = 2 nodes would leave rows with fewer replicas than the keyspaces ask for, and a node being scaled away could not decommission; valid: at least 2 per rack, got 1"],
      [{ replicationFactor: 5, racks: threeRacks, replicas: 1 },
        "test/ring: 'replicas' must give the ring at least 'replicationFactor' (5) nodes: 1 per rack × 3 racks = 3 nodes would leave rows with fewer replicas than the keyspaces ask for, and a node being scaled away could not decommission; valid: at least 2 per rack, got 1"],
      [{ replicationFactor: 0 }, "test/ring: 'replicationFactor' must be a positive integer, got 0"],
      [{ replicationFactor: 2.5 }, "test/ring: 'replicationFactor' must be a positive integer, got 2.5"],
    ])('%j is refused with the rule', (props, message) => {
      expect(() => ring(props as CassandraProps)).toThrow(message);
    });

    test.each([
      ['3', /test\/ring: 'replicationFactor' must be a number, got '3'/],
      [true, /test\/ring: 'replicationFactor' must be a number, got true/],
    ])('replicationFactor of the wrong type from JavaScript or Python (%j) is refused', (value, message) => {
      expect(() => ring({ replicationFactor: value } as unknown as CassandraProps)).toThrow(message);
    });
  });

  describe('scripts', () => {
    const scripts = () => only(ring().objects, 'ConfigMap', 'ring-scripts').data as { [k: string]: string };

    testShellcheck('every script passes shellcheck', scripts, 'sh');

    test.each([
      ['NORMAL', 0],
      ['JOINING', 1],
      ['LEAVING', 1],
      ['DRAINING', 1],
      ['DRAINED', 1],
      ['STARTING', 1],
    ])('ready.sh: mode %s -> exit %d', (mode, code) => {
      const dir = mkdtempSync(join(tmpdir(), 'cassandra-ready-'));
      try {
        writeFileSync(join(dir, 'ready.sh'), scripts()['ready.sh']);
        writeFileSync(join(dir, 'nodetool'), [
          '#!/bin/sh',
          '[ "$1" = netstats ] || exit 2',
          `printf 'Mode: ${mode}\\nNot sending any streams.\\nRead Repair Statistics:\\nAttempted: 0\\n'`,
          '',
        ].join('\n'), { mode: 0o755 });
        const run = spawnSync('sh', [join(dir, 'ready.sh')], { env: { PATH: `${dir}:${process.env.PATH}` }, encoding: 'utf8' });
        expect(run.status).toBe(code);
        if (code !== 0) { expect(run.stdout).toContain(`is '${mode}', not NORMAL`); }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('ready.sh: not ready when nodetool fails', () => {
      const dir = mkdtempSync(join(tmpdir(), 'cassandra-ready-'));
      try {
        writeFileSync(join(dir, 'ready.sh'), scripts()['ready.sh']);
        writeFileSync(join(dir, 'nodetool'), '#!/bin/sh\necho "nodetool: Failed to connect to \'127.0.0.1:7199\'" >&2\nexit 1\n', { mode: 0o755 });
        const run = spawnSync('sh', [join(dir, 'ready.sh')], { env: { PATH: `${dir}:${process.env.PATH}` }, encoding: 'utf8' });
        expect(run.status).toBe(1);
        expect(run.stdout).toContain('nodetool netstats failed: nodetool: Failed to connect');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('pre-stop.sh and prepare-config.sh against stand-ins (nodetool, curl as the API server)', () => {
    const scripts = () => only(ring().objects, 'ConfigMap', 'ring-scripts').data as { [k: string]: string };
    interface Stop { status: number | null; out: string; calls: string[]; marked: boolean }
    /**
     * Runs pre-stop.sh as pod `pod` while the API server says the StatefulSet has `replicas`
     * (undefined: no token mounted); nodetool answers `status` with `statusLines` (one list per
     * call, the last repeated) and fails `decommission` when told.
     */
    const preStop = (o: { pod: string; replicas?: number; decommissionFails?: boolean; statusLines?: string[][] }): Stop => {
      const dir = mkdtempSync(join(tmpdir(), 'cassandra-prestop-'));
      try {
        const bin = join(dir, 'bin');
        const sa = join(dir, 'sa');
        const data = join(dir, 'data');
        mkdirSync(bin); mkdirSync(data);
        if (o.replicas !== undefined) {
          mkdirSync(sa);
          writeFileSync(join(sa, 'token'), 'the-token\n');
          writeFileSync(join(sa, 'namespace'), 'db');
          writeFileSync(join(sa, 'ca.crt'), 'ca');
        }
        const set = o.pod.replace(/-[0-9]+$/, '');
        // curl: what the API server answers to GET .../statefulsets/<set>/scale
        writeFileSync(join(bin, 'curl'), ['#!/bin/sh',
          `echo "curl $*" >> "${dir}/calls"`,
          'out=""; while [ $# -gt 0 ]; do case "$1" in -o) out="$2"; shift ;; esac; shift; done',
          `printf '{"kind":"Scale","apiVersion":"autoscaling/v1","metadata":{"name":"${set}","namespace":"db"},"spec":{"replicas":${o.replicas ?? 0}},"status":{"replicas":3}}' > "$out"`,
          'printf 200', ''].join('\n'), { mode: 0o755 });
        const statuses = o.statusLines ?? [['UN  10.0.0.1  1 MiB  16  ?  host-1  a', 'UN  10.0.0.2  1 MiB  16  ?  host-2  a']];
        statuses.forEach((lines, i) => writeFileSync(join(dir, `status-${i}`), ['Datacenter: dc1', '===============', ...lines, ''].join('\n')));
        writeFileSync(join(bin, 'nodetool'), ['#!/bin/sh',
          `echo "nodetool $* heap=$MAX_HEAP_SIZE" >> "${dir}/calls"`,
          'case "$1" in',
          `  status) n=$(cat "${dir}/n" 2>/dev/null || echo 0); f="${dir}/status-$n"; [ -f "$f" ] || f="${dir}/status-${statuses.length - 1}"; echo $((n + 1)) > "${dir}/n"; cat "$f" ;;`,
          `  decommission) ${o.decommissionFails ? 'echo "error: Not enough live nodes to maintain replication factor" >&2; exit 1' : 'exit 0'} ;;`,
          '  drain) exit 0 ;;',
          'esac', ''].join('\n'), { mode: 0o755 });
        writeFileSync(join(dir, 'pre-stop.sh'), scripts()['pre-stop.sh']);
        const run = spawnSync('sh', [join(dir, 'pre-stop.sh')], {
          encoding: 'utf8',
          env: {
            PATH: `${bin}:${process.env.PATH}`,
            POD_NAME: o.pod,
            POD_IP: '10.0.0.2',
            LEAVE_DELAY: '0',
            LEAVE_POLL: '0',
            CASSANDRA_DATA: data,
            PRE_STOP_LOG: '',
            KUBERNETES_SERVICE_HOST: '10.96.0.1',
            KUBERNETES_SERVICE_PORT: '443',
            SCALE_DOWN_CHECK_SA_DIR: sa,
            SCALE_DOWN_CHECK_CLIENT: 'curl',
            TMPDIR: dir,
          },
        });
        const calls = existsSync(join(dir, 'calls')) ? readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n') : [];
        return { status: run.status, out: run.stdout + run.stderr, calls, marked: existsSync(join(data, '.decommissioned')) };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    const nodetool = (stop: Stop) => stop.calls.filter((c) => c.startsWith('nodetool')).map((c) => c.split(' ')[1]);

    test('scaled away (ordinal 2, replicas 2): decommission, a mark on the volume, no drain', () => {
      const stop = preStop({ pod: 'ring-a-2', replicas: 2 });
      expect(stop.status).toBe(0);
      expect(nodetool(stop)).toEqual(['status', 'decommission']);
      expect(stop.calls[0]).toMatch(/^curl .*https:\/\/10\.96\.0\.1:443\/apis\/apps\/v1\/namespaces\/db\/statefulsets\/ring-a\/scale$/);
      expect(stop.calls.find((c) => c.startsWith('nodetool decommission'))).toContain('heap=128M');
      expect(stop.marked).toBe(true);
      expect(stop.out).toMatch(/scale-down check: scaled-away: pod ring-a-2: ordinal 2 >= spec.replicas 2 of StatefulSet ring-a/);
      expect(stop.out).toMatch(/preStop: decommissioned in \d+ s: this node has left the ring/);
    });

    test('a restart (ordinal 1, replicas 3): drain only', () => {
      const stop = preStop({ pod: 'ring-1', replicas: 3 });
      expect(stop.status).toBe(0);
      expect(nodetool(stop)).toEqual(['drain']);
      expect(stop.marked).toBe(false);
      expect(stop.out).toMatch(/preStop: restart: draining/);
    });

    test('cannot tell (no token mounted): a restart, drain only', () => {
      const stop = preStop({ pod: 'ring-2' });
      expect(nodetool(stop)).toEqual(['drain']);
      expect(stop.calls.some((c) => c.startsWith('curl'))).toBe(false);
      expect(stop.out).toMatch(/no service account token/);
    });

    test('kubectl scale --replicas=0 (the StatefulSet still exists) is a pause, not a shrink: drain only', () => {
      const stop = preStop({ pod: 'ring-0', replicas: 0 });
      expect(nodetool(stop)).toEqual(['drain']);
      expect(stop.marked).toBe(false);
      expect(stop.out).toMatch(/preStop: paused: draining, not leaving the ring/);
    });

    test('a failed decommission falls back to the drain, leaves no mark, and says what to do', () => {
      const stop = preStop({ pod: 'ring-3', replicas: 3, decommissionFails: true });
      expect(stop.status).toBe(0);
      expect(nodetool(stop)).toEqual(['status', 'decommission', 'drain']);
      expect(stop.marked).toBe(false);
      expect(stop.out).toMatch(/nodetool decommission failed after \d+ s: draining; this node stays in the ring, down \(DN\): see Scaling in the Cassandra docs \(nodetool removenode\)/);
    });

    test('it waits while another node is leaving or joining, then decommissions', () => {
      const stop = preStop({
        pod: 'ring-b-1',
        replicas: 1,
        statusLines: [
          ['UN  10.0.0.2  1 MiB  16  ?  host-2  b', 'UL  10.0.0.3  1 MiB  16  ?  host-3  a'],
          ['UN  10.0.0.2  1 MiB  16  ?  host-2  b', 'UJ  10.0.0.4  1 MiB  16  ?  host-4  c'],
          ['UL  10.0.0.2  1 MiB  16  ?  host-2  b', 'UN  10.0.0.1  1 MiB  16  ?  host-1  a'],
        ],
      });
      expect(nodetool(stop)).toEqual(['status', 'status', 'status', 'decommission']);
      expect(stop.out).toMatch(/waiting for another node's range movement to end before leaving: UL +10\.0\.0\.3/);
      expect(stop.out).toMatch(/waiting for another node's range movement to end before leaving: UJ +10\.0\.0\.4/);
    });

    test('prepare-config.sh clears a volume marked decommissioned (the set grew back), and leaves others alone', () => {
      const dir = mkdtempSync(join(tmpdir(), 'cassandra-prepare-'));
      try {
        const rendered = join(dir, 'rendered');
        mkdirSync(rendered);
        writeFileSync(join(rendered, 'cassandra.yaml'), 'listen_address: __POD_IP__\n');
        writeFileSync(join(rendered, 'rackdc-a.properties'), 'dc=dc1\nrack=a\n');
        mkdirSync(join(dir, 'source'));
        mkdirSync(join(dir, 'target'));
        const data = join(dir, 'data');
        for (const d of ['data', 'commitlog', 'hints', 'saved_caches', 'cdc_raw']) {
          mkdirSync(join(data, d), { recursive: true });
          writeFileSync(join(data, d, 'file'), 'x');
        }
        writeFileSync(join(dir, 'prepare.sh'), scripts()['prepare-config.sh']);
        const prepare = () => spawnSync('sh', [join(dir, 'prepare.sh')], {
          encoding: 'utf8',
          env: { PATH: process.env.PATH, SOURCE_CONF: join(dir, 'source'), RENDERED_CONF: rendered, TARGET_CONF: join(dir, 'target'), POD_IP: '10.0.0.3', CASSANDRA_RACK: 'a', CASSANDRA_DATA: data },
        });
        // WHEN not marked THEN the data stays
        expect(prepare().status).toBe(0);
        expect(existsSync(join(data, 'data', 'file'))).toBe(true);
        // WHEN marked THEN every Cassandra directory is cleared, the mark too, and it says why
        writeFileSync(join(data, '.decommissioned'), '2026-01-01T00:00:00Z\n');
        writeFileSync(join(data, 'lost+found'), '');
        const run = prepare();
        expect(run.status).toBe(0);
        expect(run.stdout).toMatch(/this volume belongs to a node that decommissioned itself \(2026-01-01T00:00:00Z\): its data was streamed to the ring; clearing it so that the node bootstraps anew/);
        for (const d of ['data', 'commitlog', 'hints', 'saved_caches', 'cdc_raw', '.decommissioned']) {
          expect(existsSync(join(data, d))).toBe(false);
        }
        expect(existsSync(join(data, 'lost+found'))).toBe(true);
        expect(readFileSync(join(dir, 'target', 'cassandra.yaml'), 'utf8')).toBe('listen_address: 10.0.0.3\n');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  test('Testing.synth of an app with two rings in one namespace refuses a name clash', () => {
    const chart = newChart();
    new Cassandra(chart, 'ring');
    new Cassandra(chart, 'other', { name: 'ring' });
    expect(() => Testing.synth(chart)).toThrow(/test\/\w+ and test\/\w+ both create objects named .*'ring'/);
  });
});

describe('Cassandra TLS and authentication', () => {
  const server = (objects: any[], name = 'ring') => mainContainer(only(objects, 'StatefulSet', name));
  const certificates = { certificates: TlsCertificates.fromSecret('ring-tls') };

  test('PasswordAuthenticator, CassandraAuthorizer and CassandraRoleManager by default; the password only as a Secret reference', () => {
    const { objects } = ring();
    const yaml = cassandraYaml(objects);
    expect(setting(yaml, 'authenticator')).toBe('PasswordAuthenticator');
    expect(setting(yaml, 'authorizer')).toBe('CassandraAuthorizer');
    expect(setting(yaml, 'role_manager')).toBe('CassandraRoleManager');
    expect(setting(yaml, 'client_encryption_options')).toBeUndefined();
    const env = envOf(server(objects));
    expect(env).toMatchObject({ ADMIN_USER: 'admin', CASSANDRA_DC: 'dc1', AUTH_REPLICATION: '3' });
    expect(env.ADMIN_PASSWORD).toEqual({ secretKeyRef: { name: 'ring-credentials', key: 'password' } });
    expect(env.TLS_STORE_DIR).toBeUndefined();
    expect(env.CQLSH_PASSWORD_IN_CQLSHRC).toBeUndefined();
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(objects.filter((o) => o.kind === 'Job').map((j) => j.metadata.name)).toEqual([expect.stringMatching(/^ring-credentials-init-/)]);
  });

  test('passwordAuthentication false keeps AllowAll, and the superuser is still created (the first step for an existing ring)', () => {
    const { objects } = ring({ passwordAuthentication: false });
    const yaml = cassandraYaml(objects);
    expect(setting(yaml, 'authenticator')).toBe('AllowAllAuthenticator');
    expect(setting(yaml, 'authorizer')).toBe('AllowAllAuthorizer');
    expect(envOf(server(objects)).ADMIN_PASSWORD).toEqual({ secretKeyRef: { name: 'ring-credentials', key: 'password' } });
    expect(() => ring({ passwordAuthentication: 'no' } as unknown as CassandraProps)).toThrow(/'passwordAuthentication' must be true or false, got 'no'/);
  });

  test.each(['authenticator', 'authorizer', 'role_manager'])('config.%s is refused: the construct sets it', (key) => {
    expect(() => ring({ config: { [key]: 'AllowAllAuthenticator' } })).toThrow(new RegExp(`test/ring: 'config.${key}' cannot be overridden: it is `));
  });

  test('system_auth replicas: the declared replicationFactor, at most 3', () => {
    expect(envOf(server(ring({ replicationFactor: 2 }).objects)).AUTH_REPLICATION).toBe('2');
    expect(envOf(server(ring({ replicas: 5, replicationFactor: 5 }).objects)).AUTH_REPLICATION).toBe('3');
  });

  test('auth reads at LOCAL_ONE below 3 replicas of system_auth (LOCAL_QUORUM of 2 is both); Cassandra\'s default from 3', () => {
    expect(setting(cassandraYaml(ring({ replicationFactor: 2 }).objects), 'auth_read_consistency_level')).toBe('LOCAL_ONE');
    expect(setting(cassandraYaml(ring({ replicationFactor: 1 }).objects), 'auth_read_consistency_level')).toBe('LOCAL_ONE');
    expect(setting(cassandraYaml(ring().objects), 'auth_read_consistency_level')).toBeUndefined();
    expect(setting(cassandraYaml(ring({ replicationFactor: 3 }).objects), 'auth_read_consistency_level')).toBeUndefined();
    // 4.0 has no such setting; without authentication there is nothing to read.
    expect(setting(cassandraYaml(ring({ replicationFactor: 2, version: CassandraVersion.V4_0 }).objects), 'auth_read_consistency_level')).toBeUndefined();
    expect(setting(cassandraYaml(ring({ replicationFactor: 2, passwordAuthentication: false }).objects), 'auth_read_consistency_level')).toBeUndefined();
    // Yours wins.
    expect(setting(cassandraYaml(ring({ replicationFactor: 2, config: { auth_read_consistency_level: 'LOCAL_QUORUM' } }).objects), 'auth_read_consistency_level')).toBe('LOCAL_QUORUM');
  });

  test('Credentials.fromSecret: the password from your Secret and key, no generator Job; the connection names them', () => {
    const { objects, cassandra } = ring({ credentials: Credentials.fromSecret('mine', { password: 'admin-pw' }) });
    expect(envOf(server(objects)).ADMIN_PASSWORD).toEqual({ secretKeyRef: { name: 'mine', key: 'admin-pw' } });
    expect(objects.filter((o) => o.kind === 'Job')).toEqual([]);
    expect(cassandra.connection).toMatchObject({ username: 'admin', secretName: 'mine', passwordKey: 'admin-pw' });
  });

  test('connectionEnv: user, password from the Secret, TLS and CA file; no URI (Cassandra has no URI convention)', () => {
    const { cassandra } = ring({ tls: certificates });
    const env = cassandra.connectionEnv();
    expect(env).toContainEqual({ name: 'CASSANDRA_USERNAME', value: 'admin' });
    expect(env).toContainEqual({ name: 'CASSANDRA_PASSWORD', valueFrom: { secretKeyRef: { name: 'ring-credentials', key: 'password' } } });
    expect(env).toContainEqual({ name: 'CASSANDRA_TLS', value: 'required' });
    expect(env).toContainEqual({ name: 'CASSANDRA_CA_FILE', value: '/etc/cdk8s-stateful/ring/ca.crt' });
    expect(env.map((e) => e.name)).not.toContain('CASSANDRA_URI');
    expect(cassandra.connection.tls).toEqual({ required: true, caSecretName: 'ring-tls', caKey: 'ca.crt', caFile: '/etc/cdk8s-stateful/ring/ca.crt' });
  });

  test('tls: client and internode encryption from the composed PEM files, in a memory emptyDir', () => {
    const { objects } = ring({ tls: certificates });
    const yaml = cassandraYaml(objects);
    const stores = 'keystore: /var/run/cassandra-tls/keystore.pem, truststore: /var/run/cassandra-tls/truststore.pem, '
      + 'ssl_context_factory: {class_name: org.apache.cassandra.security.PEMBasedSslContextFactory}';
    expect(setting(yaml, 'client_encryption_options')).toBe(`{enabled: true, optional: false, require_client_auth: false, ${stores}}`);
    expect(setting(yaml, 'server_encryption_options'))
      .toBe(`{internode_encryption: all, require_client_auth: true, require_endpoint_verification: false, ${stores}}`);
    // The storage port stays 7000, encrypted: no legacy ssl_storage_port.
    expect(setting(yaml, 'storage_port')).toBe('7000');
    expect(setting(yaml, 'ssl_storage_port')).toBeUndefined();
    const sts = only(objects, 'StatefulSet');
    const c = mainContainer(sts);
    expect(envOf(c)).toMatchObject({ TLS_STORE_DIR: '/var/run/cassandra-tls', CQLSH_CA_FILE: '/etc/tls/ca.crt' });
    const mount = c.volumeMounts.find((m: any) => m.mountPath === '/var/run/cassandra-tls');
    const volume = sts.spec.template.spec.volumes.find((v: any) => v.name === mount.name);
    expect(volume.emptyDir).toEqual({ medium: 'Memory', sizeLimit: '1Mi' });
    expect(c.volumeMounts).toContainEqual({ name: 'tls', mountPath: '/etc/tls', readOnly: true });
  });

  test('tls.allowPlaintext makes client encryption optional; internode stays encrypted', () => {
    const yaml = cassandraYaml(ring({ tls: { ...certificates, allowPlaintext: true } }).objects);
    expect(setting(yaml, 'client_encryption_options')).toMatch(/^\{enabled: true, optional: true, /);
    expect(setting(yaml, 'server_encryption_options')).toMatch(/^\{internode_encryption: all, require_client_auth: true, /);
  });

  test('tls on Cassandra 4.0 is refused (no PEM support); 4.1 is accepted; 4.0 cqlsh gets its password from cqlshrc', () => {
    expect(() => ring({ version: CassandraVersion.V4_0, tls: certificates }))
      .toThrow(/test\/ring: 'tls' needs Cassandra 4\.1 or newer: .*PEMBasedSslContextFactory.*got '4\.0\.19'/);
    expect(setting(cassandraYaml(ring({ version: CassandraVersion.V4_1, tls: certificates }).objects), 'server_encryption_options')).toContain('PEMBasedSslContextFactory');
    expect(envOf(server(ring({ version: CassandraVersion.V4_0 }).objects)).CQLSH_PASSWORD_IN_CQLSHRC).toBe('true');
  });

  test('with tls, the encryption options are the construct\'s; without, they stay yours', () => {
    expect(() => ring({ tls: certificates, config: { client_encryption_options: '{enabled: false}' } }))
      .toThrow(/'config.client_encryption_options' cannot be overridden with 'tls' set/);
    expect(() => ring({ tls: certificates, config: { server_encryption_options: '{internode_encryption: none}' } }))
      .toThrow(/'config.server_encryption_options' cannot be overridden with 'tls' set/);
    expect(setting(cassandraYaml(ring({ config: { client_encryption_options: '{enabled: false}' } }).objects), 'client_encryption_options')).toBe('{enabled: false}');
  });

  describe('tls.sh', () => {
    const script = () => only(ring({ tls: certificates }).objects, 'ConfigMap', 'ring-scripts').data['tls.sh'] as string;
    const run = (key: string, args: string[] = []) => {
      const dir = mkdtempSync(join(tmpdir(), 'cassandra-tls-'));
      try {
        mkdirSync(join(dir, 'tls'));
        writeFileSync(join(dir, 'tls', 'tls.key'), key);
        writeFileSync(join(dir, 'tls', 'tls.crt'), '-----BEGIN CERTIFICATE-----\ncert\n-----END CERTIFICATE-----\n');
        writeFileSync(join(dir, 'tls', 'ca.crt'), '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n');
        writeFileSync(join(dir, 'tls.sh'), script().split('/etc/tls/').join(`${dir}/tls/`));
        writeFileSync(join(dir, 'nodetool'), `#!/bin/sh\necho "$@" > ${dir}/nodetool.args\n`, { mode: 0o755 });
        const result = spawnSync('sh', [join(dir, 'tls.sh'), ...args], {
          env: { PATH: `${dir}:${process.env.PATH}`, TLS_STORE_DIR: join(dir, 'store') }, encoding: 'utf8',
        });
        const read = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : undefined);
        return { status: result.status, stderr: result.stderr, keystore: read('store/keystore.pem'), truststore: read('store/truststore.pem'), nodetool: read('nodetool.args') };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    const pkcs8 = '-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n';

    test('composes the keystore (key, then chain) and the truststore; reload runs nodetool reloadssl', () => {
      const composed = run(pkcs8);
      expect(composed.status).toBe(0);
      expect(composed.keystore).toBe(`${pkcs8}-----BEGIN CERTIFICATE-----\ncert\n-----END CERTIFICATE-----\n`);
      expect(composed.truststore).toBe('-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n');
      expect(composed.nodetool).toBeUndefined();
      expect(run(pkcs8, ['reload']).nodetool).toBe('reloadssl\n');
    });

    test.each(['EC PRIVATE KEY', 'RSA PRIVATE KEY', 'ENCRYPTED PRIVATE KEY'])('refuses a %s key, with the reason and the fix', (kind) => {
      const refused = run(`-----BEGIN ${kind}-----\nkey\n-----END ${kind}-----\n`);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain(`holds '-----BEGIN ${kind}-----'; this server reads only unencrypted PKCS#8 keys`);
      expect(refused.stderr).toContain('openssl pkcs8 -topk8 -nocrypt');
      expect(refused.keystore).toBeUndefined();
    });
  });

  describe('auth.sh, against a stand-in cqlsh that keeps the roles in a file', () => {
    const script = () => only(ring().objects, 'ConfigMap', 'ring-scripts').data['auth.sh'] as string;
    // Logins are checked against roles ('name|login|superuser|password'); every call's argv is logged.
    const CQLSH = `#!/bin/sh
echo "$*" >> "$STATE/argv"
rc=""; stmt=""
while [ $# -gt 0 ]; do
  case "$1" in
    --cqlshrc) rc="$2"; shift 2 ;;
    -e) stmt="$2"; shift 2 ;;
    -f) stmt="$(cat "$2")"; shift 2 ;;
    *) shift ;;
  esac
done
creds="$(sed -n 's/^credentials = //p' "$rc")"
user="$(sed -n 's/^username = //p' "$creds")"
pass="$(sed -n 's/^password = //p' "$creds")"
[ -f "$STATE/up" ] || { echo "Connection error: ('Unable to connect to any servers')"; exit 1; }
grep -qxF "$user|True|True|$pass" "$STATE/roles" || { echo "AuthenticationFailed('Provided username $user and/or password are incorrect')"; exit 2; }
case "$stmt" in
  "SELECT role, can_login"*) printf ' role | can_login | is_superuser\\n------+-----+-----\\n'; cut -d'|' -f1-3 "$STATE/roles" | sed 's/|/ | /g' ;;
  "CREATE ROLE"*)
    [ -f "$STATE/create-is-lost" ] && exit 0
    name="$(printf '%s' "$stmt" | sed -n 's/^CREATE ROLE IF NOT EXISTS "\\([^"]*\\)".*/\\1/p')"
    pw="$(printf '%s' "$stmt" | sed -n "s/.*PASSWORD = '\\(.*\\)' AND SUPERUSER.*/\\1/p" | sed "s/''/'/g")"
    echo "$name|True|True|$pw" >> "$STATE/roles" ;;
  "ALTER ROLE cassandra WITH SUPERUSER = false AND LOGIN = false") sed -i 's/^cassandra|True|True|/cassandra|False|False|/' "$STATE/roles" ;;
  "SELECT replication"*) printf ' replication\\n---\\n %s\\n' "$(cat "$STATE/replication")" ;;
  "ALTER KEYSPACE system_auth"*)
    echo "$stmt" >> "$STATE/altered"
    nts="'class': 'org.apache.cassandra.locator.NetworkTopologyStrategy'"
    printf '%s' "$stmt" | sed -n "s/.*'dc1': \\([0-9]*\\)}.*/{$nts, 'dc1': '\\1'}/p" > "$STATE/replication" ;;
  *) echo "unexpected: $stmt"; exit 2 ;;
esac
`;
    const NODETOOL = `#!/bin/sh
case "$1" in
  status) printf 'Datacenter: dc1\\n=======\\n'; i=0; while [ "$i" -lt "$(cat "$STATE/live")" ]; do i=$((i + 1)); echo "UN  10.0.0.$i  1 MiB  16  ?  id$i  a"; done
    # A growing ring: one more node at every look, up to 3.
    if [ -f "$STATE/grow" ] && [ "$(cat "$STATE/live")" -lt 3 ]; then echo $(($(cat "$STATE/live") + 1)) > "$STATE/live"; fi ;;
  repair) echo "$*" >> "$STATE/repaired" ;;
esac
`;
    const PASSWORD = "it's a p@ss";
    interface RingState { roles: string[]; up?: boolean; live?: number; grow?: boolean; replication?: string; createIsLost?: boolean; seeds?: string }
    const bootstrap = (state: RingState, timeoutMs = 20000) => {
      const dir = mkdtempSync(join(tmpdir(), 'cassandra-auth-'));
      try {
        const st = join(dir, 'state');
        mkdirSync(st);
        mkdirSync(join(dir, 'tmp'));
        writeFileSync(join(st, 'roles'), state.roles.map((r) => `${r}\n`).join(''));
        writeFileSync(join(st, 'live'), String(state.live ?? 3));
        writeFileSync(join(st, 'replication'), state.replication ?? "{'class': 'org.apache.cassandra.locator.SimpleStrategy', 'replication_factor': '1'}");
        if (state.up ?? true) { writeFileSync(join(st, 'up'), ''); }
        if (state.createIsLost) { writeFileSync(join(st, 'create-is-lost'), ''); }
        if (state.grow) { writeFileSync(join(st, 'grow'), ''); }
        mkdirSync(join(dir, 'conf'));
        writeFileSync(join(dir, 'conf', 'cassandra.yaml'),
          `seed_provider: [{class_name: org.apache.cassandra.locator.SimpleSeedProvider, parameters: [{seeds: "${state.seeds ?? '10.0.0.1,10.0.0.2'}"}]}]\n`);
        writeFileSync(join(dir, 'cqlsh'), CQLSH, { mode: 0o755 });
        writeFileSync(join(dir, 'nodetool'), NODETOOL, { mode: 0o755 });
        writeFileSync(join(dir, 'auth.sh'), script());
        const result = spawnSync('sh', [join(dir, 'auth.sh')], {
          env: {
            PATH: `${dir}:${process.env.PATH}`,
            STATE: st,
            TMPDIR: join(dir, 'tmp'),
            ADMIN_USER: 'admin',
            ADMIN_PASSWORD: PASSWORD,
            POD_IP: '10.0.0.1',
            CASSANDRA_DC: 'dc1',
            AUTH_REPLICATION: '3',
            AUTH_RETRY_SECONDS: '0.1',
            AUTH_RECHECK_SECONDS: '0.1',
            CASSANDRA_CONF: join(dir, 'conf'),
          },
          encoding: 'utf8',
          timeout: timeoutMs,
        });
        const read = (f: string) => (existsSync(join(st, f)) ? readFileSync(join(st, f), 'utf8') : '');
        return {
          status: result.status,
          stdout: result.stdout,
          roles: read('roles').trim().split('\n'),
          argv: read('argv'),
          altered: read('altered'),
          repaired: read('repaired'),
          leftInTmp: existsSync(join(dir, 'tmp')) ? readdirSync(join(dir, 'tmp')) : [],
        };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };

    test('a new ring: admin created, the default superuser disabled, system_auth replicated and repaired; no password in argv', () => {
      const r = bootstrap({ roles: ['cassandra|True|True|cassandra'] });
      expect(r.status).toBe(0);
      expect(r.roles).toEqual(['cassandra|False|False|cassandra', `admin|True|True|${PASSWORD}`]);
      expect(r.altered).toBe("ALTER KEYSPACE system_auth WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3}\n");
      expect(r.repaired).toBe('repair -full system_auth\n');
      expect(r.stdout).toContain('auth-bootstrap: created the superuser admin');
      expect(r.stdout).toContain('auth-bootstrap: disabled the default superuser cassandra');
      expect(r.stdout).toMatch(/auth-bootstrap: done\n$/);
      expect(r.argv).not.toContain('p@ss');
      // The private directory with the credentials files is removed.
      expect(r.leftInTmp).toEqual([]);
    });

    test('creates no role before every seed is Up/Normal (a seed joins without streaming)', () => {
      const r = bootstrap({ roles: ['cassandra|True|True|cassandra'], live: 1 }, 1500);
      expect(r.status).toBeNull();
      expect(r.stdout).toContain('auth-bootstrap: waiting for seed 10.0.0.2 (10.0.0.2) to be Up/Normal before creating roles');
      expect(r.roles).toEqual(['cassandra|True|True|cassandra']);
      expect(r.argv).not.toContain('create.cql');
    });

    test('waits for the node to serve CQL, then does its work', () => {
      const r = bootstrap({ roles: ['cassandra|True|True|cassandra'], up: false }, 1500);
      expect(r.status).toBeNull();
      expect(r.stdout).toContain('auth-bootstrap: no login yet as admin or the default superuser: Connection error');
      expect(r.roles).toEqual(['cassandra|True|True|cassandra']);
    });

    test('idempotent: admin exists and cassandra is disabled: nothing is created or altered', () => {
      const r = bootstrap({
        roles: ['cassandra|False|False|cassandra', `admin|True|True|${PASSWORD}`],
        replication: "{'class': 'org.apache.cassandra.locator.NetworkTopologyStrategy', 'dc1': '3'}",
      });
      expect(r.status).toBe(0);
      expect(r.roles).toEqual(['cassandra|False|False|cassandra', `admin|True|True|${PASSWORD}`]);
      expect(r.argv).not.toMatch(/create\.cql|ALTER/);
      expect(r.altered).toBe('');
      expect(r.stdout).toContain('system_auth keeps its replication (3 in dc1)');
      expect(r.stdout).toMatch(/auth-bootstrap: done\n$/);
    });

    test('never locks the ring out: if the new superuser cannot log in, the default one stays', () => {
      const r = bootstrap({ roles: ['cassandra|True|True|cassandra'], createIsLost: true }, 1500);
      expect(r.roles).toEqual(['cassandra|True|True|cassandra']);
      expect(r.stdout).toContain('auth-bootstrap: admin cannot log in as a superuser yet');
      expect(r.argv).not.toContain('ALTER ROLE');
    });

    test('a ring smaller than the target: as many replicas as nodes, then raised and repaired as nodes join', () => {
      const small = bootstrap({ roles: ['cassandra|True|True|cassandra'], live: 2 }, 2000);
      // Still watching for the ring to grow: not done, and no second ALTER while it has 2 nodes.
      expect(small.status).toBeNull();
      expect(small.altered).toBe("ALTER KEYSPACE system_auth WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 2}\n");
      // One seed; the stand-in ring gains a node at every nodetool status.
      const growing = bootstrap({ roles: ['cassandra|True|True|cassandra'], live: 1, grow: true, seeds: '10.0.0.1' });
      expect(growing.status).toBe(0);
      expect(growing.altered.trim().split('\n').map((l) => l.replace(/.*'dc1': /, ''))).toEqual(['2}', '3}']);
      expect(growing.repaired.trim().split('\n')).toHaveLength(2);
      expect(growing.stdout).toMatch(/auth-bootstrap: done\n$/);
    });

    test('system_auth: never lowered, other datacenters left alone', () => {
      const high = bootstrap({ roles: ['cassandra|True|True|cassandra'], replication: "{'class': 'org.apache.cassandra.locator.NetworkTopologyStrategy', 'dc1': '5'}" });
      expect(high.altered).toBe('');
      const simple = bootstrap({ roles: ['cassandra|True|True|cassandra'], live: 2, replication: "{'class': 'org.apache.cassandra.locator.SimpleStrategy', 'replication_factor': '3'}" });
      expect(simple.altered).toContain("'dc1': 3}");
      const multi = bootstrap({ roles: ['cassandra|True|True|cassandra'], replication: "{'class': 'org.apache.cassandra.locator.NetworkTopologyStrategy', 'dc1': '1', 'dc2': '3'}" });
      expect(multi.altered).toBe('');
      expect(multi.stdout).toContain("system_auth is replicated to other datacenters too ('dc2': '3'): left as it is");
    });
  });
});
