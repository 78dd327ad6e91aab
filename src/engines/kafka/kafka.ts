import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import {
  BROKER_PORT, CONTROLLER_ID_OFFSET, CONTROLLER_PORT, DATA_MOUNT, deriveClusterId, NodeRole,
  renderServerProperties, requireClusterId, validateConfig,
} from './config';
import { KafkaVersion } from './kafka-version';
import { KAFKA_JMX_RULES } from './metrics';
import { START_SCRIPT } from './scripts';
import { invalid, requireInteger, warn } from '../../private/errors';
import { PodManagementPolicy, StatefulWorkload } from '../../workload/stateful-workload';
import { EngineProps, EngineResources, EngineStorage } from '../engine';
import { EngineBase, EngineDefinition } from '../engine-base';
import { EngineConnection } from '../engine-connection';
import { engineResources, jvmHeapMiB, memoryMiB } from '../engine-kit';
import { JmxExporterAgent } from '../metrics';

/** How a client reaches a {@link Kafka} cluster: the shared core plus `bootstrap.servers`. */
export interface KafkaConnection extends EngineConnection {
  /** `bootstrap.servers` for clients: `<name>.<namespace>.svc.<domain>:9092`. */
  readonly bootstrapServers: string;
  /** Name of the bootstrap Service. */
  readonly serviceName: string;
}

/** Properties of a {@link Kafka} cluster. */
export interface KafkaProps extends EngineProps {
  /**
   * Kafka release; the default image is `apache/kafka:<fullVersion>`.
   * @default KafkaVersion.V4_4
   */
  readonly version?: KafkaVersion;
  /**
   * Number of brokers. Without `controllers`, every broker is also a KRaft controller voter
   * (combined mode), so the number must be odd.
   * @default 3
   */
  readonly brokers?: number;
  /**
   * Run this many dedicated KRaft controllers in their own StatefulSet `<name>-controller`
   * (node ids from 1000), instead of combined broker+controller nodes. Must be odd: 3 survives one
   * loss, 5 survives two. The voter set is fixed at creation (see the docs before changing it).
   * @see https://kafka.apache.org/documentation/#kraft_role
   * @default - none: the brokers are the controllers (combined mode)
   */
  readonly controllers?: number;
  /**
   * The KRaft cluster id storage is formatted with: 22 characters of base64url (16 bytes).
   * Pin it to adopt volumes of an existing cluster or to keep the id when renaming.
   * @default - derived from the namespace and name, the same on every synth
   */
  readonly clusterId?: string;
  /**
   * server.properties overrides; they win over the rendered values. Applied to brokers and
   * controllers. The keys the construct manages per pod or per quorum (node.id, process.roles,
   * controller.quorum.*, controller.listener.names, log.dirs) are refused.
   * @see https://kafka.apache.org/documentation/#brokerconfigs
   * @default - none
   */
  readonly config?: { [key: string]: string };
  /**
   * Per-pod volume of the dedicated controllers (their metadata log only).
   * @default - 5 GiB on the cluster's default storage class
   */
  readonly controllerStorage?: EngineStorage;
  /**
   * CPU and memory of each dedicated controller; the heap is half the memory (256 MiB to 2 GiB).
   * @default - 250m CPU, 1 GiB memory
   */
  readonly controllerResources?: EngineResources;
  /**
   * Run the Prometheus JMX exporter as a javaagent in every broker and controller, serving a
   * curated set of series (under-replicated and offline partitions, the active controller, ISR
   * shrinks, request rates and times, the KRaft quorum, the JVM) on port 9404 (`metrics`), with
   * `prometheus.io/*` scrape annotations. The port opens only through `allowMetricsFrom()`.
   * @see https://github.com/prometheus/jmx_exporter
   * @default false
   */
  readonly metrics?: boolean;
  /**
   * Where the JVM finds the JMX exporter's javaagent jar when `metrics` is on.
   * @default JmxExporterAgent.bitnami(): copied by an init container from a pinned image
   */
  readonly metricsAgent?: JmxExporterAgent;
}

const CONTROLLER_DEFAULTS = { cpu: kplus.Cpu.millis(250), memory: Size.gibibytes(1), storage: Size.gibibytes(5) };
/** The official image runs as `appuser`, uid and gid 1000. */
const KAFKA_UID = 1000;
const SCRIPTS_MOUNT = '/etc/kafka/scripts';
const TEMPLATE_MOUNT = '/etc/kafka/template';
const RUNTIME_MOUNT = '/etc/kafka/runtime';
const LOG_DIR = '/var/log/kafka';
/** The JMX exporter's rules file, beside server.properties in the set's config ConfigMap. */
const JMX_RULES_FILE = 'jmx-exporter.yaml';
/** Voters beyond this slow every metadata commit and add no useful fault tolerance. */
const MAX_CONTROLLERS = 9;

