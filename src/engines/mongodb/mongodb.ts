import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import {
  CACHE_SIZE_KEY, CONFIG_DIR, CONFIG_FILE, DATA_MOUNT, KEYFILE_DIR, KEYFILE_SECRET_DIR, MIN_MEMORY_MIB, MONGODB_PORT,
  REPLICA_SET_FILE, SCRIPTS_DIR, TLS_PEM_DIR, mongodOptions, renderMongodConf, renderReplicaSetSettings, validateConfig, wiredTigerCacheSizeGB,
} from './config';
import { MongoDbVersion } from './mongodb-version';
import { AGENT_JS, agentScript, dumpScript, MONGOSH_TLS_OPTIONS, PING_JS, READY_JS, ROTATE_FILE, ROTATE_JS, setupScript } from './scripts';
import { invalid, requireInteger, warn } from '../../private/errors';
import { PodManagementPolicy, StatefulWorkload } from '../../workload/stateful-workload';
import { Credentials } from '../credentials';
import { EngineProps, EngineResources } from '../engine';
import { EngineBase, EngineDefinition } from '../engine-base';
import { ConnectionCredentials, EngineConnection } from '../engine-connection';
import { engineResources, memoryMiB } from '../engine-kit';
import { LogicalBackupOptions, LogicalBackupParts } from '../logical-backup';
import { addLogicalBackup } from '../logical-backup-job';
import { TLS_CA_FILE } from '../tls-kit';

/** Properties of a {@link MongoDb} replica set. */
export interface MongoDbProps extends EngineProps {
  /**
   * MongoDB version: the official `mongo` image of this version runs, unless `image` says otherwise.
   * @default MongoDbVersion.V8_0
   */
  readonly version?: MongoDbVersion;

  /**
   * Number of data-bearing, voting members (one pod each). An even number of voters cannot always
   * elect a primary, so an even number is refused unless `arbiter` adds the odd voter. 1 runs a
   * single-member replica set (transactions and change streams work, failover does not). At most 7
   * voters in all.
   * @see https://www.mongodb.com/docs/manual/core/replica-set-architectures/
   * @default 3
   */
  readonly replicas?: number;

  /**
   * The `replicas` the running set has now, when you change `replicas`: a step that takes away more
   * than a minority of the current voters is then refused. The pods above the new count stop
   * together, and once a majority of the voters is gone the set has no primary, so neither the
   * agent nor anyone else can remove them without a forced reconfig. An even count means that
   * layout has the arbiter (as `replicas` and `arbiter` require). The agent removes the stopped
   * members one voter per reconfig, whatever the step (docs/engines/mongodb.md, Scaling).
   * @default - not declared: the step is not checked at synth (the agent still removes no voter
   *   without a majority of the voters up)
   */
  readonly previousReplicas?: number;

  /**
   * Add an arbiter (a voting member without data, in its own small StatefulSet `<name>-arbiter`) to
   * make an even number of `replicas` an odd number of voters. Only allowed with an even `replicas`.
   * @see https://www.mongodb.com/docs/manual/core/replica-set-arbiter/
   * @default false
   */
  readonly arbiter?: boolean;

  /**
   * CPU and memory of the arbiter's mongod (its WiredTiger cache is the minimum, 0.25 GB).
   * @default - 100m CPU and 1 GiB
   */
  readonly arbiterResources?: EngineResources;

  /**
   * Name of the replica set (`replication.replSetName`, the `replicaSet` of connection strings).
   * It cannot be changed once the set is initiated.
   * @default - the `name`
   */
  readonly replicaSetName?: string;

  /**
   * Where the root password and the internal-authentication keyfile come from. The Secret holds
   * `password` (user `root`) and `keyfile` (6 to 1024 base64 characters, shared by every member).
   * @default Credentials.generated()
   */
  readonly credentials?: Credentials;

  /**
   * mongod.conf options that win over the rendered ones, by dotted path
   * (`{ 'operationProfiling.slowOpThresholdMs': '200' }`). Numbers and `true`/`false` are written as
   * such, everything else as a string. Options the replica-set bootstrap depends on (port, bind
   * address, replSetName, keyFile, authorization, dbPath, log destination, fork) are refused.
   * Setting `storage.wiredTiger.engineConfig.cacheSizeGB` replaces the cache sized from memory.
   * @see https://www.mongodb.com/docs/manual/reference/configuration-options/
   * @default - none
   */
  readonly config?: { [key: string]: string };

