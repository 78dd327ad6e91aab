/**
 * pgBackRest as the pods and CronJobs use it: the checked `backup` and `restore` props, pgbackrest.conf
 * and the repositories' variables and volumes. Not public API.
 */
import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { BackupSchedule, BackupType, PostgresBackupOptions, PostgresRestore } from './backup';
import { PgBackRestRepository, RepositoryParts, SecretKeyReference } from './backup-repository';
import { requireSecretKey } from './secret-key';
import { requireCronSchedule, requireTimeZone } from '../../private/cron';
import { requireWholeSeconds } from '../../private/durations';
import { invalid, requireInteger } from '../../private/errors';
import { requireArray, requireInstance } from '../../private/guards';
import { instanceOf, requireProps } from '../../private/prop-types';

/** The CronJobs' default schedules. */
export const DEFAULT_SCHEDULES = [BackupSchedule.full('0 1 * * 0'), BackupSchedule.differential('0 1 * * 1-6')];

/** Checked backup options, as the pods and CronJobs use them. */
export interface ResolvedBackup {
  readonly repository: RepositoryParts;
  readonly schedules: BackupSchedule[];
  readonly timeZone?: string;
  readonly fullRetention: number;
  readonly differentialRetention?: number;
  readonly encryptionKey?: SecretKeyReference;
  readonly archiveTimeoutSeconds: number;
  readonly timeoutSeconds: number;
}

/** Checked restore options: the pgbackrest restore arguments. */
export interface ResolvedRestore {
  readonly repository: RepositoryParts;
  readonly stanza: string;
  readonly encryptionKey?: SecretKeyReference;
  /** pgBackRest's restore `--type`: default (the end of the archive), time or immediate. */
  readonly type: string;
  /** `--target` of a time restore. */
  readonly target?: string;
  /** `--set`: the backup to start from. */
  readonly set?: string;
}

const STANZA = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function resolveBackup(scope: IConstruct, value: unknown): ResolvedBackup | undefined {
  if (value === undefined) { return undefined; }
  const duration = instanceOf(Duration, 'Duration.hours(6)');
  requireProps(scope, 'backup', value, {
    repository: instanceOf(PgBackRestRepository, 'PgBackRestRepository.s3({...})'),
    schedules: 'array',
    timeZone: 'string',
    fullRetention: 'integer',
    differentialRetention: 'integer',
    encryptionKey: 'object',
    archiveTimeout: duration,
    timeout: duration,
  });
  const o = value as PostgresBackupOptions;
  if (o.repository === undefined) { invalid(scope, 'backup.repository', 'is required: PgBackRestRepository.s3(), .gcs(), .azure() or .persistentVolumeClaim()'); }
  const schedules = o.schedules === undefined ? DEFAULT_SCHEDULES : requireArray(scope, 'backup.schedules', o.schedules)
    .map((s, i) => requireInstance(scope, `backup.schedules[${i}]`, s, BackupSchedule, "BackupSchedule.full('0 1 * * 0')"));
  const seen = new Set<BackupType>();
  schedules.forEach((s, i) => {
    requireCronSchedule(scope, `backup.schedules[${i}]`, s.cron);
    if (seen.has(s.backupType)) { invalid(scope, `backup.schedules[${i}]`, `repeats a ${s.backupType} schedule: give each kind of backup one schedule (a cron expression can list several times)`); }
    seen.add(s.backupType);
  });
  if (!seen.has(BackupType.FULL)) {
    invalid(scope, 'backup.schedules', 'must include BackupSchedule.full(...): retention counts full backups, so without them nothing would ever expire and every restore would need one ever-longer chain');
  }
  const fullRetention = requireInteger(scope, 'backup.fullRetention', o.fullRetention ?? 2, 1);
  const differentialRetention = o.differentialRetention === undefined ? undefined : requireInteger(scope, 'backup.differentialRetention', o.differentialRetention, 1);
  return {
    repository: o.repository._bind(scope, 'backup.repository', 'repo'),
    schedules,
    timeZone: o.timeZone === undefined ? undefined : requireTimeZone(scope, 'backup.timeZone', o.timeZone),
    fullRetention,
    differentialRetention,
    encryptionKey: o.encryptionKey === undefined ? undefined : requireSecretKey(scope, 'backup.encryptionKey', o.encryptionKey),
    archiveTimeoutSeconds: o.archiveTimeout === undefined ? 60 : requireWholeSeconds(scope, 'backup.archiveTimeout', o.archiveTimeout, 1, 3600, 'PostgreSQL counts it in whole seconds; a longer wait is a longer window of commits not yet archived'),
    timeoutSeconds: o.timeout === undefined ? 6 * 3600 : requireWholeSeconds(scope, 'backup.timeout', o.timeout, 300, 7 * 24 * 3600, 'the Job gives up a minute before it, and the agent stops the backup at it'),
  };
}

