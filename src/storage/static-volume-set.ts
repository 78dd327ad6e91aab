import { Size } from 'cdk8s';
import { Construct } from 'constructs';
import { AccessMode, ReclaimPolicy, VolumeMode } from './access-mode';
import { PersistentVolume } from './persistent-volume';
import { PersistentVolumeSource } from './persistent-volume-source';
import { IStorageClass } from './storage-class';
import { invalid } from '../private/errors';
import { namespaceOf } from '../private/k8s';

/** Properties of a {@link StaticVolumeSet}. */
export interface StaticVolumeSetProps {
  /** Name of the StatefulSet whose claims the volumes are for. */
  readonly statefulSetName: string;
  /** One source per pod: `sources[i]` is reserved for pod `<statefulSetName>-<i>`. */
  readonly sources: PersistentVolumeSource[];
  /** Capacity of each volume; at least the claim template's request. */
  readonly capacity: Size;
  /** Name of the StatefulSet's volume claim template. @default 'data' */
  readonly claimTemplateName?: string;
  /** Namespace of the StatefulSet. @default - the chart's namespace, or 'default' */
  readonly namespace?: string;
  /**
   * Storage class written on the volumes; must be the one the claim template names.
   * @default - no class (claims must ask for `storageClassName: ""`)
   */
  readonly storageClass?: IStorageClass;
  /** Access modes of the volumes. @default [AccessMode.READ_WRITE_ONCE] */
  readonly accessModes?: AccessMode[];
  /** Reclaim policy of the volumes. @default ReclaimPolicy.RETAIN */
  readonly reclaimPolicy?: ReclaimPolicy;
  /** Filesystem or raw block. @default VolumeMode.FILESYSTEM */
  readonly volumeMode?: VolumeMode;
}

/**
 * Hand-made volumes pre-bound to a StatefulSet's per-pod claims, for clusters without a
 * provisioner: volume `i` carries a `claimRef` to `<claimTemplate>-<statefulSet>-<i>`, so pod `i`
 * always gets the same disk, and no other claim can take it.
 *
 * @see https://kubernetes.io/docs/concepts/storage/persistent-volumes/#reserving-a-persistentvolume
 */
export class StaticVolumeSet extends Construct {
  /** The volumes, by ordinal. */
  public readonly volumes: PersistentVolume[];

  constructor(scope: Construct, id: string, props: StaticVolumeSetProps) {
    super(scope, id);
    if (props.sources.length === 0) {
      invalid(this, 'sources', 'must list one volume source per pod (at least one)');
    }
    const claimTemplate = props.claimTemplateName ?? 'data';
    const namespace = props.namespace ?? namespaceOf(this);
    this.volumes = props.sources.map((source, ordinal) => {
      const claimName = `${claimTemplate}-${props.statefulSetName}-${ordinal}`;
      return new PersistentVolume(this, `${ordinal}`, {
        // Volumes are cluster-wide, claims are not: the namespace keeps two sets apart.
        name: `${namespace}-${claimName}`,
        source,
        capacity: props.capacity,
        accessModes: props.accessModes,
        reclaimPolicy: props.reclaimPolicy,
        storageClass: props.storageClass,
        volumeMode: props.volumeMode,
        claim: { name: claimName, namespace },
      });
    });
  }
}
