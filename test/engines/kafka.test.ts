import { spawnSync } from 'child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { AccessMode, Kafka, KafkaProps, KafkaVersion, Provisioner, SpreadMode, StorageClass } from '../../src';
import { testShellcheck } from '../shellcheck';
import { appYaml, parseProperties, selects } from '../util';

process.env.CDK8S_STATEFUL_QUIET = '1';

function synth(props: KafkaProps = {}, options: { id?: string; namespace?: string } = {}) {
  const app = Testing.app();
  const chart = new Chart(app, 'test', { namespace: options.namespace ?? 'db' });
  const kafka = new Kafka(chart, options.id ?? 'events', props);
  const objects: any[] = Testing.synth(chart);
  const find = (kind: string, name: string) => {
    const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
    if (!found) { throw new Error(`no ${kind} ${name} in ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`); }
    return found;
  };
  const name = kafka.workload.name;
  const sts = find('StatefulSet', name);
  const pod = sts.spec.template.spec;
  const broker = pod.containers[0];
  const properties = parseProperties(find('ConfigMap', `${name}-config`).data['server.properties']);
  const script: string = find('ConfigMap', `${name}-scripts`).data['start.sh'];
  return { kafka, objects, find, name, sts, pod, broker, properties, script };
}

function controllerSet(s: ReturnType<typeof synth>) {
  const sts = s.find('StatefulSet', `${s.name}-controller`);
  const container = sts.spec.template.spec.containers[0];
  const properties = parseProperties(s.find('ConfigMap', `${s.name}-controller-config`).data['server.properties']);
  return { sts, container, properties };
}

function env(container: any, name: string): any {
  return container.env.find((e: any) => e.name === name);
}

function mountOf(container: any, path: string): any {
  return container.volumeMounts.find((m: any) => m.mountPath === path);
}

function warnings(kafka: Kafka): string[] {
  return kafka.node.metadata.filter((m) => m.type === 'cdk8s-stateful:warning').map((m) => String(m.data));
}

/* eslint-disable @typescript-eslint/no-deprecated */
const VERSIONS: Array<[string, KafkaVersion]> = [
  ['3.8', KafkaVersion.V3_8],
  ['3.9', KafkaVersion.V3_9],
  ['4.0', KafkaVersion.V4_0],
  ['4.1', KafkaVersion.V4_1],
  ['4.2', KafkaVersion.V4_2],
  ['4.3', KafkaVersion.V4_3],
  ['4.4', KafkaVersion.V4_4],
];
/* eslint-enable @typescript-eslint/no-deprecated */

