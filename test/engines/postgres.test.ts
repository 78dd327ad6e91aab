import { Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { parse } from 'yaml';
import { AccessMode, Credentials, Postgres, PostgresProps, PostgresVersion, SynchronousReplication, TlsCertificates } from '../../src';
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
  const name = pg.workload.name;
  const files = find('ConfigMap', `${name}-patroni`).data;
  const patroni = parse(files['patroni.yml']);
  const dynamic = parse(files['dynamic.yml']);
  const parameters: { [key: string]: string | number } = dynamic.postgresql.parameters;
  const scripts: { [file: string]: string } = find('ConfigMap', `${name}-scripts`).data;
  return { pg, objects, find, sts, pod, container, server, patroni, dynamic, parameters, scripts };
}

function env(container: any, name: string): any {
  return container.env.find((e: any) => e.name === name);
}

function mountOf(container: any, path: string): any {
  return container.volumeMounts.find((m: any) => m.mountPath === path);
}

/* eslint-disable @typescript-eslint/no-deprecated */
const VERSIONS: Array<[string, PostgresVersion]> = [
  ['13', PostgresVersion.V13], ['14', PostgresVersion.V14], ['15', PostgresVersion.V15],
  ['16', PostgresVersion.V16], ['17', PostgresVersion.V17], ['18', PostgresVersion.V18],
];
/* eslint-enable @typescript-eslint/no-deprecated */

describe('versions', () => {
  test.each(VERSIONS)('%s: Percona\'s image with Patroni, pinned to the full version and its first build', (major, version) => {
    // WHEN
    const { sts, server, patroni } = synth({ version });
    // THEN
    expect(version.majorVersion).toBe(major);
    expect(version.fullVersion).toMatch(new RegExp(`^${major}\\.[0-9]+$`));
    expect(server.image).toBe(`percona/percona-distribution-postgresql:${version.fullVersion}-1`);
    expect(sts.metadata.labels['app.kubernetes.io/version']).toBe(version.fullVersion);
    // One layout for every major: the volume at /var/lib/postgresql/data, the data in a subdirectory (not lost+found's)
    expect(mountOf(server, '/var/lib/postgresql/data').name).toBe('data');
    expect(patroni.postgresql.data_dir).toBe('/var/lib/postgresql/data/pgdata');
  });

  test('default is 17; of() pins another patch; image overrides the registry', () => {
    expect(synth().server.image).toBe(`percona/percona-distribution-postgresql:${PostgresVersion.V17.fullVersion}-1`);
    expect(synth({ version: PostgresVersion.of('17.2', '17') }).server.image).toBe('percona/percona-distribution-postgresql:17.2-1');
    expect(synth({ image: 'registry.example.com/postgres-patroni:17.2' }).server.image).toBe('registry.example.com/postgres-patroni:17.2');
  });
});

