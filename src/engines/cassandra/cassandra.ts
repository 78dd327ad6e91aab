import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { CassandraVersion } from './cassandra-version';
import { CQL_PORT, DATA_MOUNT, heapSizes, renderCassandraYaml, renderRackDc, STORAGE_PORT, validateConfig } from './config';
import { CASSANDRA_JMX_RULES } from './metrics';
import { AUTH_SH, KEYSTORE_FILE, PRE_STOP_SH, PREPARE_CONFIG_SH, READY_SH, START_SH, TLS_SH, TRUSTSTORE_FILE } from './scripts';
import { requireWholeSeconds } from '../../private/durations';
import { invalid, requireInteger, warn } from '../../private/errors';
import { requireLabelValue } from '../../private/names';
import { instanceOf, requireProps } from '../../private/prop-types';
import { mebibytesOf } from '../../private/quantity';
import { millicoresOf } from '../../private/resources';
import { DisruptionBudget } from '../../workload/disruption-budget';
import { PodManagementPolicy } from '../../workload/stateful-workload';
import { Credentials } from '../credentials';
import { EngineProps } from '../engine';
import { EngineBase, EngineDefinition } from '../engine-base';
import { EngineConnection } from '../engine-connection';
import { JmxExporterAgent } from '../metrics';
import { grantScaleDownCheck } from '../scale-down';
import { TLS_CA_FILE } from '../tls-kit';

/** A rack of the ring: one StatefulSet pinned to one zone. */
export interface CassandraRack {
  /**
   * Rack name, as Cassandra sees it (`cassandra-rackdc.properties`) and in the StatefulSet's name
   * `<name>-<rack>`: lower-case letters, digits and '-'.
   */
  readonly name: string;
  /**
   * Zone the rack's pods run in (the nodes' `topology.kubernetes.io/zone` label). Every rack gets
   * its own zone, so that with NetworkTopologyStrategy and RF = number of racks a zone's loss takes
   * one replica of each row.
   */
  readonly zone: string;
}

/** How an app reaches the ring: the shared core plus what drivers need. */
export interface CassandraConnection extends EngineConnection {
  /**
   * Contact points for drivers: fully qualified DNS names of the seed pods. Drivers discover the
   * other nodes from `system.peers`.
   */
  readonly contactPoints: string[];
  /** The local datacenter drivers must be configured with (DataStax drivers 4.x require it). */
  readonly datacenter: string;
  /** The cluster name. */
  readonly clusterName: string;
  /** The generated superuser to connect as (create your apps' own roles with it). */
  readonly username: string;
  /** Name of the Secret that holds its password. */
  readonly secretName: string;
  /** Key of the password in that Secret. */
  readonly passwordKey: string;
  /** The environment variable `connectionEnv()` puts the password in (from the Secret). */
  readonly passwordVariable: string;
}

