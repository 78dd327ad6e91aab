import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { TlsOptions } from './tls';
import { VolumeSnapshotRestore } from './volume-snapshot-restore';
import { VolumeSnapshotOptions } from './volume-snapshots';
import { AccessMode } from '../storage/access-mode';
import { IStorageClass } from '../storage/storage-class';
import { PlacementProps } from '../workload/placement';

/** The per-pod data volume of an engine. */
export interface EngineStorage {
  /** Size of each pod's volume. @default - the engine's default (documented on its props) */
  readonly size?: Size;
  /** Storage class of the claims. @default - the cluster's default class */
  readonly storageClass?: IStorageClass;
  /**
   * Access modes of the claims. ReadWriteOncePod keeps any second pod off the volume.
   * @default [AccessMode.READ_WRITE_ONCE]
   */
  readonly accessModes?: AccessMode[];
}

/** CPU and memory of an engine's server container. The configuration is tuned from `memory`. */
export interface EngineResources {
  /** CPU request. @default - the engine's default (documented on its props) */
  readonly cpu?: kplus.Cpu;
  /**
   * CPU limit. Databases suffer from CFS throttling, so none is set unless asked for.
   * @default - no CPU limit
   */
  readonly cpuLimit?: kplus.Cpu;
  /**
   * Memory request and limit (equal, so the server is not killed for using what it was tuned for).
   * @default - the engine's default (documented on its props)
   */
  readonly memory?: Size;
}

/** Properties every engine shares. */
export interface EngineProps {
  /**
   * Name of the StatefulSet, its Services and its claims; renaming the construct id later does
   * not change it once set, so data is not orphaned.
   * @default - the construct id
   */
  readonly name?: string;
  /** Per-pod data volume. @default - the engine's default size on the cluster's default storage class */
  readonly storage?: EngineStorage;
  /** CPU and memory. @default - the engine's defaults */
  readonly resources?: EngineResources;
  /**
   * Image to run instead of the official one (a private registry's copy); must be pinned.
   * @default - the official image of `version`
   */
  readonly image?: string;
  /** Where the pods may run. @default - one pod per node and an even spread over zones */
  readonly placement?: PlacementProps;
  /**
   * Who may connect to the client ports (never the metrics port: see `allowMetricsFrom()`). The
   * instance's own pods are always allowed. Takes cdk8s-plus-27 peers (`Pods.select`, a
   * `Deployment`) and {@link NetworkPeer}s, which describe apps of any cdk8s-plus version, plain
   * `ApiObject`s, other namespaces and IP blocks.
   * @default - nobody else: add your apps' pods or namespaces here
   */
  readonly allowFrom?: kplus.INetworkPolicyPeer[];
  /** Extra pod annotations. @default - none */
  readonly podAnnotations?: { [key: string]: string };
  /** The cluster's DNS domain. @default 'cluster.local' */
  readonly clusterDomain?: string;
  /**
   * Time a pod gets after SIGTERM to stop cleanly (hand over leadership, flush, drain) before it is killed.
   * @default - the engine's default (documented on the engine)
   */
  readonly terminationGracePeriod?: Duration;
  /**
   * A schedule of CSI VolumeSnapshots of every claim of every StatefulSet of the instance, with
   * retention: a CronJob `<name>-snapshots` whose ServiceAccount may only create, list and delete
   * VolumeSnapshots in the namespace. The cluster needs the snapshot CRDs and controller and a
   * CSI driver that can snapshot. See docs/backups.md for what a snapshot of each engine holds.
   * @default - no snapshots
   */
  readonly volumeSnapshots?: VolumeSnapshotOptions;
  /**
   * Start the claims of a new instance from the VolumeSnapshots of one run of a snapshot schedule:
   * a claim `data-<set>-<ordinal>` with the snapshot as `dataSource` per restored ordinal, created
   * before the StatefulSet adopts it. Claims that already exist are left as they are (Kubernetes
   * refuses to change a claim's `dataSource`), so this never overwrites data; keep the prop after
   * the restore, because removing it would make GitOps tools delete those claims (they are
   * annotated against Argo CD's and Flux's pruning).
   * @default - the claims start empty
   */
  readonly restoreFromVolumeSnapshots?: VolumeSnapshotRestore;
  /**
   * TLS for client traffic and for traffic between members (replication, gossip, the quorum), from
   * a Secret you manage or a cert-manager Certificate the library writes: see docs/security.md for
   * what each engine encrypts and how a renewed certificate is picked up.
   * @default - no TLS: traffic is plaintext (authentication is on either way)
   */
  readonly tls?: TlsOptions;
}
