import { Size } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { AccessMode, ReclaimPolicy, VolumeMode } from './access-mode';
import { requireAccessModes } from './access-mode-check';
import { PersistentVolumeSource } from './persistent-volume-source';
import { IStorageClass } from './storage-class';
import { invalid, warn } from '../private/errors';
import { ensureUniqueNames, makeClusterScoped } from '../private/k8s';
import { requireDnsSubdomain } from '../private/names';
import { quantityOf } from '../private/quantity';
import { requirePositiveSize } from '../private/validation';

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
    this.persistentVolumeName = requireDnsSubdomain(this, 'name', props.name ?? id);
    const { source } = props;
    if (source.refusal) {
      invalid(this, 'source', `cannot be used: ${source.refusal}`);
    }
    requirePositiveSize(this, 'capacity', props.capacity);
    this.accessModes = props.accessModes ?? [AccessMode.READ_WRITE_ONCE];
    requireAccessModes(this, 'accessModes', this.accessModes, source.accessModes, `a ${source.volumeType} volume`);
    const reclaim = props.reclaimPolicy ?? ReclaimPolicy.RETAIN;
    if (reclaim === ReclaimPolicy.RECYCLE) {
      invalid(this, 'reclaimPolicy', "must be 'Retain' or 'Delete': Recycle (rm -rf of the volume) is deprecated upstream and loses data; use Retain and clean volumes deliberately");
    }
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
        capacity: { storage: k8s.Quantity.fromString(quantityOf(props.capacity)) },
        accessModes: this.accessModes,
        persistentVolumeReclaimPolicy: reclaim,
        storageClassName: props.storageClass?.storageClassName ?? '',
        volumeMode: props.volumeMode ?? VolumeMode.FILESYSTEM,
        mountOptions: props.mountOptions,
        claimRef: props.claim ? { name: props.claim.name, namespace: props.claim.namespace } : undefined,
      },
    });
    makeClusterScoped(this.apiObject);
    ensureUniqueNames(this);
  }
}