describe('versions', () => {
  test.each(VERSIONS)('%s: official apache/kafka image pinned to the full version, KRaft config', (major, version) => {
    // WHEN
    const { sts, broker, properties } = synth({ version });
    // THEN
    expect(version.majorVersion).toBe(major);
    expect(version.fullVersion).toMatch(new RegExp(`^${major.replace('.', '\\.')}\\.[0-9]+$`));
    expect(broker.image).toBe(`apache/kafka:${version.fullVersion}`);
    expect(sts.metadata.labels['app.kubernetes.io/version']).toBe(version.fullVersion);
    expect(properties['process.roles']).toBe('broker,controller');
    expect(properties['controller.quorum.voters']).toBeDefined();
    expect(Object.keys(properties).some((k) => k.startsWith('zookeeper'))).toBe(false);
  });

  test('default is 4.4; of() pins another release; image overrides the registry', () => {
    expect(synth().broker.image).toBe('apache/kafka:4.4.0');
    expect(synth({ version: KafkaVersion.of('4.3.0', '4.3') }).broker.image).toBe('apache/kafka:4.3.0');
    const { broker, kafka } = synth({ image: 'registry.example.com/kafka:4.4.0' });
    expect(broker.image).toBe('registry.example.com/kafka:4.4.0');
    expect(kafka.version).toBe(KafkaVersion.V4_4);
  });

  test('an unpinned image is refused', () => {
    expect(() => synth({ image: 'apache/kafka' })).toThrow(/image' must pin a version tag/);
    expect(() => synth({ image: 'apache/kafka:latest' })).toThrow(/must pin a version tag/);
  });

  test('releases without an official image (KRaft before 3.7), and mismatched versions, are refused', () => {
    expect(() => synth({ version: KafkaVersion.of('3.2.3', '3.2') })).toThrow(/test\/events: 'version' must be Kafka 3.7 to 4.x \(what the rendered configuration and scripts support\), got '3.2.3'/);
    expect(() => synth({ version: KafkaVersion.of('2.8.2', '2.8') })).toThrow(/must be Kafka 3.7 to 4.x/);
    expect(() => synth({ version: KafkaVersion.of('4.3.1', '4.4') })).toThrow(/with a full version of 3 numbers that starts with its release line/);
    expect(() => synth({ version: KafkaVersion.of('4.30.1', '4.3') })).toThrow(/with a full version of 3 numbers that starts with its release line/);
    expect(() => synth({ version: KafkaVersion.of('latest', 'latest') })).toThrow(/must be a version of Kafka 3.7 to 4.x/);
    expect(() => synth({ version: KafkaVersion.of('3.3.2', '3.3') })).toThrow(/must be Kafka 3.7 to 4.x/);
    expect(() => synth({ version: KafkaVersion.of('3.7.2', '3.7') })).not.toThrow();
  });
});

describe('combined mode (default)', () => {
  test('three broker+controller nodes in one StatefulSet, all started at once', () => {
    // WHEN
    const { objects, sts, pod } = synth();
    // THEN
    expect(objects.filter((o) => o.kind === 'StatefulSet')).toHaveLength(1);
    expect(sts.metadata.name).toBe('events');
    expect(sts.spec.replicas).toBe(3);
    expect(sts.spec.podManagementPolicy).toBe('Parallel');
    expect(sts.spec.serviceName).toBe('events-headless');
    expect(sts.spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'kafka',
      'app.kubernetes.io/instance': 'events',
      'app.kubernetes.io/component': 'broker',
    });
    expect(pod.terminationGracePeriodSeconds).toBe(180);
    expect(pod.securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, runAsNonRoot: true });
  });

  test('voters are every pod\'s headless DNS name on 9093; node.id comes from the ordinal', () => {
    // WHEN
    const { properties, broker } = synth();
    // THEN
    expect(properties['controller.quorum.voters']).toBe([
      '0@events-0.events-headless.db.svc.cluster.local:9093',
      '1@events-1.events-headless.db.svc.cluster.local:9093',
      '2@events-2.events-headless.db.svc.cluster.local:9093',
    ].join(','));
    expect(properties['node.id']).toBe('@NODE_ID@');
    expect(env(broker, 'KAFKA_NODE_ID_OFFSET').value).toBe('0');
    expect(env(broker, 'POD_NAME').valueFrom.fieldRef.fieldPath).toBe('metadata.name');
    expect(properties['controller.quorum.bootstrap.servers']).toBeUndefined();
  });

  test('listeners: explicit names and protocols, per-pod advertised broker listener', () => {
    // WHEN
    const { properties, broker } = synth();
    // THEN
    expect(properties.listeners).toBe('BROKER://:9092,CONTROLLER://:9093');
    expect(properties['advertised.listeners']).toBe('BROKER://@POD_NAME@.events-headless.db.svc.cluster.local:9092');
    // SASL by default (test/engines/kafka/security.test.ts): SCRAM on the broker listener, PLAIN on the controller one.
    expect(properties['listener.security.protocol.map']).toBe('BROKER:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT');
    expect(properties['controller.listener.names']).toBe('CONTROLLER');
    expect(properties['inter.broker.listener.name']).toBe('BROKER');
    expect(broker.ports).toEqual([{ name: 'broker', containerPort: 9092 }, { name: 'controller', containerPort: 9093 }]);
  });

  test('the cluster domain is used in every DNS name', () => {
    // WHEN
    const { properties, kafka } = synth({ clusterDomain: 'corp.internal' });
    // THEN
    expect(properties['advertised.listeners']).toContain('.events-headless.db.svc.corp.internal:9092');
    expect(properties['controller.quorum.voters']).toContain('0@events-0.events-headless.db.svc.corp.internal:9093');
    expect(kafka.connection.bootstrapServers).toBe('events.db.svc.corp.internal:9092');
  });

  test('any number of brokers: the voters are the first 3 (1 below 3 brokers), the others brokers only', () => {
    expect(synth({ brokers: 4 }).kafka.voterCount).toBe(3);
    expect(synth({ brokers: 2 }).kafka.voterCount).toBe(1);
    expect(warnings(synth({ brokers: 2 }).kafka).join('\n')).toMatch(/single KRaft controller voter/);
    expect(synth({ brokers: 12 }).sts.spec.replicas).toBe(12);
  });

  test('a single node warns: one voter is a single point of failure', () => {
    // WHEN
    const { kafka, sts, objects } = synth({ brokers: 1 });
    // THEN
    expect(sts.spec.replicas).toBe(1);
    expect(warnings(kafka).join('\n')).toMatch(/single KRaft controller voter is a single point of failure/);
    expect(objects.filter((o) => o.kind === 'PodDisruptionBudget')).toHaveLength(0);
    expect(warnings(synth().kafka)).toEqual([]);
  });

  test.each([0, -1, 2.5, NaN])('brokers %p is refused', (brokers) => {
    expect(() => synth({ brokers })).toThrow(/'brokers' must be a positive integer/);
  });

  test('five combined nodes are three voters by default, five with voters: 5', () => {
    expect(synth({ brokers: 5 }).properties['controller.quorum.voters'].split(',')).toHaveLength(3);
    expect(synth({ brokers: 5, voters: 5 }).properties['controller.quorum.voters'].split(',')).toHaveLength(5);
  });
});