const DEFINITION: EngineDefinition = {
  engine: { name: 'kafka', displayName: 'Kafka', image: 'apache/kafka', imageUser: KAFKA_UID, clientPorts: [BROKER_PORT] },
  // KRaft without ZooKeeper since 3.3; the official apache/kafka images start at 3.7.
  versions: { defaultVersion: KafkaVersion.V4_4, oldest: '3.7', newest: '4', majorParts: 2, fullParts: 3 },
  // A broker: 1 CPU, 2 GiB of memory (a 1 GiB heap, the rest page cache), 20 GiB of disk, and 180 s
  // for a controlled shutdown (partition leadership moves to other brokers, the logs are flushed).
  defaults: { cpu: kplus.Cpu.millis(1000), memory: Size.gibibytes(2), storage: Size.gibibytes(20), terminationGracePeriod: Duration.seconds(180) },
};

/**
 * An Apache Kafka cluster in KRaft mode (no ZooKeeper).
 *
 * By default three combined broker+controller nodes in one StatefulSet; with `controllers`, a
 * separate StatefulSet of dedicated controllers. Every pod advertises its stable headless DNS name,
 * clients bootstrap through the Service `<name>` on 9092, storage is formatted once with a cluster
 * id that is the same on every synth, and topics default to replication factor min(3, brokers)
 * with min.insync.replicas min(2, brokers) and no unclean leader election.
 */
export class Kafka extends EngineBase {
  /** The dedicated controllers' StatefulWorkload, when `controllers` is set. */
  public readonly controllerWorkload?: StatefulWorkload;
  /** The dedicated controllers' server.properties template, `<name>-controller-config`. */
  public readonly controllerConfigMap?: kplus.ConfigMap;
  /** How clients connect. */
  public readonly connection: KafkaConnection;
  /** The KRaft cluster id storage is formatted with. */
  public readonly clusterId: string;

