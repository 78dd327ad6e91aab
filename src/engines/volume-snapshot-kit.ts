import { Duration, Size } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { CURL_IMAGE } from './job-kit';
import type { VolumeSnapshotRestore } from './volume-snapshot-restore';
import type { VolumeSnapshotOptions } from './volume-snapshots';
import { resolveSchedule } from '../private/cron';
import { requireWholeSeconds } from '../private/durations';
import { invalid, requireInteger } from '../private/errors';
import { describeValue, optional, requireArray, requireNumber, requireString } from '../private/guards';
import { requireDnsLabel, requireDnsSubdomain } from '../private/names';
import { instanceOf, requireProps } from '../private/prop-types';
import { quantityOf } from '../private/quantity';
import { requirePinnedImage } from '../private/resources';
import { AccessMode } from '../storage/access-mode';
import { IStorageClass } from '../storage/storage-class';
import { IVolumeSnapshotClass } from '../storage/volume-snapshot-class';
import { StatefulWorkload } from '../workload/stateful-workload';

// Beside the snapshot schedule and restore, but not exported from the package: checks and the
// restored claims, not API.

/** Daily, at a quarter past three: off the hour, when most clusters' own jobs start. */
export const DEFAULT_SNAPSHOT_SCHEDULE = '17 3 * * *';
/** A week of daily snapshots. */
export const DEFAULT_SNAPSHOT_KEEP = 7;
/** Most CSI drivers cut a snapshot in seconds; a cloud's first full copy of a big disk can take longer. */
export const DEFAULT_READY_TIMEOUT = Duration.minutes(30);
/** The GeneratedSecret Job's image: sh, curl and busybox's date, grep, sed and sort. */
export const DEFAULT_SNAPSHOT_IMAGE = CURL_IMAGE;
/** More snapshots per claim than this is a retention policy for another tool. */
const MAX_KEEP = 1000;

/** The options with their defaults, checked. */
export interface ResolvedSnapshotOptions {
  readonly schedule: string;
  readonly timeZone?: string;
  readonly keep: number;
  readonly snapshotClass?: IVolumeSnapshotClass;
  readonly readyTimeoutSeconds: number;
  readonly image: string;
}

/**
 * Checks `volumeSnapshots` (or a VolumeSnapshotSchedule's own props: `prefix` '') whatever their
 * types, and fills in the defaults.
 */
export function resolveSnapshotOptions(scope: IConstruct, prefix: string, value: unknown, extraKeys: string[] = []): ResolvedSnapshotOptions {
  const p = (prop: string) => (prefix ? `${prefix}.${prop}` : prop);
  const extra = Object.fromEntries(extraKeys.map((k) => [k, 'checked-elsewhere' as const]));
  requireProps(scope, prefix, value, {
    schedule: 'string',
    timeZone: 'string',
    keep: 'integer',
    snapshotClass: 'checked-elsewhere',
    readyTimeout: instanceOf(Duration, 'Duration.minutes(30)'),
    image: 'string',
    ...extra,
  });
  const options = (value ?? {}) as VolumeSnapshotOptions;
  const keep = options.keep === undefined ? DEFAULT_SNAPSHOT_KEEP : requireInteger(scope, p('keep'), requireNumber(scope, p('keep'), options.keep), 1);
  if (keep > MAX_KEEP) {
    invalid(scope, p('keep'), `must be at most ${MAX_KEEP}: the snapshots of every run are kept per claim`, keep);
  }
  const image = options.image ?? DEFAULT_SNAPSHOT_IMAGE;
  requirePinnedImage(scope, p('image'), image);
  return {
    ...resolveSchedule(scope, prefix, options.schedule, options.timeZone, DEFAULT_SNAPSHOT_SCHEDULE),
    keep,
    snapshotClass: optional(options.snapshotClass, (v) => requireSnapshotClass(scope, p('snapshotClass'), v)),
    readyTimeoutSeconds: requireWholeSeconds(scope, p('readyTimeout'), options.readyTimeout ?? DEFAULT_READY_TIMEOUT, 60, 24 * 3600,
      'how long a run waits for its snapshots to be ready to use before it fails, keeping the older ones'),
    image,
  };
}

/** A snapshot class as a VolumeSnapshot names it: a VolumeSnapshotClass or `fromVolumeSnapshotClassName`. */
function requireSnapshotClass(scope: IConstruct, prop: string, value: unknown): IVolumeSnapshotClass {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    invalid(scope, prop, "must be a snapshot class such as new VolumeSnapshotClass(...) or VolumeSnapshotClass.fromVolumeSnapshotClassName('csi-snapshots'), "
      + `got ${describeValue(value)}`);
  }
  const name = requireString(scope, `${prop}.volumeSnapshotClassName`, (value as IVolumeSnapshotClass).volumeSnapshotClassName);
  requireDnsSubdomain(scope, `${prop}.volumeSnapshotClassName`, name);
  return value as IVolumeSnapshotClass;
}