describe('dedicated controllers', () => {
  test('a second StatefulSet <name>-controller with component controller and node ids from 1000', () => {
    // WHEN
    const s = synth({ brokers: 4, controllers: 3 });
    const c = controllerSet(s);
    // THEN
    expect(s.objects.filter((o) => o.kind === 'StatefulSet')).toHaveLength(2);
    expect(c.sts.spec.replicas).toBe(3);
    expect(c.sts.spec.podManagementPolicy).toBe('Parallel');
    expect(c.sts.spec.serviceName).toBe('events-controller-headless');
    expect(c.sts.spec.selector.matchLabels['app.kubernetes.io/component']).toBe('controller');
    expect(s.sts.spec.selector.matchLabels['app.kubernetes.io/component']).toBe('broker');
    expect(s.sts.spec.replicas).toBe(4);
    expect(env(c.container, 'KAFKA_NODE_ID_OFFSET').value).toBe('1000');
    expect(env(s.broker, 'KAFKA_NODE_ID_OFFSET').value).toBe('0');
    expect(env(c.container, 'KAFKA_CLUSTER_ID').value).toBe(env(s.broker, 'KAFKA_CLUSTER_ID').value);
    expect(s.kafka.controllerWorkload?.name).toBe('events-controller');
    expect(s.kafka.controllerConfigMap).toBeDefined();
  });

  test('brokers and controllers share one voter list of the controllers\' DNS names', () => {
    // WHEN
    const s = synth({ brokers: 2, controllers: 3 });
    const c = controllerSet(s);
    // THEN
    const voters = [
      '1000@events-controller-0.events-controller-headless.db.svc.cluster.local:9093',
      '1001@events-controller-1.events-controller-headless.db.svc.cluster.local:9093',
      '1002@events-controller-2.events-controller-headless.db.svc.cluster.local:9093',
    ].join(',');
    expect(s.properties['controller.quorum.voters']).toBe(voters);
    expect(c.properties['controller.quorum.voters']).toBe(voters);
    expect(s.properties['process.roles']).toBe('broker');
    expect(c.properties['process.roles']).toBe('controller');
    expect(s.properties.listeners).toBe('BROKER://:9092');
    expect(c.properties.listeners).toBe('CONTROLLER://:9093');
    expect(c.properties['listener.security.protocol.map']).toBe('CONTROLLER:SASL_PLAINTEXT');
    expect(c.properties['advertised.listeners']).toBeUndefined();
    expect(s.broker.ports).toEqual([{ name: 'broker', containerPort: 9092 }]);
    expect(c.container.ports).toEqual([{ name: 'controller', containerPort: 9093 }]);
    expect(c.container.readinessProbe.tcpSocket.port).toBe(9093);
    expect(s.broker.readinessProbe.tcpSocket.port).toBe(9092);
  });

  test('the bootstrap Service selects brokers only; each set has its own PDB', () => {
    // WHEN
    const s = synth({ brokers: 3, controllers: 3 });
    const c = controllerSet(s);
    const service = s.find('Service', 'events');
    // THEN
    expect(selects(service.spec.selector, s.sts.spec.template.metadata.labels)).toBe(true);
    expect(selects(service.spec.selector, c.sts.spec.template.metadata.labels)).toBe(false);
    expect(s.find('PodDisruptionBudget', 'events').spec.maxUnavailable).toBe(1);
    const controllerPdb = s.find('PodDisruptionBudget', 'events-controller');
    expect(controllerPdb.spec.maxUnavailable).toBe(1);
    expect(selects(controllerPdb.spec.selector.matchLabels, c.sts.spec.template.metadata.labels)).toBe(true);
    expect(selects(controllerPdb.spec.selector.matchLabels, s.sts.spec.template.metadata.labels)).toBe(false);
    expect(s.objects.filter((o) => o.kind === 'Service').map((o) => o.metadata.name).sort())
      .toEqual(['events', 'events-controller-headless', 'events-headless']);
  });

  test('controller storage and resources, with their defaults', () => {
    // WHEN
    const defaults = controllerSet(synth({ controllers: 3 }));
    const custom = controllerSet(synth({
      controllers: 3,
      controllerStorage: { size: Size.gibibytes(2), accessModes: [AccessMode.READ_WRITE_ONCE_POD] },
      controllerResources: { cpu: kplus.Cpu.millis(500), memory: Size.gibibytes(4) },
    }));
    // THEN
    expect(defaults.sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('5Gi');
    expect(defaults.container.resources).toEqual({ requests: { cpu: '250m', memory: '1024Mi' }, limits: { memory: '1024Mi' } });
    expect(env(defaults.container, 'KAFKA_HEAP_OPTS').value).toBe('-Xms512m -Xmx512m');
    expect(custom.sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('2Gi');
    expect(custom.sts.spec.volumeClaimTemplates[0].spec.accessModes).toEqual(['ReadWriteOncePod']);
    expect(custom.container.resources.requests.cpu).toBe('500m');
    expect(env(custom.container, 'KAFKA_HEAP_OPTS').value).toBe('-Xms2048m -Xmx2048m');
  });

  test('controller resources of the wrong type are refused in the prop the user wrote', () => {
    expect(() => synth({ controllers: 3, controllerResources: { memory: '1Gi' as any } }))
      .toThrow(/test\/events: 'controllerResources.memory' must be a Size such as Size.gibibytes\(2\), got '1Gi' \(a string\)/);
  });

  test('controller memory too small for its heap is refused', () => {
    expect(() => synth({ controllers: 3, controllerResources: { memory: Size.mebibytes(256) } }))
      .toThrow(/'controllerResources.memory' must leave room for a 256 MiB heap plus off-heap memory: use at least 342 MiB, got '256 MiB'/);
  });

  test('more than nine controllers are refused; controller props without controllers are refused, not ignored', () => {
    expect(() => synth({ controllers: 11 })).toThrow(/test\/events: 'controllers' must be at most 9/);
    expect(() => synth({ brokers: 11, controllers: 3 })).not.toThrow();
    expect(() => synth({ controllerStorage: { size: Size.gibibytes(5) } })).toThrow(/'controllerStorage' has no effect without 'controllers'/);
    expect(() => synth({ controllerResources: { memory: Size.gibibytes(1) } })).toThrow(/'controllerResources' has no effect without 'controllers'/);
  });

  test('an even number of controllers is refused; one warns; zero is refused', () => {
    expect(() => synth({ controllers: 2 })).toThrow(/test\/events: 'controllers' must be odd \(1, 3, 5, \.\.\.\).*got 2/);
    expect(() => synth({ controllers: 4, brokers: 3 })).toThrow(/'controllers' must be odd/);
    expect(() => synth({ controllers: 0 })).toThrow(/'controllers' must be a positive integer/);
    const { kafka } = synth({ controllers: 1 });
    expect(warnings(kafka).join('\n')).toMatch(/single KRaft controller voter.*'controllers: 3'/);
  });

  test('with dedicated controllers any number of brokers is fine; fewer than 3 warns', () => {
    expect(warnings(synth({ brokers: 6, controllers: 5 }).kafka)).toEqual([]);
    expect(warnings(synth({ brokers: 3, controllers: 3 }).kafka)).toEqual([]);
    expect(warnings(synth({ brokers: 2, controllers: 3 }).kafka).join('\n')).toMatch(/2 broker\(s\): .*losing one broker stops acks=all writes; use at least 3 brokers/);
    expect(warnings(synth({ brokers: 1, controllers: 3 }).kafka).join('\n')).toMatch(/loses data with its volume/);
  });
});

describe('durability defaults', () => {
  test.each([
    [1, undefined, '1', '1'],
    [2, 3, '2', '2'],
    [3, undefined, '3', '2'],
    [5, undefined, '3', '2'],
    [6, 3, '3', '2'],
  ])('%i brokers (controllers %p): replication factor %s, min ISR %s, no unclean election', (brokers, controllers, rf, isr) => {
    // WHEN
    const s = synth({ brokers, controllers });
    // THEN: on brokers and on dedicated controllers, which create topics and elect leaders in KRaft
    for (const properties of controllers ? [s.properties, controllerSet(s).properties] : [s.properties]) {
      expectDurability(properties, rf, isr);
    }
  });
});

function expectDurability(properties: { [key: string]: string }, rf: string, isr: string) {
  {
    expect(properties['default.replication.factor']).toBe(rf);
    expect(properties['offsets.topic.replication.factor']).toBe(rf);
    expect(properties['transaction.state.log.replication.factor']).toBe(rf);
    expect(properties['min.insync.replicas']).toBe(isr);
    expect(properties['transaction.state.log.min.isr']).toBe(isr);
    expect(properties['unclean.leader.election.enable']).toBe('false');
  }
}

describe('cluster id', () => {
  test('derived from namespace and name: 22 characters of base64url, the same on every synth', () => {
    // WHEN
    const a = synth();
    const b = synth();
    // THEN
    expect(a.kafka.clusterId).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    expect(Buffer.from(a.kafka.clusterId, 'base64url')).toHaveLength(16);
    expect(b.kafka.clusterId).toBe(a.kafka.clusterId);
    expect(env(a.broker, 'KAFKA_CLUSTER_ID').value).toBe(a.kafka.clusterId);
    expect(synth({}, { namespace: 'other' }).kafka.clusterId).not.toBe(a.kafka.clusterId);
    expect(synth({}, { id: 'logs' }).kafka.clusterId).not.toBe(a.kafka.clusterId);
    // The name, not the construct id, is what it derives from: renaming the construct keeps it.
    expect(synth({ name: 'events' }, { id: 'renamed' }).kafka.clusterId).toBe(a.kafka.clusterId);
  });

  test('never starts with \'-\' (the command line would read it as an option)', () => {
    for (let i = 0; i < 300; i++) {
      expect(synth({}, { id: `k${i}` }).kafka.clusterId.startsWith('-')).toBe(false);
    }
  });

  test('can be pinned', () => {
    const { kafka, broker } = synth({ clusterId: 'MkU3OEVBNTcwNTJENDM2Qk' });
    expect(kafka.clusterId).toBe('MkU3OEVBNTcwNTJENDM2Qk');
    expect(env(broker, 'KAFKA_CLUSTER_ID').value).toBe('MkU3OEVBNTcwNTJENDM2Qk');
  });

  test.each([
    ['too short', 'abc'],
    ['too long', 'MkU3OEVBNTcwNTJENDM2QkA'],
    ['not base64url', 'MkU3OEVBNTcwNTJENDM2Q+'],
    ['a leading dash', '-kU3OEVBNTcwNTJENDM2Qk'],
  ])('a pinned id with %s is refused', (_why, clusterId) => {
    expect(() => synth({ clusterId })).toThrow(/test\/events: 'clusterId' must be a Kafka cluster id: 22 characters of base64url encoding 16 bytes/);
  });
});

describe('config', () => {
  test('server.properties is sorted, deterministic and holds only the rendered settings', () => {
    const text = synth().find('ConfigMap', 'events-config').data['server.properties'];
    const keys = text.split('\n').filter((l: string) => l && !l.startsWith('#')).map((l: string) => l.split('=')[0]);
    expect(keys).toEqual([...keys].sort());
    expect(text).toBe(synth().find('ConfigMap', 'events-config').data['server.properties']);
  });

  test('overrides win over the rendered values and reach the controllers too', () => {
    // WHEN
    const s = synth({ controllers: 3, config: { 'min.insync.replicas': '1', 'log.retention.hours': '72', 'auto.create.topics.enable': 'false' } });
    // THEN
    expect(s.properties['min.insync.replicas']).toBe('1');
    expect(s.properties['log.retention.hours']).toBe('72');
    expect(s.properties['auto.create.topics.enable']).toBe('false');
    expect(controllerSet(s).properties['log.retention.hours']).toBe('72');
  });

  test('a backslash in a value is escaped for Java properties', () => {
    const text = synth({ config: { 'ssl.keystore.location': 'C:\\keys' } }).find('ConfigMap', 'events-config').data['server.properties'];
    expect(text).toContain('ssl.keystore.location=C:\\\\keys\n');
  });

  test.each(['node.id', 'process.roles', 'controller.quorum.voters', 'controller.quorum.bootstrap.servers', 'controller.listener.names', 'log.dirs'])(
    'the managed key %s cannot be overridden', (key) => {
      expect(() => synth({ config: { [key]: 'x' } })).toThrow(new RegExp(`'config.${key.replace(/\./g, '\\.')}' is managed by the construct`));
    });

  test('multi-line values and odd keys are refused', () => {
    expect(() => synth({ config: { 'log.retention.hours': '1\nnode.id=7' } })).toThrow(/'config.log.retention.hours' must be a single line/);
    expect(() => synth({ config: { 'bad key': '1' } })).toThrow(/'config.bad key' must be a Kafka property name.*got 'bad key'/);
    expect(() => synth({ config: { 'a=b': '1' } })).toThrow(/'config.a=b' must be a Kafka property name/);
  });

  test('a change of configuration changes the pod template (pods roll)', () => {
    const a = synth().sts.spec.template.metadata.annotations['cdk8s-stateful/config-checksum'];
    const b = synth({ config: { 'log.retention.hours': '72' } }).sts.spec.template.metadata.annotations['cdk8s-stateful/config-checksum'];
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(b).not.toBe(a);
    expect(synth().sts.spec.template.metadata.annotations['cdk8s-stateful/config-checksum']).toBe(a);
  });
});

describe('resources and heap', () => {
  test('defaults: 1 CPU, 2 GiB, a 1 GiB heap, no CPU limit', () => {
    const { broker } = synth();
    expect(broker.resources).toEqual({ requests: { cpu: '1000m', memory: '2048Mi' }, limits: { memory: '2048Mi' } });
    expect(env(broker, 'KAFKA_HEAP_OPTS').value).toBe('-Xms1024m -Xmx1024m');
  });

  test.each([
    [Size.mebibytes(512), 256],
    [Size.gibibytes(8), 4096],
    [Size.gibibytes(32), 6144],
  ])('memory %p: heap %i MiB (half, clamped to 256 MiB..6 GiB)', (memory, heap) => {
    const { broker } = synth({ resources: { memory } });
    expect(env(broker, 'KAFKA_HEAP_OPTS').value).toBe(`-Xms${heap}m -Xmx${heap}m`);
    expect(broker.resources.limits.memory).toBe(broker.resources.requests.memory);
  });

  test('memory too small for the heap is refused, with the minimum', () => {
    expect(() => synth({ resources: { memory: Size.mebibytes(300) } }))
      .toThrow(/test\/events: 'resources.memory' must leave room for a 256 MiB heap plus off-heap memory: use at least 342 MiB/);
  });

  test('cpu request and limit', () => {
    const { broker } = synth({ resources: { cpu: kplus.Cpu.millis(2000), cpuLimit: kplus.Cpu.millis(4000) } });
    expect(broker.resources.requests.cpu).toBe('2000m');
    expect(broker.resources.limits.cpu).toBe('4000m');
    expect(() => synth({ resources: { cpu: kplus.Cpu.millis(2000), cpuLimit: kplus.Cpu.millis(1000) } })).toThrow(/must not exceed the limit/);
  });
});

describe('storage and filesystem', () => {
  test('a claim per broker, 20 GiB by default, log.dirs in a subdirectory of the mount', () => {
    const { sts, broker, properties } = synth();
    const claim = sts.spec.volumeClaimTemplates[0];
    expect(claim.metadata.name).toBe('data');
    expect(claim.spec.resources.requests.storage).toBe('20Gi');
    expect(claim.spec.accessModes).toEqual(['ReadWriteOnce']);
    expect(mountOf(broker, '/var/lib/kafka/data').name).toBe('data');
    expect(properties['log.dirs']).toBe('/var/lib/kafka/data/logs');
  });

  test('size, storage class and access modes', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'test', { namespace: 'db' });
    const fast = new StorageClass(chart, 'fast', { provisioner: Provisioner.awsEbs() });
    const kafka = new Kafka(chart, 'events', {
      storage: { size: Size.gibibytes(500), storageClass: fast, accessModes: [AccessMode.READ_WRITE_ONCE_POD] },
    });
    const claim = (Testing.synth(chart) as any[]).find((o) => o.kind === 'StatefulSet').spec.volumeClaimTemplates[0];
    expect(kafka.statefulSet).toBeDefined();
    expect(claim.spec.resources.requests.storage).toBe('500Gi');
    expect(claim.spec.storageClassName).toBe(fast.storageClassName);
    expect(claim.spec.accessModes).toEqual(['ReadWriteOncePod']);
  });

  test('read-only root filesystem: emptyDirs for /tmp, the logs and the rendered config', () => {
    const { broker, pod } = synth();
    expect(broker.securityContext.readOnlyRootFilesystem).toBe(true);
    const emptyDirs = pod.volumes.filter((v: any) => v.emptyDir).map((v: any) => v.name);
    for (const [path, volume] of [['/tmp', 'tmp'], ['/var/log/kafka', 'logs'], ['/etc/kafka/runtime', 'config']]) {
      expect(mountOf(broker, path).name).toBe(volume);
      expect(emptyDirs).toContain(volume);
    }
    expect(env(broker, 'LOG_DIR').value).toBe('/var/log/kafka');
    expect(env(broker, 'KAFKA_CONFIG').value).toBe('/etc/kafka/runtime/server.properties');
    expect(env(broker, 'KAFKA_CONFIG_TEMPLATE').value).toBe('/etc/kafka/template/server.properties');
  });

  test('the start script is mounted executable and is the container command', () => {
    const { broker, pod } = synth();
    const scripts = pod.volumes.find((v: any) => v.name === 'scripts');
    expect(scripts.configMap).toEqual({ name: 'events-scripts', defaultMode: 0o555 });
    expect(mountOf(broker, '/etc/kafka/scripts').readOnly).toBe(true);
    expect(broker.command).toEqual(['/etc/kafka/scripts/start.sh']);
  });
});