  /**
   * Run Percona's mongodb_exporter next to each data-bearing member on port 9216 (`metrics`), with
   * `prometheus.io/*` scrape annotations: replica-set member state and replication lag, operation
   * counters, connections, WiredTiger cache, database sizes. It logs in to its own member over
   * loopback as `root` with the password from the Secret. The arbiter, which has no users, runs
   * none. The port opens only through `allowMetricsFrom()`.
   * @see https://github.com/percona/mongodb_exporter
   * @default false
   */
  readonly metrics?: boolean;

  /**
   * A scheduled logical backup: `mongodump --archive --gzip --oplog` of the whole replica set from
   * one secondary (the primary when no member is a secondary), with a sha256 checksum, into a
   * claim; the newest `keep` are kept. `{}` turns it on with the defaults. The official `mongo`
   * image carries mongodump and mongosh, which the dump uses. The restore runbook is in
   * docs/engines/mongodb.md.
   * @default - no logical backup
   */
  readonly logicalBackup?: LogicalBackupOptions;
}

/** How an app connects to a {@link MongoDb} replica set: the shared core plus the replica set's own values. */
export interface MongoDbConnection extends EngineConnection, ConnectionCredentials {
  /** The replica-set seed list: `host:port` of every data-bearing member, by pod DNS name. */
  readonly hosts: string[];
  /** Name of the replica set (`replicaSet=` of the connection string). */
  readonly replicaSetName: string;
  /** Database the user authenticates against. */
  readonly authSource: string;
}

const ROOT_USER = 'root';
const PASSWORD_VARIABLE = 'MONGODB_PASSWORD';
const MAX_VOTERS = 7;
const IMAGE_USER = 999;
/** Image of the optional metrics sidecar. */
const EXPORTER_IMAGE = 'percona/mongodb_exporter:0.47.1';
const EXPORTER_PORT = 9216;

const DEFINITION: EngineDefinition = {
  engine: { name: 'mongodb', displayName: 'MongoDB', image: 'mongo', imageUser: IMAGE_USER, clientPorts: [MONGODB_PORT], credentialKeys: ['password', 'keyfile'] },
  versions: { defaultVersion: MongoDbVersion.V8_0, oldest: '6.0', newest: '8', majorParts: 2, fullParts: 3 },
  defaults: { cpu: kplus.Cpu.millis(500), memory: Size.gibibytes(2), storage: Size.gibibytes(10), terminationGracePeriod: Duration.minutes(2) },
};

/**
 * A MongoDB replica set on the official `mongo` image: one StatefulSet of data-bearing voting
 * members (plus an optional arbiter), internal authentication with a keyfile, a root user, and
 * automatic failover through MongoDB's own elections. A sidecar agent initiates the set once (pod 0,
 * only when no member has a set yet), adds new pods when scaling up, and never starts a second set.
 *
 * Clients use the seed list and replica-set name of `connection`.
 */
export class MongoDb extends EngineBase {
  /** The arbiter's StatefulWorkload `<name>-arbiter`, when `arbiter` is set. */
  public readonly arbiterWorkload?: StatefulWorkload;
  /** How apps connect. */
  public readonly connection: MongoDbConnection;
  /** The WiredTiger cache of each data-bearing member, in GB (`--wiredTigerCacheSizeGB`). */
  public readonly wiredTigerCacheSizeGB: number;
  /**
   * The dump CronJob and where its dumps go.
   * @default - none: `logicalBackup` is not set
   */
  public readonly logicalBackupJob?: LogicalBackupParts;