/** Properties of a {@link Cassandra} ring. */
export interface CassandraProps extends EngineProps {
  /**
   * Cassandra release; the official image `cassandra:<fullVersion>` unless `image` is given.
   * @default CassandraVersion.V5_0
   */
  readonly version?: CassandraVersion;
  /**
   * `cluster_name` of cassandra.yaml. Nodes refuse peers of another cluster name; it cannot be
   * changed once the ring holds data.
   * @default - the `name`
   * @see https://cassandra.apache.org/doc/latest/cassandra/managing/configuration/cass_yaml_file.html#cluster_name
   */
  readonly clusterName?: string;
  /**
   * Datacenter of every node (GossipingPropertyFileSnitch); use it in NetworkTopologyStrategy
   * replication and as the drivers' local datacenter.
   * @default 'dc1'
   */
  readonly datacenter?: string;
  /**
   * Racks, one StatefulSet each, pinned to its zone. Give as many racks as the replication factor
   * (3 for RF=3) so that a zone's loss leaves every row with a quorum.
   * @default - one rack `rack1`, a single StatefulSet `<name>` spread over zones
   */
  readonly racks?: CassandraRack[];
  /**
   * Nodes per rack (or in the ring, without racks). Nodes join one at a time (OrderedReady).
   * Lowering it is a scale-down: each pod being removed decommissions itself (streams its ranges
   * to the remaining nodes) in its preStop hook before it stops; see `terminationGracePeriod`.
   * @default - 3 without racks, 1 per rack with racks
   */
  readonly replicas?: number;
  /**
   * The highest replication factor of your keyspaces in this datacenter (the number you give
   * NetworkTopologyStrategy for `datacenter`). The ring must have at least this many nodes
   * (`replicas` × racks): with fewer, rows would have fewer replicas than the keyspaces ask for,
   * writes at ALL (and at QUORUM with a node down) fail, and Cassandra refuses to decommission a
   * node being scaled away. Declare it to have a scale-down below it refused at synth.
   * @default - not declared: no ring size is refused (a ring below 3 nodes is warned about)
   */
  readonly replicationFactor?: number;
  /**
   * cassandra.yaml settings that win over the rendered ones, as one-line YAML values
   * (`'concurrent_reads': '64'`, `'auth_read_consistency_level': 'LOCAL_ONE'`, `'x': '[a, b]'`).
   * Addresses, ports, seeds, snitch and directories are the construct's and refused here.
   * @default - none
   * @see https://cassandra.apache.org/doc/latest/cassandra/managing/configuration/cass_yaml_file.html
   */
  readonly config?: { [key: string]: string };
  /**
   * How long a node may take to start and join the ring (bootstrap streams its share of the data)
   * before the kubelet restarts it. Size it to your data: a node streams about 1 TiB an hour at best.
   * @default Duration.hours(2)
   */
  readonly startupTimeout?: Duration;
  /**
   * Run the Prometheus JMX exporter as a javaagent in every node, serving a curated set of series
   * (client read and write latency, timeouts and unavailables, pending compactions, dropped
   * messages, thread pool backlogs, hints, load, nodes up and down, the JVM) on port 9404
   * (`metrics`), with `prometheus.io/*` scrape annotations. The port opens only through
   * `allowMetricsFrom()`.
   * @see https://github.com/prometheus/jmx_exporter
   * @default false
   */
  readonly metrics?: boolean;
  /**
   * Where the JVM finds the JMX exporter's javaagent jar when `metrics` is on.
   * @default JmxExporterAgent.bitnami(): copied by an init container from a pinned image
   */
  readonly metricsAgent?: JmxExporterAgent;
  /**
   * Where the password of the generated superuser `admin` comes from. The Secret holds `password`.
   * Each node, once up, creates `admin` if it is missing and then disables Cassandra's default
   * superuser `cassandra` (no login, no superuser).
   * @default Credentials.generated()
   */
  readonly credentials?: Credentials;
  /**
   * PasswordAuthenticator and CassandraAuthorizer: every CQL client logs in. With false, Cassandra's
   * AllowAllAuthenticator stays (anyone reaching port 9042 is let in) while the superuser `admin` is
   * still created: the first step of turning authentication on for a ring that ran without it
   * (see docs/engines/cassandra.md, "TLS and authentication").
   * @default true
   */
  readonly passwordAuthentication?: boolean;
}

const DEFINITION: EngineDefinition = {
  engine: { name: 'cassandra', displayName: 'Cassandra', image: 'cassandra', imageUser: 999, pkcs8KeysOnly: true, clientPorts: [CQL_PORT], credentialKeys: ['password'] },
  // The rendered cassandra.yaml uses 4.0's names (3.11 has none of them).
  versions: { defaultVersion: CassandraVersion.V5_0, oldest: '4.0', newest: '5', majorParts: 2, fullParts: 3 },
  defaults: { cpu: kplus.Cpu.millis(1000), memory: Size.gibibytes(4), storage: Size.gibibytes(50), terminationGracePeriod: Duration.seconds(300) },
};
/**
 * What a node leaving the ring streams at, at most: Cassandra's default `stream_throughput_outbound`
 * and `entire_sstable_stream_throughput_outbound` (24 MiB/s each, 4.1 and 5.0).
 */
