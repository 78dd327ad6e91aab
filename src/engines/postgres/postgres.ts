import { Duration, Size, SizeRoundingBehavior } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { PostgresBackupOptions, PostgresRestore } from './backup';
import { BACKUP_AGENT_SCRIPT, PGBACKREST_SCRIPT, RESTORE_SCRIPT } from './backup-scripts';
import { minimumMemoryMiB, pgHbaRows, POSTGRES_PORT, SOCKET_DIR, TLS_MIN_PROTOCOL, tlsFileSettings, tunedSettings, validateConfig, withOverrides } from './config';
import { PostgresFailoverOptions, SynchronousReplication } from './failover';
import { PATRONI_DIR, PATRONI_PORT, PatroniInput, PRIMARY_ROLE, renderDynamicYaml, renderPatroniYaml, REPLICA_ROLE, ROLE_LABEL } from './patroni';
import { checkRestoreTarget, renderPgBackRestConf, repositoryPodParts, resolveBackup, resolveRestore, ResolvedBackup, targetOptions } from './pgbackrest';
import { PostgresVersion } from './postgres-version';
import { APPLY_CONFIG_SCRIPT, POST_BOOTSTRAP_SCRIPT, TLS_START_SCRIPT } from './scripts';
import { requireWholeSeconds } from '../../private/durations';
import { invalid, requireInteger } from '../../private/errors';
import { requireOneOf } from '../../private/guards';
import { denyIngress, jobAccount, scheduledJob } from '../../private/jobs';
import { kubeVolume } from '../../private/k8s';
import { hardened, secureContainer } from '../../private/pod';
import { instanceOf, requireProps } from '../../private/prop-types';
import { mebibytesOf } from '../../private/quantity';
import { PodManagementPolicy } from '../../workload/stateful-workload';
import { Credentials } from '../credentials';
import { EngineProps } from '../engine';
import { EngineBase, EngineDefinition } from '../engine-base';
import { ConnectionCredentials, ConnectionTls, EngineConnection, ReadOnlyEndpoint } from '../engine-connection';
import { jobLabels } from '../job-kit';
import { TLS_CA_FILE, TLS_CERT_FILE, TLS_KEY_FILE } from '../tls-kit';

const DEFINITION: EngineDefinition = {
  engine: {
    name: 'postgres',
    displayName: 'PostgreSQL',
    // Percona's distribution: PostgreSQL with Patroni and pgBackRest, one image per release (docs/engines/postgres.md, "The image").
    image: 'percona/percona-distribution-postgresql',
    imageTagSuffix: '-1',
    imageUser: 26,
    clientPorts: [POSTGRES_PORT],
    credentialKeys: ['password', 'replication-password'],
  },
  versions: { defaultVersion: PostgresVersion.V17, oldest: '13', newest: '18', majorParts: 1, fullParts: 2 },
  defaults: { cpu: kplus.Cpu.millis(500), memory: Size.gibibytes(1), storage: Size.gibibytes(10), terminationGracePeriod: Duration.seconds(120) },
};

/** Image of the optional metrics sidecar. */
const EXPORTER_IMAGE = 'quay.io/prometheuscommunity/postgres-exporter:v0.17.1';
const EXPORTER_PORT = 9187;
const SUPERUSER = 'postgres';
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const DATA_MOUNT = '/var/lib/postgresql/data';
/** Data in a subdirectory of the volume, whose root holds lost+found. */
const DATA_DIR = `${DATA_MOUNT}/pgdata`;
/** pgBackRest's queue of WAL being archived: on the data volume, so it survives a restart. */
const SPOOL_DIR = `${DATA_MOUNT}/pgbackrest-spool`;
/** The longest a standby waits for one file from the archive. */
const ARCHIVE_GET_TIMEOUT_SECONDS = 30;
/** Where pgbackrest.conf (and restore.conf) are mounted. */
const PGBACKREST_DIR = '/etc/pgbackrest/conf';

