import { Size } from 'cdk8s';
import { AccessMode, VolumeMode } from '../storage/access-mode';
import { IStorageClass } from '../storage/storage-class';

/**
 * A per-pod volume: the StatefulSet creates one claim `<name>-<statefulSet>-<ordinal>` for every
 * pod and gives it back to the same pod after a restart or reschedule.
 */
export interface VolumeClaimTemplateProps {
  /** Size requested for each pod's volume. */
  readonly size: Size;
  /** Template name; claims are `<name>-<statefulSet>-<ordinal>`. @default 'data' */
  readonly name?: string;
  /** Where the volume is mounted. @default - not mounted; mount it yourself by name */
  readonly mountPath?: string;
  /**
   * Names of the containers (and init containers) that mount it at `mountPath`; sidecars such
   * as metrics exporters have no business with the data.
   * @default - every container and init container
   */
  readonly mountInto?: string[];
  /**
   * Storage class of the claims.
   * @default - the cluster's default storage class
   */
  readonly storageClass?: IStorageClass;
  /**
   * Access modes. ReadWriteOncePod guarantees that no second pod ever mounts the volume.
   * @see https://kubernetes.io/docs/concepts/storage/persistent-volumes/#access-modes
   * @default [AccessMode.READ_WRITE_ONCE]
   */
  readonly accessModes?: AccessMode[];
  /** Filesystem or raw block. @default VolumeMode.FILESYSTEM */
  readonly volumeMode?: VolumeMode;
}
