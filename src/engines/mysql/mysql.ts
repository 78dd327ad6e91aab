import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { MANAGED_KEYS, MIN_MEMORY_MIB, MOUNT_PATH, normalizeKey, parseVersion, renderMyCnf, RUN_DIR, atLeast } from './config';
import { MySqlVersion } from './mysql-version';
import { BOOTSTRAP, INIT_SOURCE, READINESS, renderScripts } from './scripts';
import { ClusterDns } from '../../private/dns';
import { configChecksum, engineResources, EngineSecret, memoryMiB } from '../../private/engine-kit';
import { invalid, requireInteger } from '../../private/errors';
import { requireDnsLabel } from '../../private/names';
import { StatefulWorkload, PodManagementPolicy } from '../../workload/stateful-workload';
import { Credentials } from '../credentials';
import { EngineProps } from '../engine';
import { GeneratedSecret } from '../generated-secret';

const PORT = 3306;
const METRICS_PORT = 9104;
const EXPORTER_IMAGE = 'prom/mysqld-exporter:v0.16.0';
const MIN_VERSION = '8.0.23';

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
}

/** How an application reaches a {@link MySql} instance: plain values, usable with any cdk8s-plus version. */
export interface MySqlConnection {
  /** DNS name of the Service in front of the source (reads and writes). */
  readonly host: string;
  /** DNS name of the Service in front of every ready server (reads; may lag behind the source). */
  readonly readOnlyHost: string;
  /** Port of both Services. */
  readonly port: number;
  /** User name. */
  readonly username: string;
  /** Name of the Secret that holds the password. */
  readonly secretName: string;
  /** Key of the password in the Secret. */
  readonly passwordKey: string;
}

/**
 * MySQL: one source and optional read-only replicas with GTID replication, on the official image.
 *
 * Defaults: MySQL 8.4 LTS, one server, a 20 GiB volume per pod, 500m CPU and 1 GiB memory (at
 * least 512 MiB; the buffer pool and redo log are sized from it).
 *
 * A replica whose volume is empty clones the source with the CLONE plugin, then replicates from
 * it with GTID auto-positioning. Failover is manual (docs/engines/mysql.md has the runbook).
 */
export class MySql extends Construct {
  /** The StatefulWorkload the servers run in. */
  public readonly workload: StatefulWorkload;
  /** The StatefulSet. */
  public readonly statefulSet: k8s.KubeStatefulSet;
  /** The Service `<name>` in front of the source. */
  public readonly service: kplus.Service;
  /** The Service `<name>-ro` in front of every ready server. */
  public readonly readOnlyService: kplus.Service;
  /** The headless Service that gives every pod its DNS name. */
  public readonly headlessService: kplus.Service;
  /** The PodDisruptionBudget, when replicas > 1. */
  public readonly podDisruptionBudget?: k8s.KubePodDisruptionBudget;
  /** The ConfigMap `<name>-config` with my.cnf. */
  public readonly configMap: kplus.ConfigMap;
  /** The ConfigMap `<name>-scripts` with the bootstrap, probe and failover scripts. */
  public readonly scriptsConfigMap: kplus.ConfigMap;
  /** The Secret generator, when the credentials are generated. */
  public readonly generatedSecret?: GeneratedSecret;
  /** How applications connect. */
  public readonly connection: MySqlConnection;
  /** The version that runs. */
  public readonly version: MySqlVersion;

