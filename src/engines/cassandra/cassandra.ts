import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { CassandraVersion } from './cassandra-version';
import { CQL_PORT, DATA_MOUNT, heapSizes, renderCassandraYaml, renderRackDc, STORAGE_PORT } from './config';
import { DRAIN_SH, PREPARE_CONFIG_SH, READY_SH } from './scripts';
import { ClusterDns } from '../../private/dns';
import { configChecksum, engineResources, memoryMiB } from '../../private/engine-kit';
import { invalid, requireInteger, warn } from '../../private/errors';
import { requireDnsLabel } from '../../private/names';
import { millicoresOf } from '../../private/resources';
import { DisruptionBudget } from '../../workload/disruption-budget';
import { WellKnownLabels } from '../../workload/labels';
import { PodManagementPolicy, StatefulWorkload } from '../../workload/stateful-workload';
import { EngineProps } from '../engine';

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

/** How an app reaches the ring. Plain values, usable with any cdk8s-plus version or none. */
export interface CassandraConnection {
  /** DNS name of the client Service `<name>` (CQL on every node of the ring). */
  readonly host: string;
  /** CQL port. */
  readonly port: number;
  /**
   * Contact points for drivers: fully qualified DNS names of the seed pods. Drivers discover the
   * other nodes from `system.peers`.
   */
  readonly contactPoints: string[];
  /** The local datacenter drivers must be configured with (DataStax drivers 4.x require it). */
  readonly datacenter: string;
  /** The cluster name. */
  readonly clusterName: string;
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
   * @default - 3 without racks, 1 per rack with racks
   */
  readonly replicas?: number;
  /**
   * cassandra.yaml settings that win over the rendered ones, as one-line YAML values
   * (`'concurrent_reads': '64'`, `'authenticator': 'PasswordAuthenticator'`, `'x': '[a, b]'`).
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
   * Time a node gets to drain (flush memtables) before it is killed.
   * @default Duration.seconds(300)
   */
  readonly terminationGracePeriod?: Duration;
}

const DEFAULT_CPU = kplus.Cpu.millis(1000);
const DEFAULT_MEMORY = Size.gibibytes(4);
const DEFAULT_STORAGE = Size.gibibytes(50);
/** uid and gid of the `cassandra` user of the official image. */
const CASSANDRA_UID = 999;
const CONF_DIR = '/etc/cassandra';
const SCRIPTS_DIR = '/opt/cdk8s-stateful';
const RENDERED_DIR = '/config';
const PREPARED_DIR = '/prepared-conf';

/**
 * An Apache Cassandra ring: GossipingPropertyFileSnitch with a datacenter and racks (one
 * StatefulSet per rack, pinned to a zone), seeds from the first pods' headless DNS names, a client
 * Service `<name>` for CQL on 9042 in front of every node, one PodDisruptionBudget across the ring,
 * readiness when the node is Up/Normal, `nodetool drain` before stopping, the heap sized from memory.
 *
 * Authentication is Cassandra's default (AllowAllAuthenticator); the NetworkPolicy admits only the
 * ring and `allowFrom`. See docs/engines/cassandra.md for enabling PasswordAuthenticator.
 */
export class Cassandra extends Construct {
  /** The first rack's workload (the only one without racks). */
  public readonly workload: StatefulWorkload;
  /** One workload per rack, in the order of `racks`. */
  public readonly workloads: StatefulWorkload[];
  /** The first rack's StatefulSet. */
  public readonly statefulSet: k8s.KubeStatefulSet;
  /** One StatefulSet per rack. */
  public readonly statefulSets: k8s.KubeStatefulSet[];
  /** The client Service `<name>`: CQL on every node of the ring. */
  public readonly service: kplus.Service;
  /** The first rack's headless Service (each rack has its own: `<name>-<rack>-headless`). */
  public readonly headlessService: kplus.Service;
  /** One PodDisruptionBudget across every rack (at most one node down), unless the ring has one node. */
  public readonly podDisruptionBudget?: k8s.KubePodDisruptionBudget;
  /** The ConfigMap `<name>-config`: cassandra.yaml and one rackdc properties file per rack. */
  public readonly configMap: kplus.ConfigMap;
  /** The ConfigMap `<name>-scripts`: the init, readiness and preStop scripts. */
  public readonly scriptsConfigMap: kplus.ConfigMap;
  /** Seeds, as fully qualified pod DNS names. */
  public readonly seeds: string[];
  /** How apps connect. */
  public readonly connection: CassandraConnection;
  /** The version running. */
  public readonly version: CassandraVersion;