describe('pods', () => {
  test('combined nodes: generous startup and readiness on the broker port, liveness on the controller port of the voters', () => {
    const { broker } = synth();
    expect(broker.startupProbe).toMatchObject({ tcpSocket: { port: 9092 }, periodSeconds: 10, failureThreshold: 90 });
    expect(broker.readinessProbe).toMatchObject({ tcpSocket: { port: 9092 } });
    expect(broker.livenessProbe).toMatchObject({ periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 });
    expect(broker.livenessProbe.exec.command.slice(0, 2)).toEqual(['/bin/bash', '-c']);
  });

  test.each([
    ['events-0', '3', 0], ['events-2', '3', 0], ['events-3', '3', 0], ['events-7', '3', 0],
  ])('the liveness command on %s (voters %s) exits %d with a listening controller port', (pod, voters, status) => {
    const { broker } = synth();
    const result = spawnSync('bash', ['-c', broker.livenessProbe.exec.command[2].replace('/dev/tcp/127.0.0.1/9093', '/dev/null')], {
      env: { POD_NAME: pod, KAFKA_VOTERS: voters },
    });
    expect(result.status).toBe(status);
  });

  test('the liveness command fails on a voter whose controller port does not accept, passes on a broker-only ordinal', () => {
    const { broker } = synth();
    const command = broker.livenessProbe.exec.command[2].replace('127.0.0.1/9093', '127.0.0.1/1');
    expect(spawnSync('bash', ['-c', command], { env: { POD_NAME: 'events-1', KAFKA_VOTERS: '3' } }).status).not.toBe(0);
    expect(spawnSync('bash', ['-c', command], { env: { POD_NAME: 'events-3', KAFKA_VOTERS: '3' } }).status).toBe(0);
  });

  test('nodes with one listener get no liveness probe (it would repeat the readiness probe)', () => {
    const s = synth({ controllers: 3 });
    expect(s.broker.livenessProbe).toBeUndefined();
    expect(controllerSet(s).container.livenessProbe).toBeUndefined();
    expect(controllerSet(s).container.startupProbe).toMatchObject({ tcpSocket: { port: 9093 }, failureThreshold: 90 });
  });

  test('terminationGracePeriod, podAnnotations, placement and name are passed through', () => {
    const { sts, pod } = synth({
      terminationGracePeriod: Duration.minutes(10),
      podAnnotations: { 'prometheus.io/scrape': 'false' },
      placement: { nodeSpread: SpreadMode.NONE, zoneSpread: SpreadMode.NONE },
      name: 'bus',
    });
    expect(sts.metadata.name).toBe('bus');
    expect(pod.terminationGracePeriodSeconds).toBe(600);
    expect(sts.spec.template.metadata.annotations['prometheus.io/scrape']).toBe('false');
    expect(pod.affinity).toBeUndefined();
    expect(pod.topologySpreadConstraints).toBeUndefined();
  });

  test('default placement keeps brokers on distinct nodes and spread over zones', () => {
    const { pod, sts } = synth();
    const term = pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0];
    expect(selects(term.labelSelector.matchLabels, sts.spec.template.metadata.labels)).toBe(true);
    expect(pod.topologySpreadConstraints[0].topologyKey).toBe('topology.kubernetes.io/zone');
  });
});