const STREAM_MIB_PER_SECOND = 24;
/** A decommission sleeps the ring delay (30 s) twice, around the streaming; plus the drain and a margin. */
const LEAVE_OVERHEAD_SECONDS = 120;
const MIN_DEFAULT_GRACE_SECONDS = 300;
/** Racks leave one after another: each waits this much more than the rack before it. */
const RACK_LEAVE_STAGGER_SECONDS = 20;
const CONF_DIR = '/etc/cassandra';
const SCRIPTS_DIR = '/opt/cdk8s-stateful';
const RENDERED_DIR = '/config';
const PREPARED_DIR = '/prepared-conf';
/** The JMX exporter's rules file, beside cassandra.yaml in the config ConfigMap. */
const JMX_RULES_FILE = 'jmx-exporter.yaml';
/** The superuser the construct creates in place of `cassandra`. */
const ADMIN_USER = 'admin';
const PASSWORD_VARIABLE = 'CASSANDRA_PASSWORD';
/** Where start.sh composes the PEM keystore and truststore (memory: the key never reaches the node's disk). */
const TLS_STORE_DIR = '/var/run/cassandra-tls';
/** system_auth gets at most this many replicas per datacenter. */
const MAX_AUTH_REPLICATION = 3;

/**
 * An Apache Cassandra ring: GossipingPropertyFileSnitch with a datacenter and racks (one
 * StatefulSet per rack, pinned to a zone), seeds from the first pods' headless DNS names, a client
 * Service `<name>` for CQL on 9042 in front of every node, one PodDisruptionBudget across the ring,
 * readiness when the node is Up/Normal, `nodetool drain` before stopping, the heap sized from memory.
 *
 * PasswordAuthenticator and CassandraAuthorizer, with a generated superuser `admin` in place of
 * `cassandra`; with `tls`, client and internode encryption from PEM files (Cassandra 4.1 and later).
 * The NetworkPolicy admits only the ring and `allowFrom`.
 */
export class Cassandra extends EngineBase {
  /** One StatefulSet per rack. */
  public readonly statefulSets: k8s.KubeStatefulSet[];
  /** Seeds, as fully qualified pod DNS names. */
  public readonly seeds: string[];
  /** How apps connect. */
  public readonly connection: CassandraConnection;
  /**
   * One Role per StatefulSet (rack) that lets its pods `get` their own StatefulSet's scale, and
   * nothing else: what the preStop hook reads to tell a scale-down (decommission) from a restart (drain).
   */
  public readonly scaleDownRoles: k8s.KubeRole[];
  /** The termination grace period of the nodes: the longest a decommission may take. */
  public readonly terminationGracePeriod: Duration;