  constructor(scope: Construct, id: string, props: MySqlProps = {}) {
    super(scope, id);
    const version = this.version = props.version ?? MySqlVersion.V8_4;
    if (!parseVersion(version.fullVersion) || !atLeast(version.fullVersion, MIN_VERSION)) {
      invalid(this, 'version', `must be MySQL ${MIN_VERSION} or newer in the form major.minor.patch (CHANGE REPLICATION SOURCE syntax and the CLONE plugin)`, version.fullVersion);
    }
    const replicas = requireInteger(this, 'replicas', props.replicas ?? 1, 1);
    const primary = props.primary ?? 0;
    if (!Number.isInteger(primary) || primary < 0 || primary >= replicas) {
      invalid(this, 'primary', `must be the ordinal of one of the pods: an integer from 0 to ${replicas - 1}`, primary);
    }
    const maxConnections = props.maxConnections ?? 151;
    if (!Number.isInteger(maxConnections) || maxConnections < 1 || maxConnections > 100000) {
      invalid(this, 'maxConnections', 'must be an integer from 1 to 100000', maxConnections);
    }
    const binlogSeconds = (props.binlogRetention ?? Duration.days(7)).toSeconds();
    if (!Number.isInteger(binlogSeconds) || binlogSeconds < 3600 || binlogSeconds > 4294967295) {
      invalid(this, 'binlogRetention', 'must be whole seconds from 1 hour to 4294967295 s (0 would keep binary logs forever and fill the volume)', `${binlogSeconds} s`);
    }
    const overrides = this.validateConfig(props.config ?? {});

    const resources = engineResources(this, props.resources, { cpu: kplus.Cpu.millis(500), memory: Size.gibibytes(1) });
    const memory = memoryMiB(resources);
    if (memory < MIN_MEMORY_MIB) {
      invalid(this, 'resources.memory', `must be at least ${MIN_MEMORY_MIB} MiB: the server's fixed overhead plus a 256 MiB buffer pool`, `${memory} MiB`);
    }

    // The StatefulWorkload checks it too; checked here first because the ConfigMaps are named after it.
    const name = requireDnsLabel(this, 'name', props.name ?? id, 52);
    const credentials = new EngineSecret(this, props.credentials ?? Credentials.generated(), name);
    const { secretName } = credentials;
    const passwordKey = credentials.key('password');

    const myCnf = renderMyCnf({ fullVersion: version.fullVersion, memoryMiB: memory, maxConnections, binlogExpireSeconds: binlogSeconds, overrides });
    const dns = ClusterDns.of(this, props.clusterDomain);
    const podDomain = dns.podDomain(name);
    const sourceHost = dns.pod(name, primary);
    const scripts = renderScripts({ fullVersion: version.fullVersion, primary, sourceHost, port: PORT, podDomain });

    this.configMap = new kplus.ConfigMap(this, 'Config', {
      metadata: { name: `${name}-config` },
      data: { 'my.cnf': myCnf },
    });
    this.scriptsConfigMap = new kplus.ConfigMap(this, 'Scripts', {
      metadata: { name: `${name}-scripts` },
      data: scripts,
    });

    const configVolume = kplus.Volume.fromConfigMap(this, 'config-volume', this.configMap, { name: 'config' });
    const scriptsVolume = kplus.Volume.fromConfigMap(this, 'scripts-volume', this.scriptsConfigMap, { name: 'scripts', defaultMode: 0o555 });
    const initdbVolume = kplus.Volume.fromConfigMap(this, 'initdb-volume', this.scriptsConfigMap, {
      name: 'initdb',
      defaultMode: 0o555,
      items: { [INIT_SOURCE]: { path: INIT_SOURCE } },
    });
    const confVolume = kplus.Volume.fromEmptyDir(this, 'conf-volume', 'conf', { sizeLimit: Size.mebibytes(1) });
    const runVolume = kplus.Volume.fromEmptyDir(this, 'run-volume', 'run', { sizeLimit: Size.mebibytes(16) });
    const tmpVolume = kplus.Volume.fromEmptyDir(this, 'tmp-volume', 'tmp', { sizeLimit: Size.gibibytes(1) });

    const image = props.image ?? `mysql:${version.fullVersion}`;
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
      command: ['docker-entrypoint.sh'],
      args: ['mysqld'],
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
      containers.push({
        name: 'metrics',
        image: EXPORTER_IMAGE,
        args: [`--mysqld.address=127.0.0.1:${PORT}`, '--mysqld.username=root', `--web.listen-address=:${METRICS_PORT}`],
        ports: [{ name: 'metrics', number: METRICS_PORT }],
        envVariables: { MYSQLD_EXPORTER_PASSWORD: credentials.env('password') },
        resources: {
          cpu: { request: kplus.Cpu.millis(20), limit: kplus.Cpu.millis(200) },
          memory: { request: Size.mebibytes(64), limit: Size.mebibytes(64) },
        },
        readiness: kplus.Probe.fromHttpGet('/', { port: METRICS_PORT }),
        liveness: kplus.Probe.fromTcpSocket({ port: METRICS_PORT }),
      });
    }

