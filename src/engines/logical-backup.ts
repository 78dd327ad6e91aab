import { Duration, Size } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { EngineResources } from './engine';
import { requireDnsSubdomain } from '../private/names';
import { instanceOf, requireProps } from '../private/prop-types';
import { quantityOf } from '../private/quantity';
import { requirePositiveSize } from '../private/validation';
import { AccessMode } from '../storage/access-mode';
import { requireAccessModes } from '../storage/access-mode-check';
import { IStorageClass } from '../storage/storage-class';
import { requireStorageClass } from '../storage/storage-class-check';

/** Options of {@link DumpStorage.newClaim}. */
export interface DumpClaimOptions {
  /**
   * Size of the claim. It must hold `keep` compressed dumps plus the one being written.
   * @default - the size of one of the instance's data volumes
   */
  readonly size?: Size;
  /** Storage class of the claim. @default - the cluster's default storage class */
  readonly storageClass?: IStorageClass;
}

/**
 * Where the dumps are written: a claim the construct creates, or one you made. Object storage is
 * not offered: the engines' images carry no client for it (see docs/engines/mysql.md).
 */
export abstract class DumpStorage {
  /**
   * A ReadWriteOnce claim `<name>-dumps` created with the instance. Like every claim here it is
   * not deleted by the library: deleting it is yours to do.
   */
  public static newClaim(options: DumpClaimOptions = {}): DumpStorage {
    return new NewClaim(options);
  }

  /**
   * An existing claim in the instance's namespace. Several instances may share one: each writes
   * into its own directory `<name>/`.
   */
  public static fromClaimName(claimName: string): DumpStorage {
    return new ExistingClaim(claimName);
  }

  /**
   * Checks the options in the engine's words (`where`, `prop`) and creates the claim in `scope`
   * if it is the construct's. Returns the claim's name.
   * @internal
   */
  public abstract _bind(where: IConstruct, prop: string, scope: Construct, claimName: string, defaultSize: Size,
    labels: { [key: string]: string }): string;
}

class NewClaim extends DumpStorage {
  constructor(private readonly options: DumpClaimOptions) { super(); }

  public _bind(where: IConstruct, prop: string, scope: Construct, claimName: string, defaultSize: Size, labels: { [key: string]: string }): string {
    requireProps(where, prop, this.options, { size: instanceOf(Size, 'Size.gibibytes(50)'), storageClass: 'checked-elsewhere' });
    const size = this.options.size ?? defaultSize;
    requirePositiveSize(where, `${prop}.size`, size);
    const storageClass = this.options.storageClass;
    if (storageClass !== undefined) {
      requireStorageClass(where, `${prop}.storageClass`, storageClass);
      if (storageClass.capabilities) {
        requireAccessModes(where, `${prop}.storageClass`, [AccessMode.READ_WRITE_ONCE], storageClass.capabilities.accessModes,
          `storage class '${storageClass.storageClassName}'`);
      }
    }
    new k8s.KubePersistentVolumeClaim(scope, 'DumpClaim', {
      metadata: { name: claimName, labels },
      spec: {
        accessModes: [AccessMode.READ_WRITE_ONCE],
        storageClassName: storageClass?.storageClassName,
        resources: { requests: { storage: k8s.Quantity.fromString(quantityOf(size)) } },
      },
    });
    return claimName;
  }
}

class ExistingClaim extends DumpStorage {
  constructor(private readonly claimName: string) { super(); }

  public _bind(where: IConstruct, prop: string): string {
    return requireDnsSubdomain(where, `${prop}.claimName`, this.claimName);
  }
}

/**
 * A scheduled logical backup (a dump) of a MySQL or MongoDB instance: a CronJob that dumps the
 * whole instance, preferably from a replica, into a claim, checksums it and keeps the newest `keep`.
 */
export interface LogicalBackupOptions {
  /**
   * When to dump, in the CronJob controller's cron syntax (five fields, or `@daily` and friends).
   * @see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#schedule-syntax
   * @default '0 3 * * *' (daily at 03:00 in `timeZone`)
   */
  readonly schedule?: string;
  /**
   * IANA time zone of the schedule (`Europe/Paris`).
   * @see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones
   * @default - the controller manager's time zone (UTC on most clusters)
   */
  readonly timeZone?: string;
  /**
   * How many dumps are kept: after a dump is complete, older ones beyond this count are deleted.
   * At least 1 (the dump just written is never deleted).
   * @default 7
   */
  readonly keep?: number;
  /** Where the dumps go. @default DumpStorage.newClaim() */
  readonly storage?: DumpStorage;
  /**
   * Image of the dump container; it needs bash, the engine's dump tool and client, gzip (MySQL),
   * sha256sum and sync. Must be pinned.
   * @default - the instance's own image
   */
  readonly image?: string;
  /** CPU and memory of the dump container. @default - 100m CPU and 512 MiB */
  readonly resources?: EngineResources;
  /**
   * A run that takes longer is stopped and counted as failed (`activeDeadlineSeconds`).
   * @default Duration.hours(6)
   */
  readonly timeout?: Duration;
}

/** The objects of an instance's logical backup. */
export interface LogicalBackupParts {
  /** The CronJob `<name>-dump`. */
  readonly cronJob: k8s.KubeCronJob;
  /** The claim the dumps are written to. */
  readonly claimName: string;
  /** Where the dumps are in that claim (`<name>/`), and where the dump pod mounts it. */
  readonly directory: string;
  /** Labels of the dump pods: the instance admits these pods on its client port(s). */
  readonly podLabels: { [key: string]: string };
}