/** Properties of a {@link Postgres}. */
export interface PostgresProps extends EngineProps {
  /**
   * PostgreSQL version; the image `percona/percona-distribution-postgresql:<fullVersion>-1` unless
   * `image` is given.
   * @default PostgresVersion.V17
   */
  readonly version?: PostgresVersion;
  /**
   * Number of pods. Every pod runs Patroni, which elects one primary through the Kubernetes API
   * and makes the others streaming hot standbys that serve reads through `<name>-ro`; when the
   * primary fails, the most up-to-date standby is promoted. 1 is a single server (raise it at
   * any time: new pods clone the primary).
   * @see https://patroni.readthedocs.io/
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Whether commits wait for a standby. SYNCHRONOUS (the default): a failover loses no
   * acknowledged commit, at one network round trip per commit; when no standby is healthy the
   * primary goes on alone. STRICT: never alone, so writes stop without a healthy standby.
   * ASYNCHRONOUS: fastest, and a failover loses what the promoted standby had not received.
   * @default SynchronousReplication.SYNCHRONOUS
   */
  readonly synchronousReplication?: SynchronousReplication;
  /**
   * When Patroni gives up on the primary: a dead primary is replaced within
   * `leaderLeaseTtl + loopWait` (40 s by default).
   * @default - leaderLeaseTtl 30 s, loopWait 10 s, retryTimeout 10 s, maximumLagOnFailover 1 MiB
   */
  readonly failover?: PostgresFailoverOptions;
  /**
   * Where the superuser (`postgres`) and replication passwords come from: Secret keys `password`
   * and `replication-password`. The superuser's password also guards Patroni's REST API (user
   * `patroni`). The volume keeps the passwords of the first boot: changing the Secret later also
   * needs `ALTER USER ... PASSWORD` on the primary.
   * @default Credentials.generated()
   */
  readonly credentials?: Credentials;
  /**
   * Database created when the cluster is first initialized.
   * @default 'postgres'
   */
  readonly database?: string;
  /**
   * Role the standbys replicate as; Patroni creates it when it initializes the cluster.
   * @default 'replicator'
   */
  readonly replicationUser?: string;
  /**
   * `max_connections`. The memory must hold about 1 MiB per connection on top of a 128 MiB base.
   * @see https://www.postgresql.org/docs/current/runtime-config-connection.html#GUC-MAX-CONNECTIONS
   * @default 100
   */
  readonly maxConnections?: number;
  /**
   * postgresql.conf settings that win over the tuned ones (`{ log_min_duration_statement: '500ms' }`),
   * applied to the whole cluster through Patroni. Settings the pods or Patroni own (`port`,
   * `listen_addresses`, `hba_file`, `data_directory`, `primary_conninfo`,
   * `synchronous_standby_names`, ...) are refused.
   * @see https://www.postgresql.org/docs/current/runtime-config.html
   * @default - none
   */
  readonly config?: { [key: string]: string };
  /**
   * Add the community postgres_exporter as a sidecar on port 9187, with `prometheus.io/*` scrape
   * annotations on the pods.
   * @see https://github.com/prometheus-community/postgres_exporter
   * @default false
   */
  readonly metrics?: boolean;
  /**
   * Continuous WAL archiving and scheduled base backups with pgBackRest, to object storage or a
   * claim: restores to any point in time since the oldest kept full backup. Backups run on the
   * current primary, asked for by CronJobs; credentials come from your Secrets.
   * @see https://pgbackrest.org/
   * @default - no backups
   */
  readonly backup?: PostgresBackupOptions;
  /**
   * Create the cluster from a pgBackRest repository instead of an empty `initdb`: the latest
   * state, a point in time or one backup. Only a new cluster is restored: a volume with data is
   * never overwritten, whatever this says (docs/engines/postgres.md, "Backups and restore").
   * @default - a new, empty cluster
   */
  readonly restore?: PostgresRestore;
}

