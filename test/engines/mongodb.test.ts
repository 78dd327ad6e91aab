import { Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { AccessMode, Credentials, MongoDb, MongoDbProps, MongoDbVersion, Provisioner, SpreadMode, StorageClass, TlsCertificates } from '../../src';
import { TLS_PEM_BUNDLE_FUNCTION } from '../../src/engines/tls-kit';
import { testShellcheck } from '../shellcheck';

process.env.CDK8S_STATEFUL_QUIET = '1';

function setup(props: MongoDbProps = {}, id = 'orders') {
  const app = Testing.app();
  const chart = new Chart(app, 'test', { namespace: 'db' });
  const db = new MongoDb(chart, id, props);
  return { app, chart, db };
}

function synth(props: MongoDbProps = {}, id = 'orders') {
  const { chart, db } = setup(props, id);
  const objects: any[] = Testing.synth(chart);
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
  const sts = find('StatefulSet', db.workload.name);
  const spec = sts?.spec.template.spec;
  const container = (name: string) => [...spec.containers, ...(spec.initContainers ?? [])].find((c: any) => c.name === name);
  return { objects, find, db, sts, spec, mongod: container('mongod'), agent: container('replica-set-agent'), setup: container('setup') };
}

// The shell scripts of the ConfigMap as the pods run them (replica-set.js is JavaScript).
testShellcheck('setup.sh and agent.sh pass shellcheck', () => {
  const { 'setup.sh': setupScript, 'agent.sh': agentScript } = synth().find('ConfigMap', 'orders-scripts').data;
  return { 'setup.sh': setupScript, 'agent.sh': agentScript };
}, 'bash');

const host = (i: number, set = 'orders') => `${set}-${i}.${set}-headless.db.svc.cluster.local:27017`;

describe('MongoDb defaults', () => {
  const { objects, find, db, sts, spec, mongod, agent, setup: init } = synth();

  test('a 3-member replica set of the official mongo 8.0 image, started in parallel', () => {
    expect(sts.spec.replicas).toBe(3);
    expect(sts.spec.podManagementPolicy).toBe('Parallel');
    expect(mongod.image).toBe('mongo:8.0.4');
    expect(agent.image).toBe('mongo:8.0.4');
    expect(init.image).toBe('mongo:8.0.4');
    expect(sts.metadata.labels['app.kubernetes.io/version']).toBe('8.0.4');
    expect(sts.metadata.labels['app.kubernetes.io/name']).toBe('mongodb');
    expect(sts.metadata.labels['app.kubernetes.io/component']).toBe('server');
    expect(db.version).toBe(MongoDbVersion.V8_0);
  });

  test('runs as the image\'s mongodb user (999) with fsGroup 999, hardened', () => {
    expect(spec.securityContext).toMatchObject({ runAsUser: 999, runAsGroup: 999, fsGroup: 999, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    for (const c of [mongod, agent, init]) {
      expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
    }
  });

  test('mongod reads the rendered mongod.conf, with the WiredTiger cache sized from memory', () => {
    expect(mongod.command).toEqual(['mongod']);
    expect(mongod.args).toEqual(['--config', '/etc/mongod/mongod.conf', '--wiredTigerCacheSizeGB', '0.5']);
    expect(mongod.resources).toEqual({ requests: { cpu: '500m', memory: '2048Mi' }, limits: { memory: '2048Mi' } });
    expect(db.wiredTigerCacheSizeGB).toBe(0.5);
    const conf = find('ConfigMap', 'orders-config').data['mongod.conf'];
    expect(conf).toBe([
      '# Rendered by cdk8s-stateful: edit the MongoDb construct\'s `config`, not this file.',
      'net:', '  bindIpAll: true', '  port: 27017',
      'processManagement:', '  fork: false',
      'replication:', '  replSetName: "orders"',
      'security:', '  authorization: "enabled"', '  keyFile: "/var/run/mongodb-keyfile/keyfile"',
      'storage:', '  dbPath: "/data/db/db"',
      '',
    ].join('\n'));
  });

  test('data in a subdirectory of a 10 GiB claim per pod', () => {
    expect(sts.spec.volumeClaimTemplates).toHaveLength(1);
    expect(sts.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('10Gi');
    expect(mongod.volumeMounts).toContainEqual({ name: 'data', mountPath: '/data/db' });
    expect(init.volumeMounts).toContainEqual({ name: 'data', mountPath: '/data/db' });
    expect(find('ConfigMap', 'orders-scripts').data['setup.sh']).toContain('mkdir -p "/data/db/db"');
  });

  test('keyfile: Secret volume with defaultMode 0400, copied by the init container to a 0400 in-memory file owned by mongodb', () => {
    const secretVolume = spec.volumes.find((v: any) => v.name === 'keyfile-secret');
    expect(secretVolume.secret).toEqual({ secretName: 'orders-credentials', defaultMode: 0o400, items: [{ key: 'keyfile', path: 'keyfile' }] });
    expect(spec.volumes.find((v: any) => v.name === 'keyfile').emptyDir).toEqual({ medium: 'Memory', sizeLimit: '1Mi' });
    expect(init.volumeMounts).toEqual(expect.arrayContaining([
      { name: 'keyfile-secret', mountPath: '/var/run/mongodb-secret' },
      { name: 'keyfile', mountPath: '/var/run/mongodb-keyfile' },
    ]));
    // mongod sees only the private copy
    expect(mongod.volumeMounts.map((m: any) => m.name)).not.toContain('keyfile-secret');
    const script = find('ConfigMap', 'orders-scripts').data['setup.sh'];
    expect(script).toContain('install -m 0400 "/var/run/mongodb-secret/keyfile" "/var/run/mongodb-keyfile/keyfile"');
    expect(init.command).toEqual(['/bin/bash', '/scripts/setup.sh']);
  });

  test('the scripts ConfigMap is mounted with mode 0555, the config with 0444', () => {
    expect(spec.volumes.find((v: any) => v.name === 'scripts').configMap).toEqual({ name: 'orders-scripts', defaultMode: 0o555 });
    expect(spec.volumes.find((v: any) => v.name === 'config').configMap).toEqual({ name: 'orders-config', defaultMode: 0o444 });
    expect(Object.keys(find('ConfigMap', 'orders-scripts').data).sort()).toEqual(['agent.sh', 'replica-set.js', 'setup.sh']);
  });

  test('read-only root filesystem: /tmp is an emptyDir (unix socket, mongosh home)', () => {
    expect(spec.volumes.find((v: any) => v.name === 'tmp').emptyDir).toEqual({ sizeLimit: '256Mi' });
    expect(mongod.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(agent.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(mongod.env).toContainEqual({ name: 'HOME', value: '/tmp' });
  });

  test('probes through mongosh: ping for startup and liveness, PRIMARY/SECONDARY for readiness', () => {
    const cmd = (p: any) => p.exec.command;
    expect(cmd(mongod.startupProbe)).toEqual(['mongosh', '--quiet', '--norc', '--eval', 'db.adminCommand("ping")']);
    expect(cmd(mongod.livenessProbe)).toEqual(['mongosh', '--quiet', '--norc', '--eval', 'db.adminCommand("ping")']);
    expect(cmd(mongod.readinessProbe).slice(0, 4)).toEqual(['mongosh', '--quiet', '--norc', '--eval']);
    expect(cmd(mongod.readinessProbe)[4]).toMatch(/isWritablePrimary \|\| h\.secondary/);
    expect(mongod.startupProbe.failureThreshold * mongod.startupProbe.periodSeconds).toBe(600);
    expect(mongod.livenessProbe).not.toEqual(mongod.readinessProbe);
  });

  test('graceful shutdown: SIGTERM with a 2-minute grace period', () => {
    expect(spec.terminationGracePeriodSeconds).toBe(120);
  });

  test('the agent gets its identity from the downward API and the password from the Secret', () => {
    expect(agent.command).toEqual(['/bin/bash', '/scripts/agent.sh']);
    const env = agent.env.map((e: any) => e.name);
    expect(env.indexOf('POD_NAME')).toBeLessThan(env.indexOf('MEMBER_HOST'));
    expect(agent.env).toEqual(expect.arrayContaining([
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'MEMBER_HOST', value: '$(POD_NAME).orders-headless.db.svc.cluster.local:27017' },
      { name: 'MEMBER_ROLE', value: 'data' },
      { name: 'MONGODB_ROOT_PASSWORD', valueFrom: { secretKeyRef: { name: 'orders-credentials', key: 'password' } } },
    ]));
  });

  test('the credentials are generated in the cluster: password and keyfile, never in the YAML', () => {
    const job = objects.find((o) => o.kind === 'Job');
    const env = job.spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'SECRET_NAME', value: 'orders-credentials' });
    expect(env).toContainEqual({ name: 'SECRET_KEYS', value: 'password keyfile' });
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(JSON.stringify(objects)).not.toMatch(/MONGO_INITDB_ROOT_PASSWORD|"pwd"/);
    expect(db.generatedSecret).toBeDefined();
  });

  test('connection: seed list, replica-set name, Secret and a connection-string template without password', () => {
    expect(db.connection).toEqual({
      host: 'orders.db.svc.cluster.local',
      port: 27017,
      hosts: [host(0), host(1), host(2)],
      replicaSetName: 'orders',
      username: 'root',
      authSource: 'admin',
      secretName: 'orders-credentials',
      passwordKey: 'password',
      passwordVariable: 'MONGODB_PASSWORD',
      uri: `mongodb://root:$(MONGODB_PASSWORD)@${host(0)},${host(1)},${host(2)}/?replicaSet=orders&authSource=admin`,
    });
    expect([0, 1, 2].map((i) => `${db.workload.podDnsName(i)}:27017`)).toEqual(db.connection.hosts);
  });

  test('services, budget and network policy select the pod template labels', () => {
    const labels = sts.spec.template.metadata.labels;
    const selects = (selector: { [k: string]: string }) => Object.entries(selector).every(([k, v]) => labels[k] === v);
    expect(selects(sts.spec.selector.matchLabels)).toBe(true);
    expect(selects(find('Service', 'orders').spec.selector)).toBe(true);
    expect(selects(find('Service', 'orders-headless').spec.selector)).toBe(true);
    expect(find('Service', 'orders-headless').spec.publishNotReadyAddresses).toBe(true);
    expect(find('Service', 'orders').spec.ports).toEqual([{ name: 'mongodb', port: 27017, targetPort: 27017 }]);
    const pdb = find('PodDisruptionBudget', 'orders');
    expect(selects(pdb.spec.selector.matchLabels)).toBe(true);
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(selects(find('NetworkPolicy', 'orders').spec.podSelector.matchLabels)).toBe(true);
    expect(db.service.name).toBe('orders');
    expect(db.headlessService.name).toBe('orders-headless');
    expect(db.statefulSet).toBe(db.workload.statefulSet);
    expect(db.podDisruptionBudget).toBe(db.workload.podDisruptionBudget);
  });

  test('config checksum annotation changes with mongod.conf only', () => {
    const annotation = (p: MongoDbProps) => synth(p).sts.spec.template.metadata.annotations['cdk8s-stateful/config-checksum'];
    expect(annotation({})).toMatch(/^[0-9a-f]{16}$/);
    expect(annotation({ config: { 'operationProfiling.slowOpThresholdMs': '200' } })).not.toBe(annotation({}));
    // the member list is read by the agent at run time: scaling does not restart pods
    expect(annotation({ replicas: 5 })).toBe(annotation({}));
  });

  test('no arbiter by default', () => {
    expect(find('StatefulSet', 'orders-arbiter')).toBeUndefined();
    expect(db.arbiterWorkload).toBeUndefined();
  });

  test('two synths are byte-identical', () => {
    expect(JSON.stringify(synth().objects)).toBe(JSON.stringify(objects));
  });
});

describe('MongoDb props', () => {
  test.each([
    ['V6_0', MongoDbVersion.V6_0, 'mongo:6.0.20'],
    ['V7_0', MongoDbVersion.V7_0, 'mongo:7.0.16'],
    ['V8_0', MongoDbVersion.V8_0, 'mongo:8.0.4'],
    ['of', MongoDbVersion.of('8.0.5', '8.0'), 'mongo:8.0.5'],
  ])('version %s runs its official image', (_, version, image) => {
    const { mongod, agent, setup: init, sts } = synth({ version });
    expect([mongod.image, agent.image, init.image]).toEqual([image, image, image]);
    expect(sts.metadata.labels['app.kubernetes.io/version']).toBe(version.fullVersion);
  });

  test('6.0 is end of life: deprecated, and a warning at synth', () => {
    expect(MongoDbVersion.V6_0.deprecation).toMatch(/end of life/);
    expect(MongoDbVersion.V8_0.deprecation).toBeUndefined();
    const { db } = setup({ version: MongoDbVersion.V6_0 });
    expect(db.node.metadata.map((m) => m.data)).toContainEqual(expect.stringMatching(/MongoDB 6.0.20 is deprecated: MongoDB 6.0 reached its end of life/));
  });

  test('image overrides the official one', () => {
    const { mongod, agent, setup: init } = synth({ image: 'registry.example.com/mongo:8.0.4' });
    expect([mongod.image, agent.image, init.image]).toEqual(Array(3).fill('registry.example.com/mongo:8.0.4'));
  });

  test('name sets every object name, not the construct id', () => {
    const { find, db } = synth({ name: 'shop' }, 'Orders');
    expect(find('StatefulSet', 'shop')).toBeDefined();
    expect(find('ConfigMap', 'shop-config')).toBeDefined();
    expect(find('ConfigMap', 'shop-scripts')).toBeDefined();
    expect(db.connection.replicaSetName).toBe('shop');
    expect(db.connection.hosts[0]).toBe(host(0, 'shop'));
  });

  test('replicas: 5 members, all in the seed list and the agent settings', () => {
    const { sts, find, db } = synth({ replicas: 5 });
    expect(sts.spec.replicas).toBe(5);
    expect(db.connection.hosts).toEqual([0, 1, 2, 3, 4].map((i) => host(i)));
    expect(JSON.parse(find('ConfigMap', 'orders-config').data['replica-set.json']).members).toHaveLength(5);
  });

  test('replicas: 1 is a single-member replica set (still --replSet), with a warning and no budget', () => {
    const { sts, find, db } = synth({ replicas: 1 });
    expect(sts.spec.replicas).toBe(1);
    expect(find('ConfigMap', 'orders-config').data['mongod.conf']).toContain('replSetName: "orders"');
    expect(find('PodDisruptionBudget', 'orders')).toBeUndefined();
    expect(db.connection.uri).toBe(`mongodb://root:$(MONGODB_PASSWORD)@${host(0)}/?replicaSet=orders&authSource=admin`);
    expect(db.node.metadata.map((m) => m.data)).toContainEqual(expect.stringMatching(/single-member replica set has no failover/));
  });

  test('arbiter: its own small StatefulSet <name>-arbiter, component arbiter, without a claim', () => {
    const { find, db, sts } = synth({ replicas: 2, arbiter: true });
    const arb = find('StatefulSet', 'orders-arbiter');
    expect(arb.spec.replicas).toBe(1);
    expect(arb.spec.volumeClaimTemplates).toBeUndefined();
    expect(arb.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'mongodb', 'app.kubernetes.io/instance': 'orders', 'app.kubernetes.io/component': 'arbiter' });
    // the selectors of the two sets do not overlap
    expect(sts.spec.selector.matchLabels['app.kubernetes.io/component']).toBe('server');
    const aspec = arb.spec.template.spec;
    const mongod = aspec.containers.find((c: any) => c.name === 'mongod');
    expect(mongod.args).toEqual(['--config', '/etc/mongod/mongod.conf', '--wiredTigerCacheSizeGB', '0.25']);
    expect(mongod.resources).toEqual({ requests: { cpu: '100m', memory: '1024Mi' }, limits: { memory: '1024Mi' } });
    expect(aspec.volumes.find((v: any) => v.name === 'data').emptyDir).toEqual({ sizeLimit: '1024Mi' });
    const agent = aspec.containers.find((c: any) => c.name === 'replica-set-agent');
    expect(agent.env).toContainEqual({ name: 'MEMBER_ROLE', value: 'arbiter' });
    expect(agent.env).toContainEqual({ name: 'MEMBER_HOST', value: '$(POD_NAME).orders-arbiter-headless.db.svc.cluster.local:27017' });
    expect(JSON.parse(find('ConfigMap', 'orders-config').data['replica-set.json']).arbiter).toBe(host(0, 'orders-arbiter'));
    expect(find('Service', 'orders-arbiter-headless')).toBeDefined();
    expect(find('Service', 'orders-arbiter')).toBeUndefined();
    // the arbiter is not in the clients' seed list
    expect(db.connection.hosts).toEqual([host(0), host(1)]);
    expect(db.arbiterWorkload?.name).toBe('orders-arbiter');
  });

  test('arbiterResources without an arbiter are refused, not ignored', () => {
    expect(() => synth({ arbiterResources: { memory: Size.gibibytes(1) } })).toThrow(/test\/orders: 'arbiterResources' has no effect without 'arbiter: true'/);
  });

  test('arbiterResources size the arbiter', () => {
    const { find } = synth({ replicas: 2, arbiter: true, arbiterResources: { cpu: kplus.Cpu.millis(50), memory: Size.mebibytes(1536) } });
    const mongod = find('StatefulSet', 'orders-arbiter').spec.template.spec.containers.find((c: any) => c.name === 'mongod');
    expect(mongod.resources).toEqual({ requests: { cpu: '50m', memory: '1536Mi' }, limits: { memory: '1536Mi' } });
  });

  test('replicaSetName names the set in mongod.conf, the agent settings and the connection', () => {
    const { find, db } = synth({ replicaSetName: 'rs0' });
    expect(find('ConfigMap', 'orders-config').data['mongod.conf']).toContain('replSetName: "rs0"');
    expect(JSON.parse(find('ConfigMap', 'orders-config').data['replica-set.json']).name).toBe('rs0');
    expect(db.connection.replicaSetName).toBe('rs0');
    expect(db.connection.uri).toMatch(/\?replicaSet=rs0&authSource=admin$/);
  });

  test.each([
    [1024, 0.25], [2048, 0.5], [4096, 1.5], [8192, 3.5], [3000, 0.96],
  ])('resources.memory %i MiB gives a %d GB WiredTiger cache (50%% of memory - 1 GiB, at least 0.25)', (mib, gb) => {
    const { mongod, db } = synth({ resources: { memory: Size.mebibytes(mib) } });
    expect(db.wiredTigerCacheSizeGB).toBe(gb);
    expect(mongod.args).toEqual(['--config', '/etc/mongod/mongod.conf', '--wiredTigerCacheSizeGB', String(gb)]);
  });

  test('resources.cpu and cpuLimit', () => {
    const { mongod } = synth({ resources: { cpu: kplus.Cpu.millis(2000), cpuLimit: kplus.Cpu.millis(4000), memory: Size.gibibytes(8) } });
    expect(mongod.resources).toEqual({ requests: { cpu: '2000m', memory: '8192Mi' }, limits: { cpu: '4000m', memory: '8192Mi' } });
  });

  test('storage: size, class and access modes of the claims', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'test', { namespace: 'db' });
    const ssd = new StorageClass(chart, 'ssd', { provisioner: Provisioner.awsEbs() });
    new MongoDb(chart, 'orders', { storage: { size: Size.gibibytes(50), storageClass: ssd, accessModes: [AccessMode.READ_WRITE_ONCE_POD] } });
    const sts = Testing.synth(chart).find((o) => o.kind === 'StatefulSet');
    const claim = sts.spec.volumeClaimTemplates[0].spec;
    expect(claim.resources.requests.storage).toBe('50Gi');
    expect(claim.storageClassName).toBe(ssd.storageClassName);
    expect(claim.accessModes).toEqual(['ReadWriteOncePod']);
  });

  test('credentials from an existing Secret with renamed keys: no generator Job', () => {
    const { objects, spec, agent, db } = synth({ credentials: Credentials.fromSecret('mongo-creds', { password: 'root-password', keyfile: 'internal-key' }) });
    expect(objects.filter((o) => o.kind === 'Job')).toEqual([]);
    expect(spec.volumes.find((v: any) => v.name === 'keyfile-secret').secret).toEqual({ secretName: 'mongo-creds', defaultMode: 0o400, items: [{ key: 'internal-key', path: 'keyfile' }] });
    expect(agent.env).toContainEqual({ name: 'MONGODB_ROOT_PASSWORD', valueFrom: { secretKeyRef: { name: 'mongo-creds', key: 'root-password' } } });
    expect(db.connection.secretName).toBe('mongo-creds');
    expect(db.connection.passwordKey).toBe('root-password');
    expect(db.generatedSecret).toBeUndefined();
  });

  test('credentials generated with a Secret name and generator image', () => {
    const { objects, db } = synth({ credentials: Credentials.generated({ secretName: 'mongo-secret', generatorImage: 'curlimages/curl:8.12.0' }) });
    const job = objects.find((o: any) => o.kind === 'Job');
    expect(job.metadata.name).toMatch(/^mongo-secret-init-[0-9a-f]{8}$/);
    expect(job.spec.template.spec.containers[0].image).toBe('curlimages/curl:8.12.0');
    expect(db.connection.secretName).toBe('mongo-secret');
  });

  test('config overrides are rendered into mongod.conf, typed, and sorted', () => {
    const { find } = synth({ config: { 'setParameter.diagnosticDataCollectionEnabled': 'false', 'operationProfiling.mode': 'slowOp', 'operationProfiling.slowOpThresholdMs': '200' } });
    const conf = find('ConfigMap', 'orders-config').data['mongod.conf'];
    expect(conf).toContain('operationProfiling:\n  mode: "slowOp"\n  slowOpThresholdMs: 200\n');
    expect(conf).toContain('setParameter:\n  diagnosticDataCollectionEnabled: false\n');
    expect(conf.indexOf('operationProfiling:')).toBeLessThan(conf.indexOf('processManagement:'));
  });

  test('config cacheSizeGB replaces the cache sized from memory', () => {
    const { find, mongod, db } = synth({ config: { 'storage.wiredTiger.engineConfig.cacheSizeGB': '1.25' } });
    expect(mongod.args).toEqual(['--config', '/etc/mongod/mongod.conf']);
    expect(find('ConfigMap', 'orders-config').data['mongod.conf']).toContain('  wiredTiger:\n    engineConfig:\n      cacheSizeGB: 1.25\n');
    expect(db.wiredTigerCacheSizeGB).toBe(1.25);
  });

  test('terminationGracePeriod', () => {
    expect(synth({ terminationGracePeriod: Duration.minutes(5) }).spec.terminationGracePeriodSeconds).toBe(300);
  });

  test('placement, podAnnotations and clusterDomain pass through', () => {
    const { spec, sts, db } = synth({
      placement: { nodeSpread: SpreadMode.PREFERRED, zoneSpread: SpreadMode.NONE, nodeSelector: { disk: 'ssd' } },
      podAnnotations: { 'example.com/team': 'shop' },
      clusterDomain: 'corp.local',
    });
    expect(spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    expect(spec.topologySpreadConstraints).toBeUndefined();
    expect(spec.nodeSelector).toEqual({ disk: 'ssd' });
    expect(sts.spec.template.metadata.annotations['example.com/team']).toBe('shop');
    expect(db.connection.hosts[0]).toBe('orders-0.orders-headless.db.svc.corp.local:27017');
    expect(db.connection.host).toBe('orders.db.svc.corp.local');
  });

  test('allowFrom admits the apps to port 27017', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'test', { namespace: 'db' });
    const apps = kplus.Pods.select(chart, 'Apps', { labels: { app: 'shop' } });
    new MongoDb(chart, 'orders', { allowFrom: [apps] });
    const policy = Testing.synth(chart).find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'orders');
    const rule = policy.spec.ingress.find((r: any) => r.from?.[0]?.podSelector?.matchLabels?.app === 'shop');
    expect(rule.ports).toEqual([{ port: 27017, protocol: 'TCP' }]);
  });
});

