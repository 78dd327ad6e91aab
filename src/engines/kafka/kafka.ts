import { createHash } from 'crypto';
import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import {
  ADMIN_USER, BROKER_PORT, brokerOnlyOverrides, clientProtocol, CONTROLLER_ID_OFFSET, CONTROLLER_PORT, DATA_MOUNT, deriveClusterId,
  KafkaSecurity, NodeRole, PLAINTEXT_CLIENT_PORT, renderServerProperties, requireBrokersFor, requireClusterId, SCRAM_MECHANISM, TRUSTSTORE_FILE,
  validateConfig,
} from './config';
import { KafkaVersion } from './kafka-version';
import { KAFKA_JMX_RULES } from './metrics';
import { DRAIN_SCRIPT, PRESTOP_SCRIPT, SCRIPTS_DIR, START_SCRIPT } from './scripts';
import { invalid, requireInteger, warn } from '../../private/errors';
import { requireArray } from '../../private/guards';
import { denyIngress } from '../../private/jobs';
import { kubeVolume } from '../../private/k8s';
import { hardened, podSecurityContext, secureContainer } from '../../private/pod';
import { NetworkPeer } from '../../workload/network-peer';
import { PodManagementPolicy, StatefulWorkload } from '../../workload/stateful-workload';
import { Credentials } from '../credentials';
import { EngineProps, EngineResources, EngineStorage } from '../engine';
import { EngineBase, EngineDefinition } from '../engine-base';
import { ConnectionEnvOptions, EngineConnection } from '../engine-connection';
import { engineResources, jvmHeapMiB, memoryMiB } from '../engine-kit';
import { jobLabels } from '../job-kit';
import { JmxExporterAgent } from '../metrics';
import { grantScaleDownCheck, SCALE_DOWN_CHECK_SCRIPT } from '../scale-down';

/**
 * How a client reaches a {@link Kafka} cluster: the shared core, `bootstrap.servers` and, with
 * SASL (the default), the user, the Secret of its password and a ready-made JAAS setting.
 */
export interface KafkaConnection extends EngineConnection {
  /** `bootstrap.servers` for clients: `<name>.<namespace>.svc.<domain>:9092`. */
  readonly bootstrapServers: string;
  /** Name of the bootstrap Service. */
  readonly serviceName: string;
  /** The client's `security.protocol`: `SASL_SSL`, `SASL_PLAINTEXT`, or without SASL `SSL` or `PLAINTEXT`. */
  readonly securityProtocol: string;
  /**
   * The client's `sasl.mechanism`: `SCRAM-SHA-512`.
   * @default - none: SASL is off (`saslAuthentication: false`)
   */
  readonly saslMechanism?: string;
  /**
   * The SCRAM user clients connect as (the administrative user: create your apps' own users with kafka-configs).
   * @default - none: SASL is off
   */
  readonly username?: string;
  /**
   * Name of the Secret that holds the user's password.
   * @default - none: SASL is off
   */
  readonly secretName?: string;
  /**
   * Key of the password in that Secret.
   * @default - none: SASL is off
   */
  readonly passwordKey?: string;
  /**
   * The environment variable that `saslJaasConfig` expects the password in (`connectionEnv()`
   * defines it from the Secret before the variable that holds the JAAS setting).
   * @default - none: SASL is off
   */
  readonly passwordVariable?: string;
  /**
   * A ready-made `sasl.jaas.config` with `$(<passwordVariable>)` in place of the password (never the password itself).
   * @default - none: SASL is off
   */
  readonly saslJaasConfig?: string;
  /**
   * With `tls.allowPlaintext`: `bootstrap.servers` of the plaintext client listener (port 9094).
   * @default - none: every client listener has TLS, or there is no TLS
   */
  readonly plaintextBootstrapServers?: string;
}

