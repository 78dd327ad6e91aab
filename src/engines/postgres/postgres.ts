import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import {
  CONFIG_DIR, MANAGED_SETTINGS, minimumMemoryMiB, POSTGRES_PORT, renderPgHba, renderPostgresqlConf, SOCKET_DIR, tunedSettings,
} from './config';
import { PostgresVersion } from './postgres-version';
import { BOOTSTRAP_SCRIPT, INIT_REPLICATION_SCRIPT, PRE_STOP_COMMAND } from './scripts';
import { ClusterDns } from '../../private/dns';
import { configChecksum, engineResources, EngineSecret, memoryMiB } from '../../private/engine-kit';
import { invalid, requireInteger } from '../../private/errors';
import { requireDnsLabel } from '../../private/names';
import { mebibytesOf } from '../../private/quantity';
import { AccessMode } from '../../storage/access-mode';
import { StatefulWorkload, PodManagementPolicy } from '../../workload/stateful-workload';
import { Credentials } from '../credentials';
import { EngineProps } from '../engine';
import { GeneratedSecret } from '../generated-secret';

/** Image of the optional metrics sidecar. */
const EXPORTER_IMAGE = 'quay.io/prometheuscommunity/postgres-exporter:v0.17.1';
const EXPORTER_PORT = 9187;
const SUPERUSER = 'postgres';
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const CONFIG_KEY = /^[A-Za-z_][A-Za-z0-9_.]*$/;

/** Properties of a {@link Postgres}. */
export interface PostgresProps extends EngineProps {
  /**
   * PostgreSQL version; the official image `postgres:<fullVersion>` unless `image` is given.
   * @default PostgresVersion.V17
   */
  readonly version?: PostgresVersion;
  /**
   * Number of pods: 1 is a single server; n > 1 is one primary plus n-1 asynchronous hot standbys
   * that stream the primary's WAL and serve reads through `<name>-ro`.
   * @see https://www.postgresql.org/docs/current/warm-standby.html
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Ordinal of the primary pod (`<name>-<primary>`); the `<name>` Service points at it. Change it
   * only as the last step of a manual failover, after promoting that standby
   * (see docs/engines/postgres.md).
   * @default 0
   */
  readonly primary?: number;
  /**
   * Where the superuser (`postgres`) and replication passwords come from: Secret keys `password`
   * and `replication-password`. The volume keeps the passwords of the first boot: changing the
   * Secret later also needs `ALTER USER ... PASSWORD` on the primary.
   * @default Credentials.generated()
   */
  readonly credentials?: Credentials;
  /**
   * Database created on first boot (`POSTGRES_DB`).
   * @default 'postgres'
   */
  readonly database?: string;
  /**
   * Role the standbys replicate as; created on the primary on first boot.
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
   * postgresql.conf settings that win over the tuned ones (`{ log_min_duration_statement: '500ms' }`).
   * Settings the pods depend on (`port`, `listen_addresses`, `hba_file`, `data_directory`,
   * `config_file`, `unix_socket_directories`) are refused.
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
}

/** How an app connects to a {@link Postgres}: plain values, usable from any cdk8s-plus version. */
export interface PostgresConnection {
  /** Read-write host: the `<name>` Service, which reaches only the primary. */
  readonly host: string;
  /** Read-only host: the `<name>-ro` Service, which reaches every pod (primary and standbys). */
  readonly readOnlyHost: string;
  /** Port of both hosts. */
  readonly port: number;
  /** Database created on first boot. */
  readonly database: string;
  /** User to connect as (the superuser: create application roles of your own for apps). */
  readonly username: string;
  /** Secret holding the password. */
  readonly secretName: string;
  /** Key of the password in that Secret. */
  readonly passwordKey: string;
}

/**
 * PostgreSQL on Kubernetes without an operator: one primary and `replicas - 1` streaming hot
 * standbys in a StatefulSet, each with its own volume. Standbys clone the primary with
 * `pg_basebackup` on first start; failover is manual (promote a standby, then set `primary`).
 *
 * Services: `<name>` (read-write, the primary only), `<name>-ro` (reads, every pod) and
 * `<name>-headless` (pod DNS).
 */
export class Postgres extends Construct {
  /** The StatefulSet and everything around it. */
  public readonly workload: StatefulWorkload;
  /** The StatefulSet. */
  public readonly statefulSet: k8s.KubeStatefulSet;
  /** The read-write Service `<name>`: the primary pod only. */
  public readonly service: kplus.Service;
  /** The read-only Service `<name>-ro`: every pod, primary included. */
  public readonly readOnlyService: kplus.Service;
  /** The headless Service that gives each pod its DNS name. */
  public readonly headlessService: kplus.Service;
  /** The PodDisruptionBudget (when replicas > 1). */
  public readonly podDisruptionBudget?: k8s.KubePodDisruptionBudget;
  /** The `<name>-config` ConfigMap: postgresql.conf and pg_hba.conf. */
  public readonly configMap: kplus.ConfigMap;
  /** The `<name>-scripts` ConfigMap: the bootstrap scripts. */
  public readonly scriptsConfigMap: kplus.ConfigMap;
  /** The Job that generates the credentials Secret, when generated. */
  public readonly generatedSecret?: GeneratedSecret;
  /** How apps connect. */
  public readonly connection: PostgresConnection;
  /** The version run. */
  public readonly version: PostgresVersion;
  /** Ordinal of the primary pod. */
  public readonly primary: number;

