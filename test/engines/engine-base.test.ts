import { ApiObject, App, Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import {
  AccessMode, Cassandra, CassandraVersion, Credentials, EngineBase, Kafka, KafkaVersion, MongoDb, MongoDbVersion, MySql, MySqlVersion,
  IssuerKind, NetworkPeer, Postgres, PostgresVersion, PrivateKeyAlgorithm, PrivateKeyEncoding, StorageClass, TlsCertificates,
} from '../../src';
import { selects } from '../util';

process.env.CDK8S_STATEFUL_QUIET = '1';

/*
 * Every rule the engine base owns, run against all five engines from one table: a rule added to
 * the base is tested on every engine by adding one test here.
 */

interface EngineCase {
  /** Builds the engine with props on top of a small valid default. */
  readonly make: (scope: Construct, id: string, props?: any) => EngineBase;
  readonly clientPorts: number[];
  /** Props that add more StatefulSets (racks, controllers, an arbiter), with the longest derived suffix. */
  readonly topology: { props: any; suffix: string; prop: string };
  /** Props that turn the metrics exporter on, and its port. */
  readonly metrics: { props: any; port: number };
  /** A version below the supported range, and the range text. */
  readonly tooOld: () => unknown;
  readonly tooNew: () => unknown;
  readonly range: RegExp;
  /** A deprecated version, where the engine has one. */
  readonly deprecated?: () => unknown;
  /** Another engine's version. */
  readonly foreignVersion: () => unknown;
  /** The prop that counts pods. */
  readonly countProp: string;
  readonly credentialKeys: string[];
  /**
   * The connectionEnv() suffix of the ready-made client setting that refers to the password
   * variable; none for an engine without one (Cassandra). @default 'URI'
   */
  readonly passwordReference?: string | null;
  readonly image: string;
  /** After the version in the default tag (a build number). */
  readonly tagSuffix?: string;
  readonly envPrefix: string;
}

/** Three pods unless the props say otherwise; props that are not an object reach the engine as they are. */
const withReplicas = (props: any) => (props === undefined || (typeof props === 'object' && !Array.isArray(props)) ? { replicas: 3, ...props } : props);

/* eslint-disable @typescript-eslint/no-deprecated */
const ENGINES: { [name: string]: EngineCase } = {
  Postgres: {
    make: (s, id, p) => new Postgres(s, id, withReplicas(p)),
    clientPorts: [5432],
    topology: { props: {}, suffix: '', prop: 'name' },
    metrics: { props: { metrics: true }, port: 9187 },
    tooOld: () => PostgresVersion.of('12.22', '12'),
    tooNew: () => PostgresVersion.of('19.1', '19'),
    range: /PostgreSQL 13 to 18\.x/,
    deprecated: () => PostgresVersion.V13,
    foreignVersion: () => MySqlVersion.V8_4,
    countProp: 'replicas',
    credentialKeys: ['password', 'replication-password'],
    image: 'percona/percona-distribution-postgresql',
    tagSuffix: '-1',
    envPrefix: 'POSTGRES',
  },
  MySql: {
    make: (s, id, p) => new MySql(s, id, withReplicas(p)),
    clientPorts: [3306],
    topology: { props: {}, suffix: '', prop: 'name' },
    metrics: { props: { metrics: true }, port: 9104 },
    tooOld: () => MySqlVersion.of('8.0.22', '8.0'),
    tooNew: () => MySqlVersion.of('10.0.0', '10.0'),
    range: /MySQL 8\.0\.23 to 9\.x/,
    deprecated: () => MySqlVersion.V8_0,
    foreignVersion: () => PostgresVersion.V17,
    countProp: 'replicas',
    credentialKeys: ['password', 'replication-password'],
    image: 'mysql',
    envPrefix: 'MYSQL',
  },
  MongoDb: {
    make: (s, id, p) => new MongoDb(s, id, withReplicas(p)),
    clientPorts: [27017],
    topology: { props: { replicas: 2, arbiter: true }, suffix: '-arbiter', prop: 'arbiter' },
    metrics: { props: { metrics: true }, port: 9216 },
    tooOld: () => MongoDbVersion.of('5.0.31', '5.0'),
    tooNew: () => MongoDbVersion.of('9.0.0', '9.0'),
    range: /MongoDB 6\.0 to 8\.x/,
    deprecated: () => MongoDbVersion.V6_0,
    foreignVersion: () => KafkaVersion.V4_4,
    countProp: 'replicas',
    credentialKeys: ['password', 'keyfile'],
    image: 'mongo',
    envPrefix: 'MONGODB',
  },
  Cassandra: {
    make: (s, id, p = {}) => new Cassandra(s, id, p),
    clientPorts: [9042],
    topology: {
      props: { racks: [{ name: 'a', zone: 'z1' }, { name: 'bb', zone: 'z2' }, { name: 'ccc', zone: 'z3' }] },
      suffix: '-ccc',
      prop: 'racks[2].name',
    },
    metrics: { props: { metrics: true }, port: 9404 },
    tooOld: () => CassandraVersion.of('3.11.17', '3.11'),
    tooNew: () => CassandraVersion.of('6.0.0', '6.0'),
    range: /Cassandra 4\.0 to 5\.x/,
    foreignVersion: () => MongoDbVersion.V8_0,
    countProp: 'replicas',
    credentialKeys: ['password'],
    passwordReference: null,
    image: 'cassandra',
    envPrefix: 'CASSANDRA',
  },
  Kafka: {
    make: (s, id, p = {}) => new Kafka(s, id, p),
    clientPorts: [9092],
    topology: { props: { controllers: 3 }, suffix: '-controller', prop: 'controllers' },
    metrics: { props: { metrics: true }, port: 9404 },
    tooOld: () => KafkaVersion.of('3.2.3', '3.2'),
    tooNew: () => KafkaVersion.of('5.0.0', '5.0'),
    range: /Kafka 3\.7 to 4\.x/,
    deprecated: () => KafkaVersion.V3_8,
    foreignVersion: () => CassandraVersion.V5_0,
    countProp: 'brokers',
    credentialKeys: ['password', 'inter-broker-password', 'controller-password'],
    passwordReference: 'SASL_JAAS_CONFIG',
    image: 'apache/kafka',
    envPrefix: 'KAFKA',
  },
};
/* eslint-enable @typescript-eslint/no-deprecated */
const ALL = Object.entries(ENGINES);
const WITH_CREDENTIALS = ALL.filter(([, e]) => e.credentialKeys.length > 0);
const WITH_DEPRECATED = ALL.filter(([, e]) => e.deprecated !== undefined);

function newChart(app: App = Testing.app(), namespace = 'db', id = 'test'): Chart {
  return new Chart(app, id, { namespace });
}

function build(engine: EngineCase, props: any = {}, id = 'db') {
  const chart = newChart();
  const db = engine.make(chart, id, props);
  const objects: any[] = Testing.synth(chart);
  return { chart, db, objects };
}

const kinds = (objects: any[], kind: string) => objects.filter((o) => o.kind === kind);

/** The ports a NetworkPolicy opens to the pods selected by `labels`. */
function portsFor(policy: any, labels: { [key: string]: string }): number[] | undefined {
  const rule = (policy.spec.ingress ?? []).find((r: any) => (r.from ?? []).some((f: any) =>
    f.podSelector?.matchLabels && Object.entries(labels).every(([k, v]) => f.podSelector.matchLabels[k] === v)));
  return rule ? (rule.ports ?? []).map((p: any) => p.port) : undefined;
}

function servedPorts(sts: any): number[] {
  return sts.spec.template.spec.containers.flatMap((c: any) => (c.ports ?? []).map((p: any) => p.containerPort));
}

const expectError = (fn: () => unknown, ...patterns: RegExp[]) => {
  let message = '';
  try { fn(); } catch (e) { message = (e as Error).message; }
  expect(message).not.toBe('');
  for (const p of patterns) { expect(message).toMatch(p); }
  expect(message).not.toMatch(/TypeError|undefined is not|Cannot read prop/);
};

describe.each(ALL)('%s', (_name, engine) => {
  describe('name', () => {
    test('a name too long for the longest derived StatefulSet is refused up front, naming the prop that derives it', () => {
      const budget = 52 - engine.topology.suffix.length;
      expectError(() => build(engine, { ...engine.topology.props, name: 'a'.repeat(budget + 1) }),
        /test\/db: 'name' must be a DNS label/, new RegExp(`at most ${budget} characters`));
      if (engine.topology.suffix) {
        expectError(() => build(engine, { ...engine.topology.props, name: 'a'.repeat(budget + 1) }),
          new RegExp(`'${'a'.repeat(budget + 1)}${engine.topology.suffix}' \\(from '${engine.topology.prop.replace(/[[\]]/g, '\\$&')}'\\)`));
      }
      // The longest name that fits is accepted.
      expect(() => build(engine, { ...engine.topology.props, name: 'a'.repeat(budget) })).not.toThrow();
    });

    test.each(['1orders', 'Orders', 'orders_db', '-orders'])('%s is refused: it names Services, which must be DNS-1035 labels', (name) => {
      expectError(() => build(engine, { name }), /test\/db: 'name' must be a DNS label that starts with a letter/);
    });

    test("a construct id that is not a valid name says that 'name' defaults to it", () => {
      const chart = newChart();
      expectError(() => engine.make(chart, 'Orders'), /test\/Orders: 'name' must be a DNS label .*; it defaults to the construct id: set 'name', got 'Orders'/);
    });

    test('two instances with one name in one namespace: one line for the pair, not one per object', () => {
      const app = Testing.app();
      const chart = newChart(app);
      engine.make(chart, 'a', { name: 'orders' });
      engine.make(chart, 'b', { name: 'orders' });
      let message = '';
      try { app.synth(); } catch (e) { message = (e as Error).message; }
      const lines = message.split('\n').filter((l) => /test\/a/.test(l) && /test\/b/.test(l));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/'orders'/);
    });
  });

  describe('version', () => {
    test.each([['older', 'tooOld'], ['newer', 'tooNew']] as const)('a version %s than the rendered configuration supports is refused with the range', (_what, key) => {
      expectError(() => build(engine, { version: engine[key]() }), /test\/db: 'version' must be/, engine.range);
    });

    test('a malformed version is refused, never rendered', () => {
      const versionClass = (engine.foreignVersion() as any).constructor;
      const ownClass = Object.getPrototypeOf(engine.tooOld()).constructor;
      expect(versionClass).not.toBe(ownClass);
      expectError(() => build(engine, { version: ownClass.of('banana', 'x') }), /'version' must be a version of/, engine.range);
    });

    test('a version number with a leading zero is refused: no release is tagged so', () => {
      const ownClass = Object.getPrototypeOf(engine.tooOld()).constructor;
      const major = (engine.tooNew() as any).majorVersion.split('.')[0];
      const full = (engine.tooOld() as any).fullVersion.split('.').length === 2 ? `${major}.07` : `${major}.0.07`;
      expectError(() => build(engine, { version: ownClass.of(full, full.split('.').slice(0, -1).join('.')) }), /'version' must be a version of/);
    });

    test("another engine's version is refused", () => {
      expectError(() => build(engine, { version: engine.foreignVersion() }), /'version' must be a \w+Version such as \w+Version\.of\(/);
    });

    test('no version: the default, pinned in the default image', () => {
      const { objects } = build(engine);
      for (const sts of kinds(objects, 'StatefulSet')) {
        expect(sts.spec.template.spec.containers[0].image).toMatch(new RegExp(`^${engine.image}:\\d+(\\.\\d+)+${engine.tagSuffix ?? ''}$`));
      }
    });
  });

  describe('image', () => {
    test("an unpinned image is refused with the engine's own image as the example", () => {
      expectError(() => build(engine, { image: `registry.example/${engine.image}:latest` }),
        /test\/db: 'image' must pin a version tag/, new RegExp(`'registry.example/${engine.image}:<version>'`));
    });
  });

  describe('storage', () => {
    test('ReadOnlyMany is refused: every pod writes its own volume', () => {
      expectError(() => build(engine, { storage: { accessModes: [AccessMode.READ_ONLY_MANY] } }),
        /test\/db: 'storage.accessModes\[0\]' must be a mode every pod can write/, /ReadWriteOnce/);
    });

    test('ReadWriteOncePod is accepted and reaches every claim', () => {
      const { objects } = build(engine, { ...engine.topology.props, storage: { accessModes: [AccessMode.READ_WRITE_ONCE_POD] } });
      const claims = kinds(objects, 'StatefulSet').flatMap((s) => s.spec.volumeClaimTemplates ?? []);
      expect(claims.length).toBeGreaterThan(0);
      // Kafka's controllers have their own storage prop; every other claim takes `storage`.
      expect(claims.some((c: any) => c.spec.accessModes[0] === 'ReadWriteOncePod')).toBe(true);
    });

    test('a storage class name that is not a DNS subdomain is refused', () => {
      expectError(() => build(engine, { storage: { storageClass: StorageClass.fromStorageClassName('Fast SSD') } }),
        /'storage.storageClass.storageClassName' must be a DNS subdomain/);
    });
  });

  describe('pod annotations and the grace period', () => {
    test("the user's annotations reach every set; the library's own cannot be overwritten", () => {
      const { objects } = build(engine, { ...engine.topology.props, podAnnotations: { team: 'data' } });
      for (const sts of kinds(objects, 'StatefulSet')) {
        const annotations = sts.spec.template.metadata.annotations;
        expect(annotations.team).toBe('data');
        expect(annotations['cdk8s-stateful/config-checksum']).toMatch(/^[0-9a-f]{16}$/);
      }
      expectError(() => build(engine, { podAnnotations: { 'cdk8s-stateful/config-checksum': 'x' } }),
        /'podAnnotations.cdk8s-stateful\/config-checksum' is written by the library/);
    });

    test('terminationGracePeriod is a prop with an engine default, and too short a period is refused', () => {
      const defaults = build(engine).objects;
      const byDefault = kinds(defaults, 'StatefulSet')[0].spec.template.spec.terminationGracePeriodSeconds;
      expect(byDefault).toBeGreaterThanOrEqual(60);
      const { objects } = build(engine, { terminationGracePeriod: Duration.seconds(400) });
      expect(kinds(objects, 'StatefulSet')[0].spec.template.spec.terminationGracePeriodSeconds).toBe(400);
      expectError(() => build(engine, { terminationGracePeriod: Duration.seconds(5) }), /'terminationGracePeriod' must be whole seconds from 30 s to 604800 s/);
      expectError(() => build(engine, { terminationGracePeriod: Duration.days(8) }), /'terminationGracePeriod' must be whole seconds from 30 s to 604800 s.*got '691200 s'/);
    });
  });

  describe('network access', () => {
    const app = { app: 'shop' };

    test('the allowFrom prop admits the client ports only, on every set that serves them', () => {
      const chart = newChart();
      const shop = kplus.Pods.select(chart, 'shop', { labels: app });
      engine.make(chart, 'db', { ...engine.topology.props, ...engine.metrics?.props, allowFrom: [shop] });
      const objects = Testing.synth(chart);
      const sets = kinds(objects, 'StatefulSet');
      expect(sets.length).toBeGreaterThan(engine.topology.suffix ? 1 : 0);
      for (const sts of sets) {
        const policy = kinds(objects, 'NetworkPolicy').find((p) => p.metadata.name === sts.metadata.name);
        const expected = engine.clientPorts.filter((p) => servedPorts(sts).includes(p));
        expect(portsFor(policy, app)).toEqual(expected.length > 0 ? expected : undefined);
      }
    });

    test('the allowFrom() method does the same, also for sets added before it is called', () => {
      const chart = newChart();
      const db = engine.make(chart, 'db', { ...engine.topology.props, ...engine.metrics?.props });
      db.allowFrom(NetworkPeer.pods({ labels: app }));
      const objects = Testing.synth(chart);
      const served = kinds(objects, 'StatefulSet').filter((s) => engine.clientPorts.some((p) => servedPorts(s).includes(p)));
      expect(served.length).toBeGreaterThan(0);
      for (const sts of served) {
        const policy = kinds(objects, 'NetworkPolicy').find((p) => p.metadata.name === sts.metadata.name);
        expect(portsFor(policy, app)).toEqual(engine.clientPorts);
      }
    });

    test('db.workload.allowFrom(app) admits the client ports too, never the metrics or replication ports', () => {
      const chart = newChart();
      const db = engine.make(chart, 'db', { ...engine.metrics?.props });
      db.workload.allowFrom(NetworkPeer.pods({ labels: app }));
      const policy = kinds(Testing.synth(chart), 'NetworkPolicy').find((p) => p.metadata.name === db.workload.name);
      expect(portsFor(policy, app)).toEqual(engine.clientPorts);
    });

    test('a peer that is not a peer is refused by name, not with a TypeError', () => {
      expectError(() => build(engine, { allowFrom: ['shop'] }), /'allowFrom\[0\]' must be a network peer.*got 'shop' \(a string\)/);
      expectError(() => build(engine).db.allowFrom(undefined as any), /'allowFrom' must be a network peer.*got nothing/);
      expectError(() => build(engine, { allowFrom: 'shop' }), /'allowFrom' must be a list/);
    });

    test("an app's connections.allowTo(db) targets every pod of the instance on the client ports", () => {
      const chart = newChart(Testing.app(), 'shop', 'apps');
      const dbChart = newChart(chart.node.root as App, 'db', 'data');
      const db = engine.make(dbChart, 'db', engine.topology.props);
      const web = new kplus.Deployment(chart, 'web', { containers: [{ image: 'shop:1.0', portNumber: 8080 }] });
      web.connections.allowTo(db);
      const policies = [...Testing.synth(chart), ...Testing.synth(dbChart)].filter((o) => o.kind === 'NetworkPolicy');
      const egress = policies.find((p) => p.metadata.namespace === 'shop' && p.spec.egress);
      expect(egress.spec.egress[0].to[0].podSelector.matchLabels).toEqual(db.instanceLabels);
      expect(egress.spec.egress[0].to[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name']).toBe('db');
      expect(egress.spec.egress[0].ports.map((p: any) => p.port)).toEqual(engine.clientPorts);
      const ingress = policies.find((p) => p.metadata.namespace === 'db' && p.spec.ingress?.some((r: any) => r.from?.[0]?.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'shop'));
      expect(ingress.spec.podSelector.matchLabels).toEqual(db.instanceLabels);
      expect(ingress.spec.ingress[0].ports.map((p: any) => p.port)).toEqual(engine.clientPorts);
    });

    test('in a chart without a namespace, the engine as a peer names none (kubectl -n decides)', () => {
      const chart = new Chart(Testing.app(), 'test');
      const db = engine.make(chart, 'db');
      expect(db.toPodSelectorConfig().namespaces).toBeUndefined();
      expect(newChart().node.id).toBe('test');
    });

    test('an app of another cdk8s-plus version, a plain ApiObject in another namespace, is admitted', () => {
      const chart = newChart();
      const other = newChart(chart.node.root as App, 'shop', 'apps');
      const deployment = new ApiObject(other, 'web', {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [] } } },
      });
      engine.make(chart, 'db', { allowFrom: [NetworkPeer.fromApiObject(deployment)] });
      const policy = kinds(Testing.synth(chart), 'NetworkPolicy').find((p) => p.metadata.name === 'db');
      const rule = policy.spec.ingress.find((r: any) => r.from[0].podSelector?.matchLabels?.app === 'web');
      expect(rule.from[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name']).toBe('shop');
      expect(rule.ports.map((p: any) => p.port)).toEqual(engine.clientPorts);
    });
  });

  describe('connection', () => {
    test('the shared core: host and port of the client Service', () => {
      const { db, objects } = build(engine, { name: 'orders' });
      const connection = (db as any).connection;
      expect(connection.host).toBe('orders.db.svc.cluster.local');
      expect(connection.port).toBe(engine.clientPorts[0]);
      const service = kinds(objects, 'Service').find((s) => s.metadata.name === 'orders');
      expect(service.spec.ports.map((p: any) => p.port)).toEqual([connection.port]);
    });

    test("connectionEnv(): the app's environment in one call, the password only as a Secret reference", () => {
      const { db } = build(engine, { name: 'orders' });
      const env = db.connectionEnv();
      const byName = Object.fromEntries(env.map((e) => [e.name, e]));
      expect(byName[`${engine.envPrefix}_HOST`].value).toBe('orders.db.svc.cluster.local');
      expect(byName[`${engine.envPrefix}_PORT`].value).toBe(String(engine.clientPorts[0]));
      const password = byName[`${engine.envPrefix}_PASSWORD`];
      if (engine.credentialKeys.length > 0) {
        expect(password.value).toBeUndefined();
        expect(password.valueFrom?.secretKeyRef).toEqual({ name: 'orders-credentials', key: 'password' });
        const reference = engine.passwordReference === null ? undefined : `${engine.envPrefix}_${engine.passwordReference ?? 'URI'}`;
        const uri = env.findIndex((e) => e.name === reference);
        if (reference === undefined) {
          expect(env.map((e) => e.name)).not.toContain(`${engine.envPrefix}_URI`);
          expect(byName[`${engine.envPrefix}_USERNAME`].value).toBeDefined();
        } else {
          // $(VAR) expands only from variables defined before it.
          expect(uri).toBeGreaterThan(env.findIndex((e) => e.name === `${engine.envPrefix}_PASSWORD`));
          expect(env[uri].value).toContain(`$(${engine.envPrefix}_PASSWORD)`);
        }
      } else {
        expect(password).toBeUndefined();
      }
      const prefixed = db.connectionEnv({ prefix: 'ORDERS_DB' });
      expect(prefixed.every((e) => e.name.startsWith('ORDERS_DB_'))).toBe(true);
      expect(prefixed.find((e) => e.name === `ORDERS_DB_${engine.passwordReference ?? 'URI'}`)?.value ?? '$(ORDERS_DB_PASSWORD)').toContain('$(ORDERS_DB_PASSWORD)');
      expectError(() => db.connectionEnv({ prefix: '1-bad' }), /'connectionEnv.prefix' must be letters, digits and '_'/);
    });

    test('addConnectionEnv() fills a cdk8s-plus-27 container', () => {
      const chart = newChart();
      const db = engine.make(chart, 'orders');
      const web = new kplus.Deployment(chart, 'web', { containers: [{ image: 'shop:1.0' }] });
      db.addConnectionEnv(web.containers[0]);
      const deployment = kinds(Testing.synth(chart), 'Deployment')[0];
      const env = deployment.spec.template.spec.containers[0].env;
      expect(env.map((e: any) => e.name)).toEqual(db.connectionEnv().map((e) => e.name));
      expectError(() => db.addConnectionEnv({} as any), /'addConnectionEnv' must be a Container such as deployment.containers\[0\] of cdk8s-plus-27/);
      expectError(() => db.addConnectionEnv(undefined as any), /'addConnectionEnv' must be a Container/);
      // A second database with the same prefix would silently replace the first one's variables.
      expectError(() => db.addConnectionEnv(web.containers[0]), /'addConnectionEnv' would overwrite the container's .*_HOST.*: give each database its own prefix/);
      expect(() => db.addConnectionEnv(web.containers[0], { prefix: 'OTHER' })).not.toThrow();
    });
  });

  describe('values of the wrong type, as Python or plain JavaScript pass them', () => {
    test.each([
      ['count as a string', (e: EngineCase) => ({ [e.countProp]: '3' }), (e: EngineCase) => new RegExp(`'${e.countProp}' must be a number, got '3' \\(a string\\)`)],
      ['name as a number', () => ({ name: 42 }), () => /'name' must be a string, got 42/],
      ['memory as a string', () => ({ resources: { memory: '2Gi' } }), () => /'resources.memory' must be a Size such as Size.gibibytes/],
      ['storage size as a dict', () => ({ storage: { size: { amount: 10 } } }), () => /'storage.size' must be a Size/],
      ['grace period as a number', () => ({ terminationGracePeriod: 60 }), () => /'terminationGracePeriod' must be a Duration/],
      ['a misspelt prop', (e: EngineCase) => ({ [e.countProp.slice(0, -1)]: 3 }),
        (e: EngineCase) => new RegExp(`'${e.countProp.slice(0, -1)}' is not a known prop; did you mean '${e.countProp}'\\? valid: .*allowFrom`)],
      ['a misspelt storage prop', () => ({ storage: { sise: Size.gibibytes(1) } }), () => /'storage.sise' is not a known prop of 'storage'; did you mean 'size'\?/],
      ['annotations with a number', () => ({ podAnnotations: { a: 1 } }), () => /'podAnnotations.a' must be a string, got 1 \(a number\)/],
      ['props that are not an object', () => 'orders', () => /'props' must be an object/],
      ['config that is not an object', () => ({ config: 'max_connections=200' }), () => /'config' must be an object of setting names to string values, got 'max_connections=200' \(a string\)/],
      ['a storage size of zero', () => ({ storage: { size: Size.gibibytes(0) } }), () => /'storage.size' must be a positive size/],
      ['no access mode at all', () => ({ storage: { accessModes: [] } }), () => /'storage.accessModes' must list at least one access mode/],
      ['a CPU limit below the request', () => ({ resources: { cpu: kplus.Cpu.millis(2000), cpuLimit: kplus.Cpu.millis(100) } }),
        () => /'resources.cpu' request \(2000m\) must not exceed the limit \(100m\)/],
      ['a grace period of a fraction of a second', () => ({ terminationGracePeriod: Duration.millis(30500) }), () => /'terminationGracePeriod' must be whole seconds/],
      ['memory that is not whole mebibytes', () => ({ resources: { memory: Size.gibibytes(4.1) } }),
        () => /'resources.memory' must be a whole number of mebibytes, such as Size.mebibytes\(4198\)/],
      ['a storage class given as a string', () => ({ storage: { storageClass: 'gp3' } }),
        () => /'storage.storageClass' must be a storage class such as new StorageClass\(...\) or StorageClass.fromStorageClassName\('ssd'\), got 'gp3'/],
      ['a storage class of null', () => ({ storage: { storageClass: null } }), () => /'storage.storageClass' must be a storage class .*got null/],
      ['an annotation key Kubernetes refuses', () => ({ podAnnotations: { 'a b/c': 'x' } }), () => /'podAnnotations.a b\/c' has a key that is not a label key/],
      ['an image reference with a space', () => ({ image: 'my registry/db:1.0.0' }), () => /'image' must be an image reference/],
      ['an upper-case repository', (e: EngineCase) => ({ image: `Registry.Example.com/${e.image.toUpperCase()}:1.0.0` }), () => /'image' must be an image reference/],
      ['a node selector Kubernetes refuses', () => ({ placement: { nodeSelector: { 'disk type': 'ssd' } } }), () => /'placement.nodeSelector/],
    ])('%s: a clear error naming the prop', (_what, props, message) => {
      expectError(() => build(engine, props(engine)), /^test\/db: /, message(engine));
    });

    test('a namespace that is not a DNS label is refused with the chart and its namespace', () => {
      const chart = new Chart(Testing.app(), 'test', { namespace: 'Data_Team' });
      expectError(() => engine.make(chart, 'db'), /test: 'namespace' must be/);
    });
  });

  test('synth is deterministic', () => {
    const yaml = () => {
      const app = Testing.app();
      engine.make(newChart(app), 'db', engine.topology.props);
      return app.synthYaml();
    };
    expect(yaml()).toEqual(yaml());
  });
});

describe.each(ALL)('%s metrics', (_name, engine) => {
  const monitoringRule = (policy: any) => policy.spec.ingress.find((r: any) => r.from[0].namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'monitoring');
  const withMetrics = (props: any = {}) => ({ ...engine.topology.props, ...engine.metrics.props, ...props });

  test('the metrics port opens only through allowMetricsFrom, on every set that serves it; allowFrom never opens it', () => {
    const chart = newChart();
    const db = engine.make(chart, 'db', withMetrics({ allowFrom: [NetworkPeer.pods({ labels: { app: 'shop' } })] }));
    db.allowMetricsFrom(NetworkPeer.namespace('monitoring'));
    const objects = Testing.synth(chart);
    const sets = kinds(objects, 'StatefulSet');
    expect(sets.length).toBeGreaterThan(engine.topology.suffix ? 1 : 0);
    let scraped = 0;
    for (const sts of sets) {
      const policy = kinds(objects, 'NetworkPolicy').find((p) => p.metadata.name === sts.metadata.name);
      expect(portsFor(policy, { app: 'shop' }) ?? []).not.toContain(engine.metrics.port);
      if (servedPorts(sts).includes(engine.metrics.port)) {
        scraped++;
        expect(monitoringRule(policy).ports).toEqual([{ port: engine.metrics.port, protocol: 'TCP' }]);
      } else {
        expect(monitoringRule(policy)).toBeUndefined();
      }
    }
    expect(scraped).toBeGreaterThan(0);
  });

  test('scrape annotations on the pods that serve the metrics port, and on no other', () => {
    const { objects } = build(engine, withMetrics());
    for (const sts of kinds(objects, 'StatefulSet')) {
      const annotations = sts.spec.template.metadata.annotations;
      const served = servedPorts(sts).includes(engine.metrics.port);
      expect(sts.spec.template.spec.containers.flatMap((c: any) => c.ports ?? []).filter((p: any) => p.name === 'metrics'))
        .toEqual(served ? [{ name: 'metrics', containerPort: engine.metrics.port }] : []);
      if (served) {
        expect(annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(engine.metrics.port), 'prometheus.io/path': '/metrics' });
      } else {
        expect(annotations['prometheus.io/scrape']).toBeUndefined();
      }
    }
  });

  test('the scrape annotations are the library\'s: podAnnotations cannot overwrite them', () => {
    expectError(() => build(engine, withMetrics({ podAnnotations: { 'prometheus.io/port': '8080' } })),
      /test\/db: 'podAnnotations\.prometheus\.io\/port' is written by the library on these pods/);
  });

  test('without metrics: no metrics port, no scrape annotations; allowMetricsFrom and addPodMonitor say so', () => {
    const { db, objects } = build(engine, engine.topology.props);
    for (const sts of kinds(objects, 'StatefulSet')) {
      expect(servedPorts(sts)).not.toContain(engine.metrics.port);
      expect(sts.spec.template.metadata.annotations['prometheus.io/scrape']).toBeUndefined();
    }
    expectError(() => db.allowMetricsFrom(NetworkPeer.namespace('monitoring')), /test\/db: 'allowMetricsFrom' has no metrics port to open.*metrics: true/);
    expectError(() => db.addPodMonitor(), /test\/db: 'addPodMonitor' has no metrics port to scrape.*set metrics: true/);
  });

  test('addPodMonitor: a monitoring.coreos.com/v1 PodMonitor over every pod of the instance, on the metrics port', () => {
    const chart = newChart();
    const db = engine.make(chart, 'db', withMetrics());
    const returned = db.addPodMonitor({ labels: { release: 'kube-prometheus' }, interval: Duration.seconds(30), scrapeTimeout: Duration.seconds(10) });
    const objects = Testing.synth(chart);
    const [monitor] = kinds(objects, 'PodMonitor');
    expect(returned.name).toBe('db');
    expect(monitor).toEqual({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PodMonitor',
      metadata: {
        name: 'db',
        namespace: 'db',
        labels: { ...db.instanceLabels, 'app.kubernetes.io/managed-by': 'cdk8s-stateful', 'app.kubernetes.io/version': db.version.fullVersion, 'release': 'kube-prometheus' },
      },
      spec: {
        selector: { matchLabels: db.instanceLabels },
        namespaceSelector: { matchNames: ['db'] },
        podTargetLabels: ['app.kubernetes.io/component'],
        podMetricsEndpoints: [{ port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }],
      },
    });
    // Its selector picks every set's pods: the ones with the port are scraped, the others have no such port.
    for (const sts of kinds(objects, 'StatefulSet')) {
      expect(selects(monitor.spec.selector.matchLabels, sts.spec.template.metadata.labels)).toBe(true);
    }
  });

  test('addPodMonitor defaults: the instance name, Prometheus\'s own interval and timeout; no namespace selector in a chart without one', () => {
    const chart = new Chart(Testing.app(), 'test');
    engine.make(chart, 'db', withMetrics()).addPodMonitor({ name: 'db-scrape' });
    const [monitor] = kinds(Testing.synth(chart), 'PodMonitor');
    expect(monitor.metadata.name).toBe('db-scrape');
    expect(monitor.spec.namespaceSelector).toBeUndefined();
    expect(monitor.spec.podMetricsEndpoints).toEqual([{ port: 'metrics', path: '/metrics' }]);
  });

  test('addPodMonitor refuses bad options by name', () => {
    const make = () => engine.make(newChart(), 'db', withMetrics());
    expectError(() => make().addPodMonitor({ interval: Duration.seconds(10), scrapeTimeout: Duration.seconds(20) }),
      /test\/db: 'addPodMonitor\.scrapeTimeout' must be at most the interval \(10 s\).*got '20 s'/);
    expectError(() => make().addPodMonitor({ interval: Duration.millis(1500) }), /'addPodMonitor\.interval' must be whole seconds from 1 s to 3600 s.*got '1\.5 s'/);
    expectError(() => make().addPodMonitor({ interval: '30s' as any }), /'addPodMonitor\.interval' must be .*Duration\.seconds\(30\)/);
    expectError(() => make().addPodMonitor({ labels: { 'app.kubernetes.io/instance': 'x' } }), /'addPodMonitor\.labels\.app\.kubernetes\.io\/instance' is one of the instance's own labels/);
    expectError(() => make().addPodMonitor({ labels: { 'bad key!': 'x' } }), /'addPodMonitor\.labels\.bad key!'/);
    expectError(() => make().addPodMonitor({ name: 'Not_A_Name' }), /'addPodMonitor\.name'/);
    expectError(() => make().addPodMonitor({ intervall: Duration.seconds(30) } as any), /'addPodMonitor\.intervall' is not a known prop of 'addPodMonitor'; did you mean 'interval'\?/);
    const db = make();
    db.addPodMonitor();
    expectError(() => db.addPodMonitor(), /test\/db: 'addPodMonitor' was already called: the PodMonitor 'db' scrapes every pod of the instance/);
  });
});

describe.each(ALL)('%s volume snapshots', (_name, engine) => {
  /** Every claim of every set as the StatefulSets render them: `<template>-<set>-<ordinal>`. */
  const claimsOf = (objects: any[]) => kinds(objects, 'StatefulSet').flatMap((sts: any) => (sts.spec.volumeClaimTemplates ?? [])
    .flatMap((t: any) => Array.from({ length: sts.spec.replicas }, (_, i) => `${t.metadata.name}-${sts.metadata.name}-${i}`)));
  const env = (objects: any[]) => Object.fromEntries(kinds(objects, 'CronJob')[0].spec.jobTemplate.spec.template.spec.containers[0].env
    .map((e: any) => [e.name, e.value]));

  test('one CronJob <name>-snapshots takes every claim of every StatefulSet of the instance (an arbiter has none)', () => {
    const { objects, db } = build(engine, { ...engine.topology.props, volumeSnapshots: { keep: 3 } });
    const cronJobs = kinds(objects, 'CronJob');
    expect(cronJobs.map((c) => c.metadata.name)).toEqual(['db-snapshots']);
    const claims = claimsOf(objects);
    expect(claims.length).toBeGreaterThanOrEqual(2);
    expect(env(objects).CLAIMS.split(' ').sort()).toEqual([...claims].sort());
    expect(env(objects).KEEP).toBe('3');
    expect(db.volumeSnapshotSchedule?.cronJob.name).toBe('db-snapshots');
    // The Job's pods are not the database's: no selector of the instance picks them.
    const podLabels = cronJobs[0].spec.jobTemplate.spec.template.metadata.labels;
    for (const sts of kinds(objects, 'StatefulSet')) { expect(selects(sts.spec.selector.matchLabels, podLabels)).toBe(false); }
    for (const pdb of kinds(objects, 'PodDisruptionBudget')) { expect(selects(pdb.spec.selector.matchLabels, podLabels)).toBe(false); }
  });

  test('without the prop: no CronJob, no snapshot objects', () => {
    const { objects, db } = build(engine);
    expect(kinds(objects, 'CronJob')).toEqual([]);
    expect(db.volumeSnapshotSchedule).toBeUndefined();
  });

  test('the CronJob\'s name counts in the name budget, naming the prop that derives it', () => {
    expectError(() => build(engine, { name: 'a'.repeat(43), volumeSnapshots: {} }),
      /test\/db: 'name' must be a DNS label .* of at most 42 characters; it names the CronJob 'a{43}-snapshots' \(from 'volumeSnapshots'\), whose name may have at most 52/);
    expect(() => build(engine, { name: 'a'.repeat(42), volumeSnapshots: {} })).not.toThrow();
  });

  test.each([
    ['keep of zero', { volumeSnapshots: { keep: 0 } }, /^test\/db: 'volumeSnapshots.keep' must be a positive integer, got 0$/],
    ['a schedule that cannot parse', { volumeSnapshots: { schedule: 'daily' } }, /^test\/db: 'volumeSnapshots.schedule' must be a cron schedule of five fields/],
    ['a misspelt option', { volumeSnapshots: { retain: 3 } }, /^test\/db: 'volumeSnapshots.retain' is not a known prop of 'volumeSnapshots'/],
    ['options that are not an object', { volumeSnapshots: true }, /^test\/db: 'volumeSnapshots' must be an object of named props, got true/],
    ['a restore timestamp of another shape', { restoreFromVolumeSnapshots: { timestamp: '2026-12-01T03:17' } },
      /^test\/db: 'restoreFromVolumeSnapshots.timestamp' must be the UTC timestamp of a snapshot run as its snapshots' names end, YYYYMMDD-HHMMSS \(e.g. '20261201-031700'\), got '2026-12-01T03:17'$/],
    ['a restore without a timestamp', { restoreFromVolumeSnapshots: {} }, /^test\/db: 'restoreFromVolumeSnapshots.timestamp' must be a string, got nothing/],
    ['an ordinal beyond the pods', { restoreFromVolumeSnapshots: { timestamp: '20261201-031700', ordinals: [0, 7] } },
      /^test\/db: 'restoreFromVolumeSnapshots.ordinals' must be pods of every StatefulSet of the instance: '[a-z-]+' has ordinals 0 to \d+, got 7$/],
    ['a negative ordinal', { restoreFromVolumeSnapshots: { timestamp: '20261201-031700', ordinals: [-1] } }, /^test\/db: 'restoreFromVolumeSnapshots.ordinals\[0\]' must be an integer of at least 0, got -1$/],
    ['no ordinal', { restoreFromVolumeSnapshots: { timestamp: '20261201-031700', ordinals: [] } }, /'restoreFromVolumeSnapshots.ordinals' must name at least one pod ordinal/],
    ['a source name that is no DNS label', { restoreFromVolumeSnapshots: { timestamp: '20261201-031700', sourceName: 'Orders' } },
      /^test\/db: 'restoreFromVolumeSnapshots.sourceName' must be a DNS label/],
    ['a misspelt restore prop', { restoreFromVolumeSnapshots: { timestamp: '20261201-031700', source: 'old' } },
      /^test\/db: 'restoreFromVolumeSnapshots.source' is not a known prop of 'restoreFromVolumeSnapshots'/],
  ])('%s is refused, naming the engine and the prop', (_what, props, message) => {
    expectError(() => build(engine, { ...engine.topology.props, ...props }), message);
  });

  test('restore: a claim per ordinal of every set, from the run\'s snapshot of the source, as the template would make it, before its StatefulSet', () => {
    const { objects } = build(engine, { ...engine.topology.props, restoreFromVolumeSnapshots: { timestamp: '20261201-031700', sourceName: 'old' } });
    const claims = kinds(objects, 'PersistentVolumeClaim');
    expect(claims.map((c) => c.metadata.name).sort()).toEqual(claimsOf(objects).sort());
    for (const sts of kinds(objects, 'StatefulSet')) {
      for (const template of sts.spec.volumeClaimTemplates ?? []) {
        const suffix = sts.metadata.name.slice('db'.length);
        for (let i = 0; i < sts.spec.replicas; i++) {
          const claim = claims.find((c) => c.metadata.name === `${template.metadata.name}-${sts.metadata.name}-${i}`);
          expect(claim.spec.dataSource).toEqual({ apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: `data-old${suffix}-${i}-20261201-031700` });
          expect(claim.spec.resources).toEqual(template.spec.resources);
          expect(claim.spec.accessModes).toEqual(template.spec.accessModes);
          expect(claim.spec.storageClassName).toEqual(template.spec.storageClassName);
          expect(claim.metadata.labels).toEqual(template.metadata.labels);
          expect(claim.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false', 'kustomize.toolkit.fluxcd.io/prune': 'disabled' });
          // Applied before the StatefulSet, so that it adopts the claim instead of making an empty one.
          expect(objects.indexOf(claim)).toBeLessThan(objects.indexOf(sts));
        }
      }
    }
  });

  test('restore of chosen ordinals only; the source defaults to the instance itself', () => {
    const { objects } = build(engine, { ...engine.topology.props, restoreFromVolumeSnapshots: { timestamp: '20261201-031700', ordinals: [0] } });
    const claims = kinds(objects, 'PersistentVolumeClaim');
    const sets = kinds(objects, 'StatefulSet').filter((s) => (s.spec.volumeClaimTemplates ?? []).length > 0);
    expect(claims.map((c) => c.metadata.name).sort()).toEqual(sets.map((s) => `data-${s.metadata.name}-0`).sort());
    for (const c of claims) { expect(c.spec.dataSource.name).toBe(`${c.metadata.name}-20261201-031700`); }
  });
});

describe.each(WITH_CREDENTIALS)('%s credentials', (_name, engine) => {
  test('no secret value is ever in the YAML: the Secret is generated in the cluster', () => {
    const { objects } = build(engine);
    expect(kinds(objects, 'Secret')).toHaveLength(0);
    expect(kinds(objects, 'Job')).toHaveLength(1);
  });

  test('a misspelt key of Credentials.fromSecret is refused with the keys the engine reads', () => {
    expectError(() => build(engine, { credentials: Credentials.fromSecret('mine', { pasword: 'pw' }) }),
      /'credentials.keys.pasword' is not a key this engine reads; valid: /, new RegExp(engine.credentialKeys[0]));
  });

  test('credentials of the wrong type are refused', () => {
    expectError(() => build(engine, { credentials: 'mine' }), /'credentials' must be a Credentials such as Credentials.generated\(\) or Credentials.fromSecret/);
  });
});

describe.each(WITH_DEPRECATED)('%s deprecated versions', (_name, engine) => {
  test('warn at synth, with the reason, on the construct', () => {
    const { db } = build(engine, { version: engine.deprecated!() });
    const warnings = db.node.metadata.filter((m) => m.type === 'cdk8s-stateful:warning').map((m) => String(m.data));
    expect(warnings.some((w) => /is deprecated: .*(end of life|bug-fix window)/.test(w))).toBe(true);
  });

  test('a release of a deprecated line made with of() warns too', () => {
    const line = engine.deprecated!() as any;
    const { db } = build(engine, { version: line.constructor.of(`${line.majorVersion}.999`, line.majorVersion) });
    const warnings = db.node.metadata.filter((m) => m.type === 'cdk8s-stateful:warning').map((m) => String(m.data));
    expect(warnings.some((w) => new RegExp(`${line.majorVersion.replace('.', '\\.')}\\.999 is deprecated`).test(w))).toBe(true);
  });
});

describe.each(ALL)('%s TLS', (name, engine) => {
  const certManager = (options: any = {}) => ({ certificates: TlsCertificates.certManager({ issuerName: 'ca-issuer', ...options }) });
  const pkcs8Only = name === 'Kafka' || name === 'Cassandra';

  test('no tls: no Certificate, no TLS volume, no TLS in the connection', () => {
    const { db, objects } = build(engine);
    expect(objects.filter((o) => o.kind === 'Certificate')).toEqual([]);
    expect(db.tlsSecretName).toBeUndefined();
    expect(db.connectionEnv().map((v) => v.name)).not.toContain(`${engine.envPrefix}_TLS`);
  });

  test('certManager: one Certificate that names every Service and pod, with a PKCS#8 key rotated at renewal', () => {
    const { db, objects } = build(engine, { ...engine.topology.props, tls: certManager({ issuerKind: IssuerKind.CLUSTER_ISSUER }) });
    const certs = objects.filter((o) => o.kind === 'Certificate');
    expect(certs).toHaveLength(1);
    const spec = certs[0].spec;
    expect(certs[0].apiVersion).toBe('cert-manager.io/v1');
    expect(spec.secretName).toBe('db-tls');
    expect(db.tlsSecretName).toBe('db-tls');
    expect(spec.issuerRef).toEqual({ name: 'ca-issuer', kind: 'ClusterIssuer', group: 'cert-manager.io' });
    expect(spec.privateKey).toEqual({ algorithm: 'ECDSA', size: 256, encoding: 'PKCS8', rotationPolicy: 'Always' });
    expect(spec.usages).toEqual(expect.arrayContaining(['server auth', 'client auth']));
    expect(spec.duration).toBe('2160h');
    expect(spec.renewBefore).toBe('720h');
    const services = objects.filter((o) => o.kind === 'Service');
    for (const service of services) {
      const n = service.metadata.name;
      if (service.spec.clusterIP === 'None') {
        expect(spec.dnsNames).toContain(`*.${n}.db.svc.cluster.local`);
      } else {
        expect(spec.dnsNames).toEqual(expect.arrayContaining([n, `${n}.db`, `${n}.db.svc`, `${n}.db.svc.cluster.local`]));
      }
    }
    expect(spec.dnsNames).toContain('localhost');
    expect(new Set(spec.dnsNames).size).toBe(spec.dnsNames.length);
  });

  test('every StatefulSet mounts the TLS Secret read-only, group-readable, in its server container', () => {
    const { objects } = build(engine, { ...engine.topology.props, tls: { certificates: TlsCertificates.fromSecret('my-certs') } });
    expect(objects.filter((o) => o.kind === 'Certificate')).toEqual([]);
    for (const set of objects.filter((o) => o.kind === 'StatefulSet')) {
      const pod = set.spec.template.spec;
      const volume = pod.volumes.find((v: any) => v.secret?.secretName === 'my-certs');
      expect(volume).toEqual({ name: 'tls', secret: { secretName: 'my-certs', defaultMode: 0o440 } });
      const server = pod.containers[0];
      expect(server.volumeMounts).toContainEqual({ name: 'tls', mountPath: '/etc/tls', readOnly: true });
    }
  });

  test('the connection says TLS is required and where the CA is; addConnectionEnv mounts only the CA', () => {
    const chart = newChart();
    const db = engine.make(chart, 'db', { tls: certManager() });
    const env = db.connectionEnv();
    expect(env).toContainEqual({ name: `${engine.envPrefix}_TLS`, value: 'required' });
    expect(env).toContainEqual({ name: `${engine.envPrefix}_CA_FILE`, value: '/etc/cdk8s-stateful/db/ca.crt' });
    const app = new kplus.Deployment(chart, 'App', { containers: [{ image: 'app:1.0', portNumber: 8080 }] });
    db.addConnectionEnv(app.containers[0]);
    const deployment = Testing.synth(chart).find((o) => o.kind === 'Deployment');
    const pod = deployment.spec.template.spec;
    const volume = pod.volumes.find((v: any) => v.secret?.secretName === 'db-tls');
    expect(volume.secret.items).toEqual([{ key: 'ca.crt', path: 'ca.crt' }]);
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: volume.name, mountPath: '/etc/cdk8s-stateful/db', readOnly: true });
  });

  test('allowPlaintext makes TLS optional for clients', () => {
    const { db } = build(engine, { tls: { ...certManager(), allowPlaintext: true } });
    expect(db.connectionEnv()).toContainEqual({ name: `${engine.envPrefix}_TLS`, value: 'optional' });
  });

  test('TLS without a certificate source is refused', () => {
    expect(() => build(engine, { tls: {} })).toThrow(/test\/db: 'tls\.certificates' is required: TLS needs a certificate/);
    expect(() => build(engine, { tls: { certificates: 'my-certs' } })).toThrow(/'tls\.certificates' must be .*TlsCertificates/);
    expect(() => build(engine, { tls: { ...certManager(), allowPlaintext: 'yes' } })).toThrow(/'tls\.allowPlaintext'/);
    expect(() => build(engine, { tls: { ...certManager(), mode: 'on' } })).toThrow(/'tls\.mode'/);
  });

  test('cert-manager options are checked', () => {
    expect(() => build(engine, { tls: { certificates: TlsCertificates.certManager({} as any) } })).toThrow(/'tls\.certificates\.certManager\.issuerName' is required/);
    expect(() => build(engine, { tls: certManager({ issuerKind: 'Cluster' }) })).toThrow(/issuerKind' must be one of IssuerKind\.ISSUER, IssuerKind\.CLUSTER_ISSUER/);
    expect(() => build(engine, { tls: certManager({ privateKeySize: 1024 }) })).toThrow(/privateKeySize' must be one of 256, 384, 521 for ECDSA/);
    expect(() => build(engine, { tls: certManager({ renewBefore: Duration.days(100) }) })).toThrow(/renewBefore' must be shorter than duration/);
    expect(() => build(engine, { tls: certManager({ duration: Duration.minutes(30) }) })).toThrow(/duration' must be whole seconds from 7200 s/);
    expect(() => build(engine, { tls: certManager({ extraDnsNames: ['Bad_Name'] }) })).toThrow(/extraDnsNames\[0\]' must be a DNS subdomain/);
    expect(() => build(engine, { tls: { certificates: TlsCertificates.fromSecret('Not A Name') } })).toThrow(/'tls\.certificates\.fromSecret' must be a DNS subdomain/);
  });

  test(pkcs8Only ? 'a PKCS#1 key is refused: the engine reads PKCS#8 only' : 'a PKCS#1 key is accepted', () => {
    const pkcs1 = { privateKeyEncoding: PrivateKeyEncoding.PKCS1, privateKeyAlgorithm: PrivateKeyAlgorithm.RSA };
    const make = () => build(engine, { tls: certManager(pkcs1) });
    if (pkcs8Only) {
      expect(make).toThrow(/privateKeyEncoding' must be PrivateKeyEncoding\.PKCS8: .* reads unencrypted PKCS#8 keys only/);
    } else {
      const cert = make().objects.find((o) => o.kind === 'Certificate');
      expect(cert.spec.privateKey).toMatchObject({ algorithm: 'RSA', size: 2048, encoding: 'PKCS1' });
    }
  });

  test('extra DNS names and the Secret name are the user\'s', () => {
    const { objects } = build(engine, { tls: certManager({ secretName: 'orders-certs', extraDnsNames: ['db.example.com', '*.edge.example.com'] }) });
    const cert = objects.find((o) => o.kind === 'Certificate');
    expect(cert.spec.secretName).toBe('orders-certs');
    expect(cert.spec.dnsNames).toEqual(expect.arrayContaining(['db.example.com', '*.edge.example.com']));
  });
});
