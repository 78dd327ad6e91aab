/**
 * How a volume can be mounted.
 *
 * @see https://kubernetes.io/docs/concepts/storage/persistent-volumes/#access-modes
 */
export enum AccessMode {
  /** Read-write by the pods of a single node. */
  READ_WRITE_ONCE = 'ReadWriteOnce',
  /** Read-only by many nodes. */
  READ_ONLY_MANY = 'ReadOnlyMany',
  /** Read-write by many nodes. */
  READ_WRITE_MANY = 'ReadWriteMany',
  /** Read-write by a single pod in the whole cluster (Kubernetes 1.22+, CSI only). */
  READ_WRITE_ONCE_POD = 'ReadWriteOncePod',
}

/**
 * What happens to a released volume.
 *
 * @see https://kubernetes.io/docs/concepts/storage/persistent-volumes/#reclaiming
 */
export enum ReclaimPolicy {
  /** Keep the volume and its data after the claim is deleted. The only safe choice for a database. */
  RETAIN = 'Retain',
  /** Delete the backing disk when the claim is deleted: the data is gone. */
  DELETE = 'Delete',
  /**
   * Scrub the volume (`rm -rf`) and offer it again.
   *
   * @deprecated Deprecated upstream and refused by this library: use RETAIN, or DELETE with dynamic provisioning.
   */
  RECYCLE = 'Recycle',
}

/**
 * When a claim of a storage class is bound and its volume provisioned.
 *
 * @see https://kubernetes.io/docs/concepts/storage/storage-classes/#volume-binding-mode
 */
export enum VolumeBindingMode {
  /** As soon as the claim is created, wherever the provisioner chooses. */
  IMMEDIATE = 'Immediate',
  /** When a pod using the claim is scheduled, in that pod's zone and node. */
  WAIT_FOR_FIRST_CONSUMER = 'WaitForFirstConsumer',
}

/**
 * Whether a volume is mounted as a filesystem or handed to the pod as a raw block device.
 */
export enum VolumeMode {
  /** A formatted filesystem mounted at a path. */
  FILESYSTEM = 'Filesystem',
  /** A raw block device. */
  BLOCK = 'Block',
}
