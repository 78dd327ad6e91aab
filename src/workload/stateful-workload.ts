import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { DisruptionBudget } from './disruption-budget';
import { WellKnownLabels } from './labels';
import { PlacementProps, SpreadMode } from './placement';
import { VolumeClaimTemplateProps } from './volume-claim';
import { renderClaimTemplate, resolveClaimTemplate, ResolvedClaimTemplate } from '../private/claims';
import { ClusterDns, headlessServiceName } from '../private/dns';
import { invalid, requireInteger, warn } from '../private/errors';
import { ensureUniqueNames, namespaceOf, setSpecField } from '../private/k8s';
import { requireDnsLabel } from '../private/names';
import { hardened, podSecurityContext, secureContainer } from '../private/pod';
import { requirePinnedImage, requireRequestsWithinLimits } from '../private/resources';

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
  /** The cluster's DNS domain, for the pods' fully qualified names. @default 'cluster.local' */
  readonly clusterDomain?: string;
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
  /** The NetworkPolicy, unless disabled. */
  public readonly networkPolicy?: kplus.NetworkPolicy;
  /** The cluster DNS domain. */
  public readonly clusterDomain: string;

  private readonly containerPorts: kplus.ContainerPort[];
  private readonly claims: ResolvedClaimTemplate[];

  constructor(scope: Construct, id: string, props: StatefulWorkloadProps) {
    super(scope, id);
    // StatefulSet names longer than 52 characters break the controller-revision-hash label of their pods.
    this.name = requireDnsLabel(this, 'name', props.name ?? id, 52);
    this.namespace = namespaceOf(this);
    this.replicas = requireInteger(this, 'replicas', props.replicas ?? 1, 1);
    this.clusterDomain = props.clusterDomain ?? 'cluster.local';
    if (props.containers.length === 0) {
      invalid(this, 'containers', 'must list at least one container');
    }

    const appName = props.appName ?? this.name;
    const instance = props.instance ?? this.name;
    this.instanceLabels = { [WellKnownLabels.NAME]: appName, [WellKnownLabels.INSTANCE]: instance };
    this.selectorLabels = { ...this.instanceLabels, ...(props.component ? { [WellKnownLabels.COMPONENT]: props.component } : {}) };
    this.labels = {
      ...this.selectorLabels,
      [WellKnownLabels.MANAGED_BY]: 'cdk8s-stateful',
      ...(props.version ? { [WellKnownLabels.VERSION]: props.version } : {}),
    };

    this.claims = (props.volumeClaims ?? []).map((c, i) => resolveClaimTemplate(this, i, c));
    const claimNames = this.claims.map((c) => c.name);
    if (new Set(claimNames).size !== claimNames.length) {
      invalid(this, 'volumeClaims', 'must have distinct names', claimNames);
    }

    const claimMounts = new Map<string, kplus.Volume>();
    for (const claim of this.claims) {
      // A stand-in that only names the template in volumeMounts: the StatefulSet controller adds the volume.
      claimMounts.set(claim.name, kplus.Volume.fromEmptyDir(this, `claim-${claim.name}`, claim.name));
    }
    const build = (c: kplus.ContainerProps, prop: string) => this.renderContainer(c, prop, claimMounts);
    const containers = props.containers.map((c, i) => build(c, `containers[${i}]`));
    const initContainers = (props.initContainers ?? []).map((c, i) => build(c, `initContainers[${i}]`));
    this.containerPorts = containers.flatMap((c) => c.ports);
    const volumes = this.collectVolumes([...containers, ...initContainers], new Set(claimMounts.values()));

    this.serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', {
      metadata: { name: this.name, labels: this.labels },
      automountToken: false,
    });

    const headlessName = headlessServiceName(this.name);
    this.headlessService = this.createService('Headless', {
      name: headlessName,
      ports: this.defaultServicePorts(),
    }, true);
    setSpecField(this.headlessService, 'publishNotReadyAddresses', props.publishNotReadyAddresses ?? true);

    if (props.clientService ?? true) {
      this.service = this.addClientService('Service', { name: this.name });
    }

    const placement = this.renderPlacement(props.placement ?? {});
    const identity = props.identity ?? {};
    this.statefulSet = new k8s.KubeStatefulSet(this, 'Resource', {
      metadata: { name: this.name, labels: this.labels },
      spec: {
        serviceName: headlessName,
        replicas: this.replicas,
        selector: { matchLabels: this.selectorLabels },
        podManagementPolicy: props.podManagementPolicy ?? PodManagementPolicy.ORDERED_READY,
        updateStrategy: { type: 'RollingUpdate' },
        // Claims outlive their pods: deleting or scaling the set never deletes data.
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        template: {
          metadata: { labels: this.labels, annotations: props.podAnnotations },
          spec: {
            serviceAccountName: this.serviceAccount.name,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            terminationGracePeriodSeconds: (props.terminationGracePeriod ?? Duration.seconds(30)).toSeconds(),
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

    const budget = props.disruptionBudget ?? (this.replicas > 1 ? DisruptionBudget.maxUnavailable(1) : DisruptionBudget.none());
    this.podDisruptionBudget = this.renderDisruptionBudget(budget);

    if (props.networkPolicy ?? true) {
      this.networkPolicy = this.renderNetworkPolicy(props.allowFrom ?? []);
    }
    ensureUniqueNames(this);
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
    return this.createService(id, options, false);
  }

  /** Admits `peer` to the client ports (or `ports`) through the NetworkPolicy. */
  public allowFrom(peer: kplus.INetworkPolicyPeer, ports?: kplus.NetworkPolicyPort[]): void {
    if (!this.networkPolicy) {
      invalid(this, 'networkPolicy', 'is disabled, so allowFrom() has no policy to add to');
    }
    this.networkPolicy.addIngressRule(peer, ports ?? this.defaultPolicyPorts());
  }

  private createService(id: string, options: ClientServiceOptions, headless: boolean): kplus.Service {
    requireDnsLabel(this, `${id}.name`, options.name);
    const ports = options.ports ?? this.defaultServicePorts();
    if (ports.length === 0) {
      invalid(this, `${id}.ports`, 'must list at least one port: no container exposes one');
    }
    const service = new kplus.Service(this, id, {
      metadata: { name: options.name, labels: this.labels, annotations: options.annotations },
      type: headless ? kplus.ServiceType.CLUSTER_IP : options.serviceType ?? kplus.ServiceType.CLUSTER_IP,
      clusterIP: headless ? 'None' : undefined,
      ports,
    });
    const selector = options.wholeInstance ? this.instanceLabels : this.selectorLabels;
    for (const [key, value] of Object.entries(selector)) {
      service.selectLabel(key, value);
    }
    if (options.podName) {
      service.selectLabel(WellKnownLabels.POD_NAME, options.podName);
      // The StatefulSet controller sets this label on each pod; a linter reading the template cannot see it.
      service.metadata.addAnnotation('kube-score/ignore', 'service-targets-pod');
    }
    return service;
  }

  private defaultServicePorts(): kplus.ServicePort[] {
    return this.containerPorts.map((p) => ({ name: p.name, port: p.number, targetPort: p.number, protocol: p.protocol }));
  }

  private defaultPolicyPorts(): kplus.NetworkPolicyPort[] {
    return this.containerPorts.map((p) => kplus.NetworkPolicyPort.tcp(p.number));
  }

  private renderContainer(props: kplus.ContainerProps, prop: string, claimMounts: Map<string, kplus.Volume>): kplus.Container {
    requirePinnedImage(this, `${prop}.image`, props.image);
    requireRequestsWithinLimits(this, `${prop}.resources`, props.resources);
    const claimVolumeMounts: kplus.VolumeMount[] = this.claims
      .filter((c) => c.mountPath !== undefined && (c.mountInto === undefined || c.mountInto.includes(props.name ?? '')))
      .map((c) => ({ volume: claimMounts.get(c.name)!, path: c.mountPath! }));
    return secureContainer({ ...props, volumeMounts: [...claimVolumeMounts, ...(props.volumeMounts ?? [])] });
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
    const volumes = [...byName.values()].map((v) => v._toKube());
    for (const v of volumes) {
      if (v.persistentVolumeClaim && this.replicas > 1) {
        // One RWO claim cannot serve several pods, and even a shared filesystem would have every replica write one data directory.
        invalid(this, 'volumeMounts', `share the claim '${v.persistentVolumeClaim.claimName}' between ${this.replicas} replicas; sharing a PersistentVolumeClaim is not a good idea: use volumeClaims for a claim per pod`);
      }
    }
    return volumes;
  }

  private renderPlacement(placement: PlacementProps): Pick<k8s.PodSpec, 'affinity' | 'topologySpreadConstraints' | 'nodeSelector' | 'priorityClassName'> {
    const multi = this.replicas > 1;
    const nodeSpread = placement.nodeSpread ?? SpreadMode.REQUIRED;
    const zoneSpread = placement.zoneSpread ?? SpreadMode.REQUIRED;
    const selector = { matchLabels: this.selectorLabels };
    const nodeTerm = { labelSelector: selector, topologyKey: 'kubernetes.io/hostname' };
    const podAntiAffinity: k8s.PodAntiAffinity | undefined = !multi || nodeSpread === SpreadMode.NONE ? undefined
      : nodeSpread === SpreadMode.REQUIRED
        ? { requiredDuringSchedulingIgnoredDuringExecution: [nodeTerm] }
        : { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: nodeTerm }] };
    const spread: k8s.TopologySpreadConstraint[] | undefined = !multi || zoneSpread === SpreadMode.NONE || placement.zone ? undefined : [{
      maxSkew: 1,
      topologyKey: 'topology.kubernetes.io/zone',
      whenUnsatisfiable: zoneSpread === SpreadMode.REQUIRED ? 'DoNotSchedule' : 'ScheduleAnyway',
      labelSelector: selector,
    }];
    const nodeSelector = { ...placement.nodeSelector, ...(placement.zone ? { 'topology.kubernetes.io/zone': placement.zone } : {}) };
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
    if (max !== undefined) { requireInteger(this, 'disruptionBudget.maxUnavailable', max, 0); }
    if (min !== undefined) {
      requireInteger(this, 'disruptionBudget.minAvailable', min, 0);
      if (min > this.replicas) {
        invalid(this, 'disruptionBudget.minAvailable', `must not exceed replicas (${this.replicas}): no pod could ever be evicted and node drains would hang`, min);
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

  private renderNetworkPolicy(allowFrom: kplus.INetworkPolicyPeer[]): kplus.NetworkPolicy {
    const own = kplus.Pods.select(this, 'Pods', { labels: this.selectorLabels });
    const peers = kplus.Pods.select(this, 'Peers', { labels: this.instanceLabels });
    const policy = new kplus.NetworkPolicy(this, 'NetworkPolicy', {
      metadata: { name: this.name, labels: this.labels },
      selector: own,
      ingress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
    });
    // Members of the instance talk to each other on every port (replication, gossip, quorum).
    policy.addIngressRule(peers);
    for (const peer of allowFrom) {
      policy.addIngressRule(peer, this.defaultPolicyPorts());
    }
    return policy;
  }
}