describe('topology and services', () => {
  test('single server: one pod running Patroni, no budget, <name> follows the primary label, headless', () => {
    // WHEN
    const { sts, objects, find, pg, server } = synth();
    // THEN
    expect(sts.spec.replicas).toBe(1);
    expect(server.command).toEqual(['patroni', '/etc/patroni/patroni.yml']);
    expect(objects.filter((o) => o.kind === 'PodDisruptionBudget')).toHaveLength(0);
    expect(find('Service', 'pg').spec.selector).toEqual({ 'app.kubernetes.io/name': 'postgres', 'app.kubernetes.io/instance': 'pg', 'role': 'primary' });
    expect(find('Service', 'pg-headless').spec.clusterIP).toBe('None');
    expect(pg.podDisruptionBudget).toBeUndefined();
  });

  test('replicas 3: the read-write Service selects role=primary, the read-only one role=replica, pods start in parallel', () => {
    // WHEN
    const { sts, find } = synth({ replicas: 3 });
    // THEN
    expect(sts.spec.replicas).toBe(3);
    expect(sts.spec.podManagementPolicy).toBe('Parallel');
    expect(find('Service', 'pg').spec.selector.role).toBe('primary');
    expect(find('Service', 'pg-ro').spec.selector.role).toBe('replica');
    expect(find('Service', 'pg-ro').spec.selector['statefulset.kubernetes.io/pod-name']).toBeUndefined();
    expect(find('PodDisruptionBudget', 'pg').spec.maxUnavailable).toBe(1);
  });

  test('Patroni labels what the Services select: the role label and values it is told to write', () => {
    // WHEN
    const { find, patroni, sts } = synth({ replicas: 3 });
    const labels = sts.spec.template.metadata.labels;
    const k8sDcs = patroni.kubernetes;
    // THEN
    expect(k8sDcs.role_label).toBe('role');
    expect(find('Service', 'pg').spec.selector[k8sDcs.role_label]).toBe(k8sDcs.leader_label_value);
    expect(find('Service', 'pg-ro').spec.selector[k8sDcs.role_label]).toBe(k8sDcs.follower_label_value);
    // Patroni finds its members by its labels plus the scope label: exactly the pods of this instance.
    expect({ ...k8sDcs.labels, [k8sDcs.scope_label]: patroni.scope }).toEqual(sts.spec.selector.matchLabels);
    expect(selects(sts.spec.selector.matchLabels, labels)).toBe(true);
    expect(k8sDcs.use_endpoints).toBe(false);
  });

  test('every Service and the budget select the pod template labels (plus the role); client Services expose only 5432', () => {
    // WHEN
    const { sts, objects } = synth({ replicas: 2, metrics: true });
    const labels = sts.spec.template.metadata.labels;
    // THEN
    for (const svc of objects.filter((o) => o.kind === 'Service')) {
      const { role: _, ...rest } = svc.spec.selector;
      expect(selects(rest, labels)).toBe(true);
    }
    for (const name of ['pg', 'pg-ro']) {
      const svc = objects.find((o) => o.kind === 'Service' && o.metadata.name === name);
      expect(svc.spec.ports).toEqual([{ name: 'postgres', port: 5432, targetPort: 5432 }]);
    }
    const pdb = objects.find((o) => o.kind === 'PodDisruptionBudget');
    expect(selects(pdb.spec.selector.matchLabels, labels)).toBe(true);
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

describe('least privilege', () => {
  test('a namespaced Role with only the verbs Patroni uses on configmaps and pods, bound to the pods\' ServiceAccount; nothing cluster-wide', () => {
    // WHEN
    const { objects, find, pod, pg } = synth({ replicas: 3 });
    const role = find('Role', 'pg-patroni');
    const binding = find('RoleBinding', 'pg-patroni');
    // THEN
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'get', 'list', 'patch', 'watch'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'patch', 'watch'] },
    ]);
    expect(role.metadata.namespace).toBe('db');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pg-patroni' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: pod.serviceAccountName }]);
    expect(pod.serviceAccountName).toBe('pg');
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(pg.role.name).toBe('pg-patroni');
    expect(objects.filter((o) => /^Cluster/.test(o.kind))).toEqual([]);
    // No rights on endpoints, services or secrets: ConfigMaps mode needs none.
    const resources = objects.filter((o) => o.kind === 'Role' && o.metadata.name === 'pg-patroni').flatMap((r) => r.rules.flatMap((x: any) => x.resources));
    expect(resources.sort()).toEqual(['configmaps', 'pods']);
  });
});

