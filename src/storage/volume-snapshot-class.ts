import { Construct } from 'constructs';
import { requireCsiDriverName, requireObjectName } from './volume-checks';
import * as snapshot from '../imports/snapshot.storage.k8s.io';
import { invalid, warn } from '../private/errors';
import { keysOf, optional, requireBoolean, requireKnownKeys, requireOneOf, requireRecord, requireString, requireStringRecord } from '../private/guards';
import { ensureUniqueNames, makeClusterScoped } from '../private/k8s';
import { requireDnsSubdomain } from '../private/names';

/**
 * What happens to the disk snapshot when its VolumeSnapshot object is deleted.
 * @see https://kubernetes.io/docs/concepts/storage/volume-snapshot-classes/#deletionpolicy
 */
export enum SnapshotDeletionPolicy {
  /**
   * Keep the VolumeSnapshotContent and the disk snapshot: deleting the VolumeSnapshot, or its whole
   * namespace, does not delete the backup. A cluster administrator deletes the contents.
   */
  RETAIN = 'Retain',
  /** Delete the disk snapshot with its VolumeSnapshot object (and with its namespace). */
  DELETE = 'Delete',
}

/** A VolumeSnapshotClass that snapshots can name: one of ours, or one that already exists in the cluster. */
export interface IVolumeSnapshotClass {
  /** The VolumeSnapshotClass's name, as VolumeSnapshots reference it. */
  readonly volumeSnapshotClassName: string;
}

/** Properties of a {@link VolumeSnapshotClass}. */
export interface VolumeSnapshotClassProps {
  /** The CSI driver that takes the snapshots: the driver of the claims' storage class (`ebs.csi.aws.com`). */
  readonly driver: string;
  /** The VolumeSnapshotClass name (cluster-wide). @default - the construct id */
  readonly name?: string;
  /**
   * What happens to the disk snapshot when its VolumeSnapshot is deleted. `Retain` keeps a backup
   * even when its namespace is deleted by mistake; the price is that pruning old VolumeSnapshots
   * leaves their contents for an administrator to delete.
   * @default SnapshotDeletionPolicy.RETAIN
   */
  readonly deletionPolicy?: SnapshotDeletionPolicy;
  /** The driver's own snapshot parameters (opaque to Kubernetes). @default - none */
  readonly parameters?: { [key: string]: string };
  /** Make this the default class for snapshots of the driver's volumes that name none. @default false */
  readonly isDefault?: boolean;
}

const PROPS = keysOf<VolumeSnapshotClassProps>({ driver: true, name: true, deletionPolicy: true, parameters: true, isDefault: true });

/**
 * A CSI VolumeSnapshotClass (`snapshot.storage.k8s.io/v1`) whose snapshots are kept when their
 * VolumeSnapshot is deleted, unless asked otherwise. Cluster-scoped: it never carries the chart's
 * namespace. The cluster needs the snapshot CRDs and controller (external-snapshotter), which most
 * managed clusters install with their CSI drivers.
 *
 * @see https://kubernetes.io/docs/concepts/storage/volume-snapshot-classes/
 */
export class VolumeSnapshotClass extends Construct implements IVolumeSnapshotClass {
  /** A VolumeSnapshotClass that already exists in the cluster. */
  public static fromVolumeSnapshotClassName(name: string): IVolumeSnapshotClass {
    const where = 'VolumeSnapshotClass.fromVolumeSnapshotClassName';
    return { volumeSnapshotClassName: requireDnsSubdomain(where, 'name', requireString(where, 'name', name)) };
  }

  public readonly volumeSnapshotClassName: string;
  /** The CSI driver. */
  public readonly driver: string;
  /** The deletion policy written into the class. */
  public readonly deletionPolicy: SnapshotDeletionPolicy;
  /** The underlying API object. */
  public readonly apiObject: snapshot.VolumeSnapshotClass;

  constructor(scope: Construct, id: string, props: VolumeSnapshotClassProps) {
    super(scope, id);
    requireKnownKeys(this, '', requireRecord(this, 'props', props), PROPS);
    this.volumeSnapshotClassName = requireObjectName(this, props.name, id);
    this.driver = requireCsiDriverName(this, 'driver', props.driver);
    this.deletionPolicy = optional(props.deletionPolicy, (v) => requireOneOf(this, 'deletionPolicy', v, Object.values(SnapshotDeletionPolicy)))
      ?? SnapshotDeletionPolicy.RETAIN;
    const parameters = optional(props.parameters, (v) => requireStringRecord(this, 'parameters', v));
    for (const key of Object.keys(parameters ?? {})) {
      // The external-snapshotter reads its own csi.storage.k8s.io/* keys (the secret of the driver's
      // snapshot calls) and strips them: a typo there is silently ignored by the driver.
      if (key.startsWith('csi.storage.k8s.io/') && !SNAPSHOTTER_KEYS.includes(key)) {
        invalid(this, `parameters.${key}`, `is not a key the snapshotter knows: ${SNAPSHOTTER_KEYS.join(', ')}`);
      }
    }
    const isDefault = optional(props.isDefault, (v) => requireBoolean(this, 'isDefault', v));
    if (this.deletionPolicy === SnapshotDeletionPolicy.DELETE) {
      warn(this, "deletionPolicy 'Delete' destroys the disk snapshot with its VolumeSnapshot, and every snapshot of a namespace with the namespace; prefer 'Retain' for backups");
    }
    this.apiObject = new snapshot.VolumeSnapshotClass(this, 'Resource', {
      metadata: {
        name: this.volumeSnapshotClassName,
        annotations: isDefault ? { 'snapshot.storage.kubernetes.io/is-default-class': 'true' } : undefined,
      },
      driver: this.driver,
      deletionPolicy: this.deletionPolicy === SnapshotDeletionPolicy.RETAIN
        ? snapshot.VolumeSnapshotClassDeletionPolicy.RETAIN : snapshot.VolumeSnapshotClassDeletionPolicy.DELETE,
      parameters: parameters && Object.keys(parameters).length > 0 ? parameters : undefined,
    });
    makeClusterScoped(this.apiObject);
    ensureUniqueNames(this);
  }
}

/** The parameters external-snapshotter itself reads from a VolumeSnapshotClass. */
const SNAPSHOTTER_KEYS = [
  'csi.storage.k8s.io/snapshotter-secret-name',
  'csi.storage.k8s.io/snapshotter-secret-namespace',
  'csi.storage.k8s.io/snapshotter-list-secret-name',
  'csi.storage.k8s.io/snapshotter-list-secret-namespace',
];
