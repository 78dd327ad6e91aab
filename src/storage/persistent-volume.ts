import { Size } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { AccessMode, ReclaimPolicy, VolumeMode } from './access-mode';
import { requireAccessModes } from './access-mode-check';
import { PersistentVolumeSource } from './persistent-volume-source';
import { IStorageClass } from './storage-class';
import { requireStorageClass } from './storage-class-check';
import { KEPT_RECLAIM_POLICIES, VOLUME_RECYCLE_REFUSED, requireAccessModeList, requireCapacity, requireMountOptions, requireObjectName } from './volume-checks';
import { invalid, warn } from '../private/errors';
import { keysOf, optional, requireInstance, requireKnownKeys, requireOneOf, requireRecord } from '../private/guards';
import { ensureUniqueNames, makeClusterScoped } from '../private/k8s';
import { requireDnsLabel, requireDnsSubdomain } from '../private/names';
import { quantityOf } from '../private/quantity';

/** The claim a volume is reserved for. */
export interface ClaimReference {
  /** Claim name. */
  readonly name: string;
  /** Claim namespace. */
  readonly namespace: string;
}

/** Properties of a {@link PersistentVolume}. */
export interface PersistentVolumeProps {
  /** Where the data lives. */
  readonly source: PersistentVolumeSource;
  /** Capacity of the volume. */
  readonly capacity: Size;
  /** The PersistentVolume name (cluster-wide). @default - the construct id */
  readonly name?: string;
  /**
   * How the volume can be mounted.
   * @see https://kubernetes.io/docs/concepts/storage/persistent-volumes/#access-modes
   * @default [AccessMode.READ_WRITE_ONCE]
   */
  readonly accessModes?: AccessMode[];
  /**
   * What happens to the volume when its claim is deleted.
   * @default ReclaimPolicy.RETAIN
   */
  readonly reclaimPolicy?: ReclaimPolicy;
  /** Storage class claims must name to bind it. @default - no class: only claims with `storageClassName: ""` bind */
  readonly storageClass?: IStorageClass;
  /** Filesystem or raw block. @default VolumeMode.FILESYSTEM */
  readonly volumeMode?: VolumeMode;
  /** Mount options. @default - none */
  readonly mountOptions?: string[];
  /** Reserve the volume for this claim (pre-binding). @default - any matching claim may bind it */
  readonly claim?: ClaimReference;
}

const PROPS = keysOf<PersistentVolumeProps>({
  source: true,
  capacity: true,
  name: true,
  accessModes: true,
  reclaimPolicy: true,
  storageClass: true,
  volumeMode: true,
  mountOptions: true,
  claim: true,
});
const CLAIM_REFERENCE = keysOf<ClaimReference>({ name: true, namespace: true });

/**
 * A volume created by hand: the seed's "provision disk, create PersistentVolume, create claim,
 * mount". Cluster-scoped, retained by default; `Recycle` is refused.
 *
 * @see https://kubernetes.io/docs/concepts/storage/persistent-volumes/
 */
export class PersistentVolume extends Construct {
  /** The PersistentVolume name. */
  public readonly persistentVolumeName: string;
  /** Access modes of the volume. */
  public readonly accessModes: AccessMode[];
  /** The underlying API object. */
  public readonly apiObject: k8s.KubePersistentVolume;

  constructor(scope: Construct, id: string, props: PersistentVolumeProps) {
    super(scope, id);
    requireKnownKeys(this, '', requireRecord(this, 'props', props), PROPS);
    this.persistentVolumeName = requireObjectName(this, props.name, id);
    const source = requireInstance(this, 'source', props.source, PersistentVolumeSource, 'PersistentVolumeSource.nfs({ server, path })');
    if (source.refusal) {
      invalid(this, 'source', `cannot be used: ${source.refusal}`);
    }
    const capacity = requireCapacity(this, 'capacity', props.capacity);
    this.accessModes = optional(props.accessModes, (v) => requireAccessModeList(this, 'accessModes', v)) ?? [AccessMode.READ_WRITE_ONCE];
    requireAccessModes(this, 'accessModes', this.accessModes, source.accessModes, `a ${source.volumeType} volume`);
    if (props.reclaimPolicy === ReclaimPolicy.RECYCLE) {
      invalid(this, 'reclaimPolicy', VOLUME_RECYCLE_REFUSED);
    }
    const reclaim = optional(props.reclaimPolicy, (v) => requireOneOf(this, 'reclaimPolicy', v, KEPT_RECLAIM_POLICIES)) ?? ReclaimPolicy.RETAIN;
    const storageClass = optional(props.storageClass, (v) => requireStorageClass(this, 'storageClass', v));
    const volumeMode = optional(props.volumeMode, (v) => requireOneOf(this, 'volumeMode', v, Object.values(VolumeMode))) ?? VolumeMode.FILESYSTEM;
    const mountOptions = optional(props.mountOptions, (v) => requireMountOptions(this, 'mountOptions', v));
    const claim = optional(props.claim, (v) => requireClaimReference(this, 'claim', v));
    if (reclaim === ReclaimPolicy.DELETE) {
      warn(this, "reclaimPolicy 'Delete' destroys the disk when its claim is deleted; prefer 'Retain' for state");
    }
    if (source.volumeType === 'hostPath') {
      warn(this, 'a hostPath volume lives on one node\'s filesystem: for tests and single-node clusters only');
    }

    this.apiObject = new k8s.KubePersistentVolume(this, 'Resource', {
      metadata: { name: this.persistentVolumeName },
      spec: {
        ...source._toSpec(),
        capacity: { storage: k8s.Quantity.fromString(quantityOf(capacity)) },
        accessModes: this.accessModes,
        persistentVolumeReclaimPolicy: reclaim,
        storageClassName: storageClass?.storageClassName ?? '',
        volumeMode,
        mountOptions,
        claimRef: claim ? { name: claim.name, namespace: claim.namespace } : undefined,
      },
    });
    makeClusterScoped(this.apiObject);
    ensureUniqueNames(this);
  }
}

/** A claim reference: the claim's name (a DNS subdomain) and namespace (a DNS label). */
function requireClaimReference(scope: IConstruct, prop: string, value: unknown): ClaimReference {
  const claim = requireRecord(scope, prop, value);
  requireKnownKeys(scope, prop, claim, CLAIM_REFERENCE);
  return {
    name: requireDnsSubdomain(scope, `${prop}.name`, claim.name as string),
    namespace: requireDnsLabel(scope, `${prop}.namespace`, claim.namespace as string, 63),
  };
}
