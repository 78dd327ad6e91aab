import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { MIN_MEMORY_MIB, MOUNT_PATH, renderMyCnf, RUN_DIR, validateConfig } from './config';
import { MySqlVersion } from './mysql-version';
import { BOOTSTRAP, dumpScript, INIT_SOURCE, READINESS, renderScripts, SERVER } from './scripts';
import { requireWholeSeconds } from '../../private/durations';
import { invalid, requireInteger } from '../../private/errors';
import { instanceOf } from '../../private/prop-types';
import { PodManagementPolicy } from '../../workload/stateful-workload';
import { Credentials } from '../credentials';
import { EngineProps } from '../engine';
import { EngineBase, EngineDefinition } from '../engine-base';
import { ConnectionCredentials, EngineConnection, ReadOnlyEndpoint } from '../engine-connection';
import { LogicalBackupOptions, LogicalBackupParts } from '../logical-backup';
import { addLogicalBackup } from '../logical-backup-job';
import { TLS_CA_FILE } from '../tls-kit';

const PORT = 3306;
const METRICS_PORT = 9104;
const EXPORTER_IMAGE = 'prom/mysqld-exporter:v0.16.0';
/** The exporter's option file with tls: the CA only (it then verifies the server's name, localhost). */
const EXPORTER_CNF = 'exporter.cnf';

const DEFINITION: EngineDefinition = {
  engine: { name: 'mysql', displayName: 'MySQL', image: 'mysql', imageUser: 999, clientPorts: [PORT], credentialKeys: ['password', 'replication-password'] },
  // CHANGE REPLICATION SOURCE syntax and the CLONE plugin as the scripts use them.
  versions: { defaultVersion: MySqlVersion.V8_4, oldest: '8.0.23', newest: '9', majorParts: 2, fullParts: 3 },
  defaults: { cpu: kplus.Cpu.millis(500), memory: Size.gibibytes(1), storage: Size.gibibytes(20), terminationGracePeriod: Duration.seconds(120) },
};

/** Properties of a {@link MySql} instance. */
export interface MySqlProps extends EngineProps {
  /**
   * MySQL version; the official `mysql` image of that version runs unless `image` is set.
   * @default MySqlVersion.V8_4
   */
  readonly version?: MySqlVersion;

  /**
   * Number of servers: 1 is a single server; n > 1 is one source and n-1 read-only replicas
   * (GTID replication, each replica cloned from the source when its volume is empty).
   * @default 1
   */
  readonly replicas?: number;

  /**
   * Ordinal of the pod that is the source (the only writable server). Change it only as the last
   * step of a failover (see docs/engines/mysql.md): it does not move data by itself.
   * @default 0
   */
  readonly primary?: number;

  /**
   * Where the passwords come from. The Secret holds `password` (the `root` account) and
   * `replication-password` (the `replication` account replicas use); after the first boot they
   * are changed with ALTER USER, not by editing the Secret alone.
   * @default Credentials.generated()
   */
  readonly credentials?: Credentials;

  /**
   * Most client connections at once (`max_connections`).
   * @see https://dev.mysql.com/doc/refman/8.4/en/server-system-variables.html#sysvar_max_connections
   * @default 151
   */
  readonly maxConnections?: number;

  /**
   * How long binary logs are kept (`binlog_expire_logs_seconds`): a replica that is down longer
   * than this must be re-cloned. At least one hour.
   * @see https://dev.mysql.com/doc/refman/8.4/en/replication-options-binary-log.html#sysvar_binlog_expire_logs_seconds
   * @default Duration.days(7)
   */
  readonly binlogRetention?: Duration;

  /**
   * Extra `[mysqld]` settings of my.cnf; they win over the rendered ones. Keys the library
   * manages (datadir, server_id, gtid_mode, log_bin, read_only...) are refused.
   * @see https://dev.mysql.com/doc/refman/8.4/en/server-system-variables.html
   * @default - none
   */
  readonly config?: { [key: string]: string };