  constructor(scope: Construct, id: string, props: PostgresProps = {}) {
    super(scope, id);
    const name = requireDnsLabel(this, 'name', props.name ?? id, 52);
    const version = props.version ?? PostgresVersion.V17;
    this.version = version;
    const major = this.validateVersion(version);
    const replicas = requireInteger(this, 'replicas', props.replicas ?? 1, 1);
    const primary = requireInteger(this, 'primary', props.primary ?? 0, 0);
    if (primary >= replicas) {
      invalid(this, 'primary', `must be the ordinal of one of the ${replicas} pod(s): 0 to ${replicas - 1}`, primary);
    }
    this.primary = primary;
    const maxConnections = requireInteger(this, 'maxConnections', props.maxConnections ?? 100, 1);
    const database = props.database ?? 'postgres';
    if (!IDENTIFIER.test(database)) {
      invalid(this, 'database', 'must be a lower-case SQL identifier (letters, digits and _, not starting with a digit) of at most 63 characters', database);
    }
    const replicationUser = props.replicationUser ?? 'replicator';
    if (!IDENTIFIER.test(replicationUser) || replicationUser === SUPERUSER) {
      invalid(this, 'replicationUser', `must be a lower-case SQL identifier of at most 63 characters other than '${SUPERUSER}'`, replicationUser);
    }
    const accessModes = props.storage?.accessModes ?? [AccessMode.READ_WRITE_ONCE];
    if (accessModes.includes(AccessMode.READ_ONLY_MANY)) {
      invalid(this, 'storage.accessModes', 'must not include ReadOnlyMany: every pod writes its own volume; valid: ReadWriteOnce or ReadWriteOncePod', accessModes);
    }
    const storageSize = props.storage?.size ?? Size.gibibytes(10);

    const resources = engineResources(this, props.resources, { cpu: kplus.Cpu.millis(500), memory: Size.gibibytes(1) });
    const memory = memoryMiB(resources);
    const minimum = minimumMemoryMiB(maxConnections);
    if (memory < minimum) {
      invalid(this, 'resources.memory', `must be at least ${minimum} MiB for max_connections=${maxConnections} (shared_buffers 25%, a 128 MiB base and about 1 MiB per connection)`, `${memory} MiB`);
    }
    const overrides = this.validateConfig(props.config ?? {}, replicas);
    const settings = tunedSettings({ memoryMiB: memory, storageMiB: mebibytesOf(storageSize), maxConnections, replicas });

    // Data in a subdirectory of the volume (its root holds lost+found). 18+ images moved PGDATA
    // to /var/lib/postgresql/<major>/docker, with the volume at /var/lib/postgresql.
    const newLayout = major >= 18;
    const mountPath = newLayout ? '/var/lib/postgresql' : '/var/lib/postgresql/data';
    const pgdata = newLayout ? `/var/lib/postgresql/${major}/docker` : '/var/lib/postgresql/data/pgdata';

    this.configMap = new kplus.ConfigMap(this, 'Config', {
      metadata: { name: `${name}-config` },
      data: {
        'postgresql.conf': renderPostgresqlConf(settings, overrides),
        'pg_hba.conf': renderPgHba(replicationUser),
      },
    });
    this.scriptsConfigMap = new kplus.ConfigMap(this, 'Scripts', {
      metadata: { name: `${name}-scripts` },
      data: {
        'bootstrap.sh': BOOTSTRAP_SCRIPT,
        'init-replication.sh': INIT_REPLICATION_SCRIPT,
      },
    });

    const credentials = new EngineSecret(this, props.credentials ?? Credentials.generated(), name);
    const { secretName } = credentials;
    const passwordKey = credentials.key('password');

    const configVolume = kplus.Volume.fromConfigMap(this, 'ConfigVolume', this.configMap, { name: 'config' });
    const scriptsVolume = kplus.Volume.fromConfigMap(this, 'ScriptsVolume', this.scriptsConfigMap, { name: 'scripts', defaultMode: 0o555 });
    const initdbVolume = kplus.Volume.fromConfigMap(this, 'InitdbVolume', this.scriptsConfigMap, {
      name: 'initdb',
      defaultMode: 0o555,
      items: { 'init-replication.sh': { path: '10-replication.sh' } },
    });
    const runVolume = kplus.Volume.fromEmptyDir(this, 'RunVolume', 'run', { sizeLimit: Size.mebibytes(16) });
    const tmpVolume = kplus.Volume.fromEmptyDir(this, 'TmpVolume', 'tmp', { sizeLimit: Size.gibibytes(1) });
    // The default 64 MiB /dev/shm is too small for parallel queries' dynamic shared memory.
    const shmVolume = kplus.Volume.fromEmptyDir(this, 'ShmVolume', 'shm', {
      medium: kplus.EmptyDirMedium.MEMORY,
      sizeLimit: Size.mebibytes(Math.max(64, Math.floor(memory / 8))),
    });

    const workloadName = name;
    // Standbys follow the `<name>` Service, which always points at the current primary: after a
    // failover they reconnect to the new one without being reconfigured.
    const primaryHost = ClusterDns.of(this, props.clusterDomain).service(workloadName);
    const pgpassFile = `${SOCKET_DIR}/.pgpass`;
    const commonEnv: { [key: string]: kplus.EnvValue } = {
      PGDATA: kplus.EnvValue.fromValue(pgdata),
      PGPASSFILE: kplus.EnvValue.fromValue(pgpassFile),
      REPLICATION_USER: kplus.EnvValue.fromValue(replicationUser),
      REPLICATION_PASSWORD: credentials.env('replication-password'),
    };

    // Ready: accepts connections over TCP, as clients connect. Alive: the postmaster answers on its socket.
    const isReady = ['pg_isready', '--quiet', '--host=127.0.0.1', `--port=${POSTGRES_PORT}`];
    const isAlive = ['pg_isready', '--quiet', `--host=${SOCKET_DIR}`, `--port=${POSTGRES_PORT}`];
    const server: kplus.ContainerProps = {
      name: 'postgres',
      image: props.image ?? `postgres:${version.fullVersion}`,
      // The image's entrypoint initializes an empty data directory (running /docker-entrypoint-initdb.d), then execs postgres.
      args: ['postgres', '-c', `config_file=${CONFIG_DIR}/postgresql.conf`],
      ports: [{ name: 'postgres', number: POSTGRES_PORT }],
      envVariables: {
        ...commonEnv,
        POSTGRES_USER: kplus.EnvValue.fromValue(SUPERUSER),
        POSTGRES_PASSWORD: credentials.env('password'),
        POSTGRES_DB: kplus.EnvValue.fromValue(database),
      },
      resources,
      readiness: kplus.Probe.fromCommand(isReady, {
        periodSeconds: Duration.seconds(10), timeoutSeconds: Duration.seconds(5), failureThreshold: 3,
      }),
      liveness: kplus.Probe.fromCommand(isAlive, {
        periodSeconds: Duration.seconds(10), timeoutSeconds: Duration.seconds(5), failureThreshold: 6,
      }),
      // Crash recovery or a standby's replay to consistency may take long: up to 10 minutes before liveness applies.
      startup: kplus.Probe.fromCommand(isReady, {
        periodSeconds: Duration.seconds(10), timeoutSeconds: Duration.seconds(5), failureThreshold: 60,
      }),
      lifecycle: { preStop: kplus.Handler.fromCommand(['/bin/sh', '-c', PRE_STOP_COMMAND]) },
      securityContext: { user: 999, group: 999 },
      volumeMounts: [
        { volume: configVolume, path: CONFIG_DIR, readOnly: true },
        { volume: initdbVolume, path: '/docker-entrypoint-initdb.d', readOnly: true },
        { volume: runVolume, path: SOCKET_DIR },
        { volume: tmpVolume, path: '/tmp' },
        { volume: shmVolume, path: '/dev/shm' },
      ],
    };

    const bootstrap: kplus.ContainerProps = {
      name: 'bootstrap',
      image: server.image,
      command: ['/scripts/bootstrap.sh'],
      envVariables: {
        ...commonEnv,
        POD_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME),
        PRIMARY_ORDINAL: kplus.EnvValue.fromValue(String(primary)),
        PRIMARY_HOST: kplus.EnvValue.fromValue(primaryHost),
        PRIMARY_PORT: kplus.EnvValue.fromValue(String(POSTGRES_PORT)),
      },
      resources,
      securityContext: { user: 999, group: 999 },
      volumeMounts: [
        { volume: scriptsVolume, path: '/scripts', readOnly: true },
        { volume: runVolume, path: SOCKET_DIR },
        { volume: tmpVolume, path: '/tmp' },
      ],
    };