  constructor(scope: Construct, id: string, props: CassandraProps = {}) {
    super(scope, id, props, DEFINITION);
    this._checkProps(props, {
      clusterName: 'string',
      datacenter: 'string',
      racks: 'array',
      replicas: 'integer',
      replicationFactor: 'integer',
      startupTimeout: instanceOf(Duration, 'Duration.hours(2)'),
      metrics: 'boolean',
      metricsAgent: 'checked-elsewhere',
      passwordAuthentication: 'boolean',
    });
    const passwordAuthentication = props.passwordAuthentication ?? true;
    const authReplication = Math.min(MAX_AUTH_REPLICATION, props.replicationFactor ?? MAX_AUTH_REPLICATION);
    if (this._tls && this.version.majorVersion === '4.0') {
      invalid(this, 'tls', 'needs Cassandra 4.1 or newer: the construct gives Cassandra PEM files (PEMBasedSslContextFactory), which 4.0 cannot read (it reads JKS or PKCS#12 keystores only); use CassandraVersion.V4_1 or V5_0', this.version.fullVersion);
    }
    if (props.metricsAgent !== undefined && !props.metrics) {
      invalid(this, 'metricsAgent', "has no effect without 'metrics: true': set metrics or leave metricsAgent out");
    }
    const name = this.name;
    const version = this.version;
    const clusterName = props.clusterName ?? name;
    if (!/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/.test(clusterName)) {
      invalid(this, 'clusterName', "must be 1 to 64 letters, digits, ' ', '_', '.' or '-', starting with a letter or digit", clusterName);
    }
    const datacenter = props.datacenter ?? 'dc1';
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,47}$/.test(datacenter)) {
      invalid(this, 'datacenter', "must be 1 to 48 letters, digits, '_', '.' or '-', starting with a letter or digit", datacenter);
    }
    const racks = this.validateRacks(props);
    this._reserveSets(racks.map((r, i) => ({ suffix: `-${r.name}`, prop: `racks[${i}].name` })));
    const replicas = requireInteger(this, 'replicas', props.replicas ?? (props.racks ? 1 : 3), 1);
    const startupSeconds = requireWholeSeconds(this, 'startupTimeout', props.startupTimeout ?? Duration.hours(2), 120, 7 * 24 * 3600,
      'a node waits for gossip to settle before it joins (at least 2 minutes), and streams its data in at most a week');
    const totalNodes = replicas * Math.max(1, racks.length);
    if (props.replicationFactor !== undefined) {
      const rf = requireInteger(this, 'replicationFactor', props.replicationFactor, 1);
      if (totalNodes < rf) {
        const perRack = Math.ceil(rf / Math.max(1, racks.length));
        const ring = racks.length > 0 ? `${replicas} per rack × ${racks.length} racks = ${totalNodes} nodes` : `${totalNodes} node(s)`;
        invalid(this, 'replicas', `must give the ring at least 'replicationFactor' (${rf}) nodes: ${ring} would leave rows with fewer replicas than the keyspaces ask for, `
          + `and a node being scaled away could not decommission; valid: at least ${perRack}${racks.length > 0 ? ' per rack' : ''}`, replicas);
      }
    }
    const graceSeconds = this.gracePeriod(props, totalNodes);
    this.terminationGracePeriod = Duration.seconds(graceSeconds);
    const overrides = validateConfig(this, props.config ?? {}, { nodes: totalNodes, racks: Math.max(1, racks.length) });

    const resources = this._resources;
    const heap = heapSizes(this, this._memoryMiB, millicoresOf(resources.cpu!.request!));

    // Seeds: the first pod of each of the first three racks, or the first two pods of a single rack.
    const setNames = racks.length > 0 ? racks.map((r) => `${name}-${r.name}`) : [name];
    const seedPods: Array<[string, number]> = setNames.length > 1
      ? setNames.slice(0, 3).map((set) => [set, 0])
      : [...Array(Math.min(2, replicas)).keys()].map((i) => [setNames[0], i]);
    const rackNames = racks.length > 0 ? racks.map((r) => r.name) : ['rack1'];

    // Seeds are known before the workloads exist: pod DNS names follow from names, namespace and domain.
    this.seeds = seedPods.map(([setName, ordinal]) => this._dns.pod(setName, ordinal));
    const configData: { [key: string]: string } = {
      'cassandra.yaml': renderCassandraYaml(this, {
        clusterName,
        seeds: this.seeds,
        version,
        racks: rackNames.length,
        overrides,
        passwordAuthentication,
        authReplication,
        tls: this._tls && { keystore: `${TLS_STORE_DIR}/${KEYSTORE_FILE}`, truststore: `${TLS_STORE_DIR}/${TRUSTSTORE_FILE}`, allowPlaintext: this._tls.allowPlaintext },
      }),
    };
    for (const rack of rackNames) {
      configData[`rackdc-${rack}.properties`] = renderRackDc(datacenter, rack);
    }
    // Only with metrics: a config map that changes rolls the pods, and an upgrade must not roll them for nothing.
    if (props.metrics) { configData[JMX_RULES_FILE] = CASSANDRA_JMX_RULES; }
    const configMap = this._addConfigMap('Config', '-config', configData);
    const scripts = {
      'prepare-config.sh': PREPARE_CONFIG_SH, 'start.sh': START_SH, 'auth.sh': AUTH_SH, 'tls.sh': TLS_SH, 'ready.sh': READY_SH, 'pre-stop.sh': PRE_STOP_SH,
    };
    const scriptsConfigMap = this._addConfigMap('Scripts', '-scripts', scripts);
    const credentials = this._credentials!;
    const passwordKey = credentials.key('password');

    const configVolume = kplus.Volume.fromConfigMap(this, 'ConfigVolume', configMap, { name: 'config' });
    const scriptsVolume = kplus.Volume.fromConfigMap(this, 'ScriptsVolume', scriptsConfigMap, { name: 'scripts', defaultMode: 0o555 });
    const confVolume = kplus.Volume.fromEmptyDir(this, 'ConfVolume', 'conf');
    const logsVolume = kplus.Volume.fromEmptyDir(this, 'LogsVolume', 'logs');
    const tmpVolume = kplus.Volume.fromEmptyDir(this, 'TmpVolume', 'tmp');
    const tlsStoreVolume = this._tls && kplus.Volume.fromEmptyDir(this, 'TlsStoreVolume', 'tls-store', { medium: kplus.EmptyDirMedium.MEMORY, sizeLimit: Size.mebibytes(1) });
    const image = this.image;
    const podIp = kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_IP);
    const checksum = [configData, scripts];
    // cassandra-env.sh appends JVM_EXTRA_OPTS to the server's options; nodetool (the probes, preStop)
    // restores its own options after reading that file, so the agent loads in the server only.
    const agent = props.metrics ? this._jmxExporter(this, props.metricsAgent ?? JmxExporterAgent.bitnami(), `${RENDERED_DIR}/${JMX_RULES_FILE}`) : undefined;

    const startupPeriod = 15;
    const roles: k8s.KubeRole[] = [];
    rackNames.forEach((rack, index) => {
      const rackProps = racks[index];
      const workload = this._addMembers(racks.length > 0 ? `Rack-${rack}` : 'Workload', {
        suffix: racks.length > 0 ? `-${rack}` : '',
        component: racks.length > 0 ? `rack-${rack}` : undefined,
        replicas,
        podManagementPolicy: PodManagementPolicy.ORDERED_READY,
        // One budget across the racks, below: per-rack budgets would let a drain take a node of every rack at once.
        disruptionBudget: DisruptionBudget.none(),
        publishNotReadyAddresses: true,
        zone: rackProps?.zone,
        checksum,
        dataPath: DATA_MOUNT,
        // The preStop hook reads its own StatefulSet's scale: a scale-down decommissions, a restart drains.
        serviceAccountToken: true,
        terminationGracePeriod: Duration.seconds(graceSeconds),
        initContainers: [...agent?.initContainers ?? [], {
          name: 'config',
          image,
          command: [`${SCRIPTS_DIR}/prepare-config.sh`],
          envVariables: {
            SOURCE_CONF: kplus.EnvValue.fromValue(CONF_DIR),
            RENDERED_CONF: kplus.EnvValue.fromValue(RENDERED_DIR),
            TARGET_CONF: kplus.EnvValue.fromValue(PREPARED_DIR),
            CASSANDRA_RACK: kplus.EnvValue.fromValue(rack),
            POD_IP: podIp,
          },
          resources: {
            cpu: { request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(500) },
            memory: { request: Size.mebibytes(32), limit: Size.mebibytes(64) },
          },
          volumeMounts: [
            { volume: configVolume, path: RENDERED_DIR, readOnly: true },
            { volume: scriptsVolume, path: SCRIPTS_DIR, readOnly: true },
            { volume: confVolume, path: PREPARED_DIR },
          ],
        }],
        containers: [{
          name: 'cassandra',
          image,
          // The image's entrypoint edits the configuration in place; start.sh runs the server directly.
          command: [`${SCRIPTS_DIR}/start.sh`],
          ports: [
            { name: 'cql', number: CQL_PORT },
            { name: 'intra-node', number: STORAGE_PORT },
            ...agent ? [agent.port] : [],
          ],
          envVariables: {
            POD_IP: podIp,
            POD_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME),
            LEAVE_DELAY: kplus.EnvValue.fromValue(String(index * RACK_LEAVE_STAGGER_SECONDS)),
            CASSANDRA_CONF: kplus.EnvValue.fromValue(CONF_DIR),
            MAX_HEAP_SIZE: kplus.EnvValue.fromValue(`${heap.maxHeapMiB}M`),
            HEAP_NEWSIZE: kplus.EnvValue.fromValue(`${heap.newSizeMiB}M`),
            ...agent ? { JVM_EXTRA_OPTS: kplus.EnvValue.fromValue(agent.javaAgent) } : {},
            // The authentication bootstrap (auth.sh).
            ADMIN_USER: kplus.EnvValue.fromValue(ADMIN_USER),
            ADMIN_PASSWORD: kplus.EnvValue.fromSecretValue({ secret: credentials.secret, key: passwordKey }),
            CASSANDRA_DC: kplus.EnvValue.fromValue(datacenter),
            AUTH_REPLICATION: kplus.EnvValue.fromValue(String(authReplication)),
            // cqlsh 4.0 reads no credentials file.
            ...version.majorVersion === '4.0' ? { CQLSH_PASSWORD_IN_CQLSHRC: kplus.EnvValue.fromValue('true') } : {},
            ...this._tls ? { TLS_STORE_DIR: kplus.EnvValue.fromValue(TLS_STORE_DIR), CQLSH_CA_FILE: kplus.EnvValue.fromValue(TLS_CA_FILE) } : {},
          },
          resources,
          // CQL opens only once the node has joined the ring: a cheap start signal, however long the bootstrap.
          startup: kplus.Probe.fromTcpSocket({
            port: CQL_PORT,
            periodSeconds: Duration.seconds(startupPeriod),
            failureThreshold: Math.ceil(startupSeconds / startupPeriod),
          }),
          readiness: kplus.Probe.fromCommand([`${SCRIPTS_DIR}/ready.sh`], {
            periodSeconds: Duration.seconds(20),
            timeoutSeconds: Duration.seconds(45),
            failureThreshold: 3,
          }),
          liveness: kplus.Probe.fromTcpSocket({
            port: STORAGE_PORT,
            periodSeconds: Duration.seconds(30),
            timeoutSeconds: Duration.seconds(10),
            failureThreshold: 6,
          }),
          lifecycle: { preStop: kplus.Handler.fromCommand([`${SCRIPTS_DIR}/pre-stop.sh`]) },
          volumeMounts: [
            { volume: scriptsVolume, path: SCRIPTS_DIR, readOnly: true },
            { volume: confVolume, path: CONF_DIR },
            { volume: logsVolume, path: '/var/log/cassandra' },
            { volume: tmpVolume, path: '/tmp' },
            ...tlsStoreVolume ? [{ volume: tlsStoreVolume, path: TLS_STORE_DIR }] : [],
            // The rules file, read by the agent in the server's JVM.
            ...agent ? [{ volume: configVolume, path: RENDERED_DIR, readOnly: true }, ...agent.volumeMounts] : [],
          ],
        }],
      });
      // Per set: a rack's pods may read their own StatefulSet's scale, not another rack's.
      roles.push(grantScaleDownCheck(new Construct(this, `ScaleDown${racks.length > 0 ? `-${rack}` : ''}`), {
        name: `${workload.name}-scale-down`,
        labels: this._objectLabels(),
        serviceAccountName: workload.serviceAccount.name,
        statefulSetNames: [workload.name],
      }));
    });
    this.scaleDownRoles = roles;

    this.statefulSets = this.workloads.map((w) => w.statefulSet);
    this._addService('Service', {
      name,
      ports: [{ name: 'cql', port: CQL_PORT, targetPort: CQL_PORT }],
      wholeInstance: true,
    });

    if (totalNodes < 3) {
      warn(this, `a ring of ${totalNodes} node(s) cannot keep QUORUM at replication factor 3 through the loss of a node; use 3 nodes or more`);
    }
    if (totalNodes > 1) {
      this._budget = new k8s.KubePodDisruptionBudget(this, 'Budget', {
        metadata: { name, labels: this._objectLabels() },
        spec: {
          selector: { matchLabels: this.instanceLabels },
          maxUnavailable: k8s.IntOrString.fromNumber(1),
        },
      });
    }

    this._generateCredentials();
    const host = this._dns.service(name);
    // Cassandra has no URI convention: drivers take contact points, datacenter, user and password.
    this.connection = this._connect<CassandraConnection>({
      host,
      port: CQL_PORT,
      contactPoints: [...this.seeds],
      datacenter,
      clusterName,
      username: ADMIN_USER,
      secretName: credentials.secretName,
      passwordKey,
      passwordVariable: PASSWORD_VARIABLE,
    }, { CONTACT_POINTS: this.seeds.join(','), LOCAL_DATACENTER: datacenter });
  }

  /**
   * The grace period: long enough for a node being scaled away to stream a full data volume at
   * Cassandra's default stream throughput, when the user does not set one; a warning when the
   * user's is shorter than that.
   */
  private gracePeriod(props: CassandraProps, totalNodes: number): number {
    const volumeMiB = mebibytesOf(this._storage.size);
    const leaveSeconds = Math.ceil((volumeMiB / STREAM_MIB_PER_SECOND + LEAVE_OVERHEAD_SECONDS) / 60) * 60;
    if (props.terminationGracePeriod === undefined) {
      return Math.max(MIN_DEFAULT_GRACE_SECONDS, leaveSeconds);
    }
    const given = this._terminationGracePeriod.toSeconds();
    if (given < leaveSeconds && totalNodes > 1) {
      warn(this, `terminationGracePeriod ${given} s is shorter than a decommission of a full ${volumeMiB} MiB volume at ${STREAM_MIB_PER_SECOND} MiB/s (about ${leaveSeconds} s): `
        + 'a node being scaled away that has not finished streaming is stopped, and stays in the ring as down (see Scaling in docs/engines/cassandra.md)');
    }
    return given;
  }

  private validateRacks(props: CassandraProps): CassandraRack[] {
    const racks = props.racks;
    if (racks === undefined) { return []; }
    if (racks.length === 0) {
      invalid(this, 'racks', 'must list at least one rack, or be left out for a single rack');
    }
    if (props.placement?.zone !== undefined) {
      invalid(this, 'placement.zone', 'cannot be combined with racks: each rack is pinned to its own zone', props.placement.zone);
    }
    const names = new Set<string>();
    const zones = new Set<string>();
    racks.forEach((rack, i) => {
      requireProps(this, `racks[${i}]`, rack, { name: 'string', zone: 'string' });
      if (typeof rack.name !== 'string' || !/^[a-z0-9]([-a-z0-9]{0,18}[a-z0-9])?$/.test(rack.name)) {
        invalid(this, `racks[${i}].name`, "must be 1 to 20 lower-case letters, digits or '-', starting and ending with a letter or digit", rack.name);
      }
      if (names.has(rack.name)) {
        invalid(this, `racks[${i}].name`, 'must be unique: every rack is its own StatefulSet', rack.name);
      }
      names.add(rack.name);
      // The nodes' topology.kubernetes.io/zone label value.
      requireLabelValue(this, `racks[${i}].zone`, rack.zone);
      if (rack.zone === '') { invalid(this, `racks[${i}].zone`, "must be a zone name (the nodes' topology.kubernetes.io/zone label)", rack.zone); }
      if (zones.has(rack.zone)) {
        invalid(this, `racks[${i}].zone`, 'must differ from the other racks\' zones: two racks in one zone would lose two replicas of a row with that zone', rack.zone);
      }
      zones.add(rack.zone);
    });
    return racks;
  }
}