/** Properties of a {@link Kafka} cluster. */
export interface KafkaProps extends EngineProps {
  /**
   * Kafka release; the default image is `apache/kafka:<fullVersion>`.
   * @default KafkaVersion.V4_4
   */
  readonly version?: KafkaVersion;
  /**
   * Number of brokers. A plain edit in both topologies: raising it adds brokers (brokers only, never
   * voters); lowering it removes the highest ordinals, which must be drained first (`drainBrokers`).
   * It must stay at least the replication factor of the topics and `min.insync.replicas` + 1.
   * @see https://kafka.apache.org/documentation/#basic_ops_cluster_expansion
   * @default 3
   */
  readonly brokers?: number;
  /**
   * Combined mode (no `controllers`): how many of the first brokers are also the KRaft controller
   * voters. Ordinals 0 to voters - 1 run `broker,controller`; the higher ordinals run as brokers only,
   * so changing `brokers` never changes `controller.quorum.voters`. Odd (3 survives one loss, 5 two),
   * at most `brokers` and 9. The voter set is fixed at creation: see the docs before changing it.
   * @see https://kafka.apache.org/documentation/#kraft_voter
   * @default - 3, or 1 with fewer than 3 brokers
   */
  readonly voters?: number;
  /**
   * Ordinals of brokers to drain before lowering `brokers`: while they still run, a Job
   * `<name>-drain-<hash>` moves every partition replica on them to the other brokers (one for one,
   * with kafka-reassign-partitions) and checks that none is left. They must be the highest ordinals
   * (a StatefulSet removes those), never a voter, and leave at least the replication factor and
   * `min.insync.replicas` + 1 brokers. Ordinals at or above `brokers` (already removed) are accepted and ignored.
   * @see https://kafka.apache.org/documentation/#basic_ops_decommissioning_brokers
   * @default - none: nothing is drained
   */
  readonly drainBrokers?: number[];
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
  /**
   * Passwords of the SCRAM users (`password`: the client user `admin`; `inter-broker-password`:
   * the user `broker` brokers authenticate to each other with; `controller-password`: the SASL/PLAIN
   * user of the controller listener without TLS).
   * @default Credentials.generated(): a Secret `<name>-credentials` made in the cluster on first install
   */
  readonly credentials?: Credentials;
  /**
   * SASL authentication: SCRAM-SHA-512 for clients and between brokers, and on the controller
   * listener mutual TLS (with `tls`) or SASL/PLAIN. `false` keeps the listeners as releases before
   * it had them (PLAINTEXT, or SSL with `tls`): anyone who reaches port 9092 may read and write
   * every topic. Only for turning it on in an existing cluster (docs/engines/kafka.md, "TLS and authentication").
   * @see https://kafka.apache.org/documentation/#security_sasl_scram
   * @default true
   */
  readonly saslAuthentication?: boolean;
}

const CONTROLLER_DEFAULTS = { cpu: kplus.Cpu.millis(250), memory: Size.gibibytes(1), storage: Size.gibibytes(5) };
/** The official image runs as `appuser`, uid and gid 1000. */
const KAFKA_UID = 1000;
const SCRIPTS_MOUNT = SCRIPTS_DIR;
/** Combined mode: the template of the ordinals that run as brokers only, beside server.properties. */
const BROKER_ONLY_FILE = 'broker.properties';
/** Liveness of combined-mode pods: a voter's controller listener accepts; a broker-only ordinal passes. */
const VOTER_ALIVE = `ordinal="\${POD_NAME##*-}"; if [ "$ordinal" -ge "\${KAFKA_VOTERS:-0}" ]; then exit 0; fi; exec 3<>/dev/tcp/127.0.0.1/${CONTROLLER_PORT}`;
const TEMPLATE_MOUNT = '/etc/kafka/template';
const RUNTIME_MOUNT = '/etc/kafka/runtime';
const LOG_DIR = '/var/log/kafka';
/** The JMX exporter's rules file, beside server.properties in the set's config ConfigMap. */
const JMX_RULES_FILE = 'jmx-exporter.yaml';
/** Voters beyond this slow every metadata commit and add no useful fault tolerance. */
const MAX_CONTROLLERS = 9;
/** The variable `saslJaasConfig` refers to, as `connectionEnv()` names it by default. */
const PASSWORD_VARIABLE = 'KAFKA_PASSWORD';
/** Where the drain Job finds the CA (only the CA of the TLS Secret is mounted there). */
const JOB_CA_DIR = '/etc/kafka/ca';