  /**
   * Run prom/mysqld-exporter next to each server on port 9104, with Prometheus scrape annotations.
   * It logs in as root with the password from the Secret.
   * @default false
   */
  readonly metrics?: boolean;

  /**
   * A scheduled logical backup: `mysqldump --single-transaction` of every database (routines,
   * events, triggers, the GTID set) from a ready replica when there is one, else from the source,
   * gzipped with a sha256 checksum into a claim; the newest `keep` are kept. `{}` turns it on with
   * the defaults. The restore runbook is in docs/engines/mysql.md.
   * @default - no logical backup
   */
  readonly logicalBackup?: LogicalBackupOptions;
}

/** How an application reaches a {@link MySql} instance: the shared core (the read-only host reaches every ready server and may lag). */
export interface MySqlConnection extends EngineConnection, ReadOnlyEndpoint, ConnectionCredentials {}

/**
 * MySQL: one source and optional read-only replicas with GTID replication, on the official image.
 *
 * Defaults: MySQL 8.4 LTS, one server, a 20 GiB volume per pod, 500m CPU and 1 GiB memory (at
 * least 512 MiB; the buffer pool and redo log are sized from it), a 120 s grace period.
 *
 * A replica whose volume is empty clones the source with the CLONE plugin, then replicates from
 * it with GTID auto-positioning. Failover is manual (docs/engines/mysql.md has the runbook).
 */
export class MySql extends EngineBase {
  /** The Service `<name>-ro` in front of every ready server. */
  public readonly readOnlyService: kplus.Service;
  /** How applications connect. */
  public readonly connection: MySqlConnection;
  /**
   * The dump CronJob and where its dumps go.
   * @default - none: `logicalBackup` is not set
   */
  public readonly logicalBackupJob?: LogicalBackupParts;