describe('patroni.yml', () => {
  test('scope, REST API, Kubernetes DCS in ConfigMaps mode; the pod\'s name, namespace and addresses come from its environment', () => {
    // WHEN
    const { patroni, server } = synth({ replicas: 3 });
    // THEN
    expect(patroni.scope).toBe('pg');
    expect(patroni.restapi).toEqual({ listen: '0.0.0.0:8008', authentication: { username: 'patroni' } });
    expect(env(server, 'PATRONI_NAME').valueFrom.fieldRef.fieldPath).toBe('metadata.name');
    expect(env(server, 'PATRONI_KUBERNETES_NAMESPACE').valueFrom.fieldRef.fieldPath).toBe('metadata.namespace');
    expect(env(server, 'PATRONI_KUBERNETES_POD_IP').valueFrom.fieldRef.fieldPath).toBe('status.podIP');
    expect(env(server, 'PATRONI_RESTAPI_CONNECT_ADDRESS').value).toBe('$(PATRONI_NAME).pg-headless.db.svc.cluster.local:8008');
    expect(env(server, 'PATRONI_POSTGRESQL_CONNECT_ADDRESS').value).toBe('$(PATRONI_NAME).pg-headless.db.svc.cluster.local:5432');
    // $(PATRONI_NAME) expands only if it is defined earlier in the list
    const names = server.env.map((e: any) => e.name);
    expect(names.indexOf('PATRONI_NAME')).toBeLessThan(names.indexOf('PATRONI_RESTAPI_CONNECT_ADDRESS'));
  });

  test('durability defaults: failsafe mode, pg_rewind with data checksums, slots, synchronous replication', () => {
    // WHEN
    const { patroni, dynamic } = synth({ replicas: 3 });
    // THEN
    expect(dynamic).toMatchObject({
      ttl: 30,
      loop_wait: 10,
      retry_timeout: 10,
      maximum_lag_on_failover: 1048576,
      failsafe_mode: true,
      synchronous_mode: true,
      synchronous_mode_strict: false,
      synchronous_node_count: 1,
      postgresql: { use_pg_rewind: true, use_slots: true },
    });
    expect(patroni.bootstrap.initdb).toContain('data-checksums');
    // What the cluster is created with and what every pod applies later are the same.
    expect(patroni.bootstrap.dcs).toEqual(dynamic);
  });

  test.each([
    [SynchronousReplication.ASYNCHRONOUS, false, false],
    [SynchronousReplication.SYNCHRONOUS, true, false],
    [SynchronousReplication.STRICT, true, true],
  ])('synchronousReplication %s: synchronous_mode %s, strict %s', (mode, sync, strict) => {
    const { dynamic } = synth({ replicas: 3, synchronousReplication: mode });
    expect(dynamic.synchronous_mode).toBe(sync);
    expect(dynamic.synchronous_mode_strict).toBe(strict);
  });

  test('failover timing in whole seconds, maximum lag in bytes', () => {
    const failover = {
      leaderLeaseTtl: Duration.seconds(20),
      loopWait: Duration.seconds(2),
      retryTimeout: Duration.seconds(9),
      maximumLagOnFailover: Size.mebibytes(16),
    };
    const { dynamic } = synth({ failover });
    expect(dynamic).toMatchObject({ ttl: 20, loop_wait: 2, retry_timeout: 9, maximum_lag_on_failover: 16 * 1024 * 1024 });
  });

  test('users, passwords from the Secret through the environment, never in the file', () => {
    // WHEN
    const { patroni, server, find } = synth({ replicationUser: 'streamer' });
    const files = find('ConfigMap', 'pg-patroni').data;
    // THEN
    expect(patroni.postgresql.authentication).toEqual({ superuser: { username: 'postgres' }, replication: { username: 'streamer' } });
    expect(env(server, 'PATRONI_SUPERUSER_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'pg-credentials', key: 'password' });
    expect(env(server, 'PATRONI_REPLICATION_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'pg-credentials', key: 'replication-password' });
    expect(env(server, 'PATRONI_RESTAPI_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'pg-credentials', key: 'password' });
    expect(JSON.stringify(files)).not.toMatch(/password:/);
  });

  test('pg_hba: scram-sha-256 for the network, replication only for the replication role, never trust', () => {
    // WHEN
    const { patroni } = synth({ replicationUser: 'streamer' });
    const rows: string[][] = patroni.postgresql.pg_hba.map((l: string) => l.split(/\s+/));
    // THEN
    expect(rows).toContainEqual(['host', 'replication', 'streamer', '0.0.0.0/0', 'scram-sha-256']);
    expect(rows).toContainEqual(['host', 'all', 'all', '0.0.0.0/0', 'scram-sha-256']);
    expect(rows).toContainEqual(['local', 'all', 'postgres', 'peer']);
    expect(rows.filter((r) => r[0] === 'host').every((r) => r[4] === 'scram-sha-256')).toBe(true);
    expect(patroni.postgresql.pg_hba.join('\n')).not.toMatch(/trust|md5|password\b/);
  });

  test('the database is created once by post_bootstrap, which the scripts ConfigMap carries', () => {
    const { patroni, scripts, server } = synth({ database: 'orders' });
    expect(patroni.bootstrap.post_bootstrap).toBe('/scripts/post-bootstrap.sh');
    expect(Object.keys(scripts).sort()).toEqual(['apply-config.sh', 'post-bootstrap.sh']);
    expect(env(server, 'POSTGRES_DB').value).toBe('orders');
  });
});

describe('TLS and authentication', () => {
  const tls = (allowPlaintext?: boolean) => ({ tls: { certificates: TlsCertificates.fromSecret('pg-certs'), allowPlaintext } });
  const hba = (patroni: any): string[][] => patroni.postgresql.pg_hba.map((l: string) => l.split(/\s+/));
  /** The first row that matches a TCP connection from the network (not loopback), as PostgreSQL picks it. */
  const networkRow = (rows: string[][], ssl: boolean, database: string, user: string) => rows.find((r) =>
    (r[0] === 'host' || r[0] === (ssl ? 'hostssl' : 'hostnossl'))
    && (r[1] === 'all' ? database !== 'replication' : r[1] === database)
    && (r[2] === 'all' || r[2] === user)
    && (r[3] === '0.0.0.0/0'));

  test('without tls: no ssl settings, every network row scram-sha-256, password_encryption scram-sha-256', () => {
    const { parameters, patroni, server } = synth({ replicationUser: 'streamer' });
    expect(Object.keys(parameters).filter((k) => k.startsWith('ssl'))).toEqual([]);
    expect(parameters.password_encryption).toBe('scram-sha-256');
    const rows = hba(patroni);
    expect(networkRow(rows, false, 'orders', 'app')?.[4]).toBe('scram-sha-256');
    expect(networkRow(rows, false, 'replication', 'streamer')?.[4]).toBe('scram-sha-256');
    expect(patroni.restapi.certfile).toBeUndefined();
    expect(server.command).toEqual(['patroni', '/etc/patroni/patroni.yml']);
  });

  test.each([[undefined], [false], [true]])('allowPlaintext %s: no row anywhere allows md5, password or trust', (allowPlaintext) => {
    const rows = hba(synth(allowPlaintext === undefined ? {} : tls(allowPlaintext)).patroni);
    const methods = rows.map((r) => r[r.length - 1]);
    expect(methods.filter((m) => !['scram-sha-256', 'peer', 'reject'].includes(m))).toEqual([]);
    // peer only on the socket: a passwordless login needs a process in the pod.
    expect(rows.filter((r) => r[r.length - 1] === 'peer').every((r) => r[0] === 'local')).toBe(true);
  });

  test('tls: ssl on with the mounted files in each pod\'s own settings (never cluster-wide), TLSv1.2 at least', () => {
    const { parameters, dynamic, patroni } = synth(tls());
    // Local parameters win over the cluster's; a member not yet rolled (no files mounted) must not get ssl = on.
    expect(patroni.postgresql.parameters).toEqual({
      unix_socket_directories: '/var/run/postgresql',
      ssl: 'on',
      ssl_cert_file: '/etc/tls/tls.crt',
      ssl_key_file: '/etc/tls/tls.key',
      ssl_ca_file: '/etc/tls/ca.crt',
    });
    expect(Object.keys(parameters).filter((k) => k.startsWith('ssl'))).toEqual(['ssl_min_protocol_version']);
    expect(parameters.ssl_min_protocol_version).toBe('TLSv1.2');
    expect(patroni.bootstrap.dcs).toEqual(dynamic);
  });

  test('tls: clients and replication from the network only over TLS with scram-sha-256; plaintext rejected', () => {
    const rows = hba(synth({ ...tls(), replicationUser: 'streamer' }).patroni);
    expect(networkRow(rows, true, 'orders', 'app')?.slice(0, 1).concat(networkRow(rows, true, 'orders', 'app')!.slice(4))).toEqual(['hostssl', 'scram-sha-256']);
    expect(networkRow(rows, false, 'orders', 'app')).toEqual(['hostnossl', 'all', 'all', '0.0.0.0/0', 'reject']);
    expect(networkRow(rows, true, 'replication', 'streamer')).toEqual(['hostssl', 'replication', 'streamer', '0.0.0.0/0', 'scram-sha-256']);
    expect(networkRow(rows, false, 'replication', 'streamer')).toEqual(['hostnossl', 'replication', 'all', '0.0.0.0/0', 'reject']);
    // An address family is not a way around it, and loopback is no exception: no plain `host` row at all.
    expect(rows.filter((r) => r[3] === '::/0').map((r) => r[0]).sort()).toEqual(['hostnossl', 'hostnossl', 'hostssl', 'hostssl']);
    expect(rows.filter((r) => r[0] === 'host')).toEqual([]);
  });

  test('tls: the metrics sidecar connects over TLS on loopback (it has no CA to verify with)', () => {
    expect(env(synth({ ...tls(), metrics: true }).container('metrics'), 'DATA_SOURCE_URI').value).toBe('127.0.0.1:5432/postgres?sslmode=require');
    expect(env(synth({ metrics: true }).container('metrics'), 'DATA_SOURCE_URI').value).toBe('127.0.0.1:5432/postgres?sslmode=disable');
  });

  test('tls with allowPlaintext: clients may connect without TLS (still scram-sha-256); replication stays TLS-only', () => {
    const rows = hba(synth({ ...tls(true), replicationUser: 'streamer' }).patroni);
    expect(networkRow(rows, false, 'orders', 'app')).toEqual(['host', 'all', 'all', '0.0.0.0/0', 'scram-sha-256']);
    expect(networkRow(rows, true, 'orders', 'app')).toEqual(['host', 'all', 'all', '0.0.0.0/0', 'scram-sha-256']);
    expect(networkRow(rows, false, 'replication', 'streamer')).toEqual(['hostnossl', 'replication', 'all', '0.0.0.0/0', 'reject']);
    expect(networkRow(rows, true, 'replication', 'streamer')?.[0]).toBe('hostssl');
  });

  test('tls with allowPlaintext: members connect with prefer (TLS checked against the CA when offered), so a member not yet rolled is still reached', () => {
    const { patroni } = synth(tls(true));
    const prefer = { sslmode: 'prefer', sslrootcert: '/etc/tls/ca.crt' };
    expect(patroni.postgresql.authentication).toEqual({ superuser: { username: 'postgres', ...prefer }, replication: { username: 'replicator', ...prefer } });
    expect(patroni.postgresql.parameters.ssl).toBe('on');
  });

  test('tls: Patroni and the standbys verify-full against the CA, at the pod\'s DNS name (which the certificate covers)', () => {
    const { patroni, server, find } = synth({ ...tls(), replicas: 3, tls: { certificates: TlsCertificates.certManager({ issuerName: 'ca' }) } });
    const verify = { sslmode: 'verify-full', sslrootcert: '/etc/tls/ca.crt' };
    expect(patroni.postgresql.authentication).toEqual({ superuser: { username: 'postgres', ...verify }, replication: { username: 'replicator', ...verify } });
    expect(env(server, 'PATRONI_POSTGRESQL_CONNECT_ADDRESS').value).toBe('$(PATRONI_NAME).pg-headless.db.svc.cluster.local:5432');
    const dnsNames: string[] = find('Certificate', 'pg').spec.dnsNames;
    expect(dnsNames).toContain('*.pg-headless.db.svc.cluster.local');
    // The REST API: HTTPS with the same files, members verify each other against the CA, probes speak HTTPS.
    expect(patroni.restapi).toMatchObject({ certfile: '/etc/tls/tls.crt', keyfile: '/etc/tls/tls.key' });
    expect(patroni.ctl).toEqual({ cacert: '/etc/tls/ca.crt' });
    expect(server.readinessProbe.httpGet.scheme).toBe('HTTPS');
    expect(server.livenessProbe.httpGet.scheme).toBe('HTTPS');
    expect(mountOf(server, '/etc/tls')).toMatchObject({ readOnly: true });
  });

  test('tls: the server starts through start.sh, which reloads PostgreSQL and Patroni when the certificate changes', () => {
    const { server, scripts } = synth(tls());
    expect(server.command).toEqual(['/bin/sh', '/scripts/start.sh', '/var/lib/postgresql/data/pgdata', '/etc/patroni/patroni.yml']);
    expect(scripts['start.sh']).toContain('tls_watch() {');
    expect(scripts['start.sh']).toMatch(/^tls_watch reload_tls "\$\$"$/m);
    expect(scripts['start.sh']).toMatch(/pg_ctl reload -s -D "\$data"/);
    expect(scripts['start.sh']).toMatch(/^exec patroni "\$config"$/m);
  });

  test('the connection URI verifies the server: sslmode=verify-full with the mounted CA', () => {
    const { pg } = synth(tls());
    expect(pg.connection.uri).toBe('postgresql://postgres:$(POSTGRES_PASSWORD)@pg.db.svc.cluster.local:5432/postgres?sslmode=verify-full&sslrootcert=/etc/cdk8s-stateful/pg/ca.crt');
    expect(synth().pg.connection.uri).toBe('postgresql://postgres:$(POSTGRES_PASSWORD)@pg.db.svc.cluster.local:5432/postgres');
  });

  test.each(['md5', 'password', 'MD5'])('password_encryption %s is refused, with or without tls', (value) => {
    expect(() => synth({ config: { password_encryption: value } })).toThrow(
      `test/pg: 'config.password_encryption' must be scram-sha-256: every connection authenticates with scram-sha-256, which cannot check an md5 hash, got '${value}'`);
  });

  test.each([['TLSv1', true], ['TLSv1.1', true], ['TLSv1.3', false], ['tlsv1.2', false]])('ssl_min_protocol_version %s refused: %s', (value, refused) => {
    const build = () => synth({ ...tls(), config: { ssl_min_protocol_version: value } });
    if (refused) {
      expect(build).toThrow(/'config\.ssl_min_protocol_version' must be TLSv1\.2 \(the default\) or TLSv1\.3/);
    } else {
      expect(build().parameters.ssl_min_protocol_version).toBe(value);
    }
  });
});

describe('postgresql parameters (cluster-wide, through Patroni)', () => {
  test('tuned from memory: shared_buffers 25%, effective_cache_size 75%, work_mem, maintenance_work_mem', () => {
    // WHEN
    const { parameters } = synth({ resources: { memory: Size.gibibytes(4) }, maxConnections: 150 });
    // THEN
    expect(parameters.shared_buffers).toBe('1024MB');
    expect(parameters.effective_cache_size).toBe('3072MB');
    expect(parameters.work_mem).toBe(`${Math.floor((3072 * 1024) / 450)}kB`);
    expect(parameters.maintenance_work_mem).toBe('256MB');
    expect(parameters.max_connections).toBe(150);
  });

  test('replication settings; addresses, ports and pg_hba are Patroni\'s', () => {
    // WHEN
    const { parameters, patroni } = synth({ replicas: 3 });
    // THEN
    expect(parameters.wal_level).toBe('replica');
    expect(parameters.hot_standby).toBe('on');
    expect(parameters.max_wal_senders).toBeGreaterThanOrEqual(10);
    expect(parameters.max_replication_slots).toBeGreaterThanOrEqual(10);
    expect(parameters.password_encryption).toBe('scram-sha-256');
    expect(parameters.huge_pages).toBe('off');
    // WAL kept for standbys: a tenth of the 10 GiB default volume; slots give up past a quarter
    expect(parameters.wal_keep_size).toBe('1024MB');
    expect(parameters.max_slot_wal_keep_size).toBe('2560MB');
    for (const managed of ['listen_addresses', 'port', 'hba_file', 'unix_socket_directories']) {
      expect(parameters[managed]).toBeUndefined();
    }
    expect(patroni.postgresql.listen).toBe('0.0.0.0:5432');
    expect(patroni.postgresql.parameters).toEqual({ unix_socket_directories: '/var/run/postgresql' });
  });

  test('config overrides win and names are sorted', () => {
    // WHEN
    const { parameters } = synth({ config: { 'shared_buffers': '300MB', 'log_line_prefix': '%m [%p] it\'s ', 'auto_explain.log_min_duration': '1s' } });
    const keys = Object.keys(parameters);
    // THEN
    expect(parameters.shared_buffers).toBe('300MB');
    expect(parameters.log_line_prefix).toBe('%m [%p] it\'s ');
    expect(parameters['auto_explain.log_min_duration']).toBe('1s');
    expect(keys).toEqual([...keys].sort());
  });
});

describe('pod', () => {
  test('probes on Patroni\'s REST API: /readiness (the leader, or a streaming replica) and /liveness; 120 s grace', () => {
    // WHEN
    const { server, pod } = synth();
    // THEN
    expect(server.readinessProbe.httpGet).toEqual({ path: '/readiness', port: 8008, scheme: 'HTTP' });
    expect(server.livenessProbe.httpGet).toEqual({ path: '/liveness', port: 8008, scheme: 'HTTP' });
    expect(server.readinessProbe.periodSeconds * server.readinessProbe.failureThreshold).toBeLessThanOrEqual(10);
    expect(server.ports).toEqual([{ containerPort: 5432, name: 'postgres' }, { containerPort: 8008, name: 'patroni' }]);
    expect(pod.terminationGracePeriodSeconds).toBe(120);
  });

  test('postStart applies the rendered dynamic configuration to the cluster', () => {
    const { server, scripts } = synth();
    expect(server.lifecycle.postStart.exec.command).toEqual(['/bin/sh', '/scripts/apply-config.sh']);
    expect(scripts['apply-config.sh']).toContain('/etc/patroni/dynamic.yml');
    expect(mountOf(server, '/etc/patroni').readOnly).toBe(true);
  });

  test('non-root 26 (the image\'s postgres), fsGroup 26, read-only root with emptyDirs for the socket dir, /tmp and /dev/shm', () => {
    // WHEN
    const { server, pod, patroni } = synth();
    // THEN
    expect(pod.securityContext).toMatchObject({ runAsUser: 26, runAsGroup: 26, fsGroup: 26, runAsNonRoot: true });
    expect(server.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, runAsUser: 26 });
    expect(server.securityContext.capabilities.drop).toEqual(['ALL']);
    const volume = (name: string) => pod.volumes.find((v: any) => v.name === name);
    expect(volume(mountOf(server, '/var/run/postgresql').name).emptyDir).toBeDefined();
    expect(volume(mountOf(server, '/tmp').name).emptyDir).toBeDefined();
    expect(volume(mountOf(server, '/dev/shm').name).emptyDir.medium).toBe('Memory');
    expect(volume(mountOf(server, '/scripts').name).configMap).toMatchObject({ name: 'pg-scripts', defaultMode: 0o555 });
    expect(volume(mountOf(server, '/etc/patroni').name).configMap.name).toBe('pg-patroni');
    // Patroni writes its password file where the root file system is writable
    expect(patroni.postgresql.pgpass.startsWith('/tmp/')).toBe(true);
  });

  test('every variable a script requires is set on the server container', () => {
    const { server, scripts } = synth({ replicas: 2 });
    const required = (script: string) => [...script.matchAll(/\$\{([A-Z_]+):\?\}/g)].map((m) => m[1]);
    const names = server.env.map((e: any) => e.name);
    expect(required(scripts['post-bootstrap.sh'])).toEqual(['POSTGRES_DB']);
    for (const script of Object.values(scripts)) {
      for (const v of required(script)) { expect(names).toContain(v); }
    }
  });

  test('a config change rolls the pods (config hash annotation), a re-synth does not', () => {
    const hash = (props: PostgresProps) => synth(props).sts.spec.template.metadata.annotations['cdk8s-stateful/config-checksum'];
    expect(hash({})).toBe(hash({}));
    expect(hash({ maxConnections: 120 })).not.toBe(hash({}));
    expect(hash({ synchronousReplication: SynchronousReplication.ASYNCHRONOUS })).not.toBe(hash({}));
  });
});

describe('credentials', () => {
  test('generated by default: a Job creates pg-credentials with both keys; pods read it; no Secret with data', () => {
    // WHEN
    const { objects, server } = synth();
    // THEN
    const job = objects.find((o) => o.kind === 'Job');
    const generator = job.spec.template.spec.containers[0];
    expect(generator.env.find((e: any) => e.name === 'SECRET_NAME').value).toBe('pg-credentials');
    expect(generator.env.find((e: any) => e.name === 'SECRET_KEYS').value).toBe('password replication-password');
    expect(env(server, 'PATRONI_SUPERUSER_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'pg-credentials', key: 'password' });
    expect(env(server, 'PATRONI_REPLICATION_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'pg-credentials', key: 'replication-password' });
    expect(objects.filter((o) => o.kind === 'Secret')).toHaveLength(0);
    expect(server.env.filter((e: any) => /PASSWORD/.test(e.name) && e.value !== undefined)).toEqual([]);
  });

  test('fromSecret with renamed keys: no Job, env reads the renamed keys, connection names them', () => {
    // WHEN
    const { objects, server, pg } = synth({ credentials: Credentials.fromSecret('vault-pg', { 'password': 'su', 'replication-password': 'repl' }) });
    // THEN
    expect(objects.filter((o) => o.kind === 'Job')).toHaveLength(0);
    expect(env(server, 'PATRONI_SUPERUSER_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'vault-pg', key: 'su' });
    expect(env(server, 'PATRONI_RESTAPI_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'vault-pg', key: 'su' });
    expect(env(server, 'PATRONI_REPLICATION_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'vault-pg', key: 'repl' });
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
    ['the removed primary prop', { primary: 1 } as PostgresProps, /'primary' was removed: Patroni elects the primary and replaces it when it fails; to move it on purpose, run patronictl switchover/],
    ['STRICT on a single server', { synchronousReplication: SynchronousReplication.STRICT }, /'synchronousReplication' STRICT needs replicas >= 2: with no standby to wait for, every commit would wait forever \(replicas is 1\), got 'strict'/],
    ['an unknown synchronousReplication', { synchronousReplication: 'sometimes' as SynchronousReplication }, /'synchronousReplication' must be one of 'asynchronous', 'synchronous', 'strict', got 'sometimes'/],
    ['a ttl below Patroni\'s minimum', { failover: { leaderLeaseTtl: Duration.seconds(10) } }, /'failover.leaderLeaseTtl' must be whole seconds from 20 s to 3600 s: Patroni counts it in whole seconds, got '10 s'/],
    ['a loop of half a second', { failover: { loopWait: Duration.millis(500) } }, /'failover.loopWait' must be whole seconds from 1 s to 3600 s/],
    ['a retry timeout below 3 s', { failover: { retryTimeout: Duration.seconds(2) } }, /'failover.retryTimeout' must be whole seconds from 3 s/],
    ['timing that breaks Patroni\'s rule', { failover: { leaderLeaseTtl: Duration.seconds(25), retryTimeout: Duration.seconds(10) } }, /'failover' must keep loopWait \+ 2 × retryTimeout <= leaderLeaseTtl .*got 10 \+ 2 × 10 > 25 s/],
    ['a misspelt failover option', { failover: { ttl: Duration.seconds(30) } as any }, /'failover.ttl'/],
    ['a failover ttl that is a number', { failover: { leaderLeaseTtl: 30 as any } }, /'failover.leaderLeaseTtl' must be a Duration/],
    ['a maximum lag that is not a Size', { failover: { maximumLagOnFailover: 1024 as any } }, /'failover.maximumLagOnFailover' must be a Size/],
    ['maxConnections 0', { maxConnections: 0 }, /'maxConnections' must be a positive integer, got 0/],
    ['ReadOnlyMany storage', { storage: { accessModes: [AccessMode.READ_ONLY_MANY] } }, /'storage.accessModes\[0\]' must be a mode every pod can write its own volume with: ReadWriteOnce, ReadWriteOncePod/],
    ['a major version that is not a number', { version: PostgresVersion.of('17.2', 'seventeen') }, /'version' must be a version of PostgreSQL 13 to 18.x .*got '17.2 \(seventeen\)'/],
    ['a major version before 13', { version: PostgresVersion.of('12.22', '12') }, /'version' must be PostgreSQL 13 to 18.x/],
    ['a full version without a minor', { version: PostgresVersion.of('17', '17') }, /'version' must be a version of .* with a full version of 2 numbers that starts with its release line.*got '17 \(17\)'/],
    ['a full version of another major', { version: PostgresVersion.of('16.4', '17') }, /'version' must be a version of .* starts with its release line.*got '16.4 \(17\)'/],
    ['a full version with a suffix', { version: PostgresVersion.of('17.2-alpine', '17') }, /'version' must be a version of PostgreSQL/],
    ['an unpinned image', { image: 'postgres:latest' }, /image/],
    ['a managed setting', { config: { port: '5433' } }, /'config.port' is managed by the construct or Patroni.*managed: cluster_name, config_file/],
    ['a setting Patroni writes', { replicas: 3, config: { synchronous_standby_names: '*' } }, /'config.synchronous_standby_names' is managed by the construct or Patroni/],
    ['a bad setting name', { config: { 'bad key': '1' } }, /'config.bad key' must be a postgresql.conf setting name/],
    ['a multi-line value', { config: { work_mem: '4MB\nport = 1' } }, /'config.work_mem' must be a single-line string/],
    ['wal_level minimal', { config: { wal_level: 'minimal' } }, /'config.wal_level' must be replica or logical/],
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

describe('name', () => {
  test('a name that is not a DNS label is refused before any object is named after it', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'db' });
    expect(() => new Postgres(chart, 'Orders_DB')).toThrow(/^test\/Orders_DB: 'name' must be a DNS label .* of at most 52 characters.*, got 'Orders_DB'$/);
  });
});