    const containers = [server];
    const annotations: { [key: string]: string } = {};
    if (props.metrics) {
      containers.push({
        name: 'metrics',
        image: EXPORTER_IMAGE,
        ports: [{ name: 'metrics', number: EXPORTER_PORT }],
        envVariables: {
          DATA_SOURCE_URI: kplus.EnvValue.fromValue(`127.0.0.1:${POSTGRES_PORT}/postgres?sslmode=disable`),
          DATA_SOURCE_USER: kplus.EnvValue.fromValue(SUPERUSER),
          DATA_SOURCE_PASS: credentials.env('password'),
        },
        resources: {
          cpu: { request: kplus.Cpu.millis(50) },
          memory: { request: Size.mebibytes(64), limit: Size.mebibytes(128) },
        },
        readiness: kplus.Probe.fromHttpGet('/', { port: EXPORTER_PORT }),
        liveness: kplus.Probe.fromTcpSocket({ port: EXPORTER_PORT }),
        securityContext: { user: 999, group: 999 },
      });
      annotations['prometheus.io/scrape'] = 'true';
      annotations['prometheus.io/port'] = String(EXPORTER_PORT);
      annotations['prometheus.io/path'] = '/metrics';
    }
    // Pods restart when their config or scripts change (a ConfigMap change alone restarts nothing).
    Object.assign(annotations, configChecksum(this.configMap.data, this.scriptsConfigMap.data));

