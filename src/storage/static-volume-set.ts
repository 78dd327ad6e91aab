import { Size } from 'cdk8s';
import { Construct } from 'constructs';
import { AccessMode, ReclaimPolicy, VolumeMode } from './access-mode';
import { requireAccessModes } from './access-mode-check';
import { PersistentVolume } from './persistent-volume';
import { PersistentVolumeSource } from './persistent-volume-source';
import { IStorageClass } from './storage-class';
import { requireStorageClass } from './storage-class-check';
import { KEPT_RECLAIM_POLICIES, VOLUME_RECYCLE_REFUSED, requireAccessModeList, requireCapacity } from './volume-checks';
import { invalid } from '../private/errors';
import { keysOf, optional, requireArray, requireInstance, requireKnownKeys, requireOneOf, requireRecord } from '../private/guards';
import { namespaceOf } from '../private/k8s';
import { requireDnsLabel } from '../private/names';

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

const PROPS = keysOf<StaticVolumeSetProps>({
  statefulSetName: true,
  sources: true,
  capacity: true,
  claimTemplateName: true,
  namespace: true,
  storageClass: true,
  accessModes: true,
  reclaimPolicy: true,
  volumeMode: true,
});

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
    requireKnownKeys(this, '', requireRecord(this, 'props', props), PROPS);
    // The names of the StatefulSet's pods and claims derive from it; 52 characters at most, as the
    // controller-revision-hash label of its pods holds '<name>-<hash>'.
    const statefulSetName = requireDnsLabel(this, 'statefulSetName', props.statefulSetName, 52);
    const sources = requireArray(this, 'sources', props.sources, 'a list of volume sources, one per pod')
      .map((s, i) => requireInstance(this, `sources[${i}]`, s, PersistentVolumeSource, 'PersistentVolumeSource.local({ path, node })'));
    if (sources.length === 0) {
      invalid(this, 'sources', 'must list one volume source per pod (at least one)');
    }
    const capacity = requireCapacity(this, 'capacity', props.capacity);
    const claimTemplate = optional(props.claimTemplateName, (v) => requireDnsLabel(this, 'claimTemplateName', v as string, 63)) ?? 'data';
    const namespace = optional(props.namespace, (v) => requireDnsLabel(this, 'namespace', v as string, 63)) ?? namespaceOf(this);
    const storageClass = optional(props.storageClass, (v) => requireStorageClass(this, 'storageClass', v));
    const accessModes = optional(props.accessModes, (v) => requireAccessModeList(this, 'accessModes', v));
    if (props.reclaimPolicy === ReclaimPolicy.RECYCLE) {
      invalid(this, 'reclaimPolicy', VOLUME_RECYCLE_REFUSED);
    }
    const reclaimPolicy = optional(props.reclaimPolicy, (v) => requireOneOf(this, 'reclaimPolicy', v, KEPT_RECLAIM_POLICIES));
    const volumeMode = optional(props.volumeMode, (v) => requireOneOf(this, 'volumeMode', v, Object.values(VolumeMode)));
    // Each source, by the prop the user wrote, before its volume reports it under its own path.
    sources.forEach((source, i) => {
      if (source.refusal) {
        invalid(this, `sources[${i}]`, `cannot be used: ${source.refusal}`);
      }
      requireAccessModes(this, 'accessModes', accessModes ?? [AccessMode.READ_WRITE_ONCE], source.accessModes, `sources[${i}] (a ${source.volumeType} volume)`);
    });
    this.volumes = sources.map((source, ordinal) => {
      const claimName = `${claimTemplate}-${statefulSetName}-${ordinal}`;
      return new PersistentVolume(this, `${ordinal}`, {
        // Volumes are cluster-wide, claims are not: the namespace keeps two sets apart.
        name: `${namespace}-${claimName}`,
        source,
        capacity,
        accessModes,
        reclaimPolicy,
        storageClass,
        volumeMode,
        claim: { name: claimName, namespace },
      });
    });
  }
}
