import { Chart, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { AccessMode, Credentials, Postgres, PostgresProps, PostgresVersion } from '../../src';
import { testShellcheck } from '../shellcheck';
import { appYaml, selects } from '../util';

process.env.CDK8S_STATEFUL_QUIET = '1';

function synth(props: PostgresProps = {}, id = 'pg') {
  const app = Testing.app();
  const chart = new Chart(app, 'test', { namespace: 'db' });
  const pg = new Postgres(chart, id, props);
  const objects: any[] = Testing.synth(chart);
  const find = (kind: string, name: string) => {
    const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
    if (!found) { throw new Error(`no ${kind} ${name} in ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`); }
    return found;
  };
  const sts = objects.find((o) => o.kind === 'StatefulSet');
  const pod = sts.spec.template.spec;
  const container = (name: string) => pod.containers.find((c: any) => c.name === name);
  const server = container('postgres');
  const bootstrap = pod.initContainers.find((c: any) => c.name === 'bootstrap');
  const name = pg.workload.name;
  const conf: string = find('ConfigMap', `${name}-config`).data['postgresql.conf'];
  const hba: string = find('ConfigMap', `${name}-config`).data['pg_hba.conf'];
  const scripts: { [file: string]: string } = find('ConfigMap', `${name}-scripts`).data;
  return { pg, objects, find, sts, pod, container, server, bootstrap, conf, hba, scripts };
}

function setting(conf: string, key: string): string | undefined {
  const line = conf.split('\n').find((l) => l.startsWith(`${key} = `));
  return line?.slice(key.length + 3).replace(/ {2}# from props\.config$/, '');
}

function env(container: any, name: string): any {
  return container.env.find((e: any) => e.name === name);
}

function mountOf(container: any, path: string): any {
  return container.volumeMounts.find((m: any) => m.mountPath === path);
}

/* eslint-disable @typescript-eslint/no-deprecated */
const VERSIONS: Array<[string, PostgresVersion, string, string]> = [
  ['13', PostgresVersion.V13, '/var/lib/postgresql/data', '/var/lib/postgresql/data/pgdata'],
  ['14', PostgresVersion.V14, '/var/lib/postgresql/data', '/var/lib/postgresql/data/pgdata'],
  ['15', PostgresVersion.V15, '/var/lib/postgresql/data', '/var/lib/postgresql/data/pgdata'],
  ['16', PostgresVersion.V16, '/var/lib/postgresql/data', '/var/lib/postgresql/data/pgdata'],
  ['17', PostgresVersion.V17, '/var/lib/postgresql/data', '/var/lib/postgresql/data/pgdata'],
  ['18', PostgresVersion.V18, '/var/lib/postgresql', '/var/lib/postgresql/18/docker'],
];
/* eslint-enable @typescript-eslint/no-deprecated */

describe('versions', () => {
  test.each(VERSIONS)('%s: official image pinned to the full version, data in a subdirectory of the volume', (major, version, mount, pgdata) => {
    // WHEN
    const { sts, server, bootstrap } = synth({ version });
    // THEN
    expect(version.majorVersion).toBe(major);
    expect(version.fullVersion).toMatch(new RegExp(`^${major}\\.[0-9]+$`));
    expect(server.image).toBe(`postgres:${version.fullVersion}`);
    expect(bootstrap.image).toBe(server.image);
    expect(sts.metadata.labels['app.kubernetes.io/version']).toBe(version.fullVersion);
    expect(mountOf(server, mount).name).toBe('data');
    expect(mountOf(bootstrap, mount).name).toBe('data');
    expect(env(server, 'PGDATA').value).toBe(pgdata);
    expect(env(bootstrap, 'PGDATA').value).toBe(pgdata);
    expect(pgdata.startsWith(`${mount}/`)).toBe(true);
  });

  test('default is 17; of() pins another patch; image overrides the registry', () => {
    expect(synth().server.image).toBe(`postgres:${PostgresVersion.V17.fullVersion}`);
    expect(synth({ version: PostgresVersion.of('17.2', '17') }).server.image).toBe('postgres:17.2');
    const { server, bootstrap } = synth({ image: 'registry.example.com/postgres:17.2' });
    expect(server.image).toBe('registry.example.com/postgres:17.2');
    expect(bootstrap.image).toBe('registry.example.com/postgres:17.2');
  });
});

describe('topology and services', () => {
  test('single server: one pod, no budget, <name> on pod 0, <name>-ro, headless', () => {
    // WHEN
    const { sts, objects, find, pg } = synth();
    // THEN
    expect(sts.spec.replicas).toBe(1);
    expect(objects.filter((o) => o.kind === 'PodDisruptionBudget')).toHaveLength(0);
    expect(find('Service', 'pg').spec.selector['statefulset.kubernetes.io/pod-name']).toBe('pg-0');
    expect(find('Service', 'pg-ro').spec.selector['statefulset.kubernetes.io/pod-name']).toBeUndefined();
    expect(find('Service', 'pg-headless').spec.clusterIP).toBe('None');
    expect(find('Service', 'pg').metadata.annotations).toEqual({ 'kube-score/ignore': 'service-targets-pod' });
    expect(pg.podDisruptionBudget).toBeUndefined();
  });

  test('replicas 3, primary 2: the rw Service selects pod 2, the pods know it, all start in parallel', () => {
    // WHEN
    const { sts, find, bootstrap, pg } = synth({ replicas: 3, primary: 2 });
    // THEN
    expect(sts.spec.replicas).toBe(3);
    expect(sts.spec.podManagementPolicy).toBe('Parallel');
    expect(find('Service', 'pg').spec.selector['statefulset.kubernetes.io/pod-name']).toBe('pg-2');
    expect(env(bootstrap, 'PRIMARY_ORDINAL').value).toBe('2');
    expect(env(bootstrap, 'PRIMARY_HOST').value).toBe('pg.db.svc.cluster.local');
    expect(env(bootstrap, 'POD_NAME').valueFrom.fieldRef.fieldPath).toBe('metadata.name');
    expect(find('PodDisruptionBudget', 'pg').spec.maxUnavailable).toBe(1);
    expect(pg.primary).toBe(2);
  });

  test('every Service and the budget select the pod template labels; client Services expose only 5432', () => {
    // WHEN
    const { sts, objects } = synth({ replicas: 2, metrics: true });
    const labels = sts.spec.template.metadata.labels;
    // THEN
    for (const svc of objects.filter((o) => o.kind === 'Service')) {
      const { ['statefulset.kubernetes.io/pod-name']: _, ...rest } = svc.spec.selector;
      expect(selects(rest, labels)).toBe(true);
    }
    for (const name of ['pg', 'pg-ro']) {
      const svc = objects.find((o) => o.kind === 'Service' && o.metadata.name === name);
      expect(svc.spec.ports).toEqual([{ name: 'postgres', port: 5432, targetPort: 5432 }]);
    }
    const pdb = objects.find((o) => o.kind === 'PodDisruptionBudget');
    expect(selects(pdb.spec.selector.matchLabels, labels)).toBe(true);
    expect(selects(sts.spec.selector.matchLabels, labels)).toBe(true);
  });

  test('connection: hosts, port, database, user and the Secret', () => {
    // WHEN
    const { pg } = synth({ database: 'orders', clusterDomain: 'corp.local' });
    // THEN
    expect(pg.connection).toEqual({
      host: 'pg.db.svc.corp.local',
      readOnlyHost: 'pg-ro.db.svc.corp.local',
      port: 5432,
      database: 'orders',
      username: 'postgres',
      secretName: 'pg-credentials',
      passwordKey: 'password',
      passwordVariable: 'POSTGRES_PASSWORD',
      uri: 'postgresql://postgres:$(POSTGRES_PASSWORD)@pg.db.svc.corp.local:5432/orders',
    });
  });

  test('storage: a claim per pod with the default size, or the given size, class and modes', () => {
    expect(synth().sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('10Gi');
    const claim = synth({ storage: { size: Size.gibibytes(50), accessModes: [AccessMode.READ_WRITE_ONCE_POD] } }).sts.spec.volumeClaimTemplates[0];
    expect(claim.spec.resources.requests.storage).toBe('50Gi');
    expect(claim.spec.accessModes).toEqual(['ReadWriteOncePod']);
  });
});

describe('postgresql.conf', () => {
  test('tuned from memory: shared_buffers 25%, effective_cache_size 75%, work_mem, maintenance_work_mem', () => {
    // WHEN
    const { conf } = synth({ resources: { memory: Size.gibibytes(4) }, maxConnections: 150 });
    // THEN
    expect(setting(conf, 'shared_buffers')).toBe('1024MB');
    expect(setting(conf, 'effective_cache_size')).toBe('3072MB');
    expect(setting(conf, 'work_mem')).toBe(`${Math.floor((3072 * 1024) / 450)}kB`);
    expect(setting(conf, 'maintenance_work_mem')).toBe('256MB');
    expect(setting(conf, 'max_connections')).toBe('150');
  });

  test('replication and server settings', () => {
    // WHEN
    const { conf } = synth({ replicas: 3 });
    // THEN
    expect(setting(conf, 'wal_level')).toBe('replica');
    expect(setting(conf, 'hot_standby')).toBe('on');
    expect(Number(setting(conf, 'max_wal_senders'))).toBeGreaterThanOrEqual(10);
    expect(Number(setting(conf, 'max_replication_slots'))).toBeGreaterThanOrEqual(10);
    expect(setting(conf, 'listen_addresses')).toBe('\'*\'');
    expect(setting(conf, 'port')).toBe('5432');
    expect(setting(conf, 'password_encryption')).toBe('\'scram-sha-256\'');
    expect(setting(conf, 'hba_file')).toBe('\'/etc/postgresql/pg_hba.conf\'');
    expect(setting(conf, 'huge_pages')).toBe('off');
    expect(setting(conf, 'max_connections')).toBe('100');
    // WAL kept for standbys: a tenth of the 10 GiB default volume
    expect(setting(conf, 'wal_keep_size')).toBe('1024MB');
  });

  test('config overrides win, are marked, quoted when needed, and keys are sorted', () => {
    // WHEN
    const { conf } = synth({ config: { 'shared_buffers': '300MB', 'log_line_prefix': '%m [%p] it\'s ', 'auto_explain.log_min_duration': '1s' } });
    const keys = conf.split('\n').filter((l) => / = /.test(l)).map((l) => l.split(' = ')[0]);
    // THEN
    expect(setting(conf, 'shared_buffers')).toBe('300MB');
    expect(conf).toContain('shared_buffers = 300MB  # from props.config');
    expect(setting(conf, 'log_line_prefix')).toBe('\'%m [%p] it\'\'s \'');
    expect(setting(conf, 'auto_explain.log_min_duration')).toBe('1s');
    expect(keys).toEqual([...keys].sort());
    expect(new Set(keys).size).toBe(keys.length);
  });

  test('pg_hba: scram-sha-256 for the network, replication only for the replication role, never trust', () => {
    // WHEN
    const { hba } = synth({ replicationUser: 'streamer' });
    const rows = hba.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(/\s+/));
    // THEN
    expect(rows).toContainEqual(['host', 'replication', 'streamer', '0.0.0.0/0', 'scram-sha-256']);
    expect(rows).toContainEqual(['host', 'all', 'all', '0.0.0.0/0', 'scram-sha-256']);
    expect(rows).toContainEqual(['local', 'all', 'postgres', 'peer']);
    expect(rows.filter((r) => r[0] === 'host').every((r) => r[4] === 'scram-sha-256')).toBe(true);
    expect(hba).not.toMatch(/trust|md5|password\b/);
  });
});

describe('pod', () => {
  test('probes: pg_isready, a startup probe of at least 10 minutes, fast shutdown, 120 s grace', () => {
    // WHEN
    const { server, pod } = synth();
    // THEN
    for (const probe of [server.readinessProbe, server.livenessProbe, server.startupProbe]) {
      expect(probe.exec.command[0]).toBe('pg_isready');
    }
    expect(server.readinessProbe.exec.command).toContain('--host=127.0.0.1');
    expect(server.livenessProbe.exec.command).toContain('--host=/var/run/postgresql');
    expect(server.startupProbe.failureThreshold * server.startupProbe.periodSeconds).toBeGreaterThanOrEqual(600);
    expect(server.lifecycle.preStop.exec.command.join(' ')).toMatch(/pg_ctl stop .*--mode=fast/);
    expect(pod.terminationGracePeriodSeconds).toBe(120);
    expect(server.args).toEqual(['postgres', '-c', 'config_file=/etc/postgresql/postgresql.conf']);
  });

  test('non-root 999, fsGroup 999, read-only root with emptyDirs for the socket dir, /tmp and /dev/shm', () => {
    // WHEN
    const { server, bootstrap, pod } = synth();
    // THEN
    expect(pod.securityContext).toMatchObject({ runAsUser: 999, runAsGroup: 999, fsGroup: 999, runAsNonRoot: true });
    for (const c of [server, bootstrap]) {
      expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, runAsUser: 999 });
      expect(c.securityContext.capabilities.drop).toEqual(['ALL']);
    }
    const volume = (name: string) => pod.volumes.find((v: any) => v.name === name);
    expect(volume(mountOf(server, '/var/run/postgresql').name).emptyDir).toBeDefined();
    expect(volume(mountOf(server, '/tmp').name).emptyDir).toBeDefined();
    expect(volume(mountOf(server, '/dev/shm').name).emptyDir.medium).toBe('Memory');
    expect(mountOf(bootstrap, '/var/run/postgresql').name).toBe(mountOf(server, '/var/run/postgresql').name);
  });

  test('scripts: ConfigMap <name>-scripts mounted 0555; only init-replication.sh goes to docker-entrypoint-initdb.d', () => {
    // WHEN
    const { server, bootstrap, pod, scripts } = synth();
    const volume = (name: string) => pod.volumes.find((v: any) => v.name === name);
    // THEN
    expect(Object.keys(scripts).sort()).toEqual(['bootstrap.sh', 'init-replication.sh']);
    expect(bootstrap.command).toEqual(['/scripts/bootstrap.sh']);
    const scriptsVolume = volume(mountOf(bootstrap, '/scripts').name);
    expect(scriptsVolume.configMap).toMatchObject({ name: 'pg-scripts', defaultMode: 0o555 });
    const initdb = volume(mountOf(server, '/docker-entrypoint-initdb.d').name);
    expect(initdb.configMap.items).toEqual([{ key: 'init-replication.sh', path: '10-replication.sh' }]);
    expect(initdb.configMap.defaultMode).toBe(0o555);
    expect(volume(mountOf(server, '/etc/postgresql').name).configMap.name).toBe('pg-config');
  });

  test('every variable a script requires is set on the container that runs it', () => {
    // GIVEN
    const { server, bootstrap, scripts } = synth({ replicas: 2 });
    const required = (script: string) => [...script.matchAll(/\$\{([A-Z_]+):\?\}/g)].map((m) => m[1]);
    const names = (c: any) => c.env.map((e: any) => e.name);
    // THEN
    expect(required(scripts['bootstrap.sh']).length).toBeGreaterThan(4);
    for (const v of required(scripts['bootstrap.sh'])) { expect(names(bootstrap)).toContain(v); }
    for (const v of required(scripts['init-replication.sh'])) { expect(names(server)).toContain(v); }
    expect(env(server, 'PGPASSFILE').value).toBe(env(bootstrap, 'PGPASSFILE').value);
    expect(env(server, 'PGPASSFILE').value.startsWith('/var/run/postgresql/')).toBe(true);
  });

  test('a config change rolls the pods (config hash annotation), a re-synth does not', () => {
    const hash = (props: PostgresProps) => synth(props).sts.spec.template.metadata.annotations['cdk8s-stateful/config-checksum'];
    expect(hash({})).toBe(hash({}));
    expect(hash({ maxConnections: 120 })).not.toBe(hash({}));
  });
});