export function resolveRestore(scope: IConstruct, value: unknown): ResolvedRestore | undefined {
  if (value === undefined) { return undefined; }
  const restore = requireInstance(scope, 'restore', value, PostgresRestore, 'PostgresRestore.latest({...})');
  const o = restore._options;
  requireProps(scope, 'restore', o, {
    repository: instanceOf(PgBackRestRepository, 'PgBackRestRepository.s3({...})'), stanza: 'string', encryptionKey: 'object',
  });
  if (o.repository === undefined) { invalid(scope, 'restore.repository', 'is required: the repository the backups are in'); }
  if (typeof o.stanza !== 'string' || !STANZA.test(o.stanza)) {
    invalid(scope, 'restore.stanza', 'must be the name of the instance whose backups to restore (a DNS label)', o.stanza);
  }
  let type = 'default';
  if (restore._kind === 'time') {
    const time = restore._target;
    // PostgreSQL would read a time without a zone in the server's zone: say which one.
    if (!isTimestampWithZone(time)) {
      invalid(scope, 'restore', "PostgresRestore.toTime needs a timestamp with its zone, such as '2026-11-30 14:05:00+00'", time);
    }
    type = 'time';
  } else if (restore._kind === 'backup') {
    const label = restore._target;
    if (typeof label !== 'string' || !/^\d{8}-\d{6}F(_\d{8}-\d{6}[DI])?$/.test(label)) {
      invalid(scope, 'restore', "PostgresRestore.fromBackup needs a pgBackRest backup label such as '20261130-010002F' or '20261130-010002F_20261201-010003D'", label);
    }
    type = 'immediate';
  }
  return {
    repository: o.repository._bind(scope, 'restore.repository', 'source'),
    stanza: o.stanza,
    encryptionKey: o.encryptionKey === undefined ? undefined : requireSecretKey(scope, 'restore.encryptionKey', o.encryptionKey),
    type,
    target: restore._kind === 'time' ? restore._target : undefined,
    set: restore._kind === 'backup' ? restore._target : undefined,
  };
}

/** `2026-11-30 14:05:00+00`, `...T14:05:00.5+05:30`, `...14:05Z`, `... UTC`: a real date and time, with its zone. */
function isTimestampWithZone(value: unknown): boolean {
  const m = typeof value === 'string'
    ? /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)(?:([+-]\d{2})(?::?(\d{2}))?|Z| UTC)$/.exec(value)
    : null;
  if (!m) { return false; }
  const zone = m[3] === undefined ? 'Z' : `${m[3]}:${m[4] ?? '00'}`;
  const parsed = new Date(`${m[1]}T${m[2]}${zone}`);
  // Date rolls 2026-02-30 over to March: a real date reads back the same day.
  return !Number.isNaN(parsed.getTime()) && new Date(`${m[1]}T00:00:00Z`).toISOString().startsWith(m[1]);
}

/** Paths of the pods that pgbackrest.conf names; the integration test rewrites exactly these. */
export interface PgBackRestPaths {
  readonly dataDir: string;
  readonly socketDir: string;
  readonly spoolDir: string;
  readonly tmpDir: string;
  readonly port: number;
  readonly superuser: string;
}

/**
 * pgbackrest.conf for one repository and stanza. No secret is in it: pgBackRest reads those from
 * `PGBACKREST_REPO1_*` variables that come from Secrets.
 */
