import { Duration, Lazy, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { CURL_GID, CURL_UID, jobLabels } from './job-kit';
import { resolveSnapshotOptions } from './volume-snapshot-kit';
import { SNAPSHOT_SCRIPT } from './volume-snapshot-script';
import * as snapshot from '../imports/snapshot.storage.k8s.io';
import { invalid } from '../private/errors';
import { optional, requireArray, requireString } from '../private/guards';
import { denyIngress, jobAccount, scheduledJob } from '../private/jobs';
import { kubeVolume } from '../private/k8s';
import { requireDnsLabel } from '../private/names';
import { hardened, secureContainer } from '../private/pod';
import { IVolumeSnapshotClass } from '../storage/volume-snapshot-class';
import { WellKnownLabels } from '../workload/labels';

/** A schedule of CSI VolumeSnapshots of an instance's claims, with retention. */
export interface VolumeSnapshotOptions {
  /**
   * When to snapshot, in the CronJob controller's cron syntax (checked at synth).
   * @see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#schedule-syntax
   * @default '17 3 * * *' (daily at 03:17, off the hour when many clusters' jobs start)
   */
  readonly schedule?: string;
  /**
   * IANA time zone of the schedule.
   * @default - the controller's time zone (UTC on managed clusters)
   */
  readonly timeZone?: string;
  /**
   * Snapshots kept per claim, counting only those ready to use; older ones are deleted after a run's
   * new snapshot is ready. At least 1.
   * @default 7
   */
  readonly keep?: number;
  /**
   * The VolumeSnapshotClass: `new VolumeSnapshotClass(...)` (deletion policy Retain by default) or
   * `VolumeSnapshotClass.fromVolumeSnapshotClassName(name)`.
   * @default - the cluster's default VolumeSnapshotClass for the claims' CSI driver
   */
  readonly snapshotClass?: IVolumeSnapshotClass;
  /**
   * How long a run waits for its snapshots to be ready to use. A snapshot that is not ready by then
   * fails the run and leaves every older snapshot of its claim in place. From 1 minute to 24 hours.
   * @default Duration.minutes(30)
   */
  readonly readyTimeout?: Duration;
  /**
   * Image of the CronJob's pod: `sh`, `curl`, `date`, `grep`, `sed` and `sort`; must be pinned.
   * @default 'curlimages/curl:8.11.1'
   */
  readonly image?: string;
}

/** Properties of a {@link VolumeSnapshotSchedule}. */
export interface VolumeSnapshotScheduleProps extends VolumeSnapshotOptions {
  /** Name of the CronJob, its ServiceAccount and Role; the `cdk8s-stateful/schedule` label of its snapshots. At most 52 characters. */
  readonly name: string;
  /** `app.kubernetes.io/instance` of the snapshots and the Job's objects. */
  readonly instance: string;
  /** Claims to snapshot (`data-web-0`); more with `addClaims()`. @default - none yet */
  readonly claims?: string[];
}

/**
 * A CronJob that takes a CSI VolumeSnapshot of each claim, waits until the snapshots are ready to
 * use, and then deletes the ones beyond `keep` per claim, never a snapshot that another schedule or
 * a person made. Its ServiceAccount may only create, list and delete VolumeSnapshots in its
 * namespace: it needs no exec, no pods and no cluster-wide rights.
 *
 * Every engine makes one with its `volumeSnapshots` prop; for your own StatefulWorkload, name its
 * claims (`<template>-<set>-<ordinal>`).
 */
export class VolumeSnapshotSchedule extends Construct {
  /** Name of the CronJob (and of its ServiceAccount, Role and NetworkPolicy). */
  public readonly name: string;
  /** The CronJob. */
  public readonly cronJob: k8s.KubeCronJob;
  /** Snapshots kept per claim. */
  public readonly keep: number;
  /** Labels every snapshot of this schedule carries (plus `cdk8s-stateful/claim`). */
  public readonly snapshotLabels: { [key: string]: string };
  private readonly claims: string[] = [];

  constructor(scope: Construct, id: string, props: VolumeSnapshotScheduleProps) {
    super(scope, id);
    const options = resolveSnapshotOptions(this, '', props, ['name', 'instance', 'claims']);
    // A Job is named `<cronjob>-<11 digits>`, and a Job's name must fit a label value (63).
    this.name = requireDnsLabel(this, 'name', requireString(this, 'name', props.name), 52);
    const instance = requireDnsLabel(this, 'instance', requireString(this, 'instance', props.instance));
    this.keep = options.keep;
    for (const claim of optional(props.claims, (v) => requireArray(this, 'claims', v, 'a list of claim names')) ?? []) {
      this.addClaims(claim as string);
    }
    this.snapshotLabels = {
      [WellKnownLabels.INSTANCE]: instance,
      [WellKnownLabels.MANAGED_BY]: 'cdk8s-stateful',
      [SCHEDULE_LABEL]: this.name,
    };
    const labels = jobLabels('volume-snapshots', 'backup', instance);

    const account = jobAccount(this, {
      name: this.name,
      labels,
      // create: the snapshots; list: read readiness and find this schedule's old snapshots (by label,
      // and one name by field selector, so no 'get'); delete: retention. RBAC cannot narrow these to
      // names made at run time or to labels; the script deletes only its own.
      rules: [{ apiGroups: ['snapshot.storage.k8s.io'], resources: ['volumesnapshots'], verbs: ['create', 'list', 'delete'] }],
    });
    denyIngress(this, this.name, labels);

    // The body the Job posts, made with the CRD's own types; the script fills in name and claim.
    const template = snapshot.VolumeSnapshot.manifest({
      metadata: { name: '@NAME@', labels: { ...this.snapshotLabels, [CLAIM_LABEL]: '@CLAIM@' } },
      spec: {
        source: { persistentVolumeClaimName: '@CLAIM@' },
        volumeSnapshotClassName: options.snapshotClass?.volumeSnapshotClassName,
      },
    });
    const tmp = kplus.Volume.fromEmptyDir(this, 'tmp', 'tmp', { sizeLimit: Size.mebibytes(4) });
    const container = secureContainer({
      name: 'snapshot',
      image: options.image,
      command: ['/bin/sh', '-c', SNAPSHOT_SCRIPT],
      volumeMounts: [{ volume: tmp, path: '/tmp' }],
      envVariables: {
        CLAIMS: kplus.EnvValue.fromValue(Lazy.any({ produce: () => this.claims.join(' ') })),
        SCHEDULE: kplus.EnvValue.fromValue(this.name),
        KEEP: kplus.EnvValue.fromValue(String(options.keep)),
        READY_TIMEOUT: kplus.EnvValue.fromValue(String(options.readyTimeoutSeconds)),
        SNAPSHOT_TEMPLATE: kplus.EnvValue.fromValue(JSON.stringify(template)),
      },
      resources: {
        cpu: { request: kplus.Cpu.millis(10), limit: kplus.Cpu.millis(100) },
        memory: { request: Size.mebibytes(16), limit: Size.mebibytes(64) },
      },
    });
    this.cronJob = scheduledJob(this, 'CronJob', {
      name: this.name,
      labels,
      schedule: options.schedule,
      timeZone: options.timeZone,
      serviceAccountName: account,
      containers: [hardened(container)],
      volumes: [kubeVolume(tmp)],
      user: CURL_UID,
      group: CURL_GID,
      // The wait for readiness, and some minutes for the calls around it.
      activeDeadlineSeconds: options.readyTimeoutSeconds + 600,
      // Every attempt takes a new set of snapshots: the next scheduled run is the retry, and a
      // failed Job is what alerting sees.
      backoffLimit: 0,
    });
    this.node.addValidation({
      validate: () => (this.claims.length > 0 ? [] : [`${this.node.path}: 'claims' must name at least one claim to snapshot`]),
    });
  }

  /** Adds claims to snapshot, by name (`data-web-0`). */
  public addClaims(...claims: string[]): void {
    for (const claim of claims) {
      // The claim's name is a label value of its snapshots.
      requireDnsLabel(this, 'claims', requireString(this, 'claims', claim), 63);
      if (this.claims.includes(claim)) {
        invalid(this, 'claims', 'must name each claim once', claim);
      }
      this.claims.push(claim);
    }
  }
}

/** The CronJob (its name) that made a snapshot: what the Job's retention selects. */
const SCHEDULE_LABEL = 'cdk8s-stateful/schedule';
/** The claim a snapshot is of. */
const CLAIM_LABEL = 'cdk8s-stateful/claim';
