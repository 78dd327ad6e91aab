import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import {
  CONFIG_DIR, minimumMemoryMiB, POSTGRES_PORT, renderPgHba, renderPostgresqlConf, SOCKET_DIR, tunedSettings, validateConfig,
} from './config';
import { PostgresVersion } from './postgres-version';
import { BOOTSTRAP_SCRIPT, INIT_REPLICATION_SCRIPT, PRE_STOP_COMMAND } from './scripts';
import { invalid, requireInteger } from '../../private/errors';
import { mebibytesOf } from '../../private/quantity';
import { PodManagementPolicy } from '../../workload/stateful-workload';
import { Credentials } from '../credentials';
import { EngineProps } from '../engine';
import { EngineBase, EngineDefinition } from '../engine-base';
import { ConnectionCredentials, EngineConnection, ReadOnlyEndpoint } from '../engine-connection';

const DEFINITION: EngineDefinition = {
  engine: { name: 'postgres', displayName: 'PostgreSQL', image: 'postgres', imageUser: 999, clientPorts: [POSTGRES_PORT], credentialKeys: ['password', 'replication-password'] },
  versions: { defaultVersion: PostgresVersion.V17, oldest: '13', newest: '18', majorParts: 1, fullParts: 2 },
  defaults: { cpu: kplus.Cpu.millis(500), memory: Size.gibibytes(1), storage: Size.gibibytes(10), terminationGracePeriod: Duration.seconds(120) },
};

/** Image of the optional metrics sidecar. */
const EXPORTER_IMAGE = 'quay.io/prometheuscommunity/postgres-exporter:v0.17.1';
const EXPORTER_PORT = 9187;
const SUPERUSER = 'postgres';
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

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

/** How an app connects to a {@link Postgres}: the shared core plus the database. */
export interface PostgresConnection extends EngineConnection, ReadOnlyEndpoint, ConnectionCredentials {
  /** Database created on first boot. */
  readonly database: string;
}

/**
 * PostgreSQL on Kubernetes without an operator: one primary and `replicas - 1` streaming hot
 * standbys in a StatefulSet, each with its own volume. Standbys clone the primary with
 * `pg_basebackup` on first start; failover is manual (promote a standby, then set `primary`).
 *
 * Services: `<name>` (read-write, the primary only), `<name>-ro` (reads, every pod) and
 * `<name>-headless` (pod DNS). Defaults: 500m CPU, 1 GiB memory, 10 GiB per pod, a 120 s grace period.
 */
export class Postgres extends EngineBase {
  /** The read-only Service `<name>-ro`: every pod, primary included. */
  public readonly readOnlyService: kplus.Service;
  /** How apps connect. */
  public readonly connection: PostgresConnection;
  /** Ordinal of the primary pod. */
  public readonly primary: number;