describe('credentials', () => {
  test('generated by default: a Job creates pg-credentials with both keys; pods read it; no Secret with data', () => {
    // WHEN
    const { objects, server, bootstrap } = synth();
    // THEN
    const job = objects.find((o) => o.kind === 'Job');
    const generator = job.spec.template.spec.containers[0];
    expect(generator.env.find((e: any) => e.name === 'SECRET_NAME').value).toBe('pg-credentials');
    expect(generator.env.find((e: any) => e.name === 'SECRET_KEYS').value).toBe('password replication-password');
    expect(env(server, 'POSTGRES_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'pg-credentials', key: 'password' });
    expect(env(server, 'REPLICATION_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'pg-credentials', key: 'replication-password' });
    expect(env(bootstrap, 'REPLICATION_PASSWORD').valueFrom.secretKeyRef.key).toBe('replication-password');
    expect(objects.filter((o) => o.kind === 'Secret')).toHaveLength(0);
    for (const c of [server, bootstrap]) {
      expect(c.env.filter((e: any) => /PASSWORD/.test(e.name) && e.value !== undefined)).toEqual([]);
    }
  });

  test('fromSecret with renamed keys: no Job, env reads the renamed keys, connection names them', () => {
    // WHEN
    const { objects, server, pg } = synth({ credentials: Credentials.fromSecret('vault-pg', { 'password': 'su', 'replication-password': 'repl' }) });
    // THEN
    expect(objects.filter((o) => o.kind === 'Job')).toHaveLength(0);
    expect(env(server, 'POSTGRES_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'vault-pg', key: 'su' });
    expect(env(server, 'REPLICATION_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'vault-pg', key: 'repl' });
    expect(pg.connection.secretName).toBe('vault-pg');
    expect(pg.connection.passwordKey).toBe('su');
  });
});

describe('metrics', () => {
  test('metrics: postgres_exporter sidecar on 9187, pinned, password from the Secret, scrape annotations', () => {
    // WHEN
    const { container, sts } = synth({ metrics: true });
    const exporter = container('metrics');
    // THEN
    expect(exporter.image).toMatch(/^quay\.io\/prometheuscommunity\/postgres-exporter:v[0-9]+\.[0-9]+\.[0-9]+$/);
    expect(exporter.ports).toEqual([{ containerPort: 9187, name: 'metrics' }]);
    expect((exporter.volumeMounts ?? []).map((m: any) => m.name)).not.toContain('data');
    expect(env(exporter, 'DATA_SOURCE_PASS').valueFrom.secretKeyRef).toEqual({ name: 'pg-credentials', key: 'password' });
    expect(sts.spec.template.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9187' });
  });

  test('no metrics by default', () => {
    const { pod, sts } = synth();
    expect(pod.containers.map((c: any) => c.name)).toEqual(['postgres']);
    expect(sts.spec.template.metadata.annotations['prometheus.io/scrape']).toBeUndefined();
  });
});

describe('validation', () => {
  test.each([
    ['memory below the minimum', { resources: { memory: Size.mebibytes(200) } }, /'resources.memory' must be at least 256 MiB for max_connections=100.*got '200 MiB'/],
    ['memory too small for max_connections', { maxConnections: 500, resources: { memory: Size.mebibytes(512) } }, /'resources.memory' must be at least 628 MiB for max_connections=500/],
    ['replicas 0', { replicas: 0 }, /'replicas' must be a positive integer, got 0/],
    ['replicas 2.5', { replicas: 2.5 }, /'replicas' must be a positive integer, got 2.5/],
    ['primary out of range', { replicas: 2, primary: 2 }, /'primary' must be the ordinal of one of the 2 pod\(s\): 0 to 1, got 2/],
    ['primary negative', { primary: -1 }, /'primary' must be an integer of at least 0, got -1/],
    ['maxConnections 0', { maxConnections: 0 }, /'maxConnections' must be a positive integer, got 0/],
    ['ReadOnlyMany storage', { storage: { accessModes: [AccessMode.READ_ONLY_MANY] } }, /'storage.accessModes\[0\]' must be a mode every pod can write its own volume with: ReadWriteOnce, ReadWriteOncePod/],
    ['a major version that is not a number', { version: PostgresVersion.of('17.2', 'seventeen') }, /'version' must be a version of PostgreSQL 13 to 18.x .*got '17.2 \(seventeen\)'/],
    ['a major version before 13', { version: PostgresVersion.of('12.22', '12') }, /'version' must be PostgreSQL 13 to 18.x/],
    ['a full version without a minor', { version: PostgresVersion.of('17', '17') }, /'version' must be a version of .* with a full version of 2 numbers that starts with its release line.*got '17 \(17\)'/],
    ['a full version of another major', { version: PostgresVersion.of('16.4', '17') }, /'version' must be a version of .* starts with its release line.*got '16.4 \(17\)'/],
    ['a full version with a suffix', { version: PostgresVersion.of('17.2-alpine', '17') }, /'version' must be a version of PostgreSQL/],
    ['an unpinned image', { image: 'postgres:latest' }, /image/],
    ['a managed setting', { config: { port: '5433' } }, /'config.port' is managed by the construct.*managed: config_file, data_directory/],
    ['a bad setting name', { config: { 'bad key': '1' } }, /'config.bad key' must be a postgresql.conf setting name/],
    ['a multi-line value', { config: { work_mem: '4MB\nport = 1' } }, /'config.work_mem' must be a single-line string/],
    ['wal_level minimal with standbys', { replicas: 2, config: { wal_level: 'minimal' } }, /'config.wal_level' must be replica or logical when replicas > 1/],
    ['hot_standby off with standbys', { replicas: 2, config: { hot_standby: 'off' } }, /'config.hot_standby' must stay on when replicas > 1/],
    ['a database name that is not an identifier', { database: 'my-db' }, /'database' must be a lower-case SQL identifier.*got 'my-db'/],
    ['replicationUser postgres', { replicationUser: 'postgres' }, /'replicationUser' must be a lower-case SQL identifier of at most 63 characters other than 'postgres'/],
  ] as Array<[string, PostgresProps, RegExp]>)('refuses %s', (_, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });

  test('errors name the construct path', () => {
    expect(() => synth({ replicas: 0 }, 'orders')).toThrow(/^test\/orders: 'replicas'/);
  });

  test('the minimum memory itself is accepted', () => {
    expect(() => synth({ resources: { memory: Size.mebibytes(256) } })).not.toThrow();
  });
});

describe('output', () => {
  test('two synths are byte-identical', () => {
    const build = (app: any) => {
      const chart = new Chart(app, 'test', { namespace: 'db' });
      new Postgres(chart, 'pg', { replicas: 3, metrics: true, allowFrom: [kplus.Pods.all(chart, 'everyone')] });
    };
    expect(appYaml(build)).toBe(appYaml(build));
  });

  test('snapshot of a small default instance', () => {
    const { objects } = synth({}, 'small');
    expect(objects).toMatchSnapshot();
  });
});

describe('embedded shell scripts', () => {
  testShellcheck('every script and the preStop command pass shellcheck', () => {
    const { scripts, server } = synth({ replicas: 2 });
    return { ...scripts, 'prestop.sh': `#!/bin/sh\n${server.lifecycle.preStop.exec.command[2]}\n` };
  }, 'sh');
});

describe('name', () => {
  test('a name that is not a DNS label is refused before any object is named after it', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'db' });
    expect(() => new Postgres(chart, 'Orders_DB')).toThrow(/^test\/Orders_DB: 'name' must be a DNS label .* of at most 52 characters.*, got 'Orders_DB'$/);
  });
});
