import { ApiObject, Chart, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { Credentials } from './credentials';
import { EngineProps } from './engine';
import { ConnectionCredentials, ConnectionEnvOptions, ConnectionTls, EngineConnection, ReadOnlyEndpoint } from './engine-connection';
import { configChecksum, engineResources, EngineSecret, memoryMiB } from './engine-kit';
import { EngineVersion } from './engine-version';
import { GeneratedSecret } from './generated-secret';
import { MemberSetOptions } from './member-set';
import { JmxExporterAgent, PodMonitorOptions } from './metrics';
import { TlsCertificates, TlsOptions } from './tls';
import { certManagerCertificate, TLS_DIR, TLS_FILE_MODE } from './tls-kit';
import { ResolvedRestore, resolveRestore, resolveSnapshotOptions, restoredClaims } from './volume-snapshot-kit';
import { VolumeSnapshotSchedule } from './volume-snapshots';
import { PodMonitor } from '../imports/monitoring.coreos.com';
import { ClusterDns } from '../private/dns';
import { requireWholeSeconds } from '../private/durations';
import { invalid, warn } from '../private/errors';
import { describeValue, requireInstance } from '../private/guards';
import { exposeClientPorts, markInstance, namespaceOf } from '../private/k8s';
import { requireDnsSubdomain, requireLabelKey, requireLabelValue } from '../private/names';
import { instanceOf, PropKind, requireKind, requireProps } from '../private/prop-types';
import { requirePinnedImage } from '../private/resources';
import { requirePositiveSize } from '../private/validation';
import { AccessMode } from '../storage/access-mode';
import { requireAccessModes } from '../storage/access-mode-check';
import { IStorageClass } from '../storage/storage-class';
import { requireStorageClass } from '../storage/storage-class-check';
import { WellKnownLabels } from '../workload/labels';
import { PlacementProps } from '../workload/placement';
import { requirePlacement } from '../workload/placement-check';
import { ClientServiceOptions, StatefulWorkload } from '../workload/stateful-workload';

/** The versions an engine's rendered configuration and scripts support. */
export interface SupportedVersions {
  /** The version run when the user names none. */
  readonly defaultVersion: EngineVersion;
  /** The oldest full version supported (`13`, `8.0.23`). */
  readonly oldest: string;
  /** The newest release line supported, as a prefix of the version (`18`, `4`: every 4.x). */
  readonly newest: string;
  /** How many numbers make a release line (`17`: 1; `4.4`: 2). */
  readonly majorParts: number;
  /** How many numbers make a full version, the image tag (`17.7`: 2; `4.4.0`: 3). */
  readonly fullParts: number;
}

/** What an engine's pods get when the user says nothing. */
export interface EngineDefaults {
  /** CPU request (`resources.cpu`). */
  readonly cpu: kplus.Cpu;
  /** Memory (`resources.memory`). */
  readonly memory: Size;
  /** Volume size (`storage.size`). */
  readonly storage: Size;
  /** Grace period (`terminationGracePeriod`). */
  readonly terminationGracePeriod: Duration;
}

/** What an engine is: its name, image and the ports and Secret keys it serves with. */
export interface EngineIdentity {
  /** `app.kubernetes.io/name` of its objects (`postgres`); in capitals, the prefix of `connectionEnv()`. */
  readonly name: string;
  /** The name users know it by, for messages (`PostgreSQL`). */
  readonly displayName: string;
  /** Repository of the default image; the tag is the version's `fullVersion` and `imageTagSuffix` (`postgres`). */
  readonly image: string;
  /**
   * Appended to the full version to make the tag, for images that number their builds (`-1`).
   * @default ''
   */
  readonly imageTagSuffix?: string;
  /** uid and gid the official image's server runs as (also the volumes' group). */
  readonly imageUser: number;
  /** The ports apps connect to: what `allowFrom` admits. */
  readonly clientPorts: number[];
  /**
   * The engine reads unencrypted PKCS#8 private keys only (Kafka, Cassandra).
   * @default false
   */
  readonly pkcs8KeysOnly?: boolean;
  /**
   * The logical keys of its Secret (`password`, `replication-password`).
   * @default - the engine takes no credentials
   */
  readonly credentialKeys?: string[];
}

/**
 * What an engine states about itself, once: the base turns it into validation, defaults and the
 * objects every engine shares.
 */
export interface EngineDefinition {
  /** What it is. */
  readonly engine: EngineIdentity;
  /** The versions it supports. */
  readonly versions: SupportedVersions;
  /** Its defaults. */
  readonly defaults: EngineDefaults;
}

/** A per-pod data volume, resolved from `storage` (or an engine's own storage prop). */
interface ResolvedStorage {
  readonly size: Size;
  readonly storageClass?: IStorageClass;
  readonly accessModes: AccessMode[];
}

const STORAGE_KINDS: { [prop: string]: PropKind } = { size: instanceOf(Size, 'Size.gibibytes(10)'), storageClass: 'checked-elsewhere', accessModes: 'array' };
const LIBRARY_PREFIX = 'cdk8s-stateful/';
/**
 * No engine stops cleanly in less: a Postgres fast shutdown checkpoints, InnoDB flushes its buffer
 * pool, a MongoDB primary steps down, Cassandra drains its memtables, a Kafka broker hands over
 * its partition leadership.
 */
const MIN_GRACE_SECONDS = 30;
const MAX_GRACE_SECONDS = 7 * 24 * 3600;
const ENV_PREFIX = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** StatefulSet names above 52 characters break the controller-revision-hash label of their pods. */
const MAX_SET_NAME = 52;

/**
 * What every engine shares, in one place: name and length budget of every derived object,
 * version range and deprecation, image pinning, storage and access modes, resources, placement,
 * credentials, StatefulWorkloads with their Services, budget and NetworkPolicy, the config
 * checksum and pod annotations, the termination grace period, network access and the connection.
 *
 * An engine states only what is its own (its config renderer, scripts, ports, topology and rules):
 * see docs/architecture.md for the steps of adding one. The building methods are internal, so
 * engines are added to this library, not subclassed from outside it (yet). Every engine is a network policy peer, so
 * an app's `connections.allowTo(db)` works as well as `db.allowFrom(app)`.
 */
export abstract class EngineBase extends Construct implements kplus.INetworkPolicyPeer, kplus.IPodSelector {
  /** The instance name: StatefulSets, Services, claims and ConfigMaps are named after it. */
  public readonly name: string;
  /** The namespace of the instance's objects. */
  public readonly namespace: string;
  /** The image every server container runs (pinned). */
  public readonly image: string;
  /** Labels that every pod of the instance (every rack or set) carries: select them with these. */
  public readonly instanceLabels: { [key: string]: string };
  /** The ports apps connect to, which `allowFrom` admits. */
  public readonly clientPorts: number[];
  /** The version that runs. */
  public readonly version: EngineVersion;
  /**
   * The CronJob that snapshots the instance's claims, when `volumeSnapshots` is set.
   * @default - none
   */
  public readonly volumeSnapshotSchedule?: VolumeSnapshotSchedule;
  /**
   * The Secret with the servers' `tls.crt`, `tls.key` and `ca.crt`, when `tls` is set.
   * @default - no TLS
   */
  public readonly tlsSecretName?: string;
  /**
   * The cert-manager `Certificate` the library writes, with `TlsCertificates.certManager`.
   * @default - none
   */
  public readonly certificate?: ApiObject;

  /** @internal */ protected readonly _definition: EngineDefinition;
  /** @internal */ protected readonly _resources: kplus.ContainerResources;
  /** @internal */ protected readonly _memoryMiB: number;
  /** @internal */ protected readonly _storage: ResolvedStorage;
  /** @internal */ protected readonly _dns: ClusterDns;
  /** @internal */ protected readonly _terminationGracePeriod: Duration;
  /** @internal */ protected readonly _credentials?: EngineSecret;
  /** @internal */ protected _budget?: k8s.KubePodDisruptionBudget;
  /** @internal */ protected readonly _tls?: ResolvedTls;

  private readonly userAnnotations: { [key: string]: string };
  private readonly peers: kplus.INetworkPolicyPeer[] = [];
  private readonly metricsPeers: kplus.INetworkPolicyPeer[] = [];
  private readonly reservedSuffixes = new Set<string>(['']);
  private readonly members: StatefulWorkload[] = [];
  private readonly memberPorts = new Map<StatefulWorkload, number[]>();
  private readonly placement?: PlacementProps;
  private metricsPort?: number;
  private podMonitor?: ApiObject;
  private readonly nameFromId: boolean;
  private configMaps: { [id: string]: kplus.ConfigMap } = {};
  private clientService?: kplus.Service;
  private secretGenerator?: GeneratedSecret;
  private connectionValues?: ConnectionValues;
  private readonly restore?: ResolvedRestore;
  private readonly serviceNames: string[] = [];
  private tlsVolume?: kplus.Volume;
  private caMounts = 0;

  /**
   * @param scope the parent construct
   * @param id the construct id, and the instance name when `props.name` is not set
   * @param props the engine's props, as the user passed them (checked here, whatever their types)
   * @param definition what the engine is, which versions it supports and its defaults
   */
  protected constructor(scope: Construct, id: string, props: EngineProps, definition: EngineDefinition) {
    super(scope, id);
    markInstance(this);
    this._definition = definition;
    requireKind(this, 'props', props, 'object');
    requireKind(this, 'name', props.name, 'string');
    this.name = props.name ?? id;
    this.nameFromId = props.name === undefined;
    this._reserveSets([]);
    this.namespace = namespaceOf(this);
    requireKind(this, 'clusterDomain', props.clusterDomain, 'string');
    if (props.clusterDomain !== undefined) { requireDnsSubdomain(this, 'clusterDomain', props.clusterDomain); }
    this._dns = ClusterDns.of(this, props.clusterDomain);
    this.instanceLabels = { [WellKnownLabels.NAME]: definition.engine.name, [WellKnownLabels.INSTANCE]: this.name };
    this.clientPorts = [...definition.engine.clientPorts];
    exposeClientPorts(this, this.clientPorts);

    this.version = this.resolveVersion((props as { version?: unknown }).version);
    requireKind(this, 'image', props.image, 'string');
    this.image = props.image ?? `${definition.engine.image}:${this.version.fullVersion}${definition.engine.imageTagSuffix ?? ''}`;
    requirePinnedImage(this, 'image', this.image);

    this._storage = this.resolveStorage('storage', props.storage, definition.defaults.storage);
    this._resources = engineResources(this, props.resources, definition.defaults);
    this._memoryMiB = memoryMiB(this._resources);
    this.placement = props.placement === undefined ? undefined : requirePlacement(this, 'placement', props.placement);
    this._terminationGracePeriod = this.resolveGracePeriod(props.terminationGracePeriod);

    requireKind(this, 'podAnnotations', props.podAnnotations, 'string-map');
    this.userAnnotations = { ...props.podAnnotations };
    for (const key of Object.keys(this.userAnnotations)) {
      // Annotation keys have the syntax of label keys: an optional DNS prefix and a name of at most 63.
      requireLabelKey(this, `podAnnotations.${key}`, key);
      if (key.startsWith(LIBRARY_PREFIX)) {
        invalid(this, `podAnnotations.${key}`, `is written by the library (${LIBRARY_PREFIX}* annotations such as the config checksum that rolls the pods): leave it out`);
      }
    }

    if (props.volumeSnapshots !== undefined) {
      this._reserveSets([{ suffix: SNAPSHOTS_SUFFIX, prop: 'volumeSnapshots', kind: 'CronJob' }]);
      // Checked here first, so that a message names the engine and 'volumeSnapshots.<prop>'.
      resolveSnapshotOptions(this, 'volumeSnapshots', props.volumeSnapshots);
      this.volumeSnapshotSchedule = new VolumeSnapshotSchedule(this, 'VolumeSnapshots', {
        ...props.volumeSnapshots,
        name: `${this.name}${SNAPSHOTS_SUFFIX}`,
        instance: this.name,
      });
    }
    this.restore = resolveRestore(this, 'restoreFromVolumeSnapshots', props.restoreFromVolumeSnapshots, this.name);

    requireKind(this, 'allowFrom', props.allowFrom, 'array');
    (props.allowFrom ?? []).forEach((peer, i) => this.peers.push(this.requirePeer(`allowFrom[${i}]`, peer)));

    const keys = definition.engine.credentialKeys ?? [];
    if (keys.length > 0) {
      const credentials = (props as { credentials?: unknown }).credentials ?? Credentials.generated();
      requireKind(this, 'credentials', credentials, instanceOf(Credentials, 'Credentials.generated() or Credentials.fromSecret(name)'));
      (credentials as Credentials)._validate(this, 'credentials', keys);
      this._credentials = new EngineSecret(this, credentials as Credentials, this.name);
    }

    this._tls = this.resolveTls(props.tls);
    this.tlsSecretName = this._tls?.secretName;
    this.certificate = this._tls?.certificate;
  }

  /** The StatefulSet named `<name>` (Kafka's brokers, MongoDB's data members); for a ring of racks, the first rack. */
  public get workload(): StatefulWorkload {
    return this.members.find((m) => m.name === this.name) ?? this.members[0];
  }

  /** Every StatefulSet's workload of the instance, in creation order (racks, controllers, arbiter). */
  public get workloads(): StatefulWorkload[] {
    return [...this.members];
  }

  /** The StatefulSet of `workload`. */
  public get statefulSet(): k8s.KubeStatefulSet {
    return this.workload.statefulSet;
  }

  /** The headless Service of `workload`, which gives its pods their DNS names. */
  public get headlessService(): kplus.Service {
    return this.workload.headlessService;
  }

  /** The client Service `<name>`: what apps connect to. */
  public get service(): kplus.Service {
    return this.clientService!;
  }

  /**
   * The PodDisruptionBudget that guards the data-bearing pods.
   * @default - none for a single pod
   */
  public get podDisruptionBudget(): k8s.KubePodDisruptionBudget | undefined {
    return this._budget ?? this.workload.podDisruptionBudget;
  }

  /** The `<name>-config` ConfigMap: the rendered configuration. */
  public get configMap(): kplus.ConfigMap {
    return this.configMaps.Config;
  }

  /** The `<name>-scripts` ConfigMap: the bootstrap, probe and lifecycle scripts. */
  public get scriptsConfigMap(): kplus.ConfigMap {
    return this.configMaps.Scripts;
  }

  /**
   * The in-cluster generator of the credentials Secret.
   * @default - none: the credentials come from your Secret, or the engine takes none
   */
  public get generatedSecret(): GeneratedSecret | undefined {
    return this.secretGenerator;
  }

  /**
   * Admits `peer` (your app's pods, a namespace, an IP block) to the client ports of every pod of
   * the instance: every rack and set. The metrics port stays closed (see `allowMetricsFrom`).
   */
  public allowFrom(peer: kplus.INetworkPolicyPeer): void {
    const checked = this.requirePeer('allowFrom', peer);
    this.peers.push(checked);
    for (const member of this.members) { this.admit(member, checked, this.clientPorts); }
  }

  /** Admits `peer` (your Prometheus) to the metrics port of every pod that has one. */
  public allowMetricsFrom(peer: kplus.INetworkPolicyPeer): void {
    const checked = this.requirePeer('allowMetricsFrom', peer);
    if (this.metricsPort === undefined) {
      invalid(this, 'allowMetricsFrom', 'has no metrics port to open: this instance runs no metrics exporter (every engine runs one with metrics: true)');
    }
    this.metricsPeers.push(checked);
    for (const member of this.members) { this.admit(member, checked, [this.metricsPort]); }
  }

  /**
   * Adds a Prometheus Operator `PodMonitor` (monitoring.coreos.com/v1) that scrapes `/metrics` on
   * the `metrics` port of every pod of the instance that has one (every set: racks, controllers).
   * The cluster needs the operator's CRDs, and your Prometheus still needs `allowMetricsFrom()`.
   * @see https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.PodMonitor
   */
  public addPodMonitor(options: PodMonitorOptions = {}): ApiObject {
    const seconds = instanceOf(Duration, 'Duration.seconds(30)');
    requireProps(this, 'addPodMonitor', options, { name: 'string', labels: 'string-map', interval: seconds, scrapeTimeout: seconds });
    if (this.metricsPort === undefined) {
      invalid(this, 'addPodMonitor', 'has no metrics port to scrape: this instance runs no metrics exporter (set metrics: true)');
    }
    if (this.podMonitor !== undefined) {
      invalid(this, 'addPodMonitor', `was already called: the PodMonitor '${this.podMonitor.name}' scrapes every pod of the instance`);
    }
    const name = options.name ?? this.name;
    requireDnsSubdomain(this, 'addPodMonitor.name', name);
    const own = this._objectLabels();
    for (const [key, value] of Object.entries(options.labels ?? {})) {
      requireLabelKey(this, `addPodMonitor.labels.${key}`, key);
      requireLabelValue(this, `addPodMonitor.labels.${key}`, value);
      if (key in own) {
        invalid(this, `addPodMonitor.labels.${key}`, `is one of the instance's own labels (${Object.keys(own).join(', ')}): leave it out`);
      }
    }
    // Prometheus takes whole seconds here, and refuses a timeout longer than the interval.
    const interval = optionalSeconds(this, 'addPodMonitor.interval', options.interval);
    const timeout = optionalSeconds(this, 'addPodMonitor.scrapeTimeout', options.scrapeTimeout);
    if (interval !== undefined && timeout !== undefined && timeout > interval) {
      invalid(this, 'addPodMonitor.scrapeTimeout', `must be at most the interval (${interval} s): Prometheus refuses a longer timeout`, `${timeout} s`);
    }
    const namespaced = Chart.of(this).namespace !== undefined;
    this.podMonitor = new PodMonitor(this, 'PodMonitor', {
      metadata: { name, labels: { ...own, ...options.labels } },
      spec: {
        selector: { matchLabels: { ...this.instanceLabels } },
        namespaceSelector: namespaced ? { matchNames: [this.namespace] } : undefined,
        // The set a series comes from (broker, controller, rack-a): Kafka's controllers and brokers differ.
        podTargetLabels: [WellKnownLabels.COMPONENT],
        podMetricsEndpoints: [{
          port: 'metrics',
          path: '/metrics',
          interval: interval === undefined ? undefined : `${interval}s`,
          scrapeTimeout: timeout === undefined ? undefined : `${timeout}s`,
        }],
      },
    });
    return this.podMonitor;
  }

  /**
   * The connection as environment variables for an app container of any cdk8s-plus version (or a
   * plain pod spec): `<prefix>_HOST`, `<prefix>_PORT`, the read-only host, user and the password
   * from the Secret where the engine has them, the engine's own values, and `<prefix>_URI` last
   * (it refers to the password variable).
   */
  public connectionEnv(options: ConnectionEnvOptions = {}): k8s.EnvVar[] {
    requireProps(this, 'connectionEnv', options, { prefix: 'string' });
    const prefix = options.prefix ?? this._definition.engine.name.toUpperCase();
    if (!ENV_PREFIX.test(prefix)) {
      invalid(this, 'connectionEnv.prefix', "must be letters, digits and '_', not starting with a digit", prefix);
    }
    const values = this.connectionValues!;
    const c = values.connection;
    const env: k8s.EnvVar[] = [
      { name: `${prefix}_HOST`, value: c.host },
      { name: `${prefix}_PORT`, value: String(c.port) },
    ];
    if (c.readOnlyHost) { env.push({ name: `${prefix}_READONLY_HOST`, value: c.readOnlyHost }); }
    if (c.username) { env.push({ name: `${prefix}_USERNAME`, value: c.username }); }
    if (c.secretName && c.passwordKey) {
      env.push({ name: `${prefix}_PASSWORD`, valueFrom: { secretKeyRef: { name: c.secretName, key: c.passwordKey } } });
    }
    if (c.tls) {
      env.push({ name: `${prefix}_TLS`, value: c.tls.required ? 'required' : 'optional' });
      env.push({ name: `${prefix}_CA_FILE`, value: c.tls.caFile });
    }
    for (const [suffix, value] of Object.entries(values.extras)) { env.push({ name: `${prefix}_${suffix}`, value }); }
    if (values.uri) { env.push({ name: `${prefix}_URI`, value: values.uri(`$(${prefix}_PASSWORD)`) }); }
    return env;
  }

  /** Puts `connectionEnv()` into a cdk8s-plus-27 container's environment in one call. */
  public addConnectionEnv(container: kplus.Container, options: ConnectionEnvOptions = {}): void {
    requireInstance(this, 'addConnectionEnv', container, kplus.Container, 'deployment.containers[0] of cdk8s-plus-27 (use connectionEnv() for other versions)');
    const variables = this.connectionEnv(options);
    const taken = variables.map((v) => v.name).filter((name) => name in container.env.variables);
    if (taken.length > 0) {
      // Overwriting would wire the app to one of two databases silently, and keep the old order
      // (a URI before its password variable is never expanded): use a prefix per database.
      invalid(this, 'addConnectionEnv', `would overwrite the container's ${taken.join(', ')}: give each database its own prefix, e.g. addConnectionEnv(container, { prefix: 'ORDERS' })`);
    }
    const tls = this.connectionValues!.connection.tls;
    if (tls) {
      // Only the CA: the app has no business with the servers' key, which is in the same Secret.
      const secret = kplus.Secret.fromSecretName(this, `CaSecret${this.caMounts}`, tls.caSecretName);
      const volume = kplus.Volume.fromSecret(this, `CaVolume${this.caMounts}`, secret, {
        name: `${this.name}-ca`, items: { [tls.caKey]: { path: 'ca.crt' } },
      });
      this.caMounts++;
      container.mount(tls.caFile.slice(0, tls.caFile.lastIndexOf('/')), volume, { readOnly: true });
    }
    for (const variable of variables) {
      const ref = variable.valueFrom?.secretKeyRef;
      container.env.addVariable(variable.name, ref
        ? kplus.EnvValue.fromSecretValue({ secret: this._credentials!.secret, key: ref.key })
        : kplus.EnvValue.fromValue(variable.value!));
    }
  }

  /** Every pod of the instance, in its namespace: what an app's `connections.allowTo(db)` targets. */
  public toPodSelectorConfig(): kplus.PodSelectorConfig {
    // A chart without a namespace is applied to whichever namespace `kubectl -n` names: say none.
    const namespaced = Chart.of(this).namespace !== undefined;
    return {
      labelSelector: kplus.LabelSelector.of({ labels: this.instanceLabels }),
      namespaces: namespaced ? { names: [this.namespace] } : undefined,
    };
  }

  /** @see kplus.INetworkPolicyPeer.toNetworkPolicyPeerConfig */
  public toNetworkPolicyPeerConfig(): kplus.NetworkPolicyPeerConfig {
    return { podSelector: this.toPodSelectorConfig() };
  }

  /** @see kplus.INetworkPolicyPeer.toPodSelector */
  public toPodSelector(): kplus.IPodSelector | undefined {
    return this;
  }

  /**
   * Checks the engine's own props (kinds) and refuses keys that neither the engine nor the base
   * knows: a misspelt prop from JavaScript must not be ignored.
   * @internal
   */
  protected _checkProps(props: object, kinds: { [prop: string]: PropKind }): void {
    // The base checks `version`, `credentials` (where the engine takes them) and the engine's `validateConfig` its `config`.
    const credentials: { [prop: string]: PropKind } = this._credentials ? { credentials: 'checked-elsewhere' } : {};
    requireProps(this, '', props, { ...BASE_KINDS, ...credentials, ...kinds });
  }

  /**
   * Reserves the StatefulSet name suffixes the engine's topology derives (`-controller`, `-<rack>`),
   * and checks once that every derived name fits, naming the props that made it.
   * @internal
   */
  protected _reserveSets(sets: Array<{ suffix: string; prop: string; kind?: string }>): void {
    const longest = [{ suffix: '', prop: 'name', kind: undefined }, ...sets].reduce((a, b) => (b.suffix.length > a.suffix.length ? b : a));
    const budget = MAX_SET_NAME - longest.suffix.length;
    if (this.name.length === 0 || this.name.length > budget || !/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(this.name)) {
      // A CronJob's name has the same limit: its Jobs add 11 characters and must fit a label value.
      const derived = longest.suffix ? `; it names the ${longest.kind ?? 'StatefulSet'} '${this.name}${longest.suffix}' (from '${longest.prop}'), whose name may have at most ${MAX_SET_NAME}` : '';
      const fromId = this.nameFromId ? "; it defaults to the construct id: set 'name'" : '';
      invalid(this, 'name', `must be a DNS label that starts with a letter (lower-case letters, digits and '-'; it names Services) of at most ${budget} characters${derived}${fromId}`, this.name);
    }
    for (const set of sets) { this.reservedSuffixes.add(set.suffix); }
  }

  /**
   * Adds a ConfigMap with the instance's labels: `Config` is `<name>-config`, `Scripts` is
   * `<name>-scripts`, others `<name>-<suffix>`.
   * @internal
   */
  protected _addConfigMap(id: string, nameSuffix: string, data: { [key: string]: string }, component?: string): kplus.ConfigMap {
    const labels = { ...this._objectLabels(), ...(component ? { [WellKnownLabels.COMPONENT]: component } : {}) };
    const map = new kplus.ConfigMap(this, id, { metadata: { name: `${this.name}${nameSuffix}`, labels } });
    // In the engine's order: the config checksum reads `data`, and an upgrade must not roll pods for nothing.
    for (const [key, value] of Object.entries(data)) { map.addData(key, value); }
    this.configMaps[id] = map;
    return map;
  }

  /**
   * Adds one StatefulSet of the engine with everything the base owns: claims, identity, placement,
   * grace period, annotations (the checksum and the engine's own cannot be overwritten), the
   * NetworkPolicy with `allowFrom` on the client ports.
   * @internal
   */
  protected _addMembers(id: string, options: MemberSetOptions): StatefulWorkload {
    const suffix = options.suffix ?? '';
    if (!this.reservedSuffixes.has(suffix)) {
      throw new Error(`${this.node.path}: internal error: the StatefulSet suffix '${suffix}' was not reserved`);
    }
    const storage = options.storage === undefined && options.storageProp === undefined
      ? this._storage
      : this.resolveStorage(options.storageProp ?? 'storage', options.storage, options.defaultStorageSize ?? this._definition.defaults.storage);
    const uid = this._definition.engine.imageUser;
    const servedPorts = options.containers.flatMap((c) => (c.ports ?? []).map((p) => p.number));
    // The copy of the JMX exporter's jar has no business with the data.
    const all = [...options.containers, ...options.initContainers ?? []].map((c) => c.name ?? '');
    const withData = all.filter((n) => n !== JMX_AGENT_CONTAINER);
    const workload = new StatefulWorkload(this, id, {
      name: `${this.name}${suffix}`,
      appName: this._definition.engine.name,
      instance: this.name,
      component: options.component,
      version: this.version.fullVersion,
      replicas: options.replicas,
      containers: this.mountTls(options.containers, options.tlsMountInto ?? [options.containers[0].name ?? '']),
      initContainers: this.mountTls(options.initContainers ?? [], options.tlsMountInto ?? []),
      volumeClaims: options.dataPath === undefined ? [] : [{
        name: DATA_CLAIM,
        size: storage.size,
        storageClass: storage.storageClass,
        accessModes: storage.accessModes,
        mountPath: options.dataPath,
        mountInto: options.dataMountInto ?? (withData.length < all.length ? withData : undefined),
      }],
      identity: { user: uid, group: uid, fsGroup: uid },
      podManagementPolicy: options.podManagementPolicy,
      publishNotReadyAddresses: options.publishNotReadyAddresses,
      terminationGracePeriod: options.terminationGracePeriod ?? this._terminationGracePeriod,
      disruptionBudget: options.disruptionBudget,
      placement: options.zone === undefined ? this.placement : { ...this.placement, zone: options.zone },
      podAnnotations: this.podAnnotations(options),
      clusterDomain: this._dns.domain,
      serviceAccountToken: options.serviceAccountToken,
      sharedClaims: options.sharedClaims,
      clientService: false,
      // So that `db.workload.allowFrom(app)` admits the client ports too, never metrics or replication.
      clientPorts: this.clientPorts.filter((port) => servedPorts.includes(port)),
    });
    this.members.push(workload);
    this.memberPorts.set(workload, servedPorts);
    if (options.dataPath !== undefined) {
      // Every claim the set has as rendered: ordinals 0..replicas-1 (an arbiter has none).
      this.volumeSnapshotSchedule?.addClaims(...Array.from({ length: workload.replicas }, (_, i) => `${DATA_CLAIM}-${workload.name}-${i}`));
      if (this.restore) {
        restoredClaims(this, id, { template: DATA_CLAIM, workload, suffix, ...storage }, this.restore, 'restoreFromVolumeSnapshots');
      }
    }
    for (const peer of this.peers) { this.admit(workload, peer, this.clientPorts); }
    for (const peer of this.metricsPeers) { this.admit(workload, peer, [this.metricsPort!]); }
    return workload;
  }

  /**
   * The engine's metrics exporter, a sidecar that talks to the server over loopback: its port is
   * what `allowMetricsFrom` opens and what the scrape annotations of the pods that run it name.
   * @internal
   */
  protected _metricsExporter(exporter: MetricsExporter): kplus.ContainerProps {
    this.metricsPort = exporter.port;
    const uid = this._definition.engine.imageUser;
    return {
      name: 'metrics',
      image: exporter.image,
      args: exporter.args,
      ports: [{ name: 'metrics', number: exporter.port }],
      envVariables: exporter.env,
      resources: exporter.resources,
      readiness: kplus.Probe.fromHttpGet('/', { port: exporter.port }),
      liveness: kplus.Probe.fromTcpSocket({ port: exporter.port }),
      securityContext: { user: uid, group: uid },
    };
  }

  /**
   * The Prometheus JMX exporter as a javaagent of the engine's JVM (Kafka, Cassandra): the
   * `-javaagent` option for the server's environment, the metrics port for its container and,
   * when the jar comes from an image, the init container that copies it into a volume the server
   * mounts read-only. `agent` is the user's `metricsAgent` prop, checked here.
   * @internal
   */
  protected _jmxExporter(scope: Construct, agent: unknown, rulesPath: string): JmxExporterParts {
    requireKind(this, 'metricsAgent', agent, instanceOf(JmxExporterAgent,
      "JmxExporterAgent.fromImage('registry.example.com/jmx-exporter:1.0.1', '/opt/jmx_prometheus_javaagent.jar')"));
    const source = (agent as JmxExporterAgent | undefined) ?? JmxExporterAgent.bitnami();
    this.metricsPort = JMX_EXPORTER_PORT;
    const port: kplus.ContainerPort = { name: 'metrics', number: JMX_EXPORTER_PORT };
    const javaAgent = (jar: string) => `-javaagent:${jar}=${JMX_EXPORTER_PORT}:${rulesPath}`;
    if (source.image === undefined) {
      return { port, javaAgent: javaAgent(source.jarPath), initContainers: [], volumeMounts: [] };
    }
    requirePinnedImage(this, 'metricsAgent', source.image);
    const volume = kplus.Volume.fromEmptyDir(scope, 'MetricsAgent', 'metrics-agent', { sizeLimit: Size.mebibytes(32) });
    const jar = `${JMX_AGENT_DIR}/jmx_prometheus_javaagent.jar`;
    const uid = this._definition.engine.imageUser;
    return {
      port,
      javaAgent: javaAgent(jar),
      initContainers: [{
        name: JMX_AGENT_CONTAINER,
        image: source.image,
        command: ['cp', source.jarPath, jar],
        resources: {
          cpu: { request: kplus.Cpu.millis(10), limit: kplus.Cpu.millis(200) },
          memory: { request: Size.mebibytes(16), limit: Size.mebibytes(64) },
        },
        // The server's user, so that the copy is its own whatever user the source image names.
        securityContext: { user: uid, group: uid },
        volumeMounts: [{ volume, path: JMX_AGENT_DIR }],
      }],
      volumeMounts: [{ volume, path: JMX_AGENT_DIR, readOnly: true }],
    };
  }

  /**
   * Adds a client Service in front of the first workload's pods (or `wholeInstance`); the first one
   * is `service`.
   * @internal
   */
  protected _addService(id: string, options: ClientServiceOptions): kplus.Service {
    const service = this.workload.addClientService(id, options);
    this.serviceNames.push(service.name);
    this.clientService = this.clientService ?? service;
    return service;
  }

  /**
   * The generator of the credentials Secret, when the cluster is to generate it.
   * @internal
   */
  protected _generateCredentials(): void {
    this.secretGenerator = this._credentials?.generate(this._definition.engine.credentialKeys ?? [], this._objectLabels());
  }

  /**
   * Records the connection for `connectionEnv()`: the core, the engine's own variables, and the
   * URI as a function of the password reference.
   * @internal
   */
  protected _connect<T extends AnyConnection>(connection: T, extras: { [suffix: string]: string }, uri?: (password: string) => string): T {
    const tls = this._connectionTls();
    const withTls = tls ? { ...connection, tls } : connection;
    this.connectionValues = { connection: withTls, extras, uri };
    return withTls;
  }

  /**
   * TLS as clients see it, for the engine's URI and client configuration.
   * @internal
   */
  protected _connectionTls(): ConnectionTls | undefined {
    if (!this._tls) { return undefined; }
    return { required: !this._tls.allowPlaintext, caSecretName: this._tls.secretName, caKey: 'ca.crt', caFile: `/etc/cdk8s-stateful/${this.name}/ca.crt` };
  }

  /** Labels of every object of the instance (ConfigMaps, Secrets, budgets). @internal */
  protected _objectLabels(): { [key: string]: string } {
    return { ...this.instanceLabels, [WellKnownLabels.MANAGED_BY]: 'cdk8s-stateful', [WellKnownLabels.VERSION]: this.version.fullVersion };
  }

  /** The user's annotations and the library's own, which the user's cannot overwrite. */
  private podAnnotations(options: MemberSetOptions): { [key: string]: string } {
    const exported = this.metricsPort !== undefined && options.containers.some((c) => c.ports?.some((p) => p.number === this.metricsPort));
    const scrape: { [key: string]: string } = exported ? { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(this.metricsPort), 'prometheus.io/path': '/metrics' } : {};
    const own = { ...scrape, ...configChecksum(...options.checksum) };
    for (const key of Object.keys(own)) {
      if (key in this.userAnnotations) {
        invalid(this, `podAnnotations.${key}`, 'is written by the library on these pods (the metrics exporter\'s scrape settings, the config checksum): leave it out');
      }
    }
    return { ...this.userAnnotations, ...own };
  }

  private admit(workload: StatefulWorkload, peer: kplus.INetworkPolicyPeer, ports: number[]): void {
    // Only the ports this set serves: Kafka's controllers have no client port, and need no rule.
    const served = new Set(this.memberPorts.get(workload));
    const open = ports.filter((p) => served.has(p));
    if (open.length > 0) {
      workload.allowFrom(peer, open.map((p) => kplus.NetworkPolicyPort.tcp(p)));
    }
  }

  private requirePeer(prop: string, peer: unknown): kplus.INetworkPolicyPeer {
    const candidate = peer as Partial<kplus.INetworkPolicyPeer> | undefined;
    if (typeof candidate?.toNetworkPolicyPeerConfig !== 'function' || typeof candidate.toPodSelector !== 'function') {
      invalid(this, prop, 'must be a network peer: NetworkPeer.pods({ labels }), NetworkPeer.namespace(name), NetworkPeer.ipBlock(cidr), '
        + `NetworkPeer.fromApiObject(obj), or a cdk8s-plus-27 peer such as Pods.select(...) or a Deployment, got ${describeValue(peer)}`);
    }
    return candidate as kplus.INetworkPolicyPeer;
  }

  private resolveTls(value: unknown): ResolvedTls | undefined {
    if (value === undefined) { return undefined; }
    requireProps(this, 'tls', value, { certificates: 'checked-elsewhere', allowPlaintext: 'boolean' });
    const tls = value as TlsOptions;
    if (tls.certificates === undefined) {
      invalid(this, 'tls.certificates', 'is required: TLS needs a certificate, from TlsCertificates.fromSecret(name) or TlsCertificates.certManager({ issuerName })');
    }
    requireKind(this, 'tls.certificates', tls.certificates, instanceOf(TlsCertificates, "TlsCertificates.certManager({ issuerName: 'ca-issuer' })"));
    const engine = this._definition.engine;
    const resolved = tls.certificates._resolve(this, 'tls.certificates', { instanceName: this.name, pkcs8Only: engine.pkcs8KeysOnly ? engine.displayName : undefined });
    const labels = this._objectLabels();
    const certificate = resolved.certManager && certManagerCertificate(this, {
      name: this.name,
      secretName: resolved.secretName,
      labels,
      settings: resolved.certManager,
      dns: this._dns,
      names: { services: () => this.serviceNames, statefulSets: () => this.members.map((m) => m.name) },
    });
    return { secretName: resolved.secretName, allowPlaintext: tls.allowPlaintext ?? false, certificate };
  }

  /** The TLS Secret, read-only, in `names` of `containers`. */
  private mountTls(containers: kplus.ContainerProps[], names: string[]): kplus.ContainerProps[] {
    if (!this._tls) { return containers; }
    this.tlsVolume = this.tlsVolume ?? kplus.Volume.fromSecret(this, 'TlsVolume', kplus.Secret.fromSecretName(this, 'TlsSecret', this._tls.secretName), {
      name: 'tls', defaultMode: TLS_FILE_MODE,
    });
    const volume = this.tlsVolume;
    return containers.map((c) => (names.includes(c.name ?? '')
      ? { ...c, volumeMounts: [...c.volumeMounts ?? [], { volume, path: TLS_DIR, readOnly: true }] }
      : c));
  }

  private resolveVersion(value: unknown): EngineVersion {
    const def = this._definition.versions;
    const displayName = this._definition.engine.displayName;
    const version = (value ?? def.defaultVersion) as EngineVersion;
    const versionClass = def.defaultVersion.constructor as Function;
    requireKind(this, 'version', version, instanceOf(versionClass, `${versionClass.name}.of('${def.defaultVersion.fullVersion}', '${def.defaultVersion.majorVersion}')`));
    const { fullVersion: full, majorVersion: major } = version;
    const range = `${displayName} ${def.oldest} to ${def.newest}.x (what the rendered configuration and scripts support)`;
    // Numbers as release tags write them: no leading zeros ('17.07' is no tag of anyone's).
    const shape = (parts: number) => new RegExp(`^(0|[1-9]\\d*)(\\.(0|[1-9]\\d*)){${parts - 1}}$`);
    if (typeof major !== 'string' || !shape(def.majorParts).test(major) || typeof full !== 'string'
      || !shape(def.fullParts).test(full) || !full.startsWith(`${major}.`)) {
      invalid(this, 'version', `must be a version of ${range}, with a full version of ${def.fullParts} numbers that starts with its release line: ${versionClass.name}.of('${def.defaultVersion.fullVersion}', '${def.defaultVersion.majorVersion}')`,
        `${String(full)} (${String(major)})`);
    }
    const newest = def.newest.split('.').length;
    if (compareVersions(full, def.oldest) < 0 || compareVersions(full.split('.').slice(0, newest).join('.'), def.newest) > 0) {
      invalid(this, 'version', `must be ${range}`, full);
    }
    // A release line is deprecated as a whole: `of('13.20', '13')` warns as V13 does.
    const sameLine = (known: unknown): known is EngineVersion =>
      known instanceof EngineVersion && known.majorVersion === major && known.deprecation !== undefined;
    const deprecation = version.deprecation ?? Object.values(versionClass).find(sameLine)?.deprecation;
    if (deprecation) {
      warn(this, `${displayName} ${full} is deprecated: ${deprecation}`);
    }
    return version;
  }

  private resolveStorage(prop: string, value: unknown, defaultSize: Size): ResolvedStorage {
    requireProps(this, prop, value, STORAGE_KINDS);
    const storage = (value ?? {}) as { size?: Size; storageClass?: IStorageClass; accessModes?: AccessMode[] };
    const storageClass = storage.storageClass;
    if (storageClass !== undefined) { requireStorageClass(this, `${prop}.storageClass`, storageClass); }
    if (storage.size !== undefined) { requirePositiveSize(this, `${prop}.size`, storage.size); }
    const accessModes = storage.accessModes ?? [AccessMode.READ_WRITE_ONCE];
    if (accessModes.length === 0) {
      invalid(this, `${prop}.accessModes`, 'must list at least one access mode, e.g. [AccessMode.READ_WRITE_ONCE]');
    }
    const valid = [AccessMode.READ_WRITE_ONCE, AccessMode.READ_WRITE_ONCE_POD, AccessMode.READ_WRITE_MANY];
    accessModes.forEach((mode, i) => {
      if (!valid.includes(mode)) {
        invalid(this, `${prop}.accessModes[${i}]`, `must be a mode every pod can write its own volume with: ${valid.join(', ')} (ReadOnlyMany would leave the server unable to write)`, mode);
      }
    });
    const capabilities = storageClass?.capabilities;
    if (capabilities) {
      requireAccessModes(this, `${prop}.accessModes`, accessModes, capabilities.accessModes, `storage class '${storageClass!.storageClassName}'`);
    }
    return { size: storage.size ?? defaultSize, storageClass, accessModes };
  }

  private resolveGracePeriod(value: unknown): Duration {
    requireKind(this, 'terminationGracePeriod', value, instanceOf(Duration, 'Duration.seconds(120)'));
    const grace = (value as Duration | undefined) ?? this._definition.defaults.terminationGracePeriod;
    requireWholeSeconds(this, 'terminationGracePeriod', grace, MIN_GRACE_SECONDS, MAX_GRACE_SECONDS,
      `the time ${this._definition.engine.displayName} needs to stop cleanly, and at most a week`);
    return grace;
  }


}

/** The core and whichever optional parts an engine's connection has. */
type AnyConnection = EngineConnection & Partial<ReadOnlyEndpoint & ConnectionCredentials>;

/** A metrics exporter sidecar, as an engine describes it. */
interface MetricsExporter {
  readonly image: string;
  readonly port: number;
  readonly args?: string[];
  readonly env?: { [name: string]: kplus.EnvValue };
  readonly resources: kplus.ContainerResources;
}

/** What a JVM engine adds to its pods to run the JMX exporter as a javaagent. */
interface JmxExporterParts {
  /** The `metrics` port, for the server container. */
  readonly port: kplus.ContainerPort;
  /** `-javaagent:<jar>=<port>:<rules>`, for the JVM's options. */
  readonly javaAgent: string;
  /** The copy of the jar (none when the server image carries it). */
  readonly initContainers: kplus.ContainerProps[];
  /** The jar's volume, for the server container. */
  readonly volumeMounts: kplus.VolumeMount[];
}

/** The name of every engine's claim template: claims are `data-<set>-<ordinal>`. */
const DATA_CLAIM = 'data';
/** The snapshot CronJob is `<name>-snapshots`. */
const SNAPSHOTS_SUFFIX = '-snapshots';

/** The JMX exporter's port, as Strimzi and most Kafka dashboards have it. */
const JMX_EXPORTER_PORT = 9404;
/** The init container that copies the jar. */
const JMX_AGENT_CONTAINER = 'metrics-agent';
/** Where the server container finds a copied javaagent jar. */
const JMX_AGENT_DIR = '/opt/jmx-exporter';

/** The `tls` prop, checked. */
interface ResolvedTls {
  /** The Secret with `tls.crt`, `tls.key` and `ca.crt`. */
  readonly secretName: string;
  /** Plaintext clients are accepted too. */
  readonly allowPlaintext: boolean;
  /** The cert-manager Certificate, when the library writes one. */
  readonly certificate?: ApiObject;
}

interface ConnectionValues {
  readonly connection: AnyConnection;
  readonly extras: { [suffix: string]: string };
  readonly uri?: (password: string) => string;
}

const BASE_KINDS: { [prop: string]: PropKind } = {
  name: 'string',
  storage: 'object',
  resources: 'object',
  image: 'string',
  placement: 'object',
  allowFrom: 'array',
  podAnnotations: 'string-map',
  clusterDomain: 'string',
  terminationGracePeriod: instanceOf(Duration, 'Duration.seconds(120)'),
  version: 'checked-elsewhere',
  config: 'checked-elsewhere',
  volumeSnapshots: 'object',
  restoreFromVolumeSnapshots: 'object',
  tls: 'checked-elsewhere',
};


/** A Duration of whole seconds from 1 s to an hour, or undefined. */
function optionalSeconds(scope: Construct, prop: string, value: Duration | undefined): number | undefined {
  return value === undefined ? undefined : requireWholeSeconds(scope, prop, value, 1, 3600, 'Prometheus scrapes in whole seconds');
}

/** Numeric comparison of dotted versions; missing parts count as 0. */
function compareVersions(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) { return d; }
  }
  return 0;
}
