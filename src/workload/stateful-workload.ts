import { Duration, Lazy, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { renderClaimTemplate, resolveClaimTemplate, ResolvedClaimTemplate } from './claim-template';
import { DisruptionBudget } from './disruption-budget';
import { WellKnownLabels } from './labels';
import { NetworkPeer } from './network-peer';
import { PlacementProps, SpreadMode } from './placement';
import { requirePlacement } from './placement-check';
import { Placement, PlacementProfile } from './placement-profile';
import { containerPorts, policyPorts, requireDistinctPorts, servicePorts } from './ports';
import { VolumeClaimTemplateProps } from './volume-claim';
import { ClusterDns, headlessServiceName } from '../private/dns';
import { requireWholeSeconds } from '../private/durations';
import { invalid, requireInteger, warn } from '../private/errors';
import {
  describeValue, keysOf, optional, requireArray, requireBoolean, requireInstance, requireKnownKeys, requireNumber, requireOneOf,
  requireRecord, requireString, requireStringRecord,
} from '../private/guards';
import { kubeNetworkPolicyPeers, kubeNetworkPolicyPort, kubeVolume, markInstance, namespaceOf, setSpecField } from '../private/k8s';
import { requireDns1035Label, requireDnsLabel, requireDnsSubdomain, requireLabels, requireLabelValue } from '../private/names';
import { hardened, podSecurityContext, secureContainer } from '../private/pod';
import { requirePinnedImage, requireRequestsWithinLimits } from '../private/resources';

/** More pods than this in one StatefulSet is a typo (an extra zero), not a plan. */
const MAX_REPLICAS = 1000;
/** A grace period longer than a week is a typo too. */
const MAX_GRACE_SECONDS = 7 * 24 * 3600;

/** How the pods of a set are started and stopped. */
export enum PodManagementPolicy {
  /** One at a time, in ordinal order, each Ready before the next starts. */
  ORDERED_READY = 'OrderedReady',
  /** All at once: for clusters whose members find each other (Cassandra seeds, Kafka quorum). */
  PARALLEL = 'Parallel',
}

/** Security identity of the pods: the user and group the image's server runs as. */
export interface PodIdentity {
  /** User id the containers run as. @default - the image's USER, which must not be root */
  readonly user?: number;
  /** Group id the containers run as. @default - the image's group */
  readonly group?: number;
  /** Group that owns the mounted volumes, so the server can write its data. @default - the `group` */
  readonly fsGroup?: number;
}

/** A client Service in front of some or all pods of the set. */
export interface ClientServiceOptions {
  /** Service name. */
  readonly name: string;
  /** Ports. @default - every port the containers expose */
  readonly ports?: kplus.ServicePort[];
  /** Reach only this pod (by name, e.g. `orders-0`). @default - every pod of the set */
  readonly podName?: string;
  /** Reach the pods of every set of this instance, not only this set's. @default false */
  readonly wholeInstance?: boolean;
  /**
   * Labels the reached pods must also carry, such as a role that software in the pods sets
   * (`{ role: 'primary' }`): the Service follows the label as it moves.
   * @default - none
   */
  readonly selectLabels?: { [key: string]: string };
  /** Service type. @default kplus.ServiceType.CLUSTER_IP */
  readonly serviceType?: kplus.ServiceType;
  /** Annotations of the Service. @default - none */
  readonly annotations?: { [key: string]: string };
}

/** Properties of a {@link StatefulWorkload}. */
export interface StatefulWorkloadProps {
  /** The containers of each pod. The first is the main one. */
  readonly containers: kplus.ContainerProps[];
  /**
   * Name of the StatefulSet, prefix of its pods (`<name>-0`), its claims and its Services. Renaming
   * the construct id does not change it once set, so data is not orphaned.
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * Number of pods.
   * @default 1
   */
  readonly replicas?: number;
  /** Containers that run to completion before the main ones start (bootstrap, cloning). @default - none */
  readonly initContainers?: kplus.ContainerProps[];
  /** Per-pod volumes. @default - none */
  readonly volumeClaims?: VolumeClaimTemplateProps[];
  /** `app.kubernetes.io/name`: the application (`postgres`, `kafka`). @default - the `name` */
  readonly appName?: string;
  /** `app.kubernetes.io/instance`: shared by every set of one deployment. @default - the `name` */
  readonly instance?: string;
  /** `app.kubernetes.io/component`: the role of this set, part of its selector when given. @default - none */
  readonly component?: string;
  /** `app.kubernetes.io/version` on every object. @default - none */
  readonly version?: string;
  /** Extra annotations on the pods (scrape settings, checksums). @default - none */
  readonly podAnnotations?: { [key: string]: string };
  /** User, group and volume group of the pods. @default - the image's user; runAsNonRoot is always set */
  readonly identity?: PodIdentity;
  /** Where the pods may run. @default - one pod per node and an even spread over zones, when replicas > 1 */
  readonly placement?: PlacementProps;
  /** How pods are started. @default PodManagementPolicy.ORDERED_READY */
  readonly podManagementPolicy?: PodManagementPolicy;
  /** Time a pod gets to stop cleanly after SIGTERM. @default Duration.seconds(30) */
  readonly terminationGracePeriod?: Duration;
  /**
   * Voluntary disruptions allowed at once.
   * @default - at most one pod unavailable when replicas > 1; no budget for a single pod
   */
  readonly disruptionBudget?: DisruptionBudget;
  /**
   * Create a client Service `<name>` in front of every pod of the set.
   * @default true
   */
  readonly clientService?: boolean;
  /**
   * Publish pods in the headless Service's DNS before they are Ready, so that members of a cluster
   * can find each other while they start.
   * @default true
   */
  readonly publishNotReadyAddresses?: boolean;
  /**
   * Create a NetworkPolicy that admits only the instance's own pods plus what `allowFrom` adds.
   * @default true
   */
  readonly networkPolicy?: boolean;
  /**
   * Peers allowed to reach the client ports. The instance's own pods are always allowed.
   * @default - none
   */
  readonly allowFrom?: kplus.INetworkPolicyPeer[];
  /**
   * The container ports apps may reach: what `allowFrom` admits when it is given no ports. The
   * other ports (metrics, replication, gossip) stay open to the instance's own pods only.
   * @default - every container port
   */
  readonly clientPorts?: number[];
  /** The cluster's DNS domain, for the pods' fully qualified names. @default 'cluster.local' */
  readonly clusterDomain?: string;
  /**
   * Mount the ServiceAccount's API token into the pods, for software in them that talks to the
   * Kubernetes API (Patroni keeps its leader lock there). Grant it a namespaced Role of the least
   * verbs it needs.
   * @default false
   */
  readonly serviceAccountToken?: boolean;
  /**
   * Claims in `volumeMounts` that every pod mounts on purpose: ReadWriteMany storage that the pods
   * share and do not each write as their own data (a backup repository). Any other claim in
   * `volumeMounts` is refused when replicas > 1.
   * @default - none
   */
  readonly sharedClaims?: string[];
}

// Every prop, checked by the compiler against the interface: refused keys are typos.
const PROPS = keysOf<StatefulWorkloadProps>({
  containers: true,
  name: true,
  replicas: true,
  initContainers: true,
  volumeClaims: true,
  appName: true,
  instance: true,
  component: true,
  version: true,
  podAnnotations: true,
  identity: true,
  placement: true,
  podManagementPolicy: true,
  terminationGracePeriod: true,
  disruptionBudget: true,
  clientService: true,
  publishNotReadyAddresses: true,
  networkPolicy: true,
  allowFrom: true,
  clientPorts: true,
  clusterDomain: true,
  serviceAccountToken: true,
  sharedClaims: true,
});
const SERVICE_OPTIONS = keysOf<ClientServiceOptions>({
  name: true, ports: true, podName: true, wholeInstance: true, selectLabels: true, serviceType: true, annotations: true,
});
const IDENTITY = keysOf<PodIdentity>({ user: true, group: true, fsGroup: true });

/** An allowFrom rule: a peer and its ports (undefined: the containers' ports). */
interface IngressRule {
  readonly peer: kplus.INetworkPolicyPeer;
  readonly ports?: kplus.NetworkPolicyPort[];
  readonly prop: string;
}

/**
 * A StatefulSet with everything a stateful service needs around it: per-pod claims, a headless
 * governing Service, a client Service, a PodDisruptionBudget, a ServiceAccount with no API token,
 * a NetworkPolicy, placement for availability and pods hardened to the "restricted" Pod Security
 * Standard. Every engine is built on it; use it directly for your own stateful apps.
 */
export class StatefulWorkload extends Construct {
  /** Name of the StatefulSet and prefix of every object. */
  public readonly name: string;
  /** Namespace of the objects. */
  public readonly namespace: string;
  /** Number of pods. */
  public readonly replicas: number;
  /** Labels that select this set's pods (and only them). */
  public readonly selectorLabels: { [key: string]: string };
  /** Labels shared by every set of the instance. */
  public readonly instanceLabels: { [key: string]: string };
  /** Labels on every object. */
  public readonly labels: { [key: string]: string };
  /** The StatefulSet. */
  public readonly statefulSet: k8s.KubeStatefulSet;
  /** The headless Service that gives every pod its DNS name. */
  public readonly headlessService: kplus.Service;
  /** The client Service `<name>`, unless disabled. */
  public readonly service?: kplus.Service;
  /** The PodDisruptionBudget, unless none. */
  public readonly podDisruptionBudget?: k8s.KubePodDisruptionBudget;
  /** The ServiceAccount of the pods. */
  public readonly serviceAccount: kplus.ServiceAccount;
  /**
   * The NetworkPolicy, unless disabled. Its peers are rendered at synth, so `allowFrom` peers whose
   * labels are set later still count; add rules with `allowFrom()`.
   */
  public readonly networkPolicy?: k8s.KubeNetworkPolicy;
  /** The cluster DNS domain. */
  public readonly clusterDomain: string;

  private readonly containerPorts: kplus.ContainerPort[];
  private readonly clientPorts: kplus.ContainerPort[];
  private readonly claims: ResolvedClaimTemplate[];
  private readonly sharedClaims: string[];
  private readonly ingressRules: IngressRule[] = [];

  constructor(scope: Construct, id: string, props: StatefulWorkloadProps) {
    super(scope, id);
    markInstance(this);
    requireKnownKeys(this, '', requireRecord(this, 'props', props), PROPS);
    // It names the client and headless Services, which must start with a letter; StatefulSet names
    // longer than 52 characters break the controller-revision-hash label of their pods.
    this.name = requireDns1035Label(this, 'name', props.name ?? id, 52);
    this.namespace = namespaceOf(this);
    this.replicas = requireInteger(this, 'replicas', optional(props.replicas, (v) => requireNumber(this, 'replicas', v)) ?? 1, 1);
    if (this.replicas > MAX_REPLICAS) {
      invalid(this, 'replicas', `must be at most ${MAX_REPLICAS}: one StatefulSet of more pods than that is a mistake (and its DNS records and claims would not fit)`, this.replicas);
    }
    this.clusterDomain = optional(props.clusterDomain, (v) => requireDnsSubdomain(this, 'clusterDomain', v as string)) ?? 'cluster.local';
    const containerProps = this.containerList('containers', props.containers);
    if (containerProps.length === 0) {
      invalid(this, 'containers', 'must list at least one container');
    }
    const initContainerProps = optional(props.initContainers, (v) => this.containerList('initContainers', v)) ?? [];

    const label = (prop: string, value: unknown) => optional(value, (v) => requireLabelValue(this, prop, v as string));
    const appName = label('appName', props.appName) ?? this.name;
    const instance = label('instance', props.instance) ?? this.name;
    const component = label('component', props.component);
    const version = label('version', props.version);
    this.instanceLabels = { [WellKnownLabels.NAME]: appName, [WellKnownLabels.INSTANCE]: instance };
    this.selectorLabels = { ...this.instanceLabels, ...(component ? { [WellKnownLabels.COMPONENT]: component } : {}) };
    this.labels = {
      ...this.selectorLabels,
      [WellKnownLabels.MANAGED_BY]: 'cdk8s-stateful',
      ...(version ? { [WellKnownLabels.VERSION]: version } : {}),
    };

    const claimProps = optional(props.volumeClaims, (v) => requireArray(this, 'volumeClaims', v, 'a list of claim templates')) ?? [];
    this.claims = claimProps.map((c, i) => resolveClaimTemplate(this, i, c as VolumeClaimTemplateProps));
    const claimNames = this.claims.map((c) => c.name);
    if (new Set(claimNames).size !== claimNames.length) {
      invalid(this, 'volumeClaims', 'must have distinct names', claimNames);
    }

    // Ports are checked on the props, before cdk8s-plus builds containers and throws its own errors.
    const mainPorts = containerProps.flatMap((c, i) => containerPorts(this, `containers[${i}]`, c));
    const initPorts = initContainerProps.flatMap((c, i) => containerPorts(this, `initContainers[${i}]`, c));
    requireDistinctPorts(this, [...mainPorts, ...initPorts], 'the pod', false);
    // The main containers' ports become the Services' ports.
    requireDistinctPorts(this, mainPorts, 'the pod', true);

    const claimMounts = new Map<string, kplus.Volume>();
    for (const claim of this.claims) {
      // A stand-in that only names the template in volumeMounts: the StatefulSet controller adds the volume.
      claimMounts.set(claim.name, kplus.Volume.fromEmptyDir(this, `claim-${claim.name}`, claim.name));
    }
    const build = (c: kplus.ContainerProps, prop: string) => this.renderContainer(c, prop, claimMounts);
    const containers = containerProps.map((c, i) => build(c, `containers[${i}]`));
    const initContainers = initContainerProps.map((c, i) => build(c, `initContainers[${i}]`));
    this.containerPorts = containers.flatMap((c) => c.ports);
    this.clientPorts = this.resolveClientPorts(props.clientPorts);
    this.sharedClaims = (optional(props.sharedClaims, (v) => requireArray(this, 'sharedClaims', v)) ?? [])
      .map((c, i) => requireString(this, `sharedClaims[${i}]`, c));
    const volumes = this.collectVolumes([...containers, ...initContainers], new Set(claimMounts.values()));

    const token = optional(props.serviceAccountToken, (v) => requireBoolean(this, 'serviceAccountToken', v)) ?? false;
    this.serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', {
      metadata: { name: this.name, labels: this.labels },
      automountToken: false,
    });

    if (this.containerPorts.length === 0) {
      invalid(this, 'containers', 'must expose at least one port (ports or portNumber): the headless Service that gives the pods their DNS names needs one');
    }
    const headlessName = headlessServiceName(this.name);
    this.headlessService = this.createService('Headless', { name: headlessName }, true);
    setSpecField(this.headlessService, 'publishNotReadyAddresses',
      optional(props.publishNotReadyAddresses, (v) => requireBoolean(this, 'publishNotReadyAddresses', v)) ?? true);

    if (optional(props.clientService, (v) => requireBoolean(this, 'clientService', v)) ?? true) {
      this.service = this.createService('Service', { name: this.name }, false);
    }

    const placement = this.renderPlacement(optional(props.placement, (v) => requirePlacement(this, 'placement', v)) ?? {});
    const identity = optional(props.identity, (v) => this.identityProps(v)) ?? {};
    const podAnnotations = optional(props.podAnnotations, (v) => requireStringRecord(this, 'podAnnotations', v));
    const podManagementPolicy = optional(props.podManagementPolicy,
      (v) => requireOneOf(this, 'podManagementPolicy', v, Object.values(PodManagementPolicy))) ?? PodManagementPolicy.ORDERED_READY;
    const grace = optional(props.terminationGracePeriod,
      (v) => requireInstance(this, 'terminationGracePeriod', v, Duration, 'Duration.seconds(30)')) ?? Duration.seconds(30);
    this.statefulSet = new k8s.KubeStatefulSet(this, 'Resource', {
      metadata: { name: this.name, labels: this.labels },
      spec: {
        serviceName: headlessName,
        replicas: this.replicas,
        selector: { matchLabels: this.selectorLabels },
        podManagementPolicy,
        updateStrategy: { type: 'RollingUpdate' },
        // Claims outlive their pods: deleting or scaling the set never deletes data.
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        template: {
          metadata: { labels: this.labels, annotations: podAnnotations },
          spec: {
            serviceAccountName: this.serviceAccount.name,
            automountServiceAccountToken: token,
            enableServiceLinks: false,
            terminationGracePeriodSeconds: requireWholeSeconds(this, 'terminationGracePeriod', grace, 0, MAX_GRACE_SECONDS, 'Kubernetes counts it in seconds'),
            securityContext: podSecurityContext(identity.user, identity.group, identity.fsGroup),
            ...placement,
            initContainers: initContainers.length > 0 ? initContainers.map(hardened) : undefined,
            containers: containers.map(hardened),
            volumes: volumes.length > 0 ? volumes : undefined,
          },
        },
        volumeClaimTemplates: this.claims.length > 0
          ? this.claims.map((c) => renderClaimTemplate(c, this.labels))
          : undefined,
      },
    });

    const budget = optional(props.disruptionBudget,
      (v) => requireInstance(this, 'disruptionBudget', v, DisruptionBudget, 'DisruptionBudget.maxUnavailable(1)'))
      ?? (this.replicas > 1 ? DisruptionBudget.maxUnavailable(1) : DisruptionBudget.none());
    this.podDisruptionBudget = this.renderDisruptionBudget(budget);

    const allowFrom = optional(props.allowFrom, (v) => requireArray(this, 'allowFrom', v, 'a list of network peers')) ?? [];
    allowFrom.forEach((peer, i) => requirePeer(this, `allowFrom[${i}]`, peer));
    if (allowFrom.length > 0 && this.clientPorts.length === 0) {
      invalid(this, 'allowFrom', 'has no port to admit: clientPorts is empty (this set serves no client); leave allowFrom out, or list the ports with allowFrom(peer, ports)');
    }
    if (optional(props.networkPolicy, (v) => requireBoolean(this, 'networkPolicy', v)) ?? true) {
      this.networkPolicy = this.renderNetworkPolicy();
      allowFrom.forEach((peer, i) => this.ingressRules.push({ peer: peer as kplus.INetworkPolicyPeer, prop: `allowFrom[${i}]` }));
    } else if (allowFrom.length > 0) {
      invalid(this, 'allowFrom', 'has no policy to add to: networkPolicy is false; drop allowFrom or enable the policy');
    }
  }

  /** Fully qualified DNS name of pod `ordinal`: `<name>-<ordinal>.<name>-headless.<namespace>.svc.<domain>`. */
  public podDnsName(ordinal: number): string {
    return ClusterDns.of(this, this.clusterDomain).pod(this.name, ordinal);
  }

  /** Fully qualified DNS name of a Service of this namespace. */
  public serviceDnsName(serviceName: string): string {
    return ClusterDns.of(this, this.clusterDomain).service(serviceName);
  }

  /** Adds a client Service in front of some or all pods of the set (or of the whole instance). */
  public addClientService(id: string, options: ClientServiceOptions): kplus.Service {
    const prop = `addClientService(${id})`;
    requireKnownKeys(this, prop, requireRecord(this, prop, options), SERVICE_OPTIONS);
    return this.createService(id, options, false, `${prop}.`);
  }

  /**
   * Admits `peer` through the NetworkPolicy: a `NetworkPeer`, or any cdk8s-plus-27 peer (pods,
   * namespaces, workloads, IP blocks, databases of this library). Rendered at synth.
   *
   * @param peer who may connect
   * @param ports the ports it may connect to; default: every port the containers expose
   */
  public allowFrom(peer: kplus.INetworkPolicyPeer, ports?: kplus.NetworkPolicyPort[]): void {
    if (!this.networkPolicy) {
      invalid(this, 'networkPolicy', 'is disabled, so allowFrom() has no policy to add to');
    }
    requirePeer(this, 'allowFrom(peer)', peer);
    if (ports === undefined && this.clientPorts.length === 0) {
      // An empty port list in a NetworkPolicy means every port: never the default.
      invalid(this, 'allowFrom(ports)', 'must be given: clientPorts is empty, so there is no default port to admit');
    }
    this.ingressRules.push({ peer, ports: optional(ports, (v) => policyPorts(this, 'allowFrom(ports)', v)), prop: 'allowFrom(peer)' });
  }

  private containerList(prop: string, value: unknown): kplus.ContainerProps[] {
    return requireArray(this, prop, value, 'a list of containers').map((c, i) => {
      const container = requireRecord(this, `${prop}[${i}]`, c) as unknown as kplus.ContainerProps;
      requireString(this, `${prop}[${i}].image`, container.image);
      optional(container.name, (v) => requireDnsLabel(this, `${prop}[${i}].name`, v as string, 63));
      return container;
    });
  }

  private identityProps(value: unknown): PodIdentity {
    const identity = requireRecord(this, 'identity', value) as PodIdentity;
    requireKnownKeys(this, 'identity', identity, IDENTITY);
    // uid 0 would contradict runAsNonRoot: the kubelet refuses to start such a container.
    optional(identity.user, (v) => requireInteger(this, 'identity.user', requireNumber(this, 'identity.user', v), 1));
    optional(identity.group, (v) => requireInteger(this, 'identity.group', requireNumber(this, 'identity.group', v), 0));
    optional(identity.fsGroup, (v) => requireInteger(this, 'identity.fsGroup', requireNumber(this, 'identity.fsGroup', v), 0));
    return identity;
  }


  /**
   * @param prefix how the user wrote the options, for messages ('addClientService(Primary).'); ''
   *   for the Services named after `name`, which is already checked
   */
  private createService(id: string, options: ClientServiceOptions, headless: boolean, prefix = ''): kplus.Service {
    const name = requireDns1035Label(this, `${prefix}name`, options.name);
    const ports = optional(options.ports, (v) => {
      const checked = servicePorts(this, `${prefix}ports`, v);
      requireDistinctPorts(this, checked, `Service '${name}'`, true);
      return v as kplus.ServicePort[];
    }) ?? this.defaultServicePorts();
    if (ports.length === 0) {
      invalid(this, `${prefix}ports`, 'must list at least one port');
    }
    const podName = optional(options.podName, (v) => requireDnsLabel(this, `${prefix}podName`, v as string, 63));
    const wholeInstance = optional(options.wholeInstance, (v) => requireBoolean(this, `${prefix}wholeInstance`, v));
    const selectLabels = optional(options.selectLabels, (v) => requireLabels(this, `${prefix}selectLabels`, v)) ?? {};
    const serviceType = optional(options.serviceType, (v) => requireOneOf(this, `${prefix}serviceType`, v, Object.values(kplus.ServiceType)));
    const annotations = optional(options.annotations, (v) => requireStringRecord(this, `${prefix}annotations`, v));
    const service = new kplus.Service(this, id, {
      metadata: { name, labels: this.labels, annotations },
      type: headless ? kplus.ServiceType.CLUSTER_IP : serviceType ?? kplus.ServiceType.CLUSTER_IP,
      clusterIP: headless ? 'None' : undefined,
      ports,
    });
    const selector = wholeInstance ? this.instanceLabels : this.selectorLabels;
    for (const key of Object.keys(selectLabels)) {
      if (key in selector) {
        invalid(this, `${prefix}selectLabels.${key}`, 'is already selected by the set\'s own labels: pick a label of your own');
      }
    }
    for (const [key, value] of Object.entries({ ...selector, ...selectLabels })) {
      service.selectLabel(key, value);
    }
    if (podName) {
      service.selectLabel(WellKnownLabels.POD_NAME, podName);
    }
    if (podName || Object.keys(selectLabels).length > 0) {
      // The StatefulSet controller (or software in the pods) sets these labels on each pod; a linter reading the template cannot see them.
      service.metadata.addAnnotation('kube-score/ignore', 'service-targets-pod');
    }
    return service;
  }

  private defaultServicePorts(): kplus.ServicePort[] {
    return this.containerPorts.map((p) => ({ name: p.name, port: p.number, targetPort: p.number, protocol: p.protocol }));
  }

  /** `clientPorts` as container ports: each must be one the containers expose. */
  private resolveClientPorts(value: unknown): kplus.ContainerPort[] {
    if (value === undefined) { return this.containerPorts; }
    return requireArray(this, 'clientPorts', value, 'a list of port numbers').map((number, i) => {
      const port = this.containerPorts.find((p) => p.number === number);
      if (!port) {
        invalid(this, `clientPorts[${i}]`, `must be a port a container exposes: ${this.containerPorts.map((p) => p.number).join(', ') || 'none'}`, number);
      }
      return port;
    });
  }

  private defaultPolicyPorts(): kplus.NetworkPolicyPort[] {
    return this.clientPorts.map((p) => kplus.NetworkPolicyPort.of({
      port: p.number,
      protocol: (p.protocol ?? kplus.Protocol.TCP) as string as kplus.NetworkProtocol,
    }));
  }

  private renderContainer(props: kplus.ContainerProps, prop: string, claimMounts: Map<string, kplus.Volume>): kplus.Container {
    requirePinnedImage(this, `${prop}.image`, props.image);
    requireRequestsWithinLimits(this, `${prop}.resources`, optional(props.resources, (v) => this.resourceProps(`${prop}.resources`, v)));
    const claimVolumeMounts: kplus.VolumeMount[] = this.claims
      .filter((c) => c.mountPath !== undefined && (c.mountInto === undefined || c.mountInto.includes(props.name ?? '')))
      .map((c) => ({ volume: claimMounts.get(c.name)!, path: c.mountPath! }));
    const volumeMounts = optional(props.volumeMounts, (v) => requireArray(this, `${prop}.volumeMounts`, v, 'a list of volume mounts')) ?? [];
    return secureContainer({ ...props, volumeMounts: [...claimVolumeMounts, ...volumeMounts as kplus.VolumeMount[]] });
  }

  /** Sizes and Cpus where cdk8s-plus expects them: a plain number or dict would fail deep inside. */
  private resourceProps(prop: string, value: unknown): kplus.ContainerResources {
    const resources = requireRecord(this, prop, value) as kplus.ContainerResources;
    for (const [field, type, example] of [['cpu', kplus.Cpu, 'Cpu.millis(500)'], ['memory', Size, 'Size.gibibytes(1)']] as const) {
      const pair = (resources as any)[field];
      if (pair === undefined) { continue; }
      const limits = requireRecord(this, `${prop}.${field}`, pair);
      for (const which of ['request', 'limit']) {
        optional(limits[which], (v) => requireInstance(this, `${prop}.${field}.${which}`, v, type as any, example));
      }
    }
    return resources;
  }

  private collectVolumes(containers: kplus.Container[], standIns: Set<kplus.Volume>): k8s.Volume[] {
    const byName = new Map<string, kplus.Volume>();
    for (const container of containers) {
      for (const mount of container.mounts) {
        const volume = mount.volume as kplus.Volume;
        if (standIns.has(volume)) { continue; }
        const existing = byName.get(volume.name);
        if (existing && existing !== volume) {
          invalid(this, 'volumeMounts', `mount two different volumes named '${volume.name}'; give each volume its own name`);
        }
        byName.set(volume.name, volume);
      }
    }
    const volumes = [...byName.values()].map(kubeVolume);
    for (const v of volumes) {
      if (v.persistentVolumeClaim && this.replicas > 1 && !this.sharedClaims.includes(v.persistentVolumeClaim.claimName)) {
        // One RWO claim cannot serve several pods, and even a shared filesystem would have every replica write one data directory.
        invalid(this, 'volumeMounts', `share the claim '${v.persistentVolumeClaim.claimName}' between ${this.replicas} replicas; sharing a PersistentVolumeClaim is not a good idea: use volumeClaims for a claim per pod`);
      }
    }
    return volumes;
  }

  private renderPlacement(placement: PlacementProps): Pick<k8s.PodSpec, 'affinity' | 'topologySpreadConstraints' | 'nodeSelector' | 'priorityClassName'> {
    const multi = this.replicas > 1;
    // The development profile requires nothing a single node without zone labels cannot give.
    const development = Placement.profileOf(this) === PlacementProfile.DEVELOPMENT;
    const relaxed = (mode: SpreadMode) => development && mode === SpreadMode.REQUIRED ? SpreadMode.PREFERRED : mode;
    const nodeSpread = relaxed(placement.nodeSpread ?? SpreadMode.REQUIRED);
    const zoneSpread = relaxed(placement.zoneSpread ?? SpreadMode.REQUIRED);
    const zone = development ? undefined : placement.zone;
    const selector = { matchLabels: this.selectorLabels };
    const nodeTerm = { labelSelector: selector, topologyKey: 'kubernetes.io/hostname' };
    const podAntiAffinity: k8s.PodAntiAffinity | undefined = !multi || nodeSpread === SpreadMode.NONE ? undefined
      : nodeSpread === SpreadMode.REQUIRED
        ? { requiredDuringSchedulingIgnoredDuringExecution: [nodeTerm] }
        : { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: nodeTerm }] };
    const spread: k8s.TopologySpreadConstraint[] | undefined = !multi || zoneSpread === SpreadMode.NONE || zone ? undefined : [{
      maxSkew: 1,
      topologyKey: 'topology.kubernetes.io/zone',
      whenUnsatisfiable: zoneSpread === SpreadMode.REQUIRED ? 'DoNotSchedule' : 'ScheduleAnyway',
      labelSelector: selector,
    }];
    const nodeSelector = { ...placement.nodeSelector, ...(zone ? { 'topology.kubernetes.io/zone': zone } : {}) };
    return {
      affinity: podAntiAffinity ? { podAntiAffinity } : undefined,
      topologySpreadConstraints: spread,
      nodeSelector: Object.keys(nodeSelector).length > 0 ? nodeSelector : undefined,
      priorityClassName: placement.priorityClassName,
    };
  }

  private renderDisruptionBudget(budget: DisruptionBudget): k8s.KubePodDisruptionBudget | undefined {
    const { maxUnavailableCount: max, minAvailableCount: min } = budget;
    if (max === undefined && min === undefined) { return undefined; }
    // A budget that allows no eviction at all makes every node drain hang; none() says "no budget".
    if (max !== undefined) {
      requireInteger(this, 'disruptionBudget.maxUnavailable', max, 0);
      if (max === 0) {
        invalid(this, 'disruptionBudget.maxUnavailable', 'must be at least 1: with 0 no pod could ever be evicted and node drains would hang; use DisruptionBudget.none() for no budget', max);
      }
    }
    if (min !== undefined) {
      requireInteger(this, 'disruptionBudget.minAvailable', min, 0);
      if (min >= this.replicas) {
        invalid(this, 'disruptionBudget.minAvailable', `must be less than replicas (${this.replicas}): otherwise no pod could ever be evicted and node drains would hang`, min);
      }
    }
    if (this.replicas === 1) {
      warn(this, 'a PodDisruptionBudget on a single pod blocks node drains (or protects nothing); consider replicas > 1');
    }
    return new k8s.KubePodDisruptionBudget(this, 'Budget', {
      metadata: { name: this.name, labels: this.labels },
      spec: {
        selector: { matchLabels: this.selectorLabels },
        maxUnavailable: max !== undefined ? k8s.IntOrString.fromNumber(max) : undefined,
        minAvailable: min !== undefined ? k8s.IntOrString.fromNumber(min) : undefined,
      },
    });
  }

  /**
   * An L1 policy whose spec is computed at synth: peers are read then (a `NetworkPeer` from its own
   * data, any other peer through `toNetworkPolicyPeerConfig()`), so labels added after allowFrom count.
   */
  private renderNetworkPolicy(): k8s.KubeNetworkPolicy {
    const policy = new k8s.KubeNetworkPolicy(this, 'NetworkPolicy', {
      metadata: { name: this.name, labels: this.labels },
      spec: Lazy.any({
        produce: (): k8s.NetworkPolicySpec => ({
          podSelector: { matchLabels: this.selectorLabels },
          policyTypes: ['Ingress'],
          ingress: this.ingress(),
        }),
      }),
    });
    // Peers are read at synth; a bad one is reported with the other validation errors, before
    // any manifest is serialized, rather than as a serialization failure.
    this.node.addValidation({
      validate: () => {
        try {
          this.ingress();
          return [];
        } catch (e) {
          return [(e as Error).message];
        }
      },
    });
    return policy;
  }

  private ingress(): k8s.NetworkPolicyIngressRule[] {
    return [
      // Members of the instance talk to each other on every port (replication, gossip, quorum).
      { from: [{ podSelector: { matchLabels: this.instanceLabels } }], ports: [] },
      ...this.ingressRules.map((rule) => ({
        from: rule.peer instanceof NetworkPeer
          ? rule.peer._renderPeers(this.namespace)
          : kubeNetworkPolicyPeers(rule.peer, this, rule.prop),
        ports: (rule.ports ?? this.defaultPolicyPorts()).map(kubeNetworkPolicyPort),
      })),
    ];
  }
}

/** A network peer: anything with `toNetworkPolicyPeerConfig()` (a plain object from JavaScript is not). */
function requirePeer(scope: Construct, prop: string, value: unknown): void {
  if (typeof value !== 'object' || value === null || typeof (value as any).toNetworkPolicyPeerConfig !== 'function') {
    invalid(scope, prop, `must be a network peer such as NetworkPeer.pods({ labels: { app: 'shop' } }) or kplus.Pods.select(...), got ${describeValue(value)}`);
  }
}