  constructor(scope: Construct, id: string, props: PostgresProps = {}) {
    super(scope, id, props, DEFINITION);
    this._checkProps(props, { replicas: 'integer', primary: 'integer', database: 'string', replicationUser: 'string', maxConnections: 'integer', metrics: 'boolean' });
    const name = this.name;
    const major = Number(this.version.majorVersion);
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

    const resources = this._resources;
    const memory = this._memoryMiB;
    const minimum = minimumMemoryMiB(maxConnections);
    if (memory < minimum) {
      invalid(this, 'resources.memory', `must be at least ${minimum} MiB for max_connections=${maxConnections} (shared_buffers 25%, a 128 MiB base and about 1 MiB per connection)`, `${memory} MiB`);
    }
    const overrides = validateConfig(this, props.config ?? {}, { replicas });
    const settings = tunedSettings({ memoryMiB: memory, storageMiB: mebibytesOf(this._storage.size), maxConnections, replicas });

    // Data in a subdirectory of the volume (its root holds lost+found). 18+ images moved PGDATA
    // to /var/lib/postgresql/<major>/docker, with the volume at /var/lib/postgresql.
    const newLayout = major >= 18;
    const mountPath = newLayout ? '/var/lib/postgresql' : '/var/lib/postgresql/data';
    const pgdata = newLayout ? `/var/lib/postgresql/${major}/docker` : '/var/lib/postgresql/data/pgdata';

    const configMap = this._addConfigMap('Config', '-config', {
      'postgresql.conf': renderPostgresqlConf(settings, overrides),
      'pg_hba.conf': renderPgHba(replicationUser),
    });
    const scriptsConfigMap = this._addConfigMap('Scripts', '-scripts', {
      'bootstrap.sh': BOOTSTRAP_SCRIPT,
      'init-replication.sh': INIT_REPLICATION_SCRIPT,
    });
    const credentials = this._credentials!;

    const configVolume = kplus.Volume.fromConfigMap(this, 'ConfigVolume', configMap, { name: 'config' });
    const scriptsVolume = kplus.Volume.fromConfigMap(this, 'ScriptsVolume', scriptsConfigMap, { name: 'scripts', defaultMode: 0o555 });
    const initdbVolume = kplus.Volume.fromConfigMap(this, 'InitdbVolume', scriptsConfigMap, {
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

    // Standbys follow the `<name>` Service, which always points at the current primary: after a
    // failover they reconnect to the new one without being reconfigured.
    const primaryHost = this._dns.service(name);
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
      image: this.image,
      // The image's entrypoint initializes an empty data directory (running /docker-entrypoint-initdb.d), then execs postgres.
      args: ['postgres', '-c', `config_file=${CONFIG_DIR}/postgresql.conf`],
      ports: [{ name: 'postgres', number: POSTGRES_PORT }],
      envVariables: {
        ...commonEnv,
        POSTGRES_USER: kplus.EnvValue.fromValue(SUPERUSER),
        POSTGRES_PASSWORD: credentials.env('password'),
        POSTGRES_DB: kplus.EnvValue.fromValue(database),
        // The preStop's fast shutdown ends before the kubelet's SIGKILL.
        STOP_TIMEOUT_SECONDS: kplus.EnvValue.fromValue(String(this._terminationGracePeriod.toSeconds() - 20)),
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
      securityContext: { user: DEFINITION.engine.imageUser, group: DEFINITION.engine.imageUser },
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
      image: this.image,
      command: ['/scripts/bootstrap.sh'],
      envVariables: {
        ...commonEnv,
        POD_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME),
        PRIMARY_ORDINAL: kplus.EnvValue.fromValue(String(primary)),
        PRIMARY_HOST: kplus.EnvValue.fromValue(primaryHost),
        PRIMARY_PORT: kplus.EnvValue.fromValue(String(POSTGRES_PORT)),
      },
      resources,
      securityContext: { user: DEFINITION.engine.imageUser, group: DEFINITION.engine.imageUser },
      volumeMounts: [
        { volume: scriptsVolume, path: '/scripts', readOnly: true },
        { volume: runVolume, path: SOCKET_DIR },
        { volume: tmpVolume, path: '/tmp' },
      ],
    };

    const containers = [server];
    if (props.metrics) {
      containers.push(this._metricsExporter({
        image: EXPORTER_IMAGE,
        port: EXPORTER_PORT,
        env: {
          DATA_SOURCE_URI: kplus.EnvValue.fromValue(`127.0.0.1:${POSTGRES_PORT}/postgres?sslmode=disable`),
          DATA_SOURCE_USER: kplus.EnvValue.fromValue(SUPERUSER),
          DATA_SOURCE_PASS: credentials.env('password'),
        },
        resources: { cpu: { request: kplus.Cpu.millis(50) }, memory: { request: Size.mebibytes(64), limit: Size.mebibytes(128) } },
      }));
    }

    this._addMembers('Workload', {
      replicas,
      containers,
      initContainers: [bootstrap],
      dataPath: mountPath,
      // The metrics sidecar talks SQL; it has no business with the data files.
      dataMountInto: ['postgres', 'bootstrap'],
      // Standbys wait for the primary in their init container, so all pods may start at once
      // (with OrderedReady, a primary other than pod 0 would never be started).
      podManagementPolicy: PodManagementPolicy.PARALLEL,
      // Pods restart when their config or scripts change (a ConfigMap change alone restarts nothing).
      checksum: [configMap.data, scriptsConfigMap.data],
    });

    const ports: kplus.ServicePort[] = [{ name: 'postgres', port: POSTGRES_PORT, targetPort: POSTGRES_PORT }];
    this._addService('Service', { name, ports, podName: `${name}-${primary}` });
    this.readOnlyService = this._addService('ReadOnlyService', { name: `${name}-ro`, ports });
    this._generateCredentials();

    const host = this._dns.service(name);
    const connection: PostgresConnection = {
      host,
      readOnlyHost: this._dns.service(`${name}-ro`),
      port: POSTGRES_PORT,
      database,
      username: SUPERUSER,
      secretName: credentials.secretName,
      passwordKey: credentials.key('password'),
      passwordVariable: 'POSTGRES_PASSWORD',
      uri: postgresUri(host, database, '$(POSTGRES_PASSWORD)'),
    };
    this.connection = this._connect(connection, { DATABASE: database }, (password) => postgresUri(host, database, password));
  }
}

function postgresUri(host: string, database: string, password: string): string {
  return `postgresql://${SUPERUSER}:${password}@${host}:${POSTGRES_PORT}/${database}`;
}
