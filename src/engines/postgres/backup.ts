import { Duration } from 'cdk8s';
import { PgBackRestRepository, SecretKeyReference } from './backup-repository';

/** The kinds of pgBackRest backup. */
export enum BackupType {
  /** Every file: restores need nothing else. */
  FULL = 'full',
  /** What changed since the last full backup: restores need that full. */
  DIFFERENTIAL = 'diff',
  /** What changed since the last backup of any kind: the smallest, restores need the chain. */
  INCREMENTAL = 'incr',
}

/** When one kind of backup runs: a CronJob per schedule. */
export class BackupSchedule {
  /** Full backups on `cron` (for example `'0 1 * * 0'`: Sundays at 01:00). */
  public static full(cron: string): BackupSchedule { return new BackupSchedule(BackupType.FULL, cron); }
  /** Differential backups on `cron` (for example `'0 1 * * 1-6'`). */
  public static differential(cron: string): BackupSchedule { return new BackupSchedule(BackupType.DIFFERENTIAL, cron); }
  /** Incremental backups on `cron` (for example `'0 *\/6 * * *'`). */
  public static incremental(cron: string): BackupSchedule { return new BackupSchedule(BackupType.INCREMENTAL, cron); }

  private constructor(
    /** The kind of backup. */
    public readonly backupType: BackupType,
    /** The cron schedule, as the CronJob controller reads it. */
    public readonly cron: string,
  ) {}
}

/**
 * Continuous archiving and scheduled base backups with pgBackRest: together they restore the
 * cluster to any point in time since the oldest kept full backup.
 * @see https://pgbackrest.org/user-guide.html
 */
export interface PostgresBackupOptions {
  /** Where backups and archived WAL go. */
  readonly repository: PgBackRestRepository;
  /**
   * When backups run, one CronJob per kind. At least one full schedule; at most one schedule per kind.
   * @default - full on Sundays at 01:00, differential Monday to Saturday at 01:00
   */
  readonly schedules?: BackupSchedule[];
  /**
   * The time zone of the schedules (an IANA name).
   * @default - the time zone of the cluster's controller manager (UTC on managed clusters)
   */
  readonly timeZone?: string;
  /**
   * How many full backups are kept (older ones expire with the WAL only they need). PITR reaches back
   * to the oldest kept full backup.
   * @default 2
   */
  readonly fullRetention?: number;
  /**
   * How many differential backups are kept.
   * @default - every differential of the kept full backups
   */
  readonly differentialRetention?: number;
  /**
   * A passphrase in a Secret that encrypts the repository (aes-256-cbc, on the client). Keep a copy
   * outside the cluster: without it the backups cannot be read.
   * @default - not encrypted by pgBackRest (use the store's own encryption at rest)
   */
  readonly encryptionKey?: SecretKeyReference;
  /**
   * The longest a committed transaction waits before its WAL segment is archived, when the server
   * is quiet: the recovery point objective of a point-in-time restore.
   * @default Duration.seconds(60)
   */
  readonly archiveTimeout?: Duration;
  /**
   * How long one backup may run: the agent stops it then, and its Job fails (at least 5 minutes).
   * @default Duration.hours(6)
   */
  readonly timeout?: Duration;
}

/** Options of every {@link PostgresRestore}. */
export interface PostgresRestoreOptions {
  /** The repository the backups are in. */
  readonly repository: PgBackRestRepository;
  /** The stanza: the `name` of the instance whose backups they are. */
  readonly stanza: string;
  /**
   * The passphrase of that repository, if it is encrypted.
   * @default - not encrypted
   */
  readonly encryptionKey?: SecretKeyReference;
}

/**
 * Where a new cluster's data comes from, instead of an empty `initdb`: a pgBackRest repository.
 * The restore runs once, when the cluster is created (no Patroni state, empty volume on the first
 * pod); an instance with data keeps its data, whatever this prop says.
 */
export class PostgresRestore {
  /** Everything the repository has: the latest backup and every archived WAL segment after it. */
  public static latest(options: PostgresRestoreOptions): PostgresRestore {
    return new PostgresRestore(options, 'latest');
  }

  /**
   * The data as it was at `time` (PostgreSQL's timestamp with a zone, such as
   * `'2026-11-30 14:05:00+00'`): the newest backup before it, then WAL up to it.
   */
  public static toTime(time: string, options: PostgresRestoreOptions): PostgresRestore {
    return new PostgresRestore(options, 'time', time);
  }

  /** One backup by its label (`pgbackrest info`: `20261130-010002F`), as it was when it ended. */
  public static fromBackup(label: string, options: PostgresRestoreOptions): PostgresRestore {
    return new PostgresRestore(options, 'backup', label);
  }

  private constructor(
    /** @internal */ public readonly _options: PostgresRestoreOptions,
    /** @internal */ public readonly _kind: 'latest' | 'time' | 'backup',
    /** @internal */ public readonly _target?: string,
  ) {}
}

