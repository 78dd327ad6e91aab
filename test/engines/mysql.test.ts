import { Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Credentials, MySql, MySqlProps, MySqlVersion, TlsCertificates } from '../../src';
import { tune } from '../../src/engines/mysql/config';
import { changeSourceSql, cloneSql, createReplicationUserSql, PASSWORDLESS_ACCOUNTS_SQL, promoteSql, REPLICA_READY_SQL, repointSql, sqlString } from '../../src/engines/mysql/sql';
import { testShellcheck } from '../shellcheck';

process.env.CDK8S_STATEFUL_QUIET = '1';

function synth(props: MySqlProps = {}, id = 'db') {
  const app = Testing.app();
  const chart = new Chart(app, 'test', { namespace: 'db' });
  const mysql = new MySql(chart, id, props);
  const objects = Testing.synth(chart);
  const find = (kind: string, name: string) => {
    const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
    if (!found) { throw new Error(`no ${kind} ${name} in ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`); }
    return found;
  };
  const sts = objects.find((o) => o.kind === 'StatefulSet');
  const pod = sts.spec.template.spec;
  const container = (name: string) => pod.containers.find((c: any) => c.name === name);
  const myCnf: string = find('ConfigMap', `${mysql.workload.name}-config`).data['my.cnf'];
  const scripts: { [file: string]: string } = find('ConfigMap', `${mysql.workload.name}-scripts`).data;
  return { mysql, objects, find, sts, pod, container, myCnf, scripts };
}