    this.workload = new StatefulWorkload(this, 'Workload', {
      name: workloadName,
      appName: 'postgres',
      version: version.fullVersion,
      replicas,
      containers,
      initContainers: [bootstrap],
      volumeClaims: [{
        name: 'data',
        size: storageSize,
        storageClass: props.storage?.storageClass,
        accessModes,
        mountPath,
        // The metrics sidecar talks SQL; it has no business with the data files.
        mountInto: ['postgres', 'bootstrap'],
      }],
      identity: { user: 999, group: 999, fsGroup: 999 },
      // Standbys wait for the primary in their init container, so all pods may start at once
      // (with OrderedReady, a primary other than pod 0 would never be started).
      podManagementPolicy: PodManagementPolicy.PARALLEL,
      terminationGracePeriod: Duration.seconds(120),
      placement: props.placement,
      allowFrom: props.allowFrom,
      podAnnotations: { ...annotations, ...props.podAnnotations },
      clusterDomain: props.clusterDomain,
      clientService: false,
    });

    const ports: kplus.ServicePort[] = [{ name: 'postgres', port: POSTGRES_PORT, targetPort: POSTGRES_PORT }];
    this.service = this.workload.addClientService('Service', {
      name: workloadName,
      ports,
      podName: `${workloadName}-${primary}`,
    });
    this.readOnlyService = this.workload.addClientService('ReadOnlyService', { name: `${workloadName}-ro`, ports });
    this.statefulSet = this.workload.statefulSet;
    this.headlessService = this.workload.headlessService;
    this.podDisruptionBudget = this.workload.podDisruptionBudget;
    for (const cm of [this.configMap, this.scriptsConfigMap]) {
      for (const [key, value] of Object.entries(this.workload.labels)) { cm.metadata.addLabel(key, value); }
    }