  constructor(scope: Construct, id: string, props: KafkaProps = {}) {
    super(scope, id, props, DEFINITION);
    this._checkProps(props, {
      brokers: 'integer',
      controllers: 'integer',
      clusterId: 'string',
      controllerStorage: 'object',
      controllerResources: 'object',
      metrics: 'boolean',
      metricsAgent: 'checked-elsewhere',
    });
    if (props.metricsAgent !== undefined && !props.metrics) {
      invalid(this, 'metricsAgent', "has no effect without 'metrics: true': set metrics or leave metricsAgent out");
    }
    const metrics = props.metrics ?? false;
    // Only with metrics: a config map that changes rolls the pods, and an upgrade must not roll them for nothing.
    const rules: { [file: string]: string } = metrics ? { [JMX_RULES_FILE]: KAFKA_JMX_RULES } : {};
    const name = this.name;
    const brokers = requireInteger(this, 'brokers', props.brokers ?? 3, 1);
    const controllers = props.controllers === undefined ? undefined : requireInteger(this, 'controllers', props.controllers, 1);
    if (controllers !== undefined) {
      if (controllers > MAX_CONTROLLERS) {
        invalid(this, 'controllers', `must be at most ${MAX_CONTROLLERS}: every voter takes part in each metadata commit, and 3 or 5 are the usual quorums`, controllers);
      }
      this._reserveSets([{ suffix: '-controller', prop: 'controllers' }]);
    } else {
      if (brokers > MAX_CONTROLLERS) {
        invalid(this, 'brokers', `must be at most ${MAX_CONTROLLERS} when every broker is also a KRaft controller (combined mode): every voter takes part in each metadata commit; set 'controllers: 3' to run more brokers`, brokers);
      }
      for (const prop of ['controllerStorage', 'controllerResources'] as const) {
        if (props[prop] !== undefined) { invalid(this, prop, "has no effect without 'controllers': the brokers are the controllers (combined mode); set 'controllers' or leave it out"); }
      }
    }
    const voterCount = controllers ?? brokers;
    if (voterCount % 2 === 0) {
      if (controllers === undefined) {
        invalid(this, 'brokers', `must be odd when the brokers are also the KRaft controllers (combined mode): a quorum of ${voterCount} voters tolerates no more failures than ${voterCount - 1}, and an even split can stop it. Valid: 1, 3, 5, ...; or set 'controllers' (odd) to run dedicated controllers with any number of brokers`, brokers);
      }
      invalid(this, 'controllers', 'must be odd (1, 3, 5, ...): a KRaft quorum of an even number of voters tolerates no more failures than one voter fewer', controllers);
    }
    if (voterCount === 1) {
      warn(this, `a single KRaft controller voter is a single point of failure: losing it stops the cluster's metadata (no leader elections, no new topics); use ${controllers === undefined ? "3 brokers or 'controllers: 3'" : "'controllers: 3'"}`);
    }
    if (brokers < 3 && controllers !== undefined) {
      warn(this, `${brokers} broker(s): topics get replication factor ${brokers} and min.insync.replicas ${Math.min(2, brokers)}, so losing one broker stops acks=all writes${brokers === 1 ? ' and loses data with its volume' : ''}; use at least 3 brokers`);
    }
    this.clusterId = props.clusterId === undefined ? deriveClusterId(this.namespace, name) : requireClusterId(this, props.clusterId);
    const overrides = validateConfig(this, props.config ?? {}, { brokers, controllers });

    const controllerName = `${name}-controller`;
    const podDomain = (set: string) => this._dns.podDomain(set);
    const voters = controllers === undefined
      ? range(brokers).map((i) => `${i}@${name}-${i}.${podDomain(name)}:${CONTROLLER_PORT}`)
      : range(controllers).map((i) => `${CONTROLLER_ID_OFFSET + i}@${controllerName}-${i}.${podDomain(controllerName)}:${CONTROLLER_PORT}`);

    this._addConfigMap('Scripts', '-scripts', { 'start.sh': START_SCRIPT });
    const brokerRole = controllers === undefined ? NodeRole.COMBINED : NodeRole.BROKER;
    const brokerProperties = renderServerProperties(this, { role: brokerRole, voters, podDomain: podDomain(name), brokers, overrides });
    const configMap = this._addConfigMap('Config', '-config', { 'server.properties': brokerProperties, ...rules }, 'broker');

    const common = {
      // A quorum needs its peers: every pod starts at once, and is in DNS before it is Ready.
      podManagementPolicy: PodManagementPolicy.PARALLEL,
      publishNotReadyAddresses: true,
      dataPath: DATA_MOUNT,
    };

    if (controllers !== undefined) {
      const controllerProperties = renderServerProperties(this, {
        role: NodeRole.CONTROLLER, voters, podDomain: podDomain(controllerName), brokers, overrides,
      });
      this.controllerConfigMap = this._addConfigMap('ControllerConfig', '-controller-config', { 'server.properties': controllerProperties, ...rules }, 'controller');
      const resources = engineResources(this, props.controllerResources, CONTROLLER_DEFAULTS, 'controllerResources');
      const heap = jvmHeapMiB(this, memoryMiB(resources), 0.5, 256, 2048, 'controllerResources');
      const pod = this.pod('Controller', {
        resources,
        heap,
        role: NodeRole.CONTROLLER,
        configMap: this.controllerConfigMap,
        idOffset: CONTROLLER_ID_OFFSET,
        metricsAgent: metrics ? props.metricsAgent ?? JmxExporterAgent.bitnami() : undefined,
      });
      this.controllerWorkload = this._addMembers('Controllers', {
        ...common,
        suffix: '-controller',
        component: 'controller',
        replicas: controllers,
        ...pod,
        storage: props.controllerStorage,
        storageProp: 'controllerStorage',
        defaultStorageSize: CONTROLLER_DEFAULTS.storage,
        checksum: [controllerProperties, START_SCRIPT, ...Object.values(rules)],
      });
    }

    const heap = jvmHeapMiB(this, this._memoryMiB, 0.5, 256, 6144);
    this._addMembers('Workload', {
      ...common,
      component: 'broker',
      replicas: brokers,
      ...this.pod('Broker', {
        resources: this._resources,
        heap,
        role: brokerRole,
        configMap,
        idOffset: 0,
        metricsAgent: metrics ? props.metricsAgent ?? JmxExporterAgent.bitnami() : undefined,
      }),
      checksum: [brokerProperties, START_SCRIPT, ...Object.values(rules)],
    });
    this._addService('Service', {
      name,
      ports: [{ name: 'broker', port: BROKER_PORT, targetPort: BROKER_PORT }],
    });

    const host = this._dns.service(name);
    const bootstrapServers = `${host}:${BROKER_PORT}`;
    this.connection = this._connect<KafkaConnection>({ host, port: BROKER_PORT, bootstrapServers, serviceName: name },
      { BOOTSTRAP_SERVERS: bootstrapServers });
  }