export function renderPgBackRestConf(
  stanza: string, repository: RepositoryParts, paths: PgBackRestPaths, extra: Array<[string, string]> = [],
): string {
  const global: Array<[string, string]> = [
    ...repository.options.map(([k, v]): [string, string] => [`repo1-${k}`, v]),
    ...extra,
    // Archiving must keep up with the primary: WAL is pushed in the background from a spool on the data volume.
    ['archive-async', 'y'],
    ['spool-path', paths.spoolDir],
    ['compress-type', 'zst'],
    ['start-fast', 'y'],
    // The root filesystem is read-only: locks in /tmp, logs to the console (kubectl logs) only.
    ['lock-path', `${paths.tmpDir}/pgbackrest`],
    ['log-path', `${paths.tmpDir}/pgbackrest`],
    ['log-level-file', 'off'],
    ['log-level-console', 'info'],
  ];
  const section: Array<[string, string]> = [
    ['pg1-path', paths.dataDir],
    ['pg1-port', String(paths.port)],
    ['pg1-socket-path', paths.socketDir],
    ['pg1-user', paths.superuser],
  ];
  const lines = (rows: Array<[string, string]>) => rows.map(([k, v]) => `${k}=${v}`).join('\n');
  return [
    '# Generated by cdk8s-stateful from the Postgres construct\'s props; secrets come from PGBACKREST_* variables.',
    '[global]', lines(global), '', `[${stanza}]`, lines(section), '',
  ].join('\n');
}

/** The repository options of a backup target: retention and encryption on top of the repository. */
export function targetOptions(backup: ResolvedBackup): Array<[string, string]> {
  const rows: Array<[string, string]> = [
    ['repo1-retention-full-type', 'count'],
    ['repo1-retention-full', String(backup.fullRetention)],
  ];
  if (backup.differentialRetention !== undefined) { rows.push(['repo1-retention-diff', String(backup.differentialRetention)]); }
  if (backup.encryptionKey) { rows.push(['repo1-cipher-type', 'aes-256-cbc']); }
  return rows;
}

/** What a repository adds to the containers that run pgbackrest. */
export interface RepositoryPodParts {
  /** `PGBACKREST_REPO1_*` (prefixed `RESTORE_` for a restore source) from Secrets. */
  readonly env: { [name: string]: kplus.EnvValue };
  readonly mounts: kplus.VolumeMount[];
}

/** The variables and volumes of a repository; `id` keeps the constructs of two repositories apart. */
export function repositoryPodParts(
  scope: Construct, id: string, repository: RepositoryParts, encryptionKey: SecretKeyReference | undefined, envPrefix: string,
): RepositoryPodParts {
  const secrets: Array<[string, SecretKeyReference]> = [...repository.secrets];
  if (encryptionKey) { secrets.push(['CIPHER_PASS', encryptionKey]); }
  const secretNamed = (name: string) => (scope.node.tryFindChild(`${id}Secret-${name}`) as kplus.ISecret | undefined)
    ?? kplus.Secret.fromSecretName(scope, `${id}Secret-${name}`, name);
  const env: { [name: string]: kplus.EnvValue } = {};
  for (const [option, ref] of secrets) {
    env[`${envPrefix}PGBACKREST_REPO1_${option}`] = kplus.EnvValue.fromSecretValue({ secret: secretNamed(ref.secretName), key: ref.key });
  }
  const mounts = repository.mounts.map((m): kplus.VolumeMount => {
    const volume = m.secret
      ? kplus.Volume.fromSecret(scope, `${id}Volume-${m.name}`, secretNamed(m.secret.ref.secretName), {
        name: m.name, items: { [m.secret.ref.key]: { path: m.secret.file } }, defaultMode: 0o440,
      })
      : kplus.Volume.fromPersistentVolumeClaim(scope, `${id}Volume-${m.name}`,
        kplus.PersistentVolumeClaim.fromClaimName(scope, `${id}Claim-${m.name}`, m.claimName!), { name: m.name });
    return { volume, path: m.mountPath, readOnly: m.secret !== undefined };
  });
  return { env, mounts };
}

/** Refuses a restore that would archive into the backups it restores from. */
export function checkRestoreTarget(
  scope: IConstruct, backup: ResolvedBackup | undefined, restore: ResolvedRestore | undefined, stanza: string,
): void {
  if (!backup || !restore) { return; }
  if (backup.repository.identity === restore.repository.identity && restore.stanza === stanza) {
    invalid(scope, 'restore.stanza', 'is this instance\'s own stanza in its own backup repository: the restored cluster would archive a new history into the backups it was restored from. Restore into an instance of another name, or back it up to another path', restore.stanza);
  }
}