    const checksum = configChecksum(myCnf, scripts);
    this.workload = new StatefulWorkload(this, 'Workload', {
      name,
      appName: 'mysql',
      version: version.fullVersion,
      replicas,
      containers,
      initContainers: [bootstrap],
      volumeClaims: [{
        name: 'data',
        size: props.storage?.size ?? Size.gibibytes(20),
        storageClass: props.storage?.storageClass,
        accessModes: props.storage?.accessModes,
        mountPath: MOUNT_PATH,
        // The metrics sidecar talks SQL; it has no business with the data files.
        mountInto: ['mysql', 'bootstrap'],
      }],
      identity: { user: 999, group: 999, fsGroup: 999 },
      // Replicas wait for the source themselves, so every pod may start at once (any `primary`).
      podManagementPolicy: PodManagementPolicy.PARALLEL,
      terminationGracePeriod: Duration.seconds(120),
      podAnnotations: {
        ...props.podAnnotations,
        ...checksum,
        ...(props.metrics ? {
          'prometheus.io/scrape': 'true',
          'prometheus.io/port': String(METRICS_PORT),
          'prometheus.io/path': '/metrics',
        } : {}),
      },
      placement: props.placement,
      allowFrom: props.allowFrom,
      clusterDomain: props.clusterDomain,
      clientService: false,
    });
    const servicePorts: kplus.ServicePort[] = [{ name: 'mysql', port: PORT, targetPort: PORT }];
    this.service = this.workload.addClientService('Service', {
      name,
      ports: servicePorts,
      podName: `${name}-${primary}`,
    });
    this.readOnlyService = this.workload.addClientService('ReadOnlyService', { name: `${name}-ro`, ports: servicePorts });
    this.statefulSet = this.workload.statefulSet;
    this.headlessService = this.workload.headlessService;
    this.podDisruptionBudget = this.workload.podDisruptionBudget;
    for (const cm of [this.configMap, this.scriptsConfigMap]) {
      for (const [k, v] of Object.entries(this.workload.labels)) { cm.metadata.addLabel(k, v); }
    }

    this.generatedSecret = credentials.generate(['password', 'replication-password'], this.workload.labels);

    this.connection = {
      host: this.workload.serviceDnsName(name),
      readOnlyHost: this.workload.serviceDnsName(`${name}-ro`),
      port: PORT,
      username: 'root',
      secretName,
      passwordKey,
    };
  }

  private validateConfig(config: { [key: string]: string }): { [key: string]: string } {
    const result: { [key: string]: string } = {};
    for (const key of Object.keys(config).sort()) {
      const normalized = normalizeKey(key);
      const value = config[key];
      if (!/^[a-z][a-z0-9_]*$/.test(normalized)) {
        invalid(this, `config.${key}`, 'must be a mysqld option name (letters, digits, \'_\' and \'-\')', key);
      }
      if (MANAGED_KEYS.includes(normalized)) {
        invalid(this, `config.${key}`, `is managed by the construct and cannot be overridden (managed: ${MANAGED_KEYS.join(', ')}); use the construct's props instead`, value);
      }
      if (typeof value !== 'string' || /[\r\n]/.test(value)) {
        invalid(this, `config.${key}`, 'must be a single-line string', value);
      }
      result[normalized] = value.trim();
    }
    return result;
  }
}