describe('MongoDb validation', () => {
  test.each([
    [{ replicas: 2.5 }, /orders: 'replicas' must be a positive integer, got 2.5/],
    [{ replicas: 0 }, /'replicas' must be a positive integer, got 0/],
    [{ replicas: 2 }, /'replicas' must be odd: an even number of voters cannot always elect a primary; use an odd number, or arbiter: true.*got 2/],
    [{ replicas: 4 }, /'replicas' must be odd/],
    [{ replicas: 9 }, /'replicas' must make at most 7 voting members.*valid 1 to 7, got 9/],
    [{ replicas: 8, arbiter: true }, /'replicas' must make at most 7 voting members.*counting the arbiter: valid 1 to 6, got 8/],
    [{ replicas: 3, arbiter: true }, /'arbiter' needs an even number of replicas: with 3 the arbiter would make the voters even.*got 3/],
    [{ replicas: 1, arbiter: true }, /'arbiter' needs an even number of replicas/],
    [{ replicaSetName: 'my/set' }, /'replicaSetName' must be 1 to 64 letters, digits, '-' or '_'.*got 'my\/set'/],
    [{ replicaSetName: '' }, /'replicaSetName' must be 1 to 64/],
    [{ resources: { memory: Size.mebibytes(512) } }, /'resources.memory' must be at least 1024 MiB.*got '512 MiB'/],
    [{ resources: { memory: Size.mebibytes(0) } }, /'resources.memory' must be a positive size/],
    [{ replicas: 2, arbiter: true, arbiterResources: { memory: Size.mebibytes(768) } }, /'arbiterResources.memory' must be at least 1024 MiB.*got '768 MiB'/],
    [{ config: { 'net port': '1' } }, /'config.net port' must be a dotted mongod.conf option path.*got 'net port'/],
    [{ config: { 'replication.replSetName': 'x' } }, /'config.replication.replSetName' is managed by the construct.*: the replica-set bootstrap depends on it/],
    [{ config: { 'security.keyFile': '/k' } }, /'config.security.keyFile' is managed by the construct/],
    [{ config: { 'storage.dbPath': '/data' } }, /'config.storage.dbPath' is managed by the construct/],
    [{ config: { security: 'x' } }, /'config.security' is managed by the construct/],
    [{ config: { 'operationProfiling': 'x', 'operationProfiling.mode': 'off' } }, /'config.operationProfiling.mode' cannot be set together with 'config.operationProfiling': one is a section of the other/],
    [{ name: 'Orders' }, /'name' must be a DNS label.*got 'Orders'/],
    [{ name: 'a'.repeat(53) }, /'name' must be a DNS label .* of at most 52 characters/],
    [{ name: 'a'.repeat(45), replicas: 2, arbiter: true }, /'name' must be a DNS label .* of at most 44 characters/],
  ] as Array<[MongoDbProps, RegExp]>)('%j is refused', (props, message) => {
    expect(() => setup(props)).toThrow(message);
  });

  describe('previousReplicas: one step stops at most a minority of the current voters', () => {
    test.each([
      [5, { replicas: 3 }],
      [3, { replicas: 5 }],
      [7, { replicas: 5 }],
      [3, { replicas: 3 }],
      [4, { replicas: 2, arbiter: true }],
      [3, { replicas: 2, arbiter: true }],
      [5, { replicas: 4, arbiter: true }],
      [2, { replicas: 3 }],
      [1, { replicas: 3 }],
    ] as Array<[number, MongoDbProps]>)('from %d to %j is accepted', (previous, props) => {
      expect(() => setup({ ...props, previousReplicas: previous })).not.toThrow();
    });

    test.each([
      [3, { replicas: 1 }, "test/orders: 'replicas' must not stop more than a minority of the voters in one step: from 3 member(s) ('previousReplicas' 3) to 1 member(s) stops 2 of 3 voters at once, which leaves no primary and no way for the agent to remove them; valid: remove at most 1 voter(s) per step (apply each step, wait for the agent to remove the stopped members, then the next), or rs.remove() the members by hand first and declare the count that is left, got 1"],
      [5, { replicas: 1 }, "test/orders: 'replicas' must not stop more than a minority of the voters in one step: from 5 member(s) ('previousReplicas' 5) to 1 member(s) stops 4 of 5 voters at once, which leaves no primary and no way for the agent to remove them; valid: remove at most 2 voter(s) per step"],
      [7, { replicas: 3 }, "from 7 member(s) ('previousReplicas' 7) to 3 member(s) stops 4 of 7 voters at once"],
      [2, { replicas: 1 }, "from 2 member(s) and the arbiter ('previousReplicas' 2) to 1 member(s) stops 2 of 3 voters at once"],
      [6, { replicas: 2, arbiter: true }, "from 6 member(s) and the arbiter ('previousReplicas' 6) to 2 member(s) and the arbiter stops 4 of 7 voters at once"],
    ] as Array<[number, MongoDbProps, string]>)('from %d to %j is refused with the rule', (previous, props, message) => {
      expect(() => setup({ ...props, previousReplicas: previous })).toThrow(message);
    });

    test.each([
      [0, "test/orders: 'previousReplicas' must be a positive integer, got 0"],
      [2.5, "test/orders: 'previousReplicas' must be a positive integer, got 2.5"],
      [8, "test/orders: 'previousReplicas' must be a count the set can have: 1 to 7 members, got 8"],
      ['5', "test/orders: 'previousReplicas' must be a number, got '5'"],
      [null, "test/orders: 'previousReplicas' must be a number, got null"],
    ])('previousReplicas %j is refused', (value, message) => {
      expect(() => setup({ replicas: 3, previousReplicas: value } as unknown as MongoDbProps)).toThrow(message);
    });
  });

  test('a 44-character name with an arbiter is accepted', () => {
    expect(() => setup({ name: 'a'.repeat(44), replicas: 2, arbiter: true })).not.toThrow();
  });

  test('an unpinned image is refused', () => {
    expect(() => setup({ image: 'mongo' })).toThrow(/image/);
  });
});