  constructor(scope: Construct, id: string, props: MongoDbProps = {}) {
    super(scope, id, props, DEFINITION);
    this._checkProps(props, { replicas: 'integer', previousReplicas: 'integer', arbiter: 'boolean', arbiterResources: 'object', replicaSetName: 'string', metrics: 'boolean', logicalBackup: 'object' });
    const name = this.name;

    const replicas = requireInteger(this, 'replicas', props.replicas ?? 3, 1);
    const arbiter = props.arbiter ?? false;
    const voters = replicas + (arbiter ? 1 : 0);
    if (voters > MAX_VOTERS) {
      invalid(this, 'replicas', `must make at most ${MAX_VOTERS} voting members (a replica set allows no more)${arbiter ? ', counting the arbiter' : ''}: valid 1 to ${arbiter ? MAX_VOTERS - 1 : MAX_VOTERS}`, replicas);
    }
    if (!arbiter && replicas % 2 === 0) {
      invalid(this, 'replicas', 'must be odd: an even number of voters cannot always elect a primary; use an odd number, or arbiter: true to add a voter without data', replicas);
    }
    if (arbiter && replicas % 2 === 1) {
      invalid(this, 'arbiter', `needs an even number of replicas: with ${replicas} the arbiter would make the voters even; remove the arbiter or use ${replicas + 1} replicas`, replicas);
    }
    if (props.previousReplicas !== undefined) {
      this.checkStep(requireInteger(this, 'previousReplicas', props.previousReplicas, 1), replicas, arbiter);
    }
    if (arbiter) {
      this._reserveSets([{ suffix: '-arbiter', prop: 'arbiter' }]);
    } else if (props.arbiterResources !== undefined) {
      invalid(this, 'arbiterResources', "has no effect without 'arbiter: true'; set it or leave arbiterResources out");
    }
    if (replicas === 1) {
      warn(this, 'a single-member replica set has no failover: use replicas: 3 for high availability');
    }

    const replicaSetName = props.replicaSetName ?? name;
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(replicaSetName)) {
      invalid(this, 'replicaSetName', 'must be 1 to 64 letters, digits, \'-\' or \'_\', starting with a letter or digit', replicaSetName);
    }

    const resources = this._resources;
    const memory = this._memoryMiB;
    if (memory < MIN_MEMORY_MIB) {
      invalid(this, 'resources.memory', `must be at least ${MIN_MEMORY_MIB} MiB: mongod's minimum 0.25 GB WiredTiger cache, its own memory and the mongosh probes share the container`, `${memory} MiB`);
    }
    const tls = this._tls;
    const overrides = validateConfig(this, props.config ?? {}, {
      members: replicas, arbiter, tls: tls !== undefined, allowPlaintext: tls?.allowPlaintext,
    });
    const options = mongodOptions(this, replicaSetName, overrides, tls && { allowPlaintext: tls.allowPlaintext });
    const userCache = options[CACHE_SIZE_KEY];
    this.wiredTigerCacheSizeGB = userCache !== undefined ? Number(userCache) : wiredTigerCacheSizeGB(memory);

    const credentials = this._credentials!;
    const { secretName, secret } = credentials;
    const passwordKey = credentials.key('password');
    const keyfileKey = credentials.key('keyfile');

    // Member addresses: the pods' DNS names through the headless Services.
    const podHost = (set: string, ordinal: number) => `${this._dns.pod(set, ordinal)}:${MONGODB_PORT}`;
    const arbiterName = `${name}-arbiter`;
    const hosts = Array.from({ length: replicas }, (_, i) => podHost(name, i));

    const mongodConf = renderMongodConf(options);
    const configMap = this._addConfigMap('Config', '-config', {
      [CONFIG_FILE]: mongodConf,
      [REPLICA_SET_FILE]: renderReplicaSetSettings({
        name: replicaSetName,
        port: MONGODB_PORT,
        members: hosts,
        arbiter: arbiter ? podHost(arbiterName, 0) : undefined,
        rootUser: ROOT_USER,
        own: { prefix: `${name}-`, suffix: `.${this._dns.podDomain(name)}:${MONGODB_PORT}`, arbiterHost: podHost(arbiterName, 0) },
        tls: tls && { caFile: TLS_CA_FILE },
      }),
    });
    const scriptsConfigMap = this._addConfigMap('Scripts', '-scripts', {
      'setup.sh': setupScript(tls !== undefined),
      'agent.sh': agentScript(tls !== undefined),
      'replica-set.js': AGENT_JS,
      ...tls ? { [ROTATE_FILE]: ROTATE_JS } : {},
    });

    const pod = (scopeId: string, role: 'data' | 'arbiter', set: string, containerResources: kplus.ContainerResources, cacheSizeGB: number) =>
      this.podSpec(scopeId, {
        role,
        set,
        configMap,
        scriptsConfigMap,
        secret,
        passwordKey,
        keyfileKey,
        resources: containerResources,
        cacheSizeGB,
        cacheFromConfig: userCache !== undefined && role === 'data',
        metrics: (props.metrics ?? false) && role === 'data',
        tls: tls !== undefined,
      });