    this.generatedSecret = credentials.generate(['password', 'replication-password'], this.workload.labels);

    this.connection = {
      host: this.workload.serviceDnsName(workloadName),
      readOnlyHost: this.workload.serviceDnsName(`${workloadName}-ro`),
      port: POSTGRES_PORT,
      database,
      username: SUPERUSER,
      secretName,
      passwordKey,
    };
  }

  private validateVersion(version: PostgresVersion): number {
    const { fullVersion: full, majorVersion: majorText } = version;
    if (!/^[0-9]+$/.test(majorText) || Number(majorText) < 13) {
      invalid(this, 'version', 'must have a major version of 13 or later, as a number (PostgresVersion.of(\'17.7\', \'17\'))', majorText);
    }
    if (!new RegExp(`^${majorText}\\.[0-9]+$`).test(full)) {
      invalid(this, 'version', `must have a full version '<major>.<minor>' that starts with its major version ${majorText} (PostgresVersion.of('${majorText}.1', '${majorText}'))`, full);
    }
    return Number(majorText);
  }

  private validateConfig(config: { [key: string]: string }, replicas: number): { [key: string]: string } {
    for (const [key, value] of Object.entries(config)) {
      if (!CONFIG_KEY.test(key)) {
        invalid(this, `config.${key}`, 'must be a postgresql.conf setting name (letters, digits, _ and .)');
      }
      if (MANAGED_SETTINGS.includes(key)) {
        invalid(this, `config.${key}`, `is managed by the construct (the probes, scripts and mounts rely on it); managed: ${MANAGED_SETTINGS.join(', ')}`);
      }
      if (typeof value !== 'string' || value.includes('\n')) {
        invalid(this, `config.${key}`, 'must be a single-line string', value);
      }
      if (replicas > 1 && key === 'wal_level' && value === 'minimal') {
        invalid(this, 'config.wal_level', 'must be replica or logical when replicas > 1: standbys stream the WAL', value);
      }
      if (replicas > 1 && key === 'hot_standby' && /^(off|false|0|no)$/i.test(value)) {
        invalid(this, 'config.hot_standby', 'must stay on when replicas > 1: a standby that accepts no connection never becomes Ready', value);
      }
    }
    return config;
  }
}