/** How an app connects to a {@link Postgres}: the shared core plus the database. */
export interface PostgresConnection extends EngineConnection, ReadOnlyEndpoint, ConnectionCredentials {
  /** Database created on first boot. */
  readonly database: string;
}

/**
 * PostgreSQL on Kubernetes that fails over by itself, without an operator: every pod runs
 * Patroni, which keeps a leader lock in a ConfigMap (with a namespaced Role, nothing
 * cluster-wide), promotes the most up-to-date standby when the primary fails and labels the pods
 * with their role. Standbys clone the primary with `pg_basebackup` and stream its WAL.
 *
 * Services: `<name>` (read-write: the pod labelled `role=primary`), `<name>-ro` (reads: the pods
 * labelled `role=replica`) and `<name>-headless` (pod DNS). Defaults: 500m CPU, 1 GiB memory,
 * 10 GiB per pod, a 120 s grace period, synchronous replication.
 */
export class Postgres extends EngineBase {
  /** The read-only Service `<name>-ro`: the standbys. */
  public readonly readOnlyService: kplus.Service;
  /** How apps connect. */
  public readonly connection: PostgresConnection;
  /** The Role that lets Patroni keep its state in ConfigMaps and label the pods. */
  public readonly role: k8s.KubeRole;

  constructor(scope: Construct, id: string, props: PostgresProps = {}) {
    super(scope, id, props, DEFINITION);
    if ((props as { primary?: unknown }).primary !== undefined) {
      invalid(this, 'primary', 'was removed: Patroni elects the primary and replaces it when it fails; to move it on purpose, run patronictl switchover (docs/engines/postgres.md, "Planned operations")');
    }
    this._checkProps(props, {
      replicas: 'integer',
      database: 'string',
      replicationUser: 'string',
      maxConnections: 'integer',
      metrics: 'boolean',
      synchronousReplication: 'string',
      failover: 'object',
      backup: 'object',
      restore: instanceOf(PostgresRestore, 'PostgresRestore.latest({...})'),
    });
    const name = this.name;
    const replicas = requireInteger(this, 'replicas', props.replicas ?? 1, 1);
    const maxConnections = requireInteger(this, 'maxConnections', props.maxConnections ?? 100, 1);
    const database = props.database ?? 'postgres';
    if (!IDENTIFIER.test(database)) {
      invalid(this, 'database', 'must be a lower-case SQL identifier (letters, digits and _, not starting with a digit) of at most 63 characters', database);
    }
    const replicationUser = props.replicationUser ?? 'replicator';
    if (!IDENTIFIER.test(replicationUser) || replicationUser === SUPERUSER) {
      invalid(this, 'replicationUser', `must be a lower-case SQL identifier of at most 63 characters other than '${SUPERUSER}'`, replicationUser);
    }
    const synchronous = props.synchronousReplication === undefined
      ? SynchronousReplication.SYNCHRONOUS
      : requireOneOf(this, 'synchronousReplication', props.synchronousReplication, Object.values(SynchronousReplication));
    if (synchronous === SynchronousReplication.STRICT && replicas < 2) {
      invalid(this, 'synchronousReplication', `STRICT needs replicas >= 2: with no standby to wait for, every commit would wait forever (replicas is ${replicas})`, synchronous);
    }
    const timing = this.failoverTiming(props.failover);
    const backup = resolveBackup(this, props.backup);
    const restore = resolveRestore(this, props.restore);
    checkRestoreTarget(this, backup, restore, name);
    // The CronJobs `<name>-backup-full|diff|incr` (one length) must fit a CronJob name.
    if (backup) { this._reserveSets([{ suffix: '-backup-full', prop: 'backup', kind: 'CronJob' }]); }
    if (restore && props.restoreFromVolumeSnapshots !== undefined) {
      invalid(this, 'restore', 'cannot be combined with restoreFromVolumeSnapshots: claims restored from snapshots already hold data, so Patroni would never run the pgBackRest restore; choose one');
    }

    const resources = this._resources;
    const memory = this._memoryMiB;
    const minimum = minimumMemoryMiB(maxConnections);
    if (memory < minimum) {
      invalid(this, 'resources.memory', `must be at least ${minimum} MiB for max_connections=${maxConnections} (shared_buffers 25%, a 128 MiB base and about 1 MiB per connection)`, `${memory} MiB`);
    }
    const overrides = validateConfig(this, props.config ?? {}, {
      replicas, synchronous: synchronous !== SynchronousReplication.ASYNCHRONOUS, archiving: backup !== undefined,
    });
    const tuned = tunedSettings({ memoryMiB: memory, storageMiB: mebibytesOf(this._storage.size), maxConnections, replicas });
    const pgbackrest = `/scripts/pgbackrest.sh target --stanza=${name}`;
    if (backup) {
      tuned.set('archive_mode', 'on');
      tuned.set('archive_command', `${pgbackrest} archive-push %p`);
      tuned.set('archive_timeout', `${backup.archiveTimeoutSeconds}s`);
    }
    const tls = this._tls;
    // Cluster-wide, so that a `config` override can raise it; the files are per pod (tlsFileSettings).
    if (tls) { tuned.set('ssl_min_protocol_version', TLS_MIN_PROTOCOL); }

    const patroni: PatroniInput = {
      scope: name,
      appName: DEFINITION.engine.name,
      ...timing,
      synchronous,
      parameters: withOverrides(tuned, overrides),
      pgHba: pgHbaRows(SUPERUSER, replicationUser, tls && { allowPlaintext: tls.allowPlaintext }),
      superuser: SUPERUSER,
      replicationUser,
      port: POSTGRES_PORT,
      dataDir: DATA_DIR,
      socketDir: SOCKET_DIR,
      postBootstrap: '/scripts/post-bootstrap.sh',
      restoreCommand: restore ? `/scripts/restore.sh ${DATA_DIR}` : undefined,
      // Bounded: with the store out of reach pgBackRest retries for minutes, and a standby that falls
      // back to the archive must return to streaming instead of waiting that long for each file.
      archiveGetCommand: backup ? `timeout ${ARCHIVE_GET_TIMEOUT_SECONDS} ${pgbackrest} archive-get %f "%p"` : undefined,
      tls: tls && {
        certFile: TLS_CERT_FILE, keyFile: TLS_KEY_FILE, caFile: TLS_CA_FILE, serverSettings: tlsFileSettings(), transitional: tls.allowPlaintext,
      },
    };
    // Not `<name>-config`: Patroni keeps the cluster's state in `<name>-config` and `<name>-leader`.
    const configMap = this._addConfigMap('Config', '-patroni', {
      'patroni.yml': renderPatroniYaml(patroni),
      'dynamic.yml': renderDynamicYaml(patroni),
    });
    const pgbackrestPaths = { dataDir: DATA_DIR, socketDir: SOCKET_DIR, spoolDir: SPOOL_DIR, tmpDir: '/tmp', port: POSTGRES_PORT, superuser: SUPERUSER };
    const pgbackrestConfigMap = backup || restore ? this._addConfigMap('PgBackRest', '-pgbackrest', {
      ...(backup ? { 'pgbackrest.conf': renderPgBackRestConf(name, backup.repository, pgbackrestPaths, targetOptions(backup)) } : {}),
      ...(restore ? { 'restore.conf': renderPgBackRestConf(restore.stanza, restore.repository, pgbackrestPaths, restore.encryptionKey ? [['repo1-cipher-type', 'aes-256-cbc']] : []) } : {}),
    }) : undefined;
    const scriptsConfigMap = this._addConfigMap('Scripts', '-scripts', {
      'post-bootstrap.sh': POST_BOOTSTRAP_SCRIPT,
      'apply-config.sh': APPLY_CONFIG_SCRIPT,
      ...(tls ? { 'start.sh': TLS_START_SCRIPT } : {}),
      ...(backup || restore ? { 'pgbackrest.sh': PGBACKREST_SCRIPT } : {}),
      ...(backup ? { 'backup-agent.py': BACKUP_AGENT_SCRIPT } : {}),
      ...(restore ? { 'restore.sh': RESTORE_SCRIPT } : {}),
    });
    const credentials = this._credentials!;

    const configVolume = kplus.Volume.fromConfigMap(this, 'ConfigVolume', configMap, { name: 'config' });
    const scriptsVolume = kplus.Volume.fromConfigMap(this, 'ScriptsVolume', scriptsConfigMap, { name: 'scripts', defaultMode: 0o555 });
    const runVolume = kplus.Volume.fromEmptyDir(this, 'RunVolume', 'run', { sizeLimit: Size.mebibytes(16) });
    const tmpVolume = kplus.Volume.fromEmptyDir(this, 'TmpVolume', 'tmp', { sizeLimit: Size.gibibytes(1) });
    // The default 64 MiB /dev/shm is too small for parallel queries' dynamic shared memory.
    const shmVolume = kplus.Volume.fromEmptyDir(this, 'ShmVolume', 'shm', {
      medium: kplus.EmptyDirMedium.MEMORY,
      sizeLimit: Size.mebibytes(Math.max(64, Math.floor(memory / 8))),
    });

    const target = backup ? repositoryPodParts(this, 'Backup', backup.repository, backup.encryptionKey, '') : undefined;
    const source = restore ? repositoryPodParts(this, 'Restore', restore.repository, restore.encryptionKey, 'RESTORE_') : undefined;
    const pgbackrestMounts: kplus.VolumeMount[] = [
      ...(pgbackrestConfigMap ? [{ volume: kplus.Volume.fromConfigMap(this, 'PgBackRestVolume', pgbackrestConfigMap, { name: 'pgbackrest' }), path: PGBACKREST_DIR, readOnly: true }] : []),
      ...target?.mounts ?? [],
      ...source?.mounts ?? [],
    ];

    // Members find each other by their stable pod DNS names (published before they are Ready).
    const podDomain = this._dns.podDomain(name);
    const probe = (path: string, failureThreshold: number) => kplus.Probe.fromHttpGet(path, {
      // With TLS the REST API speaks HTTPS only (the kubelet does not verify the certificate).
      ...(tls ? { scheme: kplus.ConnectionScheme.HTTPS } : {}),
      port: PATRONI_PORT,
      periodSeconds: Duration.seconds(5),
      timeoutSeconds: Duration.seconds(3),
      failureThreshold,
    });
    const server: kplus.ContainerProps = {
      name: 'postgres',
      image: this.image,
      // With TLS, through start.sh, which reloads PostgreSQL and Patroni when the certificate is renewed.
      command: tls ? ['/bin/sh', '/scripts/start.sh', DATA_DIR, `${PATRONI_DIR}/patroni.yml`] : ['patroni', `${PATRONI_DIR}/patroni.yml`],
      ports: [{ name: 'postgres', number: POSTGRES_PORT }, { name: 'patroni', number: PATRONI_PORT }],
      envVariables: {
        PATRONI_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME),
        PATRONI_KUBERNETES_NAMESPACE: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAMESPACE),
        PATRONI_KUBERNETES_POD_IP: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_IP),
        PATRONI_RESTAPI_CONNECT_ADDRESS: kplus.EnvValue.fromValue(`$(PATRONI_NAME).${podDomain}:${PATRONI_PORT}`),
        PATRONI_POSTGRESQL_CONNECT_ADDRESS: kplus.EnvValue.fromValue(`$(PATRONI_NAME).${podDomain}:${POSTGRES_PORT}`),
        PATRONI_SUPERUSER_PASSWORD: credentials.env('password'),
        PATRONI_REPLICATION_PASSWORD: credentials.env('replication-password'),
        PATRONI_RESTAPI_PASSWORD: credentials.env('password'),
        POSTGRES_DB: kplus.EnvValue.fromValue(database),
        // The image's telemetry agent is not started (Patroni is run, not the entrypoint); this also keeps it off.
        PERCONA_TELEMETRY_DISABLE: kplus.EnvValue.fromValue('1'),
        ...target?.env,
        ...source?.env,
        ...(restore ? {
          RESTORE_STANZA: kplus.EnvValue.fromValue(restore.stanza),
          RESTORE_TYPE: kplus.EnvValue.fromValue(restore.type),
          ...(restore.target ? { RESTORE_TARGET: kplus.EnvValue.fromValue(restore.target) } : {}),
          ...(restore.set ? { RESTORE_SET: kplus.EnvValue.fromValue(restore.set) } : {}),
        } : {}),
      },
      resources,
      // Ready: the primary, or a standby that streams from it (Patroni's view, not the stale role label).
      readiness: probe('/readiness', 2),
      // Alive: Patroni's loop runs. Crash recovery or a clone is Patroni's work, not a reason to restart it.
      liveness: probe('/liveness', 6),
      lifecycle: { postStart: kplus.Handler.fromCommand(['/bin/sh', '/scripts/apply-config.sh']) },
      securityContext: { user: DEFINITION.engine.imageUser, group: DEFINITION.engine.imageUser },
      volumeMounts: [
        { volume: configVolume, path: PATRONI_DIR, readOnly: true },
        { volume: scriptsVolume, path: '/scripts', readOnly: true },
        { volume: runVolume, path: SOCKET_DIR },
        { volume: tmpVolume, path: '/tmp' },
        { volume: shmVolume, path: '/dev/shm' },
        ...pgbackrestMounts,
      ],
    };

    const containers = [server];
    if (backup) {
      containers.push(this.backupAgent(target!.env, [
        { volume: scriptsVolume, path: '/scripts', readOnly: true },
        { volume: runVolume, path: SOCKET_DIR },
        ...pgbackrestMounts.filter((m) => !(source?.mounts ?? []).includes(m)),
      ], backup.timeoutSeconds));
    }
    if (props.metrics) {
      containers.push(this._metricsExporter({
        image: EXPORTER_IMAGE,
        port: EXPORTER_PORT,
        env: {
          // Loopback, in the pod: encryption without verification is enough (and the sidecar has no CA); pg_hba wants TLS.
          DATA_SOURCE_URI: kplus.EnvValue.fromValue(`127.0.0.1:${POSTGRES_PORT}/postgres?sslmode=${tls ? 'require' : 'disable'}`),
          DATA_SOURCE_USER: kplus.EnvValue.fromValue(SUPERUSER),
          DATA_SOURCE_PASS: credentials.env('password'),
        },
        resources: { cpu: { request: kplus.Cpu.millis(50) }, memory: { request: Size.mebibytes(64), limit: Size.mebibytes(128) } },
      }));
    }

    const workload = this._addMembers('Workload', {
      replicas,
      containers,
      dataPath: DATA_MOUNT,
      // The metrics sidecar talks SQL; it has no business with the data files. pgBackRest reads them.
      dataMountInto: backup ? ['postgres', 'backup'] : ['postgres'],
      // Patroni decides who is primary, so all pods may start at once.
      podManagementPolicy: PodManagementPolicy.PARALLEL,
      serviceAccountToken: true,
      // A claim repository is mounted by every pod on purpose: whichever is the primary writes to it.
      sharedClaims: [backup, restore].flatMap((r) => r?.repository.mounts.flatMap((m) => m.claimName ? [m.claimName] : []) ?? []),
      // Pods restart when their config or scripts change (a ConfigMap change alone restarts nothing).
      checksum: [configMap.data, scriptsConfigMap.data, ...pgbackrestConfigMap ? [pgbackrestConfigMap.data] : []],
    });

    // Patroni's leader lock, cluster config and member state live in ConfigMaps `<name>-*` and pod annotations.
    const labels = this._objectLabels();
    this.role = new k8s.KubeRole(this, 'PatroniRole', {
      metadata: { name: `${name}-patroni`, labels },
      rules: [
        { apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'get', 'list', 'patch', 'watch'] },
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'patch', 'watch'] },
      ],
    });
    new k8s.KubeRoleBinding(this, 'PatroniRoleBinding', {
      metadata: { name: `${name}-patroni`, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: this.role.name },
      subjects: [{ kind: 'ServiceAccount', name: workload.serviceAccount.name }],
    });

    const ports: kplus.ServicePort[] = [{ name: 'postgres', port: POSTGRES_PORT, targetPort: POSTGRES_PORT }];
    this._addService('Service', { name, ports, selectLabels: { [ROLE_LABEL]: PRIMARY_ROLE } });
    this.readOnlyService = this._addService('ReadOnlyService', { name: `${name}-ro`, ports, selectLabels: { [ROLE_LABEL]: REPLICA_ROLE } });
    this._generateCredentials();
    if (backup) { this.addBackupJobs(backup, scriptsVolume); }

    const host = this._dns.service(name);
    const clientTls = this._connectionTls();
    const connection: PostgresConnection = {
      host,
      readOnlyHost: this._dns.service(`${name}-ro`),
      port: POSTGRES_PORT,
      database,
      username: SUPERUSER,
      secretName: credentials.secretName,
      passwordKey: credentials.key('password'),
      passwordVariable: 'POSTGRES_PASSWORD',
      uri: postgresUri(host, database, '$(POSTGRES_PASSWORD)', clientTls),
    };
    this.connection = this._connect(connection, { DATABASE: database }, (password) => postgresUri(host, database, password, clientTls));
  }

  /** The sidecar that runs the backups the CronJobs ask for, while its pod is the primary. */
  private backupAgent(env: { [name: string]: kplus.EnvValue }, volumeMounts: kplus.VolumeMount[], timeoutSeconds: number): kplus.ContainerProps {
    return {
      name: 'backup',
      image: this.image,
      command: ['python3', '/scripts/backup-agent.py', 'agent'],
      envVariables: {
        ...env,
        PATRONI_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME),
        BACKUP_CONFIGMAP: kplus.EnvValue.fromValue(`${this.name}-backup`),
        BACKUP_STANZA: kplus.EnvValue.fromValue(this.name),
        // With TLS, Patroni's REST API (is this pod the primary?) answers HTTPS only.
        ...(this._tls ? { PATRONI_URL: kplus.EnvValue.fromValue(`https://127.0.0.1:${PATRONI_PORT}`) } : {}),
        // A backup that runs longer is stopped: the agent must stay free for the next request.
        BACKUP_TIMEOUT_SECONDS: kplus.EnvValue.fromValue(String(timeoutSeconds)),
      },
      // pgBackRest compresses on one core; memory stays small with one process.
      resources: {
        cpu: { request: kplus.Cpu.millis(100) },
        memory: { request: Size.mebibytes(256), limit: Size.mebibytes(512) },
      },
      securityContext: { user: DEFINITION.engine.imageUser, group: DEFINITION.engine.imageUser },
      volumeMounts: [...volumeMounts, { volume: kplus.Volume.fromEmptyDir(this, 'BackupTmpVolume', 'backup-tmp', { sizeLimit: Size.mebibytes(64) }), path: '/tmp' }],
    };
  }

  /**
   * The handshake ConfigMap, and one CronJob per schedule that asks the primary's agent for a backup
   * and waits for its outcome. Their ServiceAccount may read and annotate that one ConfigMap only.
   */
  private addBackupJobs(backup: ResolvedBackup, scriptsVolume: kplus.Volume): void {
    const name = this.name;
    const handshake = `${name}-backup`;
    const instanceLabels = this._objectLabels();
    new k8s.KubeConfigMap(this, 'BackupHandshake', { metadata: { name: handshake, labels: instanceLabels } });
    const labels = jobLabels('pgbackrest', 'backup', name);
    const jobs = new Construct(this, 'BackupJobs');
    const account = jobAccount(jobs, {
      name: `${name}-backup`,
      labels,
      rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: [handshake], verbs: ['get', 'patch'] }],
    });
    denyIngress(jobs, `${name}-backup`, labels);
    const request = (type: string) => hardened(secureContainer({
      name: 'request',
      image: this.image,
      command: ['python3', '/scripts/backup-agent.py', 'request', type],
      envVariables: {
        BACKUP_CONFIGMAP: kplus.EnvValue.fromValue(handshake),
        // Give up a minute before the Job's deadline, with a message instead of a kill.
        BACKUP_WAIT_SECONDS: kplus.EnvValue.fromValue(String(backup.timeoutSeconds - 60)),
      },
      securityContext: { user: DEFINITION.engine.imageUser, group: DEFINITION.engine.imageUser },
      resources: {
        cpu: { request: kplus.Cpu.millis(10), limit: kplus.Cpu.millis(100) },
        memory: { request: Size.mebibytes(32), limit: Size.mebibytes(64) },
      },
      volumeMounts: [{ volume: scriptsVolume, path: '/scripts', readOnly: true }],
    }));
    for (const schedule of backup.schedules) {
      scheduledJob(jobs, `Backup-${schedule.backupType}`, {
        name: `${name}-backup-${schedule.backupType}`,
        labels,
        schedule: schedule.cron,
        timeZone: backup.timeZone,
        serviceAccountName: account,
        containers: [request(schedule.backupType)],
        volumes: [kubeVolume(scriptsVolume)],
        user: DEFINITION.engine.imageUser,
        group: DEFINITION.engine.imageUser,
        activeDeadlineSeconds: backup.timeoutSeconds,
        // A retry would ask for a second backup after a failed one; the next schedule is the retry.
        backoffLimit: 0,
      });
    }
  }

  /** Patroni's timing in whole seconds, checked against its own rule. */
  private failoverTiming(value: unknown) {
    const duration = instanceOf(Duration, 'Duration.seconds(30)');
    requireProps(this, 'failover', value, {
      leaderLeaseTtl: duration, loopWait: duration, retryTimeout: duration, maximumLagOnFailover: instanceOf(Size, 'Size.mebibytes(1)'),
    });
    const options = (value ?? {}) as PostgresFailoverOptions;
    const seconds = (key: 'leaderLeaseTtl' | 'loopWait' | 'retryTimeout', fallback: number, min: number) => {
      const given = options[key];
      return given === undefined ? fallback : requireWholeSeconds(this, `failover.${key}`, given, min, 3600, 'Patroni counts it in whole seconds');
    };
    const ttl = seconds('leaderLeaseTtl', 30, 20);
    const loopWait = seconds('loopWait', 10, 1);
    const retryTimeout = seconds('retryTimeout', 10, 3);
    if (loopWait + 2 * retryTimeout > ttl) {
      invalid(this, 'failover', `must keep loopWait + 2 × retryTimeout <= leaderLeaseTtl (Patroni's rule: a primary must be able to retry the API twice before its lock expires); got ${loopWait} + 2 × ${retryTimeout} > ${ttl} s`);
    }
    const kib = options.maximumLagOnFailover?.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) ?? 1024;
    const lag = kib * 1024;
    if (!Number.isInteger(lag) || lag < 0) {
      invalid(this, 'failover.maximumLagOnFailover', 'must be whole bytes', `${kib} KiB`);
    }
    return { ttl, loopWait, retryTimeout, maximumLagBytes: lag };
  }
}

/** With TLS, libpq verifies the server's certificate against the CA and its name against the host. */
function postgresUri(host: string, database: string, password: string, tls?: ConnectionTls): string {
  const query = tls ? `?sslmode=verify-full&sslrootcert=${tls.caFile}` : '';
  return `postgresql://${SUPERUSER}:${password}@${host}:${POSTGRES_PORT}/${database}${query}`;
}