    // Not the member list: scaling must not restart the members.
    const checksum = [mongodConf, scriptsConfigMap.data];
    const data = pod('DataPod', 'data', name, resources, this.wiredTigerCacheSizeGB);
    this._addMembers('Workload', {
      component: 'server',
      replicas,
      containers: data.containers,
      initContainers: data.initContainers,
      dataPath: DATA_MOUNT,
      // Where it always went; the metrics sidecar talks to mongod and has no business with the data files.
      dataMountInto: ['setup', 'mongod', 'replica-set-agent'],
      // setup composes the PEM mongod reads, the agent composes it again on renewal and connects over TLS.
      tlsMountInto: tls ? ['mongod', 'setup', 'replica-set-agent', ...props.metrics ? ['metrics'] : []] : undefined,
      // replSetInitiate needs every member up, so the pods start together.
      podManagementPolicy: PodManagementPolicy.PARALLEL,
      checksum,
    });
    this._addService('Service', { name, ports: [{ name: 'mongodb', port: MONGODB_PORT, targetPort: MONGODB_PORT }] });

    if (arbiter) {
      const arbiterResources = engineResources(this, props.arbiterResources, { cpu: kplus.Cpu.millis(100), memory: Size.gibibytes(1) }, 'arbiterResources');
      if (memoryMiB(arbiterResources) < MIN_MEMORY_MIB) {
        invalid(this, 'arbiterResources.memory', `must be at least ${MIN_MEMORY_MIB} MiB: mongod and the mongosh probes share the container`, `${memoryMiB(arbiterResources)} MiB`);
      }
      const arb = pod('ArbiterPod', 'arbiter', arbiterName, arbiterResources, 0.25);
      this.arbiterWorkload = this._addMembers('Arbiter', {
        suffix: '-arbiter',
        component: 'arbiter',
        replicas: 1,
        containers: arb.containers,
        initContainers: arb.initContainers,
        podManagementPolicy: PodManagementPolicy.PARALLEL,
        // An arbiter holds no data to flush.
        terminationGracePeriod: Duration.seconds(30),
        tlsMountInto: tls ? ['mongod', 'setup', 'replica-set-agent'] : undefined,
        checksum,
      });
    }

    this._generateCredentials();