  /** The containers of one set's pods: the server and, with metrics, the copy of the JMX exporter's jar. */
  private pod(id: string, options: {
    resources: kplus.ContainerResources;
    heap: number;
    role: NodeRole;
    configMap: kplus.ConfigMap;
    idOffset: number;
    metricsAgent?: JmxExporterAgent;
  }): { containers: kplus.ContainerProps[]; initContainers?: kplus.ContainerProps[] } {
    const scope = new Construct(this, `${id}Pod`);
    const server = this.container(scope, options);
    if (options.metricsAgent === undefined) { return { containers: [server] }; }
    const agent = this._jmxExporter(scope, options.metricsAgent, `${TEMPLATE_MOUNT}/${JMX_RULES_FILE}`);
    return {
      containers: [{
        ...server,
        ports: [...server.ports!, agent.port],
        // kafka-run-class.sh puts KAFKA_OPTS on the java command line. The first start's storage
        // format runs through it too: its short-lived JVM serves the port until it exits.
        envVariables: { ...server.envVariables, KAFKA_OPTS: kplus.EnvValue.fromValue(agent.javaAgent) },
        volumeMounts: [...server.volumeMounts!, ...agent.volumeMounts],
      }],
      initContainers: agent.initContainers.length > 0 ? agent.initContainers : undefined,
    };
  }

  private container(scope: Construct, options: {
    resources: kplus.ContainerResources;
    heap: number;
    role: NodeRole;
    configMap: kplus.ConfigMap;
    idOffset: number;
  }): kplus.ContainerProps {
    const emptyDir = (volumeName: string) => kplus.Volume.fromEmptyDir(scope, volumeName, volumeName);
    const probePort = options.role === NodeRole.CONTROLLER ? CONTROLLER_PORT : BROKER_PORT;
    const ports: kplus.ContainerPort[] = [];
    if (options.role !== NodeRole.CONTROLLER) { ports.push({ name: 'broker', number: BROKER_PORT }); }
    if (options.role !== NodeRole.BROKER) { ports.push({ name: 'controller', number: CONTROLLER_PORT }); }
    return {
      name: 'kafka',
      image: this.image,
      command: [`${SCRIPTS_MOUNT}/start.sh`],
      ports,
      envVariables: {
        POD_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME),
        KAFKA_NODE_ID_OFFSET: kplus.EnvValue.fromValue(String(options.idOffset)),
        KAFKA_CLUSTER_ID: kplus.EnvValue.fromValue(this.clusterId),
        KAFKA_CONFIG_TEMPLATE: kplus.EnvValue.fromValue(`${TEMPLATE_MOUNT}/server.properties`),
        KAFKA_CONFIG: kplus.EnvValue.fromValue(`${RUNTIME_MOUNT}/server.properties`),
        KAFKA_HEAP_OPTS: kplus.EnvValue.fromValue(`-Xms${options.heap}m -Xmx${options.heap}m`),
        LOG_DIR: kplus.EnvValue.fromValue(LOG_DIR),
      },
      resources: options.resources,
      // A restart after an unclean stop recovers its logs before it listens: give it 15 minutes.
      startup: tcpProbe(probePort, 90),
      readiness: tcpProbe(probePort, 3),
      // Combined nodes: ready = the broker listener serves (it opens once the broker has caught up with
      // the metadata); alive = the controller listener accepts. A node with one listener gets no liveness
      // probe: the same check twice adds only the risk of killing a slow but healthy node, and Kafka exits
      // by itself on fatal errors.
      liveness: options.role === NodeRole.COMBINED ? tcpProbe(CONTROLLER_PORT, 6) : undefined,
      volumeMounts: [
        { volume: kplus.Volume.fromConfigMap(scope, 'scripts', this.scriptsConfigMap, { name: 'scripts', defaultMode: 0o555 }), path: SCRIPTS_MOUNT, readOnly: true },
        { volume: kplus.Volume.fromConfigMap(scope, 'template', options.configMap, { name: 'config-template' }), path: TEMPLATE_MOUNT, readOnly: true },
        { volume: emptyDir('config'), path: RUNTIME_MOUNT },
        { volume: emptyDir('logs'), path: LOG_DIR },
        { volume: emptyDir('tmp'), path: '/tmp' },
      ],
    };
  }
}

function tcpProbe(port: number, failureThreshold: number): kplus.Probe {
  return kplus.Probe.fromTcpSocket({ port, periodSeconds: Duration.seconds(10), timeoutSeconds: Duration.seconds(5), failureThreshold });
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