describe('services and connection', () => {
  test('bootstrap Service on 9092 and headless Service publishing not-ready pods, both selecting the pods', () => {
    const { find, sts } = synth();
    const service = find('Service', 'events');
    const headless = find('Service', 'events-headless');
    const labels = sts.spec.template.metadata.labels;
    expect(service.spec.ports).toEqual([{ name: 'broker', port: 9092, targetPort: 9092 }]);
    expect(selects(service.spec.selector, labels)).toBe(true);
    expect(headless.spec.clusterIP).toBe('None');
    expect(headless.spec.publishNotReadyAddresses).toBe(true);
    expect(selects(headless.spec.selector, labels)).toBe(true);
    expect(selects(find('PodDisruptionBudget', 'events').spec.selector.matchLabels, labels)).toBe(true);
  });

  test('connection holds plain values', () => {
    const { kafka } = synth();
    expect(kafka.connection).toEqual({
      bootstrapServers: 'events.db.svc.cluster.local:9092',
      host: 'events.db.svc.cluster.local',
      port: 9092,
      serviceName: 'events',
      securityProtocol: 'SASL_PLAINTEXT',
      saslMechanism: 'SCRAM-SHA-512',
      username: 'admin',
      secretName: 'events-credentials',
      passwordKey: 'password',
      passwordVariable: 'KAFKA_PASSWORD',
      saslJaasConfig: 'org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$(KAFKA_PASSWORD)";',
    });
    expect(kafka.service.name).toBe('events');
    expect(kafka.headlessService.name).toBe('events-headless');
    expect(kafka.podDisruptionBudget).toBeDefined();
    expect(kafka.configMap.name).toBe('events-config');
    expect(kafka.scriptsConfigMap.name).toBe('events-scripts');
  });

  test('allowFrom admits the app to the broker port', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'test', { namespace: 'db' });
    const client = kplus.Pods.select(chart, 'Client', { labels: { app: 'client' } });
    new Kafka(chart, 'events', { allowFrom: [client] });
    const policy = (Testing.synth(chart) as any[]).find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'events');
    const rule = policy.spec.ingress.find((r: any) => r.from.some((f: any) => f.podSelector?.matchLabels?.app === 'client'));
    expect(rule.ports).toEqual([{ port: 9092, protocol: 'TCP' }]);
  });

  test('ConfigMaps carry the instance labels', () => {
    const s = synth({ controllers: 3 });
    expect(s.find('ConfigMap', 'events-config').metadata.labels['app.kubernetes.io/component']).toBe('broker');
    expect(s.find('ConfigMap', 'events-controller-config').metadata.labels['app.kubernetes.io/component']).toBe('controller');
    expect(s.find('ConfigMap', 'events-scripts').metadata.labels['app.kubernetes.io/instance']).toBe('events');
  });
});