const DEFINITION: EngineDefinition = {
  engine: {
    name: 'kafka',
    displayName: 'Kafka',
    image: 'apache/kafka',
    imageUser: KAFKA_UID,
    pkcs8KeysOnly: true,
    clientPorts: [BROKER_PORT],
    credentialKeys: ['password', 'inter-broker-password', 'controller-password'],
  },
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
  /**
   * The KRaft controller voters: the first `voters` brokers in combined mode, else the dedicated controllers.
   */
  public readonly voterCount: number;
  /** The Job that moves partition replicas off `drainBrokers`, while any of them still runs. */
  public readonly drainJob?: k8s.KubeJob;
  /** The Role that lets each broker read its StatefulSet's replica count when it stops (is it being scaled away?). */
  public readonly scaleDownRole: k8s.KubeRole;
  /** How the listeners are secured. */
  private readonly security: KafkaSecurity;

  constructor(scope: Construct, id: string, props: KafkaProps = {}) {
    super(scope, id, props, DEFINITION);
    this._checkProps(props, {
      brokers: 'integer',
      controllers: 'integer',
      voters: 'integer',
      drainBrokers: 'array',
      clusterId: 'string',
      controllerStorage: 'object',
      controllerResources: 'object',
      metrics: 'boolean',
      metricsAgent: 'checked-elsewhere',
      saslAuthentication: 'boolean',
    });
    const sasl = props.saslAuthentication ?? true;
    this.security = { sasl, tls: this._tls !== undefined, plaintextClients: this._tls?.allowPlaintext ?? false };
    if (!sasl) {
      warn(this, `'saslAuthentication' is false: any client that reaches port ${BROKER_PORT} may read, write and delete every topic. Keep it only while turning authentication on (docs/engines/kafka.md, "TLS and authentication")`);
    }
    if (this.security.plaintextClients) {
      // Admitted by allowFrom and served by the Service like the TLS listener.
      this.clientPorts.push(PLAINTEXT_CLIENT_PORT);
    }
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
      if (props.voters !== undefined) {
        invalid(this, 'voters', "has no effect with dedicated controllers: 'controllers' is the number of voters; leave voters out");
      }
    } else {
      for (const prop of ['controllerStorage', 'controllerResources'] as const) {
        if (props[prop] !== undefined) { invalid(this, prop, "has no effect without 'controllers': the brokers are the controllers (combined mode); set 'controllers' or leave it out"); }
      }
    }
    let voterCount: number;
    if (controllers !== undefined) {
      voterCount = controllers;
      if (voterCount % 2 === 0) {
        invalid(this, 'controllers', 'must be odd (1, 3, 5, ...): a KRaft quorum of an even number of voters tolerates no more failures than one voter fewer', controllers);
      }
    } else {
      voterCount = props.voters === undefined ? (brokers >= 3 ? 3 : 1) : requireInteger(this, 'voters', props.voters, 1);
      if (voterCount % 2 === 0) {
        invalid(this, 'voters', `must be odd (1, 3, 5, ...): a KRaft quorum of ${voterCount} voters tolerates no more failures than ${voterCount - 1}, and an even split can stop it`, voterCount);
      }
      if (voterCount > MAX_CONTROLLERS) {
        invalid(this, 'voters', `must be at most ${MAX_CONTROLLERS}: every voter takes part in each metadata commit, and 3 or 5 are the usual quorums`, voterCount);
      }
      if (voterCount > brokers) {
        invalid(this, 'voters', `must be at most 'brokers' (${brokers}): the voters are the first brokers, ordinals 0 to voters - 1; raise brokers or lower voters`, voterCount);
      }
      if (props.voters === undefined && brokers > 3) {
        warn(this, `'voters' is not set: the first 3 of the ${brokers} brokers are the KRaft voters and the others run as brokers only. A combined cluster made by a release before 'voters' existed has every broker as a voter: set 'voters: ${brokers}' to keep its quorum (docs/upgrading.md)`);
      }
    }
    this.voterCount = voterCount;
    if (voterCount === 1) {
      warn(this, `a single KRaft controller voter is a single point of failure: losing it stops the cluster's metadata (no leader elections, no new topics); use ${controllers === undefined ? "3 brokers or 'controllers: 3'" : "'controllers: 3'"}`);
    }
    if (brokers < 3 && controllers !== undefined) {
      warn(this, `${brokers} broker(s): topics get replication factor ${brokers} and min.insync.replicas ${Math.min(2, brokers)}, so losing one broker stops acks=all writes${brokers === 1 ? ' and loses data with its volume' : ''}; use at least 3 brokers`);
    }
    this.clusterId = props.clusterId === undefined ? deriveClusterId(this.namespace, name) : requireClusterId(this, props.clusterId);
    const overrides = validateConfig(this, props.config ?? {}, { brokers, controllers });
    const draining = this.checkDrain(props.drainBrokers, brokers, controllers === undefined ? voterCount : 0, overrides);

    const controllerName = `${name}-controller`;
    const podDomain = (set: string) => this._dns.podDomain(set);
    const voters = controllers === undefined
      ? range(voterCount).map((i) => `${i}@${name}-${i}.${podDomain(name)}:${CONTROLLER_PORT}`)
      : range(controllers).map((i) => `${CONTROLLER_ID_OFFSET + i}@${controllerName}-${i}.${podDomain(controllerName)}:${CONTROLLER_PORT}`);

    const scripts = {
      'start.sh': START_SCRIPT,
      'prestop.sh': PRESTOP_SCRIPT,
      'drain.sh': DRAIN_SCRIPT,
      'scale-down-check.sh': SCALE_DOWN_CHECK_SCRIPT,
    };
    this._addConfigMap('Scripts', '-scripts', scripts);
    const brokerRole = controllers === undefined ? NodeRole.COMBINED : NodeRole.BROKER;
    const security = this.security;
    const brokerProperties = renderServerProperties(this, { role: brokerRole, voters, podDomain: podDomain(name), brokers, overrides, security });
    // Combined mode: the ordinals above the voters run as brokers only, from their own template. It
    // is rendered whatever `brokers` is, so that adding brokers changes no ConfigMap and rolls no pod.
    const brokerOnlyProperties = controllers === undefined
      ? renderServerProperties(this, {
        role: NodeRole.BROKER, voters, podDomain: podDomain(name), brokers, overrides: brokerOnlyOverrides(overrides), security,
      })
      : undefined;
    const configMap = this._addConfigMap('Config', '-config', {
      'server.properties': brokerProperties,
      ...(brokerOnlyProperties === undefined ? {} : { [BROKER_ONLY_FILE]: brokerOnlyProperties }),
      ...rules,
    }, 'broker');

    const common = {
      // A quorum needs its peers: every pod starts at once, and is in DNS before it is Ready.
      podManagementPolicy: PodManagementPolicy.PARALLEL,
      publishNotReadyAddresses: true,
      dataPath: DATA_MOUNT,
    };

    if (controllers !== undefined) {
      const controllerProperties = renderServerProperties(this, {
        role: NodeRole.CONTROLLER, voters, podDomain: podDomain(controllerName), brokers, overrides, security,
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
    const brokerWorkload = this._addMembers('Workload', {
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
        voters: controllers === undefined ? voterCount : undefined,
      }),
      // The stop hook asks the API server whether this broker is being scaled away.
      serviceAccountToken: true,
      checksum: [brokerProperties, brokerOnlyProperties ?? '', START_SCRIPT, PRESTOP_SCRIPT, ...Object.values(rules)],
    });
    this.scaleDownRole = grantScaleDownCheck(this, {
      name: `${name}-scale-down`,
      labels: this._objectLabels(),
      serviceAccountName: brokerWorkload.serviceAccount.name,
      statefulSetNames: [name],
    });
    this._addService('Service', {
      name,
      ports: [
        { name: 'broker', port: BROKER_PORT, targetPort: BROKER_PORT },
        ...(security.plaintextClients ? [{ name: 'plaintext', port: PLAINTEXT_CLIENT_PORT, targetPort: PLAINTEXT_CLIENT_PORT }] : []),
      ],
    });
    this._generateCredentials();

    const host = this._dns.service(name);
    const bootstrapServers = `${host}:${BROKER_PORT}`;
    const securityProtocol = clientProtocol(security);
    const credentials = this._credentials!;
    const saslParts = sasl ? {
      saslMechanism: SCRAM_MECHANISM,
      username: ADMIN_USER,
      secretName: credentials.secretName,
      passwordKey: credentials.key('password'),
      passwordVariable: PASSWORD_VARIABLE,
      saslJaasConfig: jaasConfig(`$(${PASSWORD_VARIABLE})`),
    } : {};
    const plaintextBootstrapServers = security.plaintextClients ? `${host}:${PLAINTEXT_CLIENT_PORT}` : undefined;
    const tls = this._connectionTls();
    this.connection = this._connect<KafkaConnection>({
      host,
      port: BROKER_PORT,
      bootstrapServers,
      serviceName: name,
      securityProtocol,
      ...saslParts,
      ...(plaintextBootstrapServers ? { plaintextBootstrapServers } : {}),
    }, {
      BOOTSTRAP_SERVERS: bootstrapServers,
      SECURITY_PROTOCOL: securityProtocol,
      ...(sasl ? { SASL_MECHANISM: SCRAM_MECHANISM } : {}),
      ...(tls ? { SSL_TRUSTSTORE_TYPE: 'PEM', SSL_TRUSTSTORE_LOCATION: tls.caFile } : {}),
      ...(plaintextBootstrapServers ? { PLAINTEXT_BOOTSTRAP_SERVERS: plaintextBootstrapServers } : {}),
    });
    if (draining.length > 0) {
      const keep = range(brokers).filter((i) => !draining.includes(i));
      this.drainJob = this.addDrainJob(bootstrapServers, keep, draining);
    }
  }

  /**
   * The connection as environment variables: those of every engine (`KAFKA_HOST`, `KAFKA_PORT`,
   * `KAFKA_USERNAME`, `KAFKA_PASSWORD` from the Secret, `KAFKA_TLS`, `KAFKA_CA_FILE`) and Kafka's
   * own: `KAFKA_BOOTSTRAP_SERVERS`, `KAFKA_SECURITY_PROTOCOL`, `KAFKA_SASL_MECHANISM`,
   * `KAFKA_SSL_TRUSTSTORE_TYPE` and `KAFKA_SSL_TRUSTSTORE_LOCATION` (with TLS), and last
   * `KAFKA_SASL_JAAS_CONFIG`, which refers to the password variable (Kubernetes expands it).
   */
  public connectionEnv(options: ConnectionEnvOptions = {}): k8s.EnvVar[] {
    const env = super.connectionEnv(options);
    if (!this.security.sasl) { return env; }
    const prefix = options.prefix ?? 'KAFKA';
    return [...env, { name: `${prefix}_SASL_JAAS_CONFIG`, value: jaasConfig(`$(${prefix}_PASSWORD)`) }];
  }

  /**
   * `drainBrokers`: whole ordinals, no voter, the highest ones, leaving enough brokers for the
   * topics. Returns the ordinals that still run (below `brokers`).
   */
  private checkDrain(value: unknown, brokers: number, voters: number, overrides: { [key: string]: string }): number[] {
    if (value === undefined) { return []; }
    const list = requireArray(this, 'drainBrokers', value, 'a list of broker ordinals');
    const seen = new Set<number>();
    for (const ordinal of list) {
      if (typeof ordinal !== 'number' || !Number.isInteger(ordinal) || ordinal < 0) {
        invalid(this, 'drainBrokers', 'must list broker ordinals (whole numbers from 0, the <n> of pod <name>-<n>)', ordinal);
      }
      if (seen.has(ordinal)) { invalid(this, 'drainBrokers', 'must not list an ordinal twice', ordinal); }
      seen.add(ordinal);
      if (ordinal < voters) {
        invalid(this, 'drainBrokers', `must not list a KRaft voter: ordinals 0 to ${voters - 1} are the controller voters (combined mode, 'voters: ${voters}') and are never removed`, ordinal);
      }
    }
    const draining = [...seen].filter((o) => o < brokers).sort((a, b) => a - b);
    const remaining = brokers - draining.length;
    if (draining.some((o) => o < remaining)) {
      const highest = draining.length === 1 ? `ordinal ${brokers - 1}` : `ordinals ${remaining} to ${brokers - 1}`;
      invalid(this, 'drainBrokers', `must name the highest ordinals: a StatefulSet removes its pods from the highest ordinal down, so with ${brokers} brokers draining ${draining.length} means ${highest}`, draining);
    }
    if (draining.length > 0) {
      requireBrokersFor(this, 'drainBrokers', remaining, brokers, overrides, `draining ${draining.join(', ')} leaves ${remaining} broker(s)`);
    }
    return draining;
  }

  /**
   * A one-shot Job in the Kafka image that runs the rendered drain.sh against the bootstrap Service.
   * Named by its content: a Job's pod template is immutable, so another list gets another Job.
   */
  private addDrainJob(bootstrapServers: string, keep: number[], drain: number[]): k8s.KubeJob {
    const scope = new Construct(this, 'Drain');
    const args = ['--bootstrap-server', bootstrapServers, '--keep', keep.join(','), '--drain', drain.join(',')];
    const hash = createHash('sha256').update(JSON.stringify([this.image, args, DRAIN_SCRIPT, this.security])).digest('hex').slice(0, 8);
    // Job names reach the job-name label (63 characters): `<name, at most 46>-drain-<8>`.
    const jobName = `${this.name.slice(0, 46).replace(/-+$/, '')}-drain-${hash}`;
    const labels = jobLabels('kafka-drain', 'drain', this.name);
    const tmp = kplus.Volume.fromEmptyDir(scope, 'tmp', 'tmp', { sizeLimit: Size.mebibytes(64) });
    const scriptsVolume = kplus.Volume.fromConfigMap(scope, 'scripts', this.scriptsConfigMap, { name: 'scripts', defaultMode: 0o555 });
    // With TLS, only the CA of the servers' Secret: the Job has no business with their key.
    const caVolume = this._tls ? kplus.Volume.fromSecret(scope, 'ca', kplus.Secret.fromSecretName(scope, 'TlsSecret', this._tls.secretName), {
      name: 'ca', items: { 'ca.crt': { path: 'ca.crt' } },
    }) : undefined;
    const container = secureContainer({
      name: 'drain',
      image: this.image,
      command: ['/bin/sh', `${SCRIPTS_MOUNT}/drain.sh`, ...args],
      envVariables: {
        // The admin tools' JVM: a small heap, logs to the console (the root filesystem is read-only).
        KAFKA_HEAP_OPTS: kplus.EnvValue.fromValue('-Xms64m -Xmx256m'),
        LOG_DIR: kplus.EnvValue.fromValue('/tmp/logs'),
        ...this.clientEnv(`${JOB_CA_DIR}/ca.crt`),
      },
      resources: {
        cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(1000) },
        memory: { request: Size.mebibytes(512), limit: Size.mebibytes(512) },
      },
      volumeMounts: [
        { volume: scriptsVolume, path: SCRIPTS_MOUNT, readOnly: true }, { volume: tmp, path: '/tmp' },
        ...(caVolume ? [{ volume: caVolume, path: JOB_CA_DIR, readOnly: true }] : []),
      ],
    });
    const job = new k8s.KubeJob(scope, 'Job', {
      metadata: { name: jobName, labels },
      spec: {
        backoffLimit: 6,
        // Moving data takes as long as the data needs; a day is the ceiling, after which it counts as failed.
        activeDeadlineSeconds: 24 * 3600,
        template: {
          metadata: { labels },
          spec: {
            restartPolicy: 'OnFailure',
            automountServiceAccountToken: false,
            securityContext: podSecurityContext(this._definition.engine.imageUser, this._definition.engine.imageUser),
            containers: [hardened(container)],
            volumes: [kubeVolume(scriptsVolume), kubeVolume(tmp), ...(caVolume ? [kubeVolume(caVolume)] : [])],
          },
        },
      },
    });
    denyIngress(scope, jobName, labels);
    this.allowFrom(NetworkPeer.fromApiObject(job));
    return job;
  }

  /** What write_client_config reads: how the admin tools in the pods and the drain Job connect. */
  private clientEnv(caFile: string): { [name: string]: kplus.EnvValue } {
    const { sasl, tls } = this.security;
    return {
      KAFKA_SECURITY_PROTOCOL: kplus.EnvValue.fromValue(clientProtocol(this.security)),
      ...(sasl ? {
        KAFKA_SASL_MECHANISM: kplus.EnvValue.fromValue(SCRAM_MECHANISM),
        KAFKA_USERNAME: kplus.EnvValue.fromValue(ADMIN_USER),
        KAFKA_PASSWORD: this._credentials!.env('password'),
      } : {}),
      ...(tls ? { KAFKA_CA_FILE: kplus.EnvValue.fromValue(caFile) } : {}),
    };
  }

  /** The containers of one set's pods: the server and, with metrics, the copy of the JMX exporter's jar. */
  private pod(id: string, options: {
    resources: kplus.ContainerResources;
    heap: number;
    role: NodeRole;
    configMap: kplus.ConfigMap;
    idOffset: number;
    metricsAgent?: JmxExporterAgent;
    voters?: number;
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
    voters?: number;
  }): kplus.ContainerProps {
    const emptyDir = (volumeName: string) => kplus.Volume.fromEmptyDir(scope, volumeName, volumeName);
    const probePort = options.role === NodeRole.CONTROLLER ? CONTROLLER_PORT : BROKER_PORT;
    const ports: kplus.ContainerPort[] = [];
    if (options.role !== NodeRole.CONTROLLER) { ports.push({ name: 'broker', number: BROKER_PORT }); }
    if (options.role !== NodeRole.BROKER) { ports.push({ name: 'controller', number: CONTROLLER_PORT }); }
    if (options.role !== NodeRole.CONTROLLER && this.security.plaintextClients) { ports.push({ name: 'plaintext', number: PLAINTEXT_CLIENT_PORT }); }
    const isBroker = options.role !== NodeRole.CONTROLLER;
    // The stop hook may wait for a drain while the grace period lasts, keeping a minute for the controlled shutdown.
    const preStopWait = Math.max(0, this._terminationGracePeriod.toSeconds() - 60);
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
        ...(options.voters === undefined ? {} : { KAFKA_VOTERS: kplus.EnvValue.fromValue(String(options.voters)) }),
        ...(isBroker ? { KAFKA_PRESTOP_WAIT_SECONDS: kplus.EnvValue.fromValue(String(preStopWait)) } : {}),
        // The admin tools' client.properties (and the TLS reload), from the Secret and the mounted CA.
        ...this.clientEnv(TRUSTSTORE_FILE),
        // The SCRAM users' passwords even with saslAuthentication false: a new cluster gets its users at
        // format time, and an existing one's are created from here before SASL is turned on (the docs).
        KAFKA_PASSWORD: this._credentials!.env('password'),
        KAFKA_INTER_BROKER_PASSWORD: this._credentials!.env('inter-broker-password'),
        ...(this.security.sasl && !this.security.tls ? { KAFKA_CONTROLLER_PASSWORD: this._credentials!.env('controller-password') } : {}),
      },
      lifecycle: isBroker ? { preStop: kplus.Handler.fromCommand(['/bin/sh', `${SCRIPTS_MOUNT}/prestop.sh`]) } : undefined,
      resources: options.resources,
      // A restart after an unclean stop recovers its logs before it listens: give it 15 minutes.
      startup: tcpProbe(probePort, 90),
      readiness: tcpProbe(probePort, 3),
      // Combined nodes: ready = the broker listener serves (it opens once the broker has caught up with
      // the metadata); alive = the controller listener accepts. A node with one listener gets no liveness
      // probe: the same check twice adds only the risk of killing a slow but healthy node, and Kafka exits
      // by itself on fatal errors.
      // Combined mode: the voters' controller listener accepts (bash's /dev/tcp, the image has bash);
      // the brokers-only ordinals have nothing more to check than readiness.
      liveness: options.role === NodeRole.COMBINED ? kplus.Probe.fromCommand(['/bin/bash', '-c', VOTER_ALIVE],
        { periodSeconds: Duration.seconds(10), timeoutSeconds: Duration.seconds(5), failureThreshold: 6 }) : undefined,
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

/** A client's `sasl.jaas.config` for the SCRAM user, with `password` as given (a variable reference). */
function jaasConfig(password: string): string {
  return `org.apache.kafka.common.security.scram.ScramLoginModule required username="${ADMIN_USER}" password="${password}";`;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
