/*
 * my.cnf rendering and the version facts it depends on. Nothing here is public API.
 */

/** Where the data volume is mounted, and the server's data directory inside it (the volume root holds lost+found). */
export const MOUNT_PATH = '/var/lib/mysql';
export const DATA_DIR = `${MOUNT_PATH}/data`;
export const RUN_DIR = '/var/run/mysqld';
export const SOCKET = `${RUN_DIR}/mysqld.sock`;
/** server_id = SERVER_ID_BASE + ordinal: never 0 (0 refuses to replicate) and easy to recognise in SHOW REPLICAS. */
export const SERVER_ID_BASE = 100;
/** The smallest container that holds the server's fixed overhead plus a useful buffer pool. */
export const MIN_MEMORY_MIB = 512;

/** A MySQL version as numbers, or undefined when `full` is not `major.minor.patch`. */
export function parseVersion(full: string): [number, number, number] | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(full);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** Whether `full` is at least `min` (both `x.y.z`). */
export function atLeast(full: string, min: string): boolean {
  const a = parseVersion(full)!;
  const b = parseVersion(min)!;
  for (let i = 0; i < 3; i++) {
    if (a[i] !== b[i]) { return a[i] > b[i]; }
  }
  return true;
}

/** What differs between the versions the construct supports (8.0.23 and newer). */
export interface VersionFeatures {
  /** innodb_redo_log_capacity (8.0.30+) instead of innodb_log_file_size. */
  readonly redoLogCapacity: boolean;
  /** *_replica_* variable names (8.0.26+) instead of *_slave_*. */
  readonly replicaTerms: boolean;
}

export function featuresOf(full: string): VersionFeatures {
  return { redoLogCapacity: atLeast(full, '8.0.30'), replicaTerms: atLeast(full, '8.0.26') };
}

/** Settings the library derives from the container memory. */
export interface Tuning {
  readonly bufferPoolMiB: number;
  readonly redoLogMiB: number;
}

/**
 * innodb_buffer_pool_size: half the memory below 4 GiB (the server, performance_schema and the
 * per-connection buffers need a fixed few hundred MiB), 70% from 4 GiB up; a multiple of the
 * 128 MiB chunk size (the server rounds up otherwise). Redo capacity: half the pool, 128 MiB to 8 GiB.
 */
export function tune(memoryMiB: number): Tuning {
  const fraction = memoryMiB >= 4096 ? 0.7 : 0.5;
  const bufferPoolMiB = Math.max(128, Math.floor((memoryMiB * fraction) / 128) * 128);
  const redoLogMiB = Math.min(8192, Math.max(128, Math.floor(bufferPoolMiB / 2)));
  return { bufferPoolMiB, redoLogMiB };
}

/** Keys the library manages: an override would break replication, the layout or the probes. */
export const MANAGED_KEYS = [
  'datadir', 'socket', 'pid_file', 'user', 'server_id', 'report_host',
  'gtid_mode', 'enforce_gtid_consistency', 'log_bin', 'skip_log_bin', 'disable_log_bin',
  'read_only', 'super_read_only', 'skip_replica_start', 'skip_slave_start',
  'plugin_load_add', 'skip_networking',
];

/** `innodb-buffer-pool-size` and `innodb_buffer_pool_size` are one option to mysqld. */
export function normalizeKey(key: string): string {
  return key.trim().toLowerCase().replace(/-/g, '_');
}

export interface MyCnfOptions {
  readonly fullVersion: string;
  readonly memoryMiB: number;
  readonly maxConnections: number;
  readonly binlogExpireSeconds: number;
  /** Already validated and normalized. */
  readonly overrides: { [key: string]: string };
}

/** The [mysqld] settings, defaults and overrides merged. */
export function mysqldSettings(options: MyCnfOptions): { [key: string]: string } {
  const features = featuresOf(options.fullVersion);
  const tuning = tune(options.memoryMiB);
  const settings: { [key: string]: string } = {
    binlog_expire_logs_seconds: String(options.binlogExpireSeconds),
    binlog_format: 'ROW',
    datadir: DATA_DIR,
    enforce_gtid_consistency: 'ON',
    gtid_mode: 'ON',
    innodb_buffer_pool_size: `${tuning.bufferPoolMiB}M`,
    log_bin: 'mysql-bin',
    max_connections: String(options.maxConnections),
    pid_file: `${RUN_DIR}/mysqld.pid`,
    // Every server can donate a clone (a replica promoted to source included), and every recipient can clone.
    plugin_load_add: 'mysql_clone.so',
    skip_name_resolve: 'ON',
    socket: SOCKET,
  };
  settings[features.replicaTerms ? 'log_replica_updates' : 'log_slave_updates'] = 'ON';
  if (features.redoLogCapacity) {
    settings.innodb_redo_log_capacity = `${tuning.redoLogMiB}M`;
  } else {
    // Two files in the group (the default), so the same total capacity.
    settings.innodb_log_file_size = `${Math.max(64, Math.floor(tuning.redoLogMiB / 2))}M`;
  }
  return { ...settings, ...options.overrides };
}

/** my.cnf: sorted keys, no timestamps, so two synths are identical. */
export function renderMyCnf(options: MyCnfOptions): string {
  const settings = mysqldSettings(options);
  const lines = Object.keys(settings).sort().map((k) => settings[k] === '' ? k : `${k} = ${settings[k]}`);
  return [
    '# Rendered by cdk8s-stateful from the MySql construct\'s props; its `config` overrides win.',
    '# Per-pod settings (server_id, report_host, read-only on replicas) are in 20-pod.cnf, written at start.',
    '[mysqld]',
    ...lines,
    '',
    '[client]',
    `socket = ${SOCKET}`,
    '',
  ].join('\n');
}

/** Per-pod lines for the source: writable, and never starts a stale replication channel. */
export function sourceRoleCnf(fullVersion: string): string {
  const skip = featuresOf(fullVersion).replicaTerms ? 'skip_replica_start' : 'skip_slave_start';
  return ['read_only = OFF', 'super_read_only = OFF', `${skip} = ON`].join('\n');
}

/** Per-pod lines for a replica: nobody but the replication threads writes, replication starts with the server. */
export function replicaRoleCnf(fullVersion: string): string {
  const skip = featuresOf(fullVersion).replicaTerms ? 'skip_replica_start' : 'skip_slave_start';
  return ['read_only = ON', 'super_read_only = ON', `${skip} = OFF`].join('\n');
}