describe('output', () => {
  test('no Secret, and two synths are byte-identical', () => {
    const build = (app: any) => {
      const chart = new Chart(app, 'test', { namespace: 'db' });
      new Kafka(chart, 'events', { controllers: 3, brokers: 4 });
    };
    const a = appYaml(build);
    expect(a).toBe(appYaml(build));
    expect(a).not.toMatch(/kind: Secret/);
  });

  test('two instances with one name in one namespace are refused', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'test', { namespace: 'db' });
    new Kafka(chart, 'a', { name: 'events' });
    new Kafka(chart, 'b', { name: 'events' });
    expect(() => app.synth()).toThrow(/test\/a and test\/b both create objects named .*'events'/);
  });
});

describe('start script', () => {
  testShellcheck('passes shellcheck', () => ({ 'start.sh': synth().script }), 'sh');

  /** Runs the rendered script with stand-ins for the image's bin/ scripts that log their arguments. */
  function runScript(podName: string, options: { offset?: string; formatted?: boolean } = {}) {
    // The passwords the kubelet would take from the Secret.
    const secrets = { KAFKA_PASSWORD: 'Adm1nPw', KAFKA_INTER_BROKER_PASSWORD: 'Br0kerPw', KAFKA_CONTROLLER_PASSWORD: 'C0ntrollerPw' };
    const { script, find, name } = synth({ controllers: 3 });
    const dir = mkdtempSync(join(tmpdir(), 'kafka-start-'));
    try {
      const template = find('ConfigMap', options.offset ? `${name}-controller-config` : `${name}-config`).data['server.properties'];
      const data = join(dir, 'data');
      writeFileSync(join(dir, 'template.properties'), template.replace(/\/var\/lib\/kafka\/data/g, data));
      writeFileSync(join(dir, 'start.sh'), script);
      mkdirSync(join(dir, 'bin'));
      for (const tool of ['kafka-storage.sh', 'kafka-server-start.sh']) {
        writeFileSync(join(dir, 'bin', tool), `#!/bin/sh\necho "${tool} $*" >> "${join(dir, 'calls')}"\n`);
        chmodSync(join(dir, 'bin', tool), 0o755);
      }
      if (options.formatted) {
        mkdirSync(join(data, 'logs'), { recursive: true });
        writeFileSync(join(data, 'logs', 'meta.properties'), 'cluster.id=x\n');
      }
      const result = spawnSync('sh', [join(dir, 'start.sh')], {
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH,
          POD_NAME: podName,
          KAFKA_NODE_ID_OFFSET: options.offset ?? '0',
          KAFKA_CLUSTER_ID: 'MkU3OEVBNTcwNTJENDM2Qk',
          KAFKA_CONFIG_TEMPLATE: join(dir, 'template.properties'),
          KAFKA_CONFIG: join(dir, 'runtime', 'server.properties'),
          KAFKA_HOME: dir,
          KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
          KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
          KAFKA_USERNAME: 'admin',
          ...secrets,
        },
      });
      const config = existsSync(join(dir, 'runtime', 'server.properties')) ? readFileSync(join(dir, 'runtime', 'server.properties'), 'utf8') : '';
      const calls = existsSync(join(dir, 'calls')) ? readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n') : [];
      return { status: result.status, stderr: result.stderr, config, calls, dir };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  test('renders node.id and the advertised name, formats new storage, then starts the server', () => {
    const { status, config, calls, dir } = runScript('events-2');
    expect(status).toBe(0);
    expect(parseProperties(config)['node.id']).toBe('2');
    expect(parseProperties(config)['advertised.listeners']).toBe('BROKER://events-2.events-headless.db.svc.cluster.local:9092');
    expect(config).not.toMatch(/@NODE_ID@|@POD_NAME@/);
    const runtime = join(dir, 'runtime', 'server.properties');
    expect(calls).toEqual([
      `kafka-storage.sh format --cluster-id MkU3OEVBNTcwNTJENDM2Qk --config ${runtime} --ignore-formatted`
        + ' --add-scram SCRAM-SHA-512=[name=admin,password=Adm1nPw] --add-scram SCRAM-SHA-512=[name=broker,password=Br0kerPw]',
      `kafka-server-start.sh ${runtime}`,
    ]);
  });

  test('dedicated controllers get node ids from 1000', () => {
    const { status, config } = runScript('events-controller-1', { offset: '1000' });
    expect(status).toBe(0);
    expect(parseProperties(config)['node.id']).toBe('1001');
    expect(parseProperties(config)['process.roles']).toBe('controller');
  });

  test('formatted storage is never formatted again', () => {
    const { status, calls } = runScript('events-0', { formatted: true });
    expect(status).toBe(0);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatch(/^kafka-server-start.sh /);
  });

  test('a pod name without an ordinal stops the pod', () => {
    const { status, stderr, calls } = runScript('events');
    expect(status).toBe(1);
    expect(stderr).toMatch(/no ordinal at the end of the pod name 'events'/);
    expect(calls).toEqual([]);
  });
});

describe('name', () => {
  test('a name that is not a DNS label is refused before any object is named after it', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'db' });
    expect(() => new Kafka(chart, 'Events_Bus')).toThrow(/^test\/Events_Bus: 'name' must be a DNS label .* of at most 52 characters.*, got 'Events_Bus'$/);
  });
});