/** Timestamps as the snapshot Job writes them into names: UTC, `YYYYMMDD-HHMMSS`. */
const TIMESTAMP = /^[0-9]{8}-[0-9]{6}$/;

/** A checked `restoreFromVolumeSnapshots`. */
export interface ResolvedRestore {
  readonly timestamp: string;
  readonly sourceName: string;
  /** undefined: every ordinal. */
  readonly ordinals?: number[];
}

/** Checks `restoreFromVolumeSnapshots`; `name` is the instance's (the default source). */
export function resolveRestore(scope: IConstruct, prefix: string, value: unknown, name: string): ResolvedRestore | undefined {
  if (value === undefined) { return undefined; }
  requireProps(scope, prefix, value, { timestamp: 'string', sourceName: 'string', ordinals: 'array' });
  const restore = value as VolumeSnapshotRestore;
  const timestamp = requireString(scope, `${prefix}.timestamp`, restore.timestamp);
  if (!TIMESTAMP.test(timestamp)) {
    invalid(scope, `${prefix}.timestamp`, "must be the UTC timestamp of a snapshot run as its snapshots' names end, YYYYMMDD-HHMMSS (e.g. '20261201-031700')", timestamp);
  }
  const sourceName = restore.sourceName === undefined ? name : requireDnsLabel(scope, `${prefix}.sourceName`, restore.sourceName, 52);
  const ordinals = optional(restore.ordinals, (v) => requireArray(scope, `${prefix}.ordinals`, v, 'a list of pod ordinals')
    .map((o, i) => requireInteger(scope, `${prefix}.ordinals[${i}]`, requireNumber(scope, `${prefix}.ordinals[${i}]`, o), 0)));
  if (ordinals !== undefined) {
    if (ordinals.length === 0) {
      invalid(scope, `${prefix}.ordinals`, 'must name at least one pod ordinal (leave it out to restore every pod)');
    }
    if (new Set(ordinals).size !== ordinals.length) {
      invalid(scope, `${prefix}.ordinals`, 'must not name an ordinal twice', ordinals);
    }
  }
  return { timestamp, sourceName, ordinals: ordinals === undefined ? undefined : [...ordinals].sort((a, b) => a - b) };
}

/** What a restored claim is made of: the claim template of the set, as the engine rendered it. */
export interface RestoredSet {
  /** The claim template's name (`data`). */
  readonly template: string;
  readonly workload: StatefulWorkload;
  /** The set's name suffix (`-controller`, `-rack-a`): the source's set is `<sourceName><suffix>`. */
  readonly suffix: string;
  readonly size: Size;
  readonly storageClass?: IStorageClass;
  readonly accessModes: AccessMode[];
}

/**
 * GitOps tools delete what leaves the manifests: these claims hold the restored data, so neither
 * Argo CD nor Flux may prune them (or delete them with the application).
 */
const KEEP_CLAIM = {
  'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false',
  'kustomize.toolkit.fluxcd.io/prune': 'disabled',
};

/**
 * The claims `<template>-<set>-<ordinal>` of the restored ordinals, each with its snapshot as
 * `dataSource`, ordered before the StatefulSet: applied first, they are what it adopts; applied to
 * a namespace where the claim exists, they are refused (a claim's spec cannot change) and the
 * existing claim stays as it is.
 */
export function restoredClaims(scope: Construct, id: string, set: RestoredSet, restore: ResolvedRestore,
  prop: string): k8s.KubePersistentVolumeClaim[] {
  const { workload } = set;
  const ordinals = restore.ordinals ?? Array.from({ length: workload.replicas }, (_, i) => i);
  const beyond = ordinals.find((o) => o >= workload.replicas);
  if (beyond !== undefined) {
    invalid(scope, `${prop}.ordinals`, `must be pods of every StatefulSet of the instance: '${workload.name}' has ordinals 0 to ${workload.replicas - 1}`, beyond);
  }
  return ordinals.map((ordinal) => {
    const claim = new k8s.KubePersistentVolumeClaim(scope, `${id}Restore${ordinal}`, {
      metadata: { name: `${set.template}-${workload.name}-${ordinal}`, labels: { ...workload.labels }, annotations: KEEP_CLAIM },
      spec: {
        accessModes: set.accessModes,
        storageClassName: set.storageClass?.storageClassName,
        volumeMode: 'Filesystem',
        resources: { requests: { storage: k8s.Quantity.fromString(quantityOf(set.size)) } },
        dataSource: {
          apiGroup: 'snapshot.storage.k8s.io',
          kind: 'VolumeSnapshot',
          name: `${set.template}-${restore.sourceName}${set.suffix}-${ordinal}-${restore.timestamp}`,
        },
      },
    });
    workload.statefulSet.addDependency(claim);
    return claim;
  });
}