    const seedList = hosts.join(',');
    const dumpTls = tls ? `&tls=true&tlsCAFile=${encodeURIComponent(TLS_CA_FILE)}` : '';
    this.logicalBackupJob = addLogicalBackup(this, {
      options: props.logicalBackup,
      script: dumpScript(tls !== undefined),
      env: {
        MONGODB_ROOT_PASSWORD: kplus.EnvValue.fromSecretValue({ secret, key: passwordKey }),
        DUMP_REPLICAS: kplus.EnvValue.fromValue(hosts.join(' ')),
        DUMP_FALLBACK: kplus.EnvValue.fromValue(`${seedList}/?replicaSet=${replicaSetName}&authSource=admin${dumpTls}`),
      },
      user: IMAGE_USER,
      defaultClaimSize: this._storage.size,
      tlsSecretName: tls?.secretName,
    });
    // The CA where addConnectionEnv mounts it; verified even with allowPlaintext (which relaxes the server, not this URI).
    const connectionTls = this._connectionTls();
    const query = connectionTls ? `&tls=true&tlsCAFile=${connectionTls.caFile}` : '';
    const uri = (password: string) => `mongodb://${ROOT_USER}:${password}@${seedList}/?replicaSet=${replicaSetName}&authSource=admin${query}`;
    this.connection = this._connect<MongoDbConnection>({
      host: this._dns.service(name),
      port: MONGODB_PORT,
      hosts,
      replicaSetName,
      username: ROOT_USER,
      authSource: 'admin',
      secretName,
      passwordKey,
      passwordVariable: PASSWORD_VARIABLE,
      uri: uri(`$(${PASSWORD_VARIABLE})`),
    }, { REPLICA_SET: replicaSetName, AUTH_SOURCE: 'admin' }, uri);
  }

  /**
   * A step from `previous` members (with the arbiter when even) to `replicas` (+ `arbiter`) may stop
   * at most a minority of the current voters at once.
   */
  private checkStep(previous: number, replicas: number, arbiter: boolean): void {
    if (previous > MAX_VOTERS) {
      invalid(this, 'previousReplicas', `must be a count the set can have: 1 to ${MAX_VOTERS} members`, previous);
    }
    const hadArbiter = previous % 2 === 0;
    const voters = previous + (hadArbiter ? 1 : 0);
    const removed = Math.max(0, previous - replicas) + (hadArbiter && !arbiter ? 1 : 0);
    const minority = Math.floor((voters - 1) / 2);
    if (removed > minority) {
      const layout = (n: number, arb: boolean) => `${n} member(s)${arb ? ' and the arbiter' : ''}`;
      invalid(this, 'replicas', `must not stop more than a minority of the voters in one step: from ${layout(previous, hadArbiter)} ('previousReplicas' ${previous}) to ${layout(replicas, arbiter)} `
        + `stops ${removed} of ${voters} voters at once, which leaves no primary and no way for the agent to remove them; valid: remove at most ${minority} voter(s) per step (apply each step, wait for the agent to remove the stopped members, then the next), `
        + 'or rs.remove() the members by hand first and declare the count that is left', replicas);
    }
  }

  private podSpec(scopeId: string, o: PodOptions): { containers: kplus.ContainerProps[]; initContainers: kplus.ContainerProps[] } {
    const scope = new Construct(this, scopeId);
    const configVolume = kplus.Volume.fromConfigMap(scope, 'config', o.configMap, { name: 'config', defaultMode: 0o444 });
    const scriptsVolume = kplus.Volume.fromConfigMap(scope, 'scripts', o.scriptsConfigMap, { name: 'scripts', defaultMode: 0o555 });
    const secretVolume = kplus.Volume.fromSecret(scope, 'keyfile-secret', o.secret, {
      name: 'keyfile-secret',
      defaultMode: 0o400,
      items: { [o.keyfileKey]: { path: 'keyfile' } },
    });
    const keyfileVolume = kplus.Volume.fromEmptyDir(scope, 'keyfile', 'keyfile', { medium: kplus.EmptyDirMedium.MEMORY, sizeLimit: Size.mebibytes(1) });
    // The composed certificate and key: in memory, like the keyfile.
    const pemMounts: kplus.VolumeMount[] = o.tls
      ? [{ volume: kplus.Volume.fromEmptyDir(scope, 'tls-pem', 'tls-pem', { medium: kplus.EmptyDirMedium.MEMORY, sizeLimit: Size.mebibytes(1) }), path: TLS_PEM_DIR }]
      : [];
    const tmpVolume = kplus.Volume.fromEmptyDir(scope, 'tmp', 'tmp', { sizeLimit: Size.mebibytes(256) });
    const dataMounts: kplus.VolumeMount[] = o.role === 'arbiter'
      // An arbiter holds no data, only its local replica-set state: a fresh pod gets the config back from the primary.
      ? [{ volume: kplus.Volume.fromEmptyDir(scope, 'data', 'data', { sizeLimit: Size.gibibytes(1) }), path: DATA_MOUNT }]
      : [];
    const home = kplus.EnvValue.fromValue('/tmp');
    const small: kplus.ContainerResources = {
      cpu: { request: kplus.Cpu.millis(10) },
      memory: { request: Size.mebibytes(256), limit: Size.mebibytes(256) },
    };
    const mongosh = (script: string) => ['mongosh', '--quiet', '--norc', ...o.tls ? MONGOSH_TLS_OPTIONS : [], '--eval', script];

    const setup: kplus.ContainerProps = {
      name: 'setup',
      image: this.image,
      command: ['/bin/bash', `${SCRIPTS_DIR}/setup.sh`],
      resources: small,
      volumeMounts: [
        ...dataMounts,
        { volume: scriptsVolume, path: SCRIPTS_DIR },
        { volume: secretVolume, path: KEYFILE_SECRET_DIR },
        { volume: keyfileVolume, path: KEYFILE_DIR },
        ...pemMounts,
      ],
    };
    const args = ['--config', `${CONFIG_DIR}/${CONFIG_FILE}`];
    if (!o.cacheFromConfig) {
      args.push('--wiredTigerCacheSizeGB', String(o.cacheSizeGB));
    }
    const mongod: kplus.ContainerProps = {
      name: 'mongod',
      image: this.image,
      command: ['mongod'],
      args,
      ports: [{ name: 'mongodb', number: MONGODB_PORT }],
      resources: o.resources,
      envVariables: { HOME: home },
      volumeMounts: [
        ...dataMounts,
        { volume: configVolume, path: CONFIG_DIR },
        { volume: keyfileVolume, path: KEYFILE_DIR },
        { volume: tmpVolume, path: '/tmp' },
        ...pemMounts,
      ],
      // Up to 10 minutes for crash recovery of a large data set before liveness takes over.
      startup: kplus.Probe.fromCommand(mongosh(PING_JS), {
        periodSeconds: Duration.seconds(10), timeoutSeconds: Duration.seconds(10), failureThreshold: 60,
      }),
      liveness: kplus.Probe.fromCommand(mongosh(PING_JS), {
        periodSeconds: Duration.seconds(20), timeoutSeconds: Duration.seconds(10), failureThreshold: 6,
      }),
      readiness: kplus.Probe.fromCommand(mongosh(READY_JS), {
        periodSeconds: Duration.seconds(10), timeoutSeconds: Duration.seconds(10), failureThreshold: 3,
      }),
    };
    const agent: kplus.ContainerProps = {
      name: 'replica-set-agent',
      image: this.image,
      command: ['/bin/bash', `${SCRIPTS_DIR}/agent.sh`],
      resources: small,
      envVariables: {
        HOME: home,
        POD_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME),
        MEMBER_HOST: kplus.EnvValue.fromValue(`$(POD_NAME).${this._dns.podDomain(o.set)}:${MONGODB_PORT}`),
        MEMBER_ROLE: kplus.EnvValue.fromValue(o.role),
        REPLICA_SET_FILE: kplus.EnvValue.fromValue(`${CONFIG_DIR}/${REPLICA_SET_FILE}`),
        MONGODB_ROOT_PASSWORD: kplus.EnvValue.fromSecretValue({ secret: o.secret, key: o.passwordKey }),
      },
      volumeMounts: [
        { volume: configVolume, path: CONFIG_DIR },
        { volume: scriptsVolume, path: SCRIPTS_DIR },
        { volume: tmpVolume, path: '/tmp' },
        ...pemMounts,
      ],
    };
    const containers = [mongod, agent];
    if (o.metrics) {
      containers.push(this._metricsExporter({
        image: EXPORTER_IMAGE,
        port: EXPORTER_PORT,
        args: [
          // Its own member only: every pod is scraped, and a direct connection never follows the primary.
          // With tls: verified, by the name the certificate has for loopback.
          o.tls ? `--mongodb.uri=mongodb://localhost:${MONGODB_PORT}/admin?tls=true&tlsCAFile=${encodeURIComponent(TLS_CA_FILE)}` : `--mongodb.uri=mongodb://127.0.0.1:${MONGODB_PORT}/admin`,
          '--mongodb.direct-connect',
          // The names the community's MongoDB dashboards use (mongodb_up, mongodb_mongod_replset_*...).
          '--compatible-mode',
          '--collector.diagnosticdata',
          '--collector.replicasetstatus',
          '--collector.dbstats',
          `--web.listen-address=:${EXPORTER_PORT}`,
        ],
        env: {
          MONGODB_USER: kplus.EnvValue.fromValue(ROOT_USER),
          MONGODB_PASSWORD: kplus.EnvValue.fromSecretValue({ secret: o.secret, key: o.passwordKey }),
        },
        resources: {
          cpu: { request: kplus.Cpu.millis(20), limit: kplus.Cpu.millis(200) },
          memory: { request: Size.mebibytes(64), limit: Size.mebibytes(128) },
        },
      }));
    }
    return { containers, initContainers: [setup] };
  }
}

interface PodOptions {
  readonly role: 'data' | 'arbiter';
  readonly set: string;
  readonly configMap: kplus.ConfigMap;
  readonly scriptsConfigMap: kplus.ConfigMap;
  readonly secret: kplus.ISecret;
  readonly passwordKey: string;
  readonly keyfileKey: string;
  readonly resources: kplus.ContainerResources;
  readonly cacheSizeGB: number;
  readonly cacheFromConfig: boolean;
  /** Run the metrics exporter sidecar. */
  readonly metrics: boolean;
  /** The `tls` prop is set. */
  readonly tls: boolean;
}