function errorOf(props: MySqlProps): string {
  try {
    synth(props);
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
}

function cnfValue(myCnf: string, key: string): string | undefined {
  const line = myCnf.split('\n').find((l) => l.startsWith(`${key} = `));
  return line?.slice(key.length + 3);
}

/* eslint-disable @typescript-eslint/no-deprecated */
const VERSIONS: Array<[string, MySqlVersion]> = [
  ['8.0', MySqlVersion.V8_0],
  ['8.4', MySqlVersion.V8_4],
  ['9.7', MySqlVersion.V9_7],
];
/* eslint-enable @typescript-eslint/no-deprecated */

describe('versions', () => {
  test.each(VERSIONS)('%s: official image pinned to the full version, version label, every key of my.cnf', (_, version) => {
    // WHEN
    const { pod, sts, myCnf } = synth({ version, replicas: 2 });
    // THEN
    expect(pod.containers[0].image).toBe(`mysql:${version.fullVersion}`);
    expect(pod.initContainers[0].image).toBe(`mysql:${version.fullVersion}`);
    expect(sts.spec.template.metadata.labels['app.kubernetes.io/version']).toBe(version.fullVersion);
    expect(cnfValue(myCnf, 'gtid_mode')).toBe('ON');
    expect(cnfValue(myCnf, 'enforce_gtid_consistency')).toBe('ON');
    expect(cnfValue(myCnf, 'log_replica_updates')).toBe('ON');
    expect(cnfValue(myCnf, 'innodb_redo_log_capacity')).toBe('256M');
    expect(cnfValue(myCnf, 'innodb_log_file_size')).toBeUndefined();
  });

  test('before 8.0.30: innodb_log_file_size instead of the redo capacity; before 8.0.26: *_slave_* names', () => {
    // WHEN
    const { myCnf, scripts } = synth({ version: MySqlVersion.of('8.0.25', '8.0'), replicas: 2 });
    // THEN
    expect(cnfValue(myCnf, 'innodb_redo_log_capacity')).toBeUndefined();
    expect(cnfValue(myCnf, 'innodb_log_file_size')).toBe('128M');
    expect(cnfValue(myCnf, 'log_slave_updates')).toBe('ON');
    expect(cnfValue(myCnf, 'log_replica_updates')).toBeUndefined();
    expect(scripts['bootstrap.sh']).toContain('--skip-slave-start');
    expect(scripts['bootstrap.sh']).toContain('skip_slave_start = ON');
    expect(scripts['bootstrap.sh']).not.toContain('replica_start');
  });

  test('8.0 (end of life April 2026) is still there, and of() makes any version', () => {
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    expect(MySqlVersion.V8_0.majorVersion).toBe('8.0');
    const v = MySqlVersion.of('8.4.3', '8.4');
    expect([v.fullVersion, v.majorVersion]).toEqual(['8.4.3', '8.4']);
  });

  test('image overrides the official one', () => {
    const { pod } = synth({ image: 'registry.example.com/mysql:8.4.6' });
    expect(pod.containers[0].image).toBe('registry.example.com/mysql:8.4.6');
    expect(pod.initContainers[0].image).toBe('registry.example.com/mysql:8.4.6');
  });
});

describe('my.cnf', () => {
  test('defaults: 1 GiB memory, data in a subdirectory, binlog, skip_name_resolve, clone plugin', () => {
    const { myCnf } = synth();
    expect(myCnf).toBe([
      '# Rendered by cdk8s-stateful from the MySql construct\'s props; its `config` overrides win.',
      '# Per-pod settings (server_id, report_host, read-only on replicas) are in 20-pod.cnf, written at start.',
      '[mysqld]',
      'binlog_expire_logs_seconds = 604800',
      'binlog_format = ROW',
      'datadir = /var/lib/mysql/data',
      'enforce_gtid_consistency = ON',
      'gtid_mode = ON',
      'innodb_buffer_pool_size = 512M',
      'innodb_redo_log_capacity = 256M',
      'log_bin = mysql-bin',
      'log_replica_updates = ON',
      'max_connections = 151',
      'pid_file = /var/run/mysqld/mysqld.pid',
      'plugin_load_add = mysql_clone.so',
      'skip_name_resolve = ON',
      'socket = /var/run/mysqld/mysqld.sock',
      '',
      '[client]',
      'socket = /var/run/mysqld/mysqld.sock',
      '',
    ].join('\n'));
  });

  test.each([
    [512, 256, 128],
    [1024, 512, 256],
    [3072, 1536, 768],
    [4096, 2816, 1408],
    [8192, 5632, 2816],
    [65536, 45824, 8192],
  ])('%i MiB of memory: %i MiB buffer pool, %i MiB redo', (memory, pool, redo) => {
    expect(tune(memory)).toEqual({ bufferPoolMiB: pool, redoLogMiB: redo });
    const { myCnf } = synth({ resources: { memory: Size.mebibytes(memory) } });
    expect(cnfValue(myCnf, 'innodb_buffer_pool_size')).toBe(`${pool}M`);
    expect(cnfValue(myCnf, 'innodb_redo_log_capacity')).toBe(`${redo}M`);
  });

  test('props: max_connections and binlog retention', () => {
    const { myCnf } = synth({ maxConnections: 500, binlogRetention: Duration.days(2) });
    expect(cnfValue(myCnf, 'max_connections')).toBe('500');
    expect(cnfValue(myCnf, 'binlog_expire_logs_seconds')).toBe('172800');
  });

  test('config overrides win, dashes and underscores are one option, a flag without value stays bare', () => {
    const { myCnf } = synth({ config: { 'innodb-buffer-pool-size': '300M', 'long_query_time': '2', 'skip_symbolic_links': '' } });
    expect(cnfValue(myCnf, 'innodb_buffer_pool_size')).toBe('300M');
    expect(myCnf).not.toContain('innodb-buffer-pool-size');
    expect(cnfValue(myCnf, 'long_query_time')).toBe('2');
    expect(myCnf.split('\n')).toContain('skip_symbolic_links');
  });
});

describe('SQL sent by the scripts (exact statements)', () => {
  const host = 'db-0.db-headless.db.svc.cluster.local';

  test('string literals escape quotes and backslashes', () => {
    expect(sqlString('it\'s a \\ test')).toBe('\'it\'\'s a \\\\ test\'');
  });

  test('replication account, created on the source at first boot', () => {
    expect(createReplicationUserSql('\'pw\'')).toEqual([
      'CREATE USER IF NOT EXISTS \'replication\'@\'%\' IDENTIFIED WITH caching_sha2_password BY \'pw\';',
      'GRANT REPLICATION SLAVE, BACKUP_ADMIN ON *.* TO \'replication\'@\'%\';',
    ]);
  });

  test('clone of the source into a new directory', () => {
    expect(cloneSql(host, 3306, '\'pw\'', '/var/lib/mysql/clone')).toEqual([
      `SET GLOBAL clone_valid_donor_list = '${host}:3306';`,
      `CLONE INSTANCE FROM 'replication'@'${host}':3306 IDENTIFIED BY 'pw' DATA DIRECTORY = '/var/lib/mysql/clone';`,
    ]);
  });

  test('replication channel: GTID auto-positioning, TLS, the source\'s public key', () => {
    expect(changeSourceSql(host, 3306, '\'pw\'')).toEqual([
      `CHANGE REPLICATION SOURCE TO SOURCE_HOST = '${host}', SOURCE_PORT = 3306, SOURCE_USER = 'replication', SOURCE_PASSWORD = 'pw', SOURCE_AUTO_POSITION = 1, SOURCE_SSL = 1, GET_SOURCE_PUBLIC_KEY = 1;`,
    ]);
    expect(repointSql(host, 3306, '\'pw\'')).toEqual([
      'STOP REPLICA;',
      ...changeSourceSql(host, 3306, '\'pw\''),
      'START REPLICA;',
    ]);
  });

  test('promotion during a failover', () => {
    expect(promoteSql()).toEqual([
      'STOP REPLICA;',
      'RESET REPLICA ALL;',
      'SET GLOBAL super_read_only = OFF;',
      'SET GLOBAL read_only = OFF;',
    ]);
  });

  test('the scripts send exactly these statements, the password from the environment', () => {
    // WHEN
    const { scripts } = synth({ replicas: 3 });
    // THEN
    const pw = '${repl_password_sql}';
    expect(scripts['bootstrap.sh']).toContain('repl_password_sql=$(sql_quote "$MYSQL_REPLICATION_PASSWORD")');
    expect(scripts['bootstrap.sh']).toContain(`<<SQL\n${cloneSql(host, 3306, pw, '/var/lib/mysql/clone').join('\n')}\nSQL\n`);
    expect(scripts['bootstrap.sh']).toContain(`<<SQL\n${changeSourceSql(host, 3306, pw).join('\n')}\nSQL\n`);
    expect(scripts['init-source.sh']).toContain(`<<SQL\n${createReplicationUserSql(pw).join('\n')}\nSQL\n`);
    expect(scripts['repoint.sh']).toContain(`<<SQL\n${repointSql(host, 3306, pw).join('\n')}\nSQL\n`);
    expect(scripts['promote.sh']).toContain(`<<'SQL'\n${promoteSql().join('\n')}\nSQL\n`);
    expect(scripts['readiness.sh']).toContain(REPLICA_READY_SQL);
    expect(scripts['readiness.sh']).toContain('SELECT @@global.read_only;');
    for (const text of Object.values(scripts)) {
      expect(text).not.toMatch(/MYSQL_(ROOT|REPLICATION)_PASSWORD=/);
    }
  });

  test('server_id from the ordinal, replicas read-only, the source skips a stale channel', () => {
    const { scripts } = synth({ replicas: 2 });
    const bootstrap = scripts['bootstrap.sh'];
    expect(bootstrap).toContain('ordinal=${HOSTNAME##*-}');
    expect(bootstrap).toContain('printf \'server_id = %s\\n\' "$((100 + 10#$ordinal))"');
    expect(bootstrap).toContain('read_only = ON\nsuper_read_only = ON\nskip_replica_start = OFF');
    expect(bootstrap).toContain('read_only = OFF\nsuper_read_only = OFF\nskip_replica_start = ON');
    expect(bootstrap).toContain('report_host = %s\\n\' "$HOSTNAME.db-headless.db.svc.cluster.local"');
  });
});

describe('topology', () => {
  test('single server: one pod, primary-only and read Services, no budget', () => {
    const { sts, find, objects, mysql } = synth();
    expect(sts.spec.replicas).toBe(1);
    expect(find('Service', 'db').spec.selector['statefulset.kubernetes.io/pod-name']).toBe('db-0');
    expect(find('Service', 'db-ro').spec.selector['statefulset.kubernetes.io/pod-name']).toBeUndefined();
    expect(objects.find((o) => o.kind === 'PodDisruptionBudget')).toBeUndefined();
    expect(mysql.podDisruptionBudget).toBeUndefined();
  });

  test('three servers: source db-0, budget, every selector selects the pod template\'s labels', () => {
    const { sts, find, objects, scripts } = synth({ replicas: 3 });
    const labels = sts.spec.template.metadata.labels;
    const selects = (selector: { [k: string]: string }) => Object.entries(selector)
      .filter(([k]) => k !== 'statefulset.kubernetes.io/pod-name')
      .every(([k, v]) => labels[k] === v);
    expect(sts.spec.replicas).toBe(3);
    expect(sts.spec.podManagementPolicy).toBe('Parallel');
    for (const name of ['db', 'db-ro', 'db-headless']) {
      expect(selects(find('Service', name).spec.selector)).toBe(true);
      expect(find('Service', name).spec.ports.map((p: any) => p.port)).toContain(3306);
    }
    expect(selects(sts.spec.selector.matchLabels)).toBe(true);
    const pdb = objects.find((o) => o.kind === 'PodDisruptionBudget');
    expect(selects(pdb.spec.selector.matchLabels)).toBe(true);
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(find('Service', 'db-headless').spec.clusterIP).toBe('None');
    expect(scripts['bootstrap.sh']).toContain('\nprimary=0\n');
  });

  test('primary: 2 moves the Service and the replicas\' source', () => {
    const { find, scripts } = synth({ replicas: 3, primary: 2 });
    expect(find('Service', 'db').spec.selector['statefulset.kubernetes.io/pod-name']).toBe('db-2');
    expect(scripts['bootstrap.sh']).toContain('\nprimary=2\n');
    expect(scripts['bootstrap.sh']).toContain('SOURCE_HOST = \'db-2.db-headless.db.svc.cluster.local\'');
    expect(scripts['readiness.sh']).toContain('if [ "$ordinal" = "2" ]');
  });

  test('connection: Services, port, user and Secret key', () => {
    const { mysql } = synth({ replicas: 2 }, 'orders');
    expect(mysql.connection).toEqual({
      host: 'orders.db.svc.cluster.local',
      readOnlyHost: 'orders-ro.db.svc.cluster.local',
      port: 3306,
      username: 'root',
      secretName: 'orders-credentials',
      passwordKey: 'password',
      passwordVariable: 'MYSQL_PASSWORD',
      uri: 'mysql://root:$(MYSQL_PASSWORD)@orders.db.svc.cluster.local:3306/',
    });
  });

  test('name prop names everything, clusterDomain reaches the scripts', () => {
    const { find, scripts } = synth({ name: 'shop', clusterDomain: 'example.internal', replicas: 2 });
    find('StatefulSet', 'shop');
    find('ConfigMap', 'shop-config');
    find('ConfigMap', 'shop-scripts');
    expect(scripts['bootstrap.sh']).toContain('shop-0.shop-headless.db.svc.example.internal');
  });
});

describe('pods', () => {
  test('probes, grace period, identity, read-only root with emptyDirs', () => {
    const { pod, container } = synth({ replicas: 2 });
    const mysqld = container('mysql');
    expect(mysqld.livenessProbe.exec.command.slice(0, 2)).toEqual(['mysqladmin', 'ping']);
    expect(mysqld.readinessProbe.exec.command).toEqual(['/bin/bash', '/scripts/readiness.sh']);
    expect(mysqld.startupProbe.periodSeconds * mysqld.startupProbe.failureThreshold).toBeGreaterThanOrEqual(3600);
    expect(pod.terminationGracePeriodSeconds).toBe(120);
    expect(pod.securityContext).toMatchObject({ runAsUser: 999, runAsGroup: 999, fsGroup: 999, runAsNonRoot: true });
    for (const c of [...pod.containers, ...pod.initContainers]) {
      expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
      expect(c.securityContext.capabilities.drop).toEqual(['ALL']);
    }
    const mounts = Object.fromEntries(mysqld.volumeMounts.map((m: any) => [m.mountPath, m.name]));
    expect(mounts).toMatchObject({ '/var/lib/mysql': 'data', '/var/run/mysqld': 'run', '/tmp': 'tmp', '/etc/mysql/conf.d': 'conf', '/docker-entrypoint-initdb.d': 'initdb' });
    const volumes = Object.fromEntries(pod.volumes.map((v: any) => [v.name, v]));
    for (const name of ['run', 'tmp', 'conf']) { expect(volumes[name].emptyDir).toBeDefined(); }
    expect(volumes.scripts.configMap).toMatchObject({ name: 'db-scripts', defaultMode: 0o555 });
    expect(volumes.initdb.configMap.items).toEqual([{ key: 'init-source.sh', path: 'init-source.sh' }]);
    expect(pod.initContainers[0].command).toEqual(['/bin/bash', '/scripts/bootstrap.sh']);
  });

  test('default volume 20Gi; storage props reach the claim template', () => {
    expect(synth().sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('20Gi');
    const { sts } = synth({ storage: { size: Size.gibibytes(100) } });
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('100Gi');
  });

  test('the pod template changes with the configuration (checksum), deterministically', () => {
    const a = synth().sts.spec.template.metadata.annotations['cdk8s-stateful/config-checksum'];
    const b = synth({ maxConnections: 200 }).sts.spec.template.metadata.annotations['cdk8s-stateful/config-checksum'];
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(b).not.toBe(a);
    expect(synth().sts.spec.template.metadata.annotations['cdk8s-stateful/config-checksum']).toBe(a);
  });

  test('two synths are byte-identical', () => {
    const once = () => {
      const app = Testing.app();
      const chart = new Chart(app, 'test', { namespace: 'db' });
      new MySql(chart, 'db', { replicas: 3, metrics: true });
      return JSON.stringify(Testing.synth(chart));
    };
    expect(once()).toBe(once());
  });
});

describe('credentials', () => {
  test('generated by default: an in-cluster Job, no Secret with data, passwords from secretKeyRef', () => {
    const { objects, container, pod } = synth({ replicas: 2 });
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    const job = objects.find((o) => o.kind === 'Job');
    const env = Object.fromEntries(job.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    expect(env.SECRET_NAME).toBe('db-credentials');
    expect(env.SECRET_KEYS).toBe('password replication-password');
    for (const c of [container('mysql'), pod.initContainers[0]]) {
      const refs = Object.fromEntries(c.env.map((e: any) => [e.name, e.valueFrom?.secretKeyRef]));
      expect(refs.MYSQL_ROOT_PASSWORD).toEqual({ name: 'db-credentials', key: 'password' });
      expect(refs.MYSQL_REPLICATION_PASSWORD).toEqual({ name: 'db-credentials', key: 'replication-password' });
    }
    expect(JSON.stringify(objects)).not.toMatch(/"value":"[A-Za-z0-9]{32}"/);
  });

  test('from an existing Secret with renamed keys: no generator', () => {
    const { objects, container, mysql } = synth({ credentials: Credentials.fromSecret('mine', { 'password': 'root', 'replication-password': 'repl' }) });
    expect(objects.find((o) => o.kind === 'Job')).toBeUndefined();
    expect(mysql.generatedSecret).toBeUndefined();
    const refs = Object.fromEntries(container('mysql').env.map((e: any) => [e.name, e.valueFrom?.secretKeyRef]));
    expect(refs.MYSQL_ROOT_PASSWORD).toEqual({ name: 'mine', key: 'root' });
    expect(refs.MYSQL_REPLICATION_PASSWORD).toEqual({ name: 'mine', key: 'repl' });
    expect(mysql.connection.passwordKey).toBe('root');
  });
});

describe('metrics', () => {
  test('off by default', () => {
    const { pod, sts } = synth();
    expect(pod.containers.map((c: any) => c.name)).toEqual(['mysql']);
    expect(sts.spec.template.metadata.annotations['prometheus.io/scrape']).toBeUndefined();
  });

  test('mysqld-exporter pinned on 9104, scrape annotations, password from the Secret, not behind the client Services', () => {
    const { container, sts, find } = synth({ metrics: true });
    const exporter = container('metrics');
    expect(exporter.image).toMatch(/^prom\/mysqld-exporter:v\d+\.\d+\.\d+$/);
    expect(exporter.ports).toEqual([{ containerPort: 9104, name: 'metrics' }]);
    expect((exporter.volumeMounts ?? []).map((m: any) => m.name)).not.toContain('data');
    expect(exporter.env).toEqual([{ name: 'MYSQLD_EXPORTER_PASSWORD', valueFrom: { secretKeyRef: { name: 'db-credentials', key: 'password' } } }]);
    expect(sts.spec.template.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9104', 'prometheus.io/path': '/metrics' });
    expect(find('Service', 'db').spec.ports.map((p: any) => p.port)).toEqual([3306]);
    expect(find('Service', 'db-ro').spec.ports.map((p: any) => p.port)).toEqual([3306]);
  });
});

describe('allowFrom', () => {
  test('admits the given peers to the MySQL port', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'test', { namespace: 'db' });
    const peers = kplus.Pods.select(chart, 'App', { labels: { app: 'shop' } });
    new MySql(chart, 'db', { allowFrom: [peers] });
    const policy = Testing.synth(chart).find((o) => o.kind === 'NetworkPolicy');
    const rule = policy.spec.ingress.find((r: any) => r.from?.[0]?.podSelector?.matchLabels?.app === 'shop');
    expect(rule.ports).toEqual([{ port: 3306, protocol: 'TCP' }]);
  });
});

describe('validation', () => {
  test.each<[string, MySqlProps, RegExp]>([
    ['version too old', { version: MySqlVersion.of('8.0.22', '8.0') }, /test\/db: 'version' must be MySQL 8\.0\.23 to 9\.x .*got '8\.0\.22'/],
    ['version not x.y.z', { version: MySqlVersion.of('8.4', '8.4') }, /'version' must be a version of MySQL 8\.0\.23 to 9\.x .* with a full version of 3 numbers/],
    ['replicas 0', { replicas: 0 }, /'replicas' must be a positive integer, got 0/],
    ['replicas 2.5', { replicas: 2.5 }, /'replicas' must be a positive integer, got 2\.5/],
    ['primary beyond the pods', { replicas: 3, primary: 3 }, /'primary' must be the ordinal of one of the 3 pod\(s\): 0 to 2, got 3/],
    ['primary negative', { primary: -1 }, /'primary' must be an integer of at least 0, got -1/],
    ['primary not an integer', { replicas: 2, primary: 0.5 }, /'primary' must be an integer of at least 0, got 0\.5/],
    ['maxConnections 0', { maxConnections: 0 }, /'maxConnections' must be an integer from 1 to 100000, got 0/],
    ['binlogRetention below an hour', { binlogRetention: Duration.minutes(10) }, /'binlogRetention' must be whole seconds from 3600 s .* got '600 s'/],
    ['binlogRetention of a fraction of a second', { binlogRetention: Duration.millis(5400500) }, /'binlogRetention' must be whole seconds .* got '5400.5 s'/],
    ['memory below the minimum', { resources: { memory: Size.mebibytes(256) } }, /'resources\.memory' must be at least 512 MiB.*got '256 MiB'/],
    ['config key the construct manages', { config: { 'server-id': '7' } }, /'config\.server-id' is managed by the construct and cannot be overridden/],
    ['config key disabling the binlog', { config: { skip_log_bin: '' } }, /'config\.skip_log_bin' is managed by the construct/],
    ['config key that is no option name', { config: { 'bad key': '1' } }, /'config\.bad key' must be a mysqld option name/],
    ['config value on two lines', { config: { long_query_time: '1\n[client]' } }, /'config\.long_query_time' must be a single-line string/],
    ['name that is no DNS label', { name: 'Orders_DB' }, /'name' must be a DNS label/],
    ['image not pinned', { image: 'mysql' }, /image/],
  ])('%s', (_, props, message) => {
    expect(errorOf(props)).toMatch(message);
  });
});

describe('shellcheck', () => {
  for (const replicas of [1, 3]) {
    testShellcheck(`every script of a ${replicas}-server instance passes shellcheck`, () => synth({ replicas }).scripts, 'bash');
    testShellcheck(`every script of a ${replicas}-server instance with tls passes shellcheck`, () => synth({ replicas, tls: { certificates: TlsCertificates.fromSecret('db-certs') } }).scripts, 'bash');
  }
  testShellcheck('the dump script with tls passes shellcheck', () => ({
    'dump.sh': synth({ replicas: 2, logicalBackup: {}, tls: { certificates: TlsCertificates.fromSecret('db-certs') } }).find('ConfigMap', 'db-dump').data['dump.sh'],
  }), 'bash');
});

describe('TLS and authentication', () => {
  const host = 'db-0.db-headless.db.svc.cluster.local';
  const tls = { certificates: TlsCertificates.fromSecret('db-certs') };
  const tlsPlaintext = { ...tls, allowPlaintext: true };

  test('my.cnf: the mounted certificate, key and CA, TLS 1.2 and 1.3, TCP clients only over TLS', () => {
    const { myCnf } = synth({ tls });
    expect(cnfValue(myCnf, 'ssl_ca')).toBe('/etc/tls/ca.crt');
    expect(cnfValue(myCnf, 'ssl_cert')).toBe('/etc/tls/tls.crt');
    expect(cnfValue(myCnf, 'ssl_key')).toBe('/etc/tls/tls.key');
    expect(cnfValue(myCnf, 'tls_version')).toBe('TLSv1.2,TLSv1.3');
    expect(cnfValue(myCnf, 'require_secure_transport')).toBe('ON');
  });

  test('allowPlaintext: require_secure_transport OFF, replication still verified', () => {
    const { myCnf, scripts } = synth({ replicas: 2, tls: tlsPlaintext });
    expect(cnfValue(myCnf, 'require_secure_transport')).toBe('OFF');
    expect(cnfValue(myCnf, 'ssl_cert')).toBe('/etc/tls/tls.crt');
    expect(scripts['bootstrap.sh']).toContain('SOURCE_SSL_VERIFY_SERVER_CERT = 1');
  });

  test('no tls: no TLS settings, the plain entrypoint, no server.sh', () => {
    const { myCnf, scripts, container } = synth({ replicas: 2 });
    for (const key of ['ssl_ca', 'ssl_cert', 'ssl_key', 'tls_version', 'require_secure_transport']) {
      expect(cnfValue(myCnf, key)).toBeUndefined();
    }
    expect(scripts['server.sh']).toBeUndefined();
    expect(container('mysql').command).toEqual(['docker-entrypoint.sh']);
    expect(container('mysql').args).toEqual(['mysqld']);
    expect(scripts['bootstrap.sh']).not.toContain('--ssl-mode');
  });

  test('replication: the channel verifies the source by the pod DNS name the certificate covers', () => {
    const sql = changeSourceSql(host, 3306, '\'pw\'', { caFile: '/etc/tls/ca.crt' });
    expect(sql).toEqual([
      `CHANGE REPLICATION SOURCE TO SOURCE_HOST = '${host}', SOURCE_PORT = 3306, SOURCE_USER = 'replication', SOURCE_PASSWORD = 'pw', SOURCE_AUTO_POSITION = 1, `
      + 'SOURCE_SSL = 1, SOURCE_SSL_CA = \'/etc/tls/ca.crt\', SOURCE_SSL_VERIFY_SERVER_CERT = 1, GET_SOURCE_PUBLIC_KEY = 1;',
    ]);
    const { scripts } = synth({ replicas: 3, tls });
    const pw = '${repl_password_sql}';
    expect(scripts['bootstrap.sh']).toContain(`<<SQL\n${changeSourceSql(host, 3306, pw, { caFile: '/etc/tls/ca.crt' }).join('\n')}\nSQL\n`);
    expect(scripts['repoint.sh']).toContain(`<<SQL\n${repointSql(host, 3306, pw, { caFile: '/etc/tls/ca.crt' }).join('\n')}\nSQL\n`);
  });

  test('clone: over TLS with the CA, refused in plaintext', () => {
    expect(cloneSql(host, 3306, '\'pw\'', '/var/lib/mysql/clone', { caFile: '/etc/tls/ca.crt' })).toEqual([
      `SET GLOBAL clone_valid_donor_list = '${host}:3306';`,
      'SET GLOBAL clone_ssl_ca = \'/etc/tls/ca.crt\';',
      `CLONE INSTANCE FROM 'replication'@'${host}':3306 IDENTIFIED BY 'pw' DATA DIRECTORY = '/var/lib/mysql/clone' REQUIRE SSL;`,
    ]);
    expect(synth({ replicas: 2, tls }).scripts['bootstrap.sh']).toContain(' REQUIRE SSL;');
  });

  test('the replica waits for its source with a verifying client', () => {
    const { scripts } = synth({ replicas: 2, tls });
    expect(scripts['bootstrap.sh']).toMatch(new RegExp(`--host=${host.replace(/\./g, '\\.')} \\\\\n +--port=3306 --user=replication .*--ssl-mode=VERIFY_IDENTITY --ssl-ca=/etc/tls/ca\\.crt --execute='SELECT 1'`));
  });

  test('the bootstrap init container mounts the certificate; the server runs server.sh, which reloads TLS', () => {
    const { pod, container, scripts } = synth({ replicas: 2, tls });
    const bootstrap = pod.initContainers.find((c: any) => c.name === 'bootstrap');
    expect(bootstrap.volumeMounts).toContainEqual({ name: 'tls', mountPath: '/etc/tls', readOnly: true });
    expect(container('mysql').command).toEqual(['/bin/bash', '/scripts/server.sh']);
    expect(container('mysql').args ?? []).toEqual([]);
    const server = scripts['server.sh'];
    expect(server).toContain('tls_watch() {');
    expect(server).toContain('reload_tls() {\n  root_sql /var/run/mysqld/mysqld.sock "$MYSQL_ROOT_PASSWORD" <<\'SQL\'\nALTER INSTANCE RELOAD TLS;\nSQL\n}');
    expect(server).toMatch(/\ntls_watch reload_tls\nexec docker-entrypoint\.sh mysqld\n$/);
  });

  test('probes use the Unix socket (secure transport), never TCP', () => {
    const { container, scripts } = synth({ replicas: 2, tls });
    expect(container('mysql').livenessProbe.exec.command).toEqual(['mysqladmin', 'ping', '--connect-timeout=5']);
    expect(scripts['readiness.sh']).toContain('root_sql /var/run/mysqld/mysqld.sock');
    expect(scripts['readiness.sh']).toContain('--protocol=socket');
  });

  test('metrics: the exporter connects to localhost with the CA from its option file', () => {
    const { container, find } = synth({ tls, metrics: true });
    const exporter = container('metrics');
    expect(exporter.args).toEqual(['--mysqld.address=localhost:3306', '--mysqld.username=root', '--config.my-cnf=/config/exporter.cnf', '--web.listen-address=:9104']);
    expect(exporter.volumeMounts).toEqual(expect.arrayContaining([
      { name: 'tls', mountPath: '/etc/tls', readOnly: true },
      { name: 'config', mountPath: '/config', readOnly: true },
    ]));
    expect(find('ConfigMap', 'db-config').data['exporter.cnf']).toBe('[client]\nssl-ca = /etc/tls/ca.crt\n');
  });

  test('metrics without tls: no option file, loopback by address', () => {
    const { container, find } = synth({ metrics: true });
    expect(container('metrics').args).toContain('--mysqld.address=127.0.0.1:3306');
    expect(find('ConfigMap', 'db-config').data['exporter.cnf']).toBeUndefined();
  });

  test('logical backup: the dump verifies the server, with only the CA mounted', () => {
    const { objects, find } = synth({ replicas: 2, tls, logicalBackup: {} });
    const script: string = find('ConfigMap', 'db-dump').data['dump.sh'];
    expect(script).toContain('--user=root --ssl-mode=VERIFY_IDENTITY --ssl-ca=/etc/tls/ca.crt \\\n    --single-transaction');
    expect(script).toContain('--connect-timeout=10 --ssl-mode=VERIFY_IDENTITY --ssl-ca=/etc/tls/ca.crt \\\n');
    const job = objects.find((o) => o.kind === 'CronJob').spec.jobTemplate.spec.template.spec;
    expect(job.volumes).toContainEqual({ name: 'tls-ca', secret: { secretName: 'db-certs', defaultMode: 0o440, items: [{ key: 'ca.crt', path: 'ca.crt' }] } });
    expect(job.containers[0].volumeMounts).toContainEqual({ name: 'tls-ca', mountPath: '/etc/tls', readOnly: true });
  });

  test('logical backup without tls: no CA, no ssl-mode', () => {
    const { objects, find } = synth({ replicas: 2, logicalBackup: {} });
    expect(find('ConfigMap', 'db-dump').data['dump.sh']).not.toContain('--ssl-mode');
    const job = objects.find((o) => o.kind === 'CronJob').spec.jobTemplate.spec.template.spec;
    expect(job.volumes.map((v: any) => v.name)).not.toContain('tls-ca');
  });

  test('the URI asks for VERIFY_IDENTITY and the CA, also with allowPlaintext', () => {
    for (const t of [tls, tlsPlaintext]) {
      const { mysql } = synth({ tls: t });
      expect(mysql.connection.uri).toBe('mysql://root:$(MYSQL_PASSWORD)@db.db.svc.cluster.local:3306/?ssl-mode=VERIFY_IDENTITY&ssl-ca=%2Fetc%2Fcdk8s-stateful%2Fdb%2Fca.crt');
    }
    expect(synth().mysql.connection.uri).toBe('mysql://root:$(MYSQL_PASSWORD)@db.db.svc.cluster.local:3306/');
  });

  test('accounts: replication with caching_sha2_password; passwordless or anonymous accounts locked at first boot', () => {
    const { scripts } = synth({ replicas: 2 });
    const init = scripts['init-source.sh'];
    expect(PASSWORDLESS_ACCOUNTS_SQL).toBe('SELECT CONCAT(\'ALTER USER \', QUOTE(user), \'@\', QUOTE(host), \' ACCOUNT LOCK;\') FROM mysql.user WHERE account_locked = \'N\' AND (user = \'\' OR authentication_string = \'\');');
    expect(init).toContain(`locks=$(root_sql /var/run/mysqld/mysqld.sock "$MYSQL_ROOT_PASSWORD" <<'SQL'\n${PASSWORDLESS_ACCOUNTS_SQL}\nSQL\n)`);
    expect(init).toContain('printf \'%s\\n\' "$locks" | root_sql /var/run/mysqld/mysqld.sock "$MYSQL_ROOT_PASSWORD"');
    expect(createReplicationUserSql('\'pw\'')[0]).toContain('IDENTIFIED WITH caching_sha2_password BY');
  });

  test.each([
    ['ssl_cert with tls', { config: { ssl_cert: '/x.pem' } }, /'config\.ssl_cert' is set by the tls prop/],
    ['require-secure-transport with tls', { config: { 'require-secure-transport': 'OFF' } }, /'config\.require-secure-transport' is set by the tls prop/],
    ['skip-ssl with tls', { config: { 'skip-ssl': '' } }, /'config\.skip-ssl' is set by the tls prop/],
    ['tls_version with TLSv1.1', { config: { tls_version: 'TLSv1.1,TLSv1.2' } }, /'config\.tls_version' must be TLSv1\.2, TLSv1\.3 or both.*got 'TLSv1\.1,TLSv1\.2'/],
    ['empty tls_version', { config: { tls_version: '' } }, /'config\.tls_version' must be TLSv1\.2, TLSv1\.3 or both/],
  ])('refused: %s', (_, props, message) => {
    expect(errorOf({ tls, ...props })).toMatch(message);
  });

  test('tls_version TLSv1.3 alone is accepted and wins', () => {
    expect(cnfValue(synth({ tls, config: { tls_version: 'TLSv1.3' } }).myCnf, 'tls_version')).toBe('TLSv1.3');
  });

  test('without tls, the TLS keys stay the user\'s', () => {
    expect(cnfValue(synth({ config: { require_secure_transport: 'ON' } }).myCnf, 'require_secure_transport')).toBe('ON');
  });

  test.each([
    ['default_authentication_plugin mysql_native_password', { config: { default_authentication_plugin: 'mysql_native_password' } }, /'config\.default_authentication_plugin' must be caching_sha2_password/],
    ['authentication_policy with mysql_native_password', { config: { authentication_policy: 'mysql_native_password,,' } }, /'config\.authentication_policy' must not name mysql_native_password/],
  ])('refused: %s', (_, props, message) => {
    expect(errorOf(props)).toMatch(message);
  });
});
