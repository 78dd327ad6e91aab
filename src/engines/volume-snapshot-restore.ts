/**
 * Which snapshots a new instance's claims start from: one run of a snapshot schedule, whose
 * VolumeSnapshots are named `<claim of the source>-<timestamp>`. Each restored ordinal gets a claim
 * `<template>-<set>-<ordinal>` with that snapshot as its `dataSource`, created before the
 * StatefulSet, which then adopts it instead of making an empty one. A claim that already exists is
 * never changed (Kubernetes refuses a new `dataSource` on it), so this cannot overwrite data.
 */
export interface VolumeSnapshotRestore {
  /**
   * The run to restore: the UTC timestamp its snapshots' names end with (`20261201-031700` of
   * `data-orders-0-20261201-031700`), as `kubectl get volumesnapshots` lists them.
   */
  readonly timestamp: string;
  /**
   * The instance the snapshots were taken of, in this namespace (a claim's `dataSource` must be in
   * its own namespace). Its sets must be named as this instance's (same racks, controllers).
   * @default - this instance's name
   */
  readonly sourceName?: string;
  /**
   * The pod ordinals to restore, in every set of the instance; the others start empty and copy
   * their data from the restored members as the engine does for a new member (MySQL replicas
   * clone the source, ordinal 0, when empty: restore `[0]` there). docs/backups.md says which
   * ordinals each engine needs.
   * @default - every ordinal of every set
   */
  readonly ordinals?: number[];
}