  constructor(scope: Construct, id: string, props: MySqlProps = {}) {
    super(scope, id, props, DEFINITION);
    this._checkProps(props, { replicas: 'integer', primary: 'integer', maxConnections: 'integer', binlogRetention: instanceOf(Duration, 'Duration.days(7)'), metrics: 'boolean', logicalBackup: 'object' });
    const name = this.name;
    const version = this.version;
    const replicas = requireInteger(this, 'replicas', props.replicas ?? 1, 1);
    const primary = requireInteger(this, 'primary', props.primary ?? 0, 0);
    if (primary >= replicas) {
      invalid(this, 'primary', `must be the ordinal of one of the ${replicas} pod(s): 0 to ${replicas - 1}`, primary);
    }
    const maxConnections = props.maxConnections ?? 151;
    if (!Number.isInteger(maxConnections) || maxConnections < 1 || maxConnections > 100000) {
      invalid(this, 'maxConnections', 'must be an integer from 1 to 100000', maxConnections);
    }
    const binlogSeconds = requireWholeSeconds(this, 'binlogRetention', props.binlogRetention ?? Duration.days(7), 3600, 4294967295,
      'binlog_expire_logs_seconds (0 would keep binary logs forever and fill the volume)');
    const tls = this._tls;
    const overrides = validateConfig(this, props.config ?? {}, { replicas, tls: tls !== undefined });

    const resources = this._resources;
    const memory = this._memoryMiB;
    if (memory < MIN_MEMORY_MIB) {
      invalid(this, 'resources.memory', `must be at least ${MIN_MEMORY_MIB} MiB: the server's fixed overhead plus a 256 MiB buffer pool`, `${memory} MiB`);
    }
    const credentials = this._credentials!;

    const myCnf = renderMyCnf({
      fullVersion: version.fullVersion,
      memoryMiB: memory,
      maxConnections,
      binlogExpireSeconds: binlogSeconds,
      overrides,
      tls: tls && { allowPlaintext: tls.allowPlaintext },
    });
    const podDomain = this._dns.podDomain(name);
    const sourceHost = this._dns.pod(name, primary);
    const scripts = renderScripts({ fullVersion: version.fullVersion, primary, sourceHost, port: PORT, podDomain, tls: tls !== undefined });

    const configMap = this._addConfigMap('Config', '-config', {
      'my.cnf': myCnf,
      ...tls && props.metrics ? { [EXPORTER_CNF]: `[client]\nssl-ca = ${TLS_CA_FILE}\n` } : {},
    });
    const scriptsConfigMap = this._addConfigMap('Scripts', '-scripts', scripts);

    const configVolume = kplus.Volume.fromConfigMap(this, 'config-volume', configMap, { name: 'config' });
    const scriptsVolume = kplus.Volume.fromConfigMap(this, 'scripts-volume', scriptsConfigMap, { name: 'scripts', defaultMode: 0o555 });
    const initdbVolume = kplus.Volume.fromConfigMap(this, 'initdb-volume', scriptsConfigMap, {
      name: 'initdb',
      defaultMode: 0o555,
      items: { [INIT_SOURCE]: { path: INIT_SOURCE } },
    });
    const confVolume = kplus.Volume.fromEmptyDir(this, 'conf-volume', 'conf', { sizeLimit: Size.mebibytes(1) });
    const runVolume = kplus.Volume.fromEmptyDir(this, 'run-volume', 'run', { sizeLimit: Size.mebibytes(16) });
    const tmpVolume = kplus.Volume.fromEmptyDir(this, 'tmp-volume', 'tmp', { sizeLimit: Size.gibibytes(1) });

    const image = this.image;
    const env = {
      MYSQL_ROOT_PASSWORD: credentials.env('password'),
      MYSQL_REPLICATION_PASSWORD: credentials.env('replication-password'),
    };
    const commonMounts: kplus.VolumeMount[] = [
      { volume: confVolume, path: '/etc/mysql/conf.d' },
      { volume: runVolume, path: RUN_DIR },
      { volume: tmpVolume, path: '/tmp' },
      { volume: scriptsVolume, path: '/scripts', readOnly: true },
    ];
    const ping = ['mysqladmin', 'ping', '--connect-timeout=5'];

    const server: kplus.ContainerProps = {
      name: 'mysql',
      image,
      // With tls, a wrapper that also reloads a renewed certificate (ALTER INSTANCE RELOAD TLS).
      command: tls ? ['/bin/bash', `/scripts/${SERVER}`] : ['docker-entrypoint.sh'],
      args: tls ? [] : ['mysqld'],
      ports: [{ name: 'mysql', number: PORT }],
      envVariables: env,
      resources,
      volumeMounts: [...commonMounts, { volume: initdbVolume, path: '/docker-entrypoint-initdb.d', readOnly: true }],
      // mysqladmin ping exits 0 whenever the server answers (even "access denied"): a pure liveness signal.
      liveness: kplus.Probe.fromCommand(ping, { periodSeconds: Duration.seconds(10), timeoutSeconds: Duration.seconds(5), failureThreshold: 6 }),
      readiness: kplus.Probe.fromCommand(['/bin/bash', `/scripts/${READINESS}`], { periodSeconds: Duration.seconds(10), timeoutSeconds: Duration.seconds(5), failureThreshold: 3 }),
      // Up to an hour for first initialisation or InnoDB crash recovery before liveness may restart the pod.
      startup: kplus.Probe.fromCommand(ping, { periodSeconds: Duration.seconds(10), timeoutSeconds: Duration.seconds(5), failureThreshold: 360 }),
    };
    const bootstrap: kplus.ContainerProps = {
      name: 'bootstrap',
      image,
      command: ['/bin/bash', `/scripts/${BOOTSTRAP}`],
      envVariables: env,
      resources,
      volumeMounts: [...commonMounts, { volume: configVolume, path: '/config', readOnly: true }],
    };
    const containers = [server];
    if (props.metrics) {
      const exporter = this._metricsExporter({
        image: EXPORTER_IMAGE,
        port: METRICS_PORT,
        // With tls over TCP it must be TLS: by the name the certificate has for loopback.
        args: tls
          ? [`--mysqld.address=localhost:${PORT}`, '--mysqld.username=root', `--config.my-cnf=/config/${EXPORTER_CNF}`, `--web.listen-address=:${METRICS_PORT}`]
          : [`--mysqld.address=127.0.0.1:${PORT}`, '--mysqld.username=root', `--web.listen-address=:${METRICS_PORT}`],
        env: { MYSQLD_EXPORTER_PASSWORD: credentials.env('password') },
        resources: {
          cpu: { request: kplus.Cpu.millis(20), limit: kplus.Cpu.millis(200) },
          memory: { request: Size.mebibytes(64), limit: Size.mebibytes(64) },
        },
      });
      containers.push(tls ? { ...exporter, volumeMounts: [{ volume: configVolume, path: '/config', readOnly: true }] } : exporter);
    }

    this._addMembers('Workload', {
      replicas,
      containers,
      initContainers: [bootstrap],
      dataPath: MOUNT_PATH,
      // The metrics sidecar talks SQL; it has no business with the data files.
      dataMountInto: ['mysql', 'bootstrap'],
      // Replicas wait for the source themselves, so every pod may start at once (any `primary`).
      podManagementPolicy: PodManagementPolicy.PARALLEL,
      checksum: [myCnf, scripts],
      // The bootstrap clones and points replication over TLS; the exporter connects over TLS.
      tlsMountInto: tls ? ['mysql', 'bootstrap', ...props.metrics ? ['metrics'] : []] : undefined,
    });
    const servicePorts: kplus.ServicePort[] = [{ name: 'mysql', port: PORT, targetPort: PORT }];
    this._addService('Service', { name, ports: servicePorts, podName: `${name}-${primary}` });
    this.readOnlyService = this._addService('ReadOnlyService', { name: `${name}-ro`, ports: servicePorts });
    this._generateCredentials();

    const host = this._dns.service(name);
    // Replicas by their pod names, not through `<name>-ro`, which also routes to the source.
    const replicaHosts = Array.from({ length: replicas }, (_, i) => replicas - 1 - i).filter((i) => i !== primary).map((i) => this._dns.pod(name, i));
    this.logicalBackupJob = addLogicalBackup(this, {
      options: props.logicalBackup,
      script: dumpScript(PORT, tls !== undefined),
      env: {
        MYSQL_ROOT_PASSWORD: credentials.env('password'),
        DUMP_REPLICAS: kplus.EnvValue.fromValue(replicaHosts.join(' ')),
        DUMP_FALLBACK: kplus.EnvValue.fromValue(host),
      },
      user: DEFINITION.engine.imageUser,
      defaultClaimSize: this._storage.size,
      tlsSecretName: tls?.secretName,
    });
    // MySQL's own URI-like connection strings (MySQL Shell, the X DevAPI connectors) read
    // ssl-mode and ssl-ca; the CA path percent-encoded, as they accept it. Verified even with
    // allowPlaintext: that relaxes what the server accepts, not what this URI asks for.
    const connectionTls = this._connectionTls();
    const query = connectionTls ? `?ssl-mode=VERIFY_IDENTITY&ssl-ca=${encodeURIComponent(connectionTls.caFile)}` : '';
    const uri = (password: string) => `mysql://root:${password}@${host}:${PORT}/${query}`;
    this.connection = this._connect<MySqlConnection>({
      host,
      readOnlyHost: this._dns.service(`${name}-ro`),
      port: PORT,
      username: 'root',
      secretName: credentials.secretName,
      passwordKey: credentials.key('password'),
      passwordVariable: 'MYSQL_PASSWORD',
      uri: uri('$(MYSQL_PASSWORD)'),
    }, {}, uri);
  }
}