  constructor(scope: Construct, id: string, props: CassandraProps = {}) {
    super(scope, id);
    const name = requireDnsLabel(this, 'name', props.name ?? id, 52);
    const version = this.version = props.version ?? CassandraVersion.V5_0;
    const clusterName = props.clusterName ?? name;
    if (!/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/.test(clusterName)) {
      invalid(this, 'clusterName', "must be 1 to 64 letters, digits, ' ', '_', '.' or '-', starting with a letter or digit", clusterName);
    }
    const datacenter = props.datacenter ?? 'dc1';
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,47}$/.test(datacenter)) {
      invalid(this, 'datacenter', "must be 1 to 48 letters, digits, '_', '.' or '-', starting with a letter or digit", datacenter);
    }
    const racks = this.validateRacks(props);
    const replicas = requireInteger(this, 'replicas', props.replicas ?? (props.racks ? 1 : 3), 1);
    const startupTimeout = props.startupTimeout ?? Duration.hours(2);
    if (startupTimeout.toSeconds() < 120) {
      invalid(this, 'startupTimeout', 'must be at least 2 minutes: a node waits for gossip to settle before it joins', `${startupTimeout.toSeconds()}s`);
    }
    const grace = props.terminationGracePeriod ?? Duration.seconds(300);
    if (grace.toSeconds() < 30) {
      invalid(this, 'terminationGracePeriod', 'must be at least 30 seconds for nodetool drain to flush', `${grace.toSeconds()}s`);
    }

    const resources = engineResources(this, props.resources, { cpu: DEFAULT_CPU, memory: DEFAULT_MEMORY });
    const heap = heapSizes(this, memoryMiB(resources), millicoresOf(resources.cpu!.request!));

    // Seeds: the first pod of each of the first three racks, or the first two pods of a single rack.
    const setNames = racks.length > 0 ? racks.map((r) => `${name}-${r.name}`) : [name];
    const seedPods: Array<[string, number]> = setNames.length > 1
      ? setNames.slice(0, 3).map((s) => [s, 0])
      : [...Array(Math.min(2, replicas)).keys()].map((i) => [setNames[0], i]);

    const rackNames = racks.length > 0 ? racks.map((r) => r.name) : ['rack1'];
    const labels = {
      [WellKnownLabels.NAME]: 'cassandra',
      [WellKnownLabels.INSTANCE]: name,
      [WellKnownLabels.MANAGED_BY]: 'cdk8s-stateful',
      [WellKnownLabels.VERSION]: version.fullVersion,
    };

    const workloads: StatefulWorkload[] = [];
    const configData: { [key: string]: string } = {};
    this.configMap = new kplus.ConfigMap(this, 'Config', { metadata: { name: `${name}-config`, labels } });
    this.scriptsConfigMap = new kplus.ConfigMap(this, 'Scripts', {
      metadata: { name: `${name}-scripts`, labels },
      data: { 'prepare-config.sh': PREPARE_CONFIG_SH, 'ready.sh': READY_SH, 'drain.sh': DRAIN_SH },
    });

    const configVolume = kplus.Volume.fromConfigMap(this, 'ConfigVolume', this.configMap, { name: 'config' });
    const scriptsVolume = kplus.Volume.fromConfigMap(this, 'ScriptsVolume', this.scriptsConfigMap, { name: 'scripts', defaultMode: 0o555 });
    const confVolume = kplus.Volume.fromEmptyDir(this, 'ConfVolume', 'conf');
    const logsVolume = kplus.Volume.fromEmptyDir(this, 'LogsVolume', 'logs');
    const tmpVolume = kplus.Volume.fromEmptyDir(this, 'TmpVolume', 'tmp');
    const image = props.image ?? `cassandra:${version.fullVersion}`;
    const podIp = kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_IP);

    // Seeds are known before the workloads exist: pod DNS names follow from names, namespace and domain.
    const dns = ClusterDns.of(this, props.clusterDomain);
    this.seeds = seedPods.map(([setName, ordinal]) => dns.pod(setName, ordinal));

    configData['cassandra.yaml'] = renderCassandraYaml(this, { clusterName, seeds: this.seeds, version, overrides: props.config ?? {} });
    for (const rack of rackNames) {
      configData[`rackdc-${rack}.properties`] = renderRackDc(datacenter, rack);
    }
    for (const key of Object.keys(configData).sort()) {
      this.configMap.addData(key, configData[key]);
    }
    const checksum = configChecksum(configData, PREPARE_CONFIG_SH, READY_SH, DRAIN_SH);

    const startupPeriod = 15;
    rackNames.forEach((rack, index) => {
      const rackProps = racks[index];
      const workload = new StatefulWorkload(this, racks.length > 0 ? `Rack-${rack}` : 'Workload', {
        name: setNames[index],
        appName: 'cassandra',
        instance: name,
        component: racks.length > 0 ? `rack-${rack}` : undefined,
        version: version.fullVersion,
        replicas,
        identity: { user: CASSANDRA_UID, group: CASSANDRA_UID },
        podManagementPolicy: PodManagementPolicy.ORDERED_READY,
        terminationGracePeriod: grace,
        disruptionBudget: DisruptionBudget.none(),
        clientService: false,
        publishNotReadyAddresses: true,
        placement: rackProps ? { ...props.placement, zone: rackProps.zone } : props.placement,
        podAnnotations: { ...props.podAnnotations, ...checksum },
        clusterDomain: props.clusterDomain,
        volumeClaims: [{
          name: 'data',
          size: props.storage?.size ?? DEFAULT_STORAGE,
          storageClass: props.storage?.storageClass,
          accessModes: props.storage?.accessModes,
          mountPath: DATA_MOUNT,
        }],
        initContainers: [{
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
          // The image's entrypoint edits the configuration in place; start the server directly instead.
          command: ['cassandra', '-f'],
          ports: [
            { name: 'cql', number: CQL_PORT },
            { name: 'intra-node', number: STORAGE_PORT },
          ],
          envVariables: {
            POD_IP: podIp,
            CASSANDRA_CONF: kplus.EnvValue.fromValue(CONF_DIR),
            MAX_HEAP_SIZE: kplus.EnvValue.fromValue(`${heap.maxHeapMiB}M`),
            HEAP_NEWSIZE: kplus.EnvValue.fromValue(`${heap.newSizeMiB}M`),
          },
          resources,
          // CQL opens only once the node has joined the ring: a cheap start signal, however long the bootstrap.
          startup: kplus.Probe.fromTcpSocket({
            port: CQL_PORT,
            periodSeconds: Duration.seconds(startupPeriod),
            failureThreshold: Math.ceil(startupTimeout.toSeconds() / startupPeriod),
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
          lifecycle: { preStop: kplus.Handler.fromCommand([`${SCRIPTS_DIR}/drain.sh`]) },
          volumeMounts: [
            { volume: scriptsVolume, path: SCRIPTS_DIR, readOnly: true },
            { volume: confVolume, path: CONF_DIR },
            { volume: logsVolume, path: '/var/log/cassandra' },
            { volume: tmpVolume, path: '/tmp' },
          ],
        }],
      });
      workloads.push(workload);
      // Apps reach CQL only; gossip and streaming stay between the ring's own pods.
      for (const peer of props.allowFrom ?? []) {
        workload.allowFrom(peer, [kplus.NetworkPolicyPort.tcp(CQL_PORT)]);
      }
    });

    this.workloads = workloads;
    this.workload = workloads[0];
    this.statefulSets = workloads.map((w) => w.statefulSet);
    this.statefulSet = this.workload.statefulSet;
    this.headlessService = this.workload.headlessService;

    this.service = this.workload.addClientService('Service', {
      name,
      ports: [{ name: 'cql', port: CQL_PORT, targetPort: CQL_PORT }],
      wholeInstance: true,
    });

    const totalNodes = replicas * workloads.length;
    if (totalNodes < 3) {
      warn(this, `a ring of ${totalNodes} node(s) cannot keep QUORUM at replication factor 3 through the loss of a node; use 3 nodes or more`);
    }
    if (totalNodes > 1) {
      // One budget across the racks: per-rack budgets would let a drain take a node of every rack at once.
      this.podDisruptionBudget = new k8s.KubePodDisruptionBudget(this, 'Budget', {
        metadata: { name, labels },
        spec: {
          selector: { matchLabels: this.workload.instanceLabels },
          maxUnavailable: k8s.IntOrString.fromNumber(1),
        },
      });
    }

    this.connection = {
      host: this.workload.serviceDnsName(name),
      port: CQL_PORT,
      contactPoints: [...this.seeds],
      datacenter,
      clusterName,
    };
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
      if (!/^[a-z0-9]([-a-z0-9]{0,18}[a-z0-9])?$/.test(rack.name)) {
        invalid(this, `racks[${i}].name`, "must be 1 to 20 lower-case letters, digits or '-', starting and ending with a letter or digit", rack.name);
      }
      if (names.has(rack.name)) {
        invalid(this, `racks[${i}].name`, 'must be unique: every rack is its own StatefulSet', rack.name);
      }
      names.add(rack.name);
      if (!rack.zone || /\s/.test(rack.zone)) {
        invalid(this, `racks[${i}].zone`, 'must be a zone name (the nodes\' topology.kubernetes.io/zone label)', rack.zone);
      }
      if (zones.has(rack.zone)) {
        invalid(this, `racks[${i}].zone`, 'must differ from the other racks\' zones: two racks in one zone would lose two replicas of a row with that zone', rack.zone);
      }
      zones.add(rack.zone);
    });
    return racks;
  }
}