// No MongoDB server could be run on the machines this project is tested on: these tests check what
// the exporter is told (image, flags, credentials), not that a mongod answers it.
describe('MongoDb metrics', () => {
  test('metrics: Percona mongodb_exporter sidecar on 9216, pinned, on its own member over loopback', () => {
    const { spec, sts } = synth({ metrics: true });
    const exporter = spec.containers.find((c: any) => c.name === 'metrics');
    expect(exporter.image).toBe('percona/mongodb_exporter:0.47.1');
    expect(exporter.ports).toEqual([{ containerPort: 9216, name: 'metrics' }]);
    expect(exporter.args).toEqual([
      '--mongodb.uri=mongodb://127.0.0.1:27017/admin',
      '--mongodb.direct-connect',
      '--compatible-mode',
      '--collector.diagnosticdata',
      '--collector.replicasetstatus',
      '--collector.dbstats',
      '--web.listen-address=:9216',
    ]);
    expect(exporter.securityContext).toMatchObject({ runAsUser: 999, runAsGroup: 999, runAsNonRoot: true, readOnlyRootFilesystem: true });
    expect(sts.spec.template.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9216', 'prometheus.io/path': '/metrics' });
  });

  test('it logs in as root with the password from the Secret: no password in the YAML, none in the URI', () => {
    const { spec, objects } = synth({ metrics: true });
    const exporter = spec.containers.find((c: any) => c.name === 'metrics');
    expect(exporter.env).toEqual([
      { name: 'MONGODB_USER', value: 'root' },
      { name: 'MONGODB_PASSWORD', valueFrom: { secretKeyRef: { name: 'orders-credentials', key: 'password' } } },
    ]);
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    const custom = synth({ metrics: true, credentials: Credentials.fromSecret('mongo-admin', { password: 'root-pw' }) })
      .spec.containers.find((c: any) => c.name === 'metrics');
    expect(custom.env[1].valueFrom.secretKeyRef).toEqual({ name: 'mongo-admin', key: 'root-pw' });
  });

  test('the exporter does not mount the data volume; the other containers still do', () => {
    const { spec } = synth({ metrics: true });
    const mounts = (name: string) => [...spec.containers, ...spec.initContainers].find((c: any) => c.name === name).volumeMounts ?? [];
    expect(mounts('metrics').map((m: any) => m.name)).not.toContain('data');
    for (const name of ['mongod', 'replica-set-agent', 'setup']) {
      expect(mounts(name).map((m: any) => m.name)).toContain('data');
    }
  });

  test('the arbiter, which has no users to log in with, runs no exporter and is not scraped', () => {
    const { find } = synth({ replicas: 2, arbiter: true, metrics: true });
    const arbiter = find('StatefulSet', 'orders-arbiter').spec.template;
    expect(arbiter.spec.containers.map((c: any) => c.name)).toEqual(['mongod', 'replica-set-agent']);
    expect(arbiter.metadata.annotations['prometheus.io/scrape']).toBeUndefined();
  });

  test('no exporter by default, and metrics must be a boolean', () => {
    const { spec, sts } = synth();
    expect(spec.containers.map((c: any) => c.name)).toEqual(['mongod', 'replica-set-agent']);
    expect(sts.spec.template.metadata.annotations['prometheus.io/scrape']).toBeUndefined();
    expect(() => synth({ metrics: 'true' as any })).toThrow(/test\/orders: 'metrics' must be true or false/);
  });
});

describe('MongoDb TLS and authentication', () => {
  const tls = { certificates: TlsCertificates.fromSecret('orders-certs') };
  const conf = (objects: any[]) => objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'orders-config').data['mongod.conf'] as string;
  const scripts = (objects: any[]) => objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'orders-scripts').data as { [file: string]: string };

  test('mongod.conf: requireTLS with the composed PEM and the CA; clients without certificates; TLS 1.0 and 1.1 off', () => {
    const { objects } = synth({ tls });
    expect(conf(objects)).toContain([
      'net:',
      '  bindIpAll: true',
      '  port: 27017',
      '  tls:',
      '    CAFile: "/etc/tls/ca.crt"',
      '    allowConnectionsWithoutCertificates: true',
      '    certificateKeyFile: "/var/run/mongodb-tls/server.pem"',
      '    disabledProtocols: "TLS1_0,TLS1_1"',
      '    mode: "requireTLS"',
    ].join('\n'));
    // Members still authenticate to each other with the keyfile.
    expect(conf(objects)).toContain('keyFile: "/var/run/mongodb-keyfile/keyfile"');
  });

  test('allowPlaintext: preferTLS, so members still talk TLS to each other and only clients may come without', () => {
    const { objects } = synth({ tls: { ...tls, allowPlaintext: true } });
    expect(conf(objects)).toContain('    mode: "preferTLS"');
    expect(conf(objects)).not.toContain('allowTLS');
  });

  test('no tls: no net.tls, no PEM volume, no rotation script, probes without TLS', () => {
    const { objects, mongod, spec } = synth();
    expect(conf(objects)).not.toContain('tls');
    expect(scripts(objects)['rotate-certificates.js']).toBeUndefined();
    expect(scripts(objects)['setup.sh']).not.toContain('tls_pem_bundle');
    expect(scripts(objects)['agent.sh']).not.toContain('tls_watch');
    expect(spec.volumes.map((v: any) => v.name)).not.toContain('tls-pem');
    expect(mongod.readinessProbe.exec.command.slice(0, 4)).toEqual(['mongosh', '--quiet', '--norc', '--eval']);
  });

  test('every probe runs mongosh with TLS, the CA and localhost (a name the certificate covers)', () => {
    const { mongod } = synth({ tls });
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
      expect(mongod[probe].exec.command.slice(0, 9)).toEqual(['mongosh', '--quiet', '--norc', '--tls', '--tlsCAFile', '/etc/tls/ca.crt', '--host', 'localhost', '--eval']);
    }
  });

  test('setup composes the PEM (key, then certificate) into an in-memory volume that mongod and the agent mount', () => {
    const { objects, spec, mongod, agent, setup: init } = synth({ tls });
    const setupScript = scripts(objects)['setup.sh'];
    expect(setupScript).toContain(TLS_PEM_BUNDLE_FUNCTION);
    expect(setupScript).toMatch(/\ntls_pem_bundle "\/var\/run\/mongodb-tls\/[a-z.-]+"\n/);
    expect(spec.volumes.find((v: any) => v.name === 'tls-pem')).toEqual({ name: 'tls-pem', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } });
    for (const c of [init, mongod, agent]) {
      expect(c.volumeMounts).toContainEqual({ name: 'tls-pem', mountPath: '/var/run/mongodb-tls' });
      expect(c.volumeMounts).toContainEqual({ name: 'tls', mountPath: '/etc/tls', readOnly: true });
    }
  });

  test('rotation: the agent recomposes the PEM and asks mongod to rotateCertificates, no restart', () => {
    const { objects } = synth({ tls });
    const agentScript = scripts(objects)['agent.sh'];
    expect(agentScript).toContain('tls_watch() {');
    expect(agentScript).toContain('reload_tls() {\n  tls_pem_bundle "/var/run/mongodb-tls/server.pem" && mongosh --quiet --norc --nodb --file "/scripts/rotate-certificates.js"\n}\ntls_watch reload_tls\n');
    const rotate = scripts(objects)['rotate-certificates.js'];
    expect(rotate).toContain('runCommand({ rotateCertificates: 1 })');
    expect(rotate).toContain("'tls=true&tlsCAFile=' + encodeURIComponent('/etc/tls/ca.crt')");
    expect(rotate).toContain('process.env.MONGODB_ROOT_PASSWORD');
  });

  test('the arbiter gets the same TLS mounts and scripts', () => {
    const { find } = synth({ replicas: 2, arbiter: true, tls });
    const pod = find('StatefulSet', 'orders-arbiter').spec.template.spec;
    for (const c of [...pod.containers, ...pod.initContainers]) {
      expect(c.volumeMounts).toContainEqual({ name: 'tls', mountPath: '/etc/tls', readOnly: true });
      expect(c.volumeMounts).toContainEqual({ name: 'tls-pem', mountPath: '/var/run/mongodb-tls' });
    }
  });

  test('metrics: the exporter connects to localhost over verified TLS', () => {
    const { spec } = synth({ tls, metrics: true });
    const exporter = spec.containers.find((c: any) => c.name === 'metrics');
    expect(exporter.args).toContain('--mongodb.uri=mongodb://localhost:27017/admin?tls=true&tlsCAFile=%2Fetc%2Ftls%2Fca.crt');
    expect(exporter.volumeMounts).toContainEqual({ name: 'tls', mountPath: '/etc/tls', readOnly: true });
  });

  test('logical backup: mongosh and mongodump over verified TLS, only the CA mounted', () => {
    const { find, objects } = synth({ tls, logicalBackup: {} });
    const dump: string = find('ConfigMap', 'orders-dump').data['dump.sh'];
    expect(dump).toContain('"mongodb://$1/?directConnection=true&serverSelectionTimeoutMS=10000&tls=true&tlsCAFile=%2Fetc%2Ftls%2Fca.crt"');
    expect(dump).toContain('uri="mongodb://root@$1/?directConnection=true&readPreference=secondaryPreferred&authSource=admin&tls=true&tlsCAFile=%2Fetc%2Ftls%2Fca.crt"');
    const job = objects.find((o) => o.kind === 'CronJob').spec.jobTemplate.spec.template.spec;
    expect(job.containers[0].env).toContainEqual({ name: 'DUMP_FALLBACK', value: `${host(0)},${host(1)},${host(2)}/?replicaSet=orders&authSource=admin&tls=true&tlsCAFile=%2Fetc%2Ftls%2Fca.crt` });
    expect(job.volumes).toContainEqual({ name: 'tls-ca', secret: { secretName: 'orders-certs', defaultMode: 0o440, items: [{ key: 'ca.crt', path: 'ca.crt' }] } });
    expect(job.containers[0].volumeMounts).toContainEqual({ name: 'tls-ca', mountPath: '/etc/tls', readOnly: true });
  });

  test('the URI asks for TLS with the CA, also with allowPlaintext', () => {
    for (const t of [tls, { ...tls, allowPlaintext: true }]) {
      const { db } = synth({ tls: t });
      expect(db.connection.uri).toBe(`mongodb://root:$(MONGODB_PASSWORD)@${host(0)},${host(1)},${host(2)}/?replicaSet=orders&authSource=admin&tls=true&tlsCAFile=/etc/cdk8s-stateful/orders/ca.crt`);
    }
    expect(synth().db.connection.uri).not.toContain('tls');
  });

  test.each([
    ['net.tls.mode', 'preferTLS'],
    ['net.tls.CAFile', '/x.pem'],
    ['net.ssl.mode', 'allowSSL'],
  ])('with tls, config.%s is refused', (key, value) => {
    expect(() => synth({ tls, config: { [key]: value } })).toThrow(`test/orders: 'config.${key}' is set by the tls prop (net.tls: the mode, the certificate composed from the Secret, the CA); use tls.certificates and tls.allowPlaintext instead, got '${value}'`);
  });

  test('turning TLS on for a running set: net.tls.mode allowTLS is accepted with allowPlaintext, and wins', () => {
    const { objects } = synth({ tls: { ...tls, allowPlaintext: true }, config: { 'net.tls.mode': 'allowTLS' } });
    expect(conf(objects)).toContain('    mode: "allowTLS"');
    expect(conf(objects)).toContain('    certificateKeyFile: "/var/run/mongodb-tls/server.pem"');
  });

  test('allowTLS without allowPlaintext is refused', () => {
    expect(() => synth({ tls, config: { 'net.tls.mode': 'allowTLS' } })).toThrow("test/orders: 'config.net.tls.mode' allowTLS is only the first step of turning TLS on for a running set, and needs tls.allowPlaintext: true (members would talk to each other in plaintext); leave it out otherwise, got 'allowTLS'");
  });

  test('with allowPlaintext, other net.tls keys are still refused', () => {
    expect(() => synth({ tls: { ...tls, allowPlaintext: true }, config: { 'net.tls.mode': 'allowTLS', 'net.tls.CAFile': '/x' } })).toThrow(/'config\.net\.tls\.CAFile' is set by the tls prop/);
  });

  testShellcheck('with tls, setup.sh and agent.sh pass shellcheck', () => {
    const { 'setup.sh': setupScript, 'agent.sh': agentScript } = synth({ tls }).find('ConfigMap', 'orders-scripts').data;
    return { 'setup.sh': setupScript, 'agent.sh': agentScript };
  }, 'bash');
});
