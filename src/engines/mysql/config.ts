/*
 * my.cnf rendering, the version facts it depends on, and the checks of the user's overrides.
 * Nothing here is public API.
 */
import { IConstruct } from 'constructs';
import { invalid, warn } from '../../private/errors';
import { configEntries, configText } from '../config-overrides';
import { TLS_CA_FILE, TLS_CERT_FILE, TLS_KEY_FILE } from '../tls-kit';

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
  /** Server TLS from the mounted Secret, when the `tls` prop is set. */
  readonly tls?: { readonly allowPlaintext: boolean };
}

/** The TLS protocol versions the server offers (TLSv1.0 and 1.1 are off in 8.0.28+ anyway). */
export const TLS_VERSIONS = 'TLSv1.2,TLSv1.3';

/** Keys the `tls` prop sets: an override would point the server at other files or let clients in without TLS. */
export const TLS_KEYS = ['ssl', 'ssl_ca', 'ssl_capath', 'ssl_cert', 'ssl_key', 'require_secure_transport'];

/**
 * The [mysqld] TLS settings: the mounted certificate, key and CA, and TCP clients refused without
 * TLS unless `allowPlaintext` (a Unix socket counts as secure transport: the probes use it).
 */
export function tlsSettings(tls: { readonly allowPlaintext: boolean }): { [key: string]: string } {
  return {
    require_secure_transport: tls.allowPlaintext ? 'OFF' : 'ON',
    ssl_ca: TLS_CA_FILE,
    ssl_cert: TLS_CERT_FILE,
    ssl_key: TLS_KEY_FILE,
    tls_version: TLS_VERSIONS,
  };
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
  return { ...settings, ...(options.tls ? tlsSettings(options.tls) : {}), ...options.overrides };
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

/** What the override checks know of the topology. */
export interface MySqlTopology {
  /** Servers: one source and `replicas - 1` read-only replicas. */
  readonly replicas: number;
  /** Whether the `tls` prop is set (it then owns the TLS keys). */
  readonly tls?: boolean;
}

/** The slave_ names (before 8.0.26) of options the construct checks: one option, two spellings. */
const ALIASES: { [name: string]: string } = {
  log_slave_updates: 'log_replica_updates',
  slave_parallel_workers: 'replica_parallel_workers',
  slave_parallel_type: 'replica_parallel_type',
  slave_preserve_commit_order: 'replica_preserve_commit_order',
  slave_skip_errors: 'replica_skip_errors',
  slave_exec_mode: 'replica_exec_mode',
};

/** Replication filters: with them, a replica (a failover target) lacks part of the data. */
const FILTERS = [
  'replicate_do_db', 'replicate_ignore_db', 'replicate_do_table', 'replicate_ignore_table',
  'replicate_wild_do_table', 'replicate_wild_ignore_table', 'replicate_rewrite_db', 'binlog_do_db', 'binlog_ignore_db',
];

/**
 * Checks `config` ([mysqld] overrides) on its own and against the topology, and returns it
 * normalized as renderMyCnf expects (`innodb-buffer-pool-size` becomes `innodb_buffer_pool_size`,
 * values trimmed). Refuses (ValidationError) what would disable the binary log or GTIDs, lose
 * acknowledged data or let replicas differ from the source; warns about legal durability trade-offs.
 * Every rule and its reason: docs/validation.md, "Config overrides".
 */
export function validateConfig(scope: IConstruct, config: unknown, topology: MySqlTopology): { [key: string]: string } {
  const { replicas } = topology;
  const tls = topology.tls ?? false;
  const entries = new Map(configEntries(scope, config));
  const result: { [key: string]: string } = {};
  // Each option once, by its canonical name: value as mysqld reads it, and the key as written.
  const options = new Map<string, { key: string; value: string }>();
  for (const key of [...entries.keys()].sort()) {
    const normalized = normalizeKey(key);
    if (!/^[a-z][a-z0-9_]*$/.test(normalized)) {
      invalid(scope, `config.${key}`, 'must be a mysqld option name (letters, digits, \'_\' and \'-\')', key);
    }
    const text = configText(scope, key, entries.get(key));
    const { option, modifier } = optionOf(normalized);
    // mysqld reads `loose-gtid-mode` as gtid_mode, and `disable-networking` as skip_networking.
    if ([normalized, normalized.replace(/^loose_/, ''), option, `skip_${option}`].some((name) => MANAGED_KEYS.includes(name))) {
      invalid(scope, `config.${key}`, `is managed by the construct and cannot be overridden (managed: ${MANAGED_KEYS.join(', ')}); use the construct's props instead`, text);
    }
    if (tls && [option, normalized].some((name) => TLS_KEYS.includes(name))) {
      invalid(scope, `config.${key}`, `is set by the tls prop (managed with tls: ${TLS_KEYS.join(', ')}); use tls.certificates and tls.allowPlaintext instead`, text);
    }
    if (/[\r\n]/.test(text)) {
      invalid(scope, `config.${key}`, 'must be a single-line string', text);
    }
    const name = ALIASES[option] ?? option;
    const twin = options.get(name);
    if (twin !== undefined) {
      invalid(scope, `config.${key}`, `sets the same option as 'config.${twin.key}' (mysqld reads '-' as '_', slave_ as replica_, and the loose_, skip_, disable_ and enable_ prefixes): keep one`);
    }
    const value = modifier === 'skip' || modifier === 'disable' ? 'OFF' : modifier === 'enable' && text.trim() === '' ? 'ON' : text.trim();
    options.set(name, { key, value });
    result[normalized] = text.trim();
  }

  const has = (name: string) => options.has(name);
  const value = (name: string) => options.get(name)?.value;
  const prop = (name: string) => `config.${options.get(name)?.key ?? name}`;
  const got = (name: string) => entries.get(options.get(name)?.key ?? name) as string | undefined;
  const onOff = (name: string): boolean | undefined => {
    const v = value(name);
    if (v === undefined) { return undefined; }
    if (v === '' || /^(on|true|1)$/i.test(v)) { return true; }
    if (/^(off|false|0)$/i.test(v)) { return false; }
    return invalid(scope, prop(name), 'must be ON or OFF (or TRUE/FALSE, 1/0): mysqld reads any other value as OFF', got(name));
  };
  const oneOf = (name: string, allowed: string[]): string | undefined => {
    const v = value(name);
    if (v !== undefined && !allowed.includes(v.toUpperCase())) {
      invalid(scope, prop(name), `must be one of ${allowed.join(', ')}`, got(name));
    }
    return v?.toUpperCase();
  };
  const whole = (name: string, max: number): number | undefined => {
    const v = value(name);
    if (v !== undefined && (!/^[0-9]+$/.test(v) || Number(v) > max)) {
      invalid(scope, prop(name), `must be a whole number from 0 to ${max}`, got(name));
    }
    return v === undefined ? undefined : Number(v);
  };

  // The binary log with every replicated transaction is what a promoted replica serves to the others.
  if (onOff('log_replica_updates') === false && replicas > 1) {
    invalid(scope, prop('log_replica_updates'), 'must stay ON when replicas > 1: after a failover the promoted replica\'s binary log must hold every transaction the other replicas still need', got('log_replica_updates'));
  }
  const format = oneOf('binlog_format', ['ROW', 'MIXED', 'STATEMENT']);
  if (format === 'STATEMENT' && replicas > 1) {
    invalid(scope, prop('binlog_format'), 'must be ROW (or MIXED) when replicas > 1: replicas replay statements, and those MySQL cannot replay identically (UUID(), LIMIT without ORDER BY, ...) make them silently differ from the source', got('binlog_format'));
  }
  if (format === 'MIXED' && replicas > 1) {
    warn(scope, `'${prop('binlog_format')}' is MIXED: replicas stay identical to the source only as far as MySQL recognizes the statements it must log as rows; ROW (the default) has no such gap`);
  }
  oneOf('binlog_row_image', ['FULL', 'MINIMAL', 'NOBLOB']);

  const syncBinlog = whole('sync_binlog', 4294967295);
  if (syncBinlog !== undefined && syncBinlog !== 1) {
    warn(scope, `'${prop('sync_binlog')}' is ${syncBinlog}: the binary log is not flushed at every commit, so a crash of the node can lose acknowledged transactions from it, and replicas may hold transactions the restarted source lost`);
  }
  const flushLog = oneOf('innodb_flush_log_at_trx_commit', ['0', '1', '2']);
  if (flushLog !== undefined && flushLog !== '1') {
    warn(scope, `'${prop('innodb_flush_log_at_trx_commit')}' is ${flushLog}: the redo log is flushed about once a second instead of at every commit, so a crash (${flushLog === '0' ? 'of mysqld' : 'of the node'}) loses up to a second of acknowledged transactions`);
  }
  const doublewrite = oneOf('innodb_doublewrite', ['ON', 'OFF', '1', '0', 'TRUE', 'FALSE', 'DETECT_AND_RECOVER', 'DETECT_ONLY']);
  if (doublewrite !== undefined && ['OFF', '0', 'FALSE', 'DETECT_ONLY'].includes(doublewrite)) {
    invalid(scope, prop('innodb_doublewrite'), 'must stay ON (or DETECT_AND_RECOVER): without the doublewrite buffer, a page torn by a crash cannot be recovered', got('innodb_doublewrite'));
  }
  if (onOff('binlog_expire_logs_auto_purge') === false) {
    invalid(scope, prop('binlog_expire_logs_auto_purge'), 'must stay ON: binary logs would never be purged and would fill the volume', got('binlog_expire_logs_auto_purge'));
  }
  for (const name of ['binlog_expire_logs_seconds', 'expire_logs_days']) {
    if (has(name)) {
      invalid(scope, prop(name), 'is set from the binlogRetention prop (at least an hour: 0 would keep binary logs forever and fill the volume); use binlogRetention instead', got(name));
    }
  }

  // TLS 1.0 and 1.1 are broken; the construct's clients speak 1.2 and 1.3.
  if (tls && has('tls_version')) {
    const versions = (value('tls_version') ?? '').split(',').map((v) => v.trim());
    if (versions.length === 0 || versions.some((v) => !['TLSv1.2', 'TLSv1.3'].includes(v))) {
      invalid(scope, prop('tls_version'), 'must be TLSv1.2, TLSv1.3 or both (comma-separated): older protocols are broken, and an empty list turns TLS off', got('tls_version'));
    }
  }
  // Every account authenticates with caching_sha2_password (mysql_native_password is deprecated, gone in 9.0).
  const plugin = value('default_authentication_plugin');
  if (plugin !== undefined && plugin !== 'caching_sha2_password') {
    invalid(scope, prop('default_authentication_plugin'), 'must be caching_sha2_password (the default): the root account is created with it, and mysql_native_password is deprecated and gone in MySQL 9.0', got('default_authentication_plugin'));
  }
  const policy = value('authentication_policy');
  if (policy !== undefined && /native/i.test(policy)) {
    invalid(scope, prop('authentication_policy'), 'must not name mysql_native_password: accounts use caching_sha2_password (mysql_native_password is deprecated and gone in MySQL 9.0)', got('authentication_policy'));
  }

  // The multi-threaded applier: DATABASE cannot preserve the commit order that is on by default (8.0.27+).
  whole('replica_parallel_workers', 1024);
  const parallelType = oneOf('replica_parallel_type', ['LOGICAL_CLOCK', 'DATABASE']);
  const preserveOrder = onOff('replica_preserve_commit_order');
  if (replicas > 1 && parallelType === 'DATABASE' && preserveOrder !== false) {
    invalid(scope, prop('replica_parallel_type'), `DATABASE needs '${prop('replica_preserve_commit_order')}': 'OFF' (ON, the default from 8.0.27, requires LOGICAL_CLOCK): replication would not start`, got('replica_parallel_type'));
  }
  const workers = whole('replica_parallel_workers', 1024);
  if (replicas > 1 && preserveOrder === false && (workers === undefined || workers > 1)) {
    warn(scope, `'${prop('replica_preserve_commit_order')}' is OFF with a multi-threaded applier: replicas commit transactions out of the source's order, so reads from the read-only Service can see a transaction without one committed before it`);
  }

  if (replicas > 1) {
    const skip = value('replica_skip_errors');
    if (skip !== undefined && skip.toUpperCase() !== 'OFF') {
      invalid(scope, prop('replica_skip_errors'), 'must be OFF when replicas > 1: a replica that skips a failing event silently differs from the source, and a failover to it loses data', got('replica_skip_errors'));
    }
    if (oneOf('replica_exec_mode', ['STRICT', 'IDEMPOTENT']) === 'IDEMPOTENT') {
      invalid(scope, prop('replica_exec_mode'), 'must be STRICT when replicas > 1: IDEMPOTENT hides duplicate-key and missing-row errors, so a replica can silently differ from the source', got('replica_exec_mode'));
    }
    for (const filter of FILTERS.filter(has)) {
      invalid(scope, prop(filter), `cannot be used when replicas > 1: every replica is a failover target and must hold all the data${filter.startsWith('binlog_') ? ' (the source would not log what this filters out)' : ''}`, got(filter));
    }
    const engine = value('default_storage_engine');
    if (engine !== undefined && engine.toLowerCase() !== 'innodb') {
      invalid(scope, prop('default_storage_engine'), 'must be InnoDB when replicas > 1: new replicas are cloned with the CLONE plugin, which copies InnoDB data only (tables of other engines arrive empty)', got('default_storage_engine'));
    }
  } else {
    oneOf('replica_exec_mode', ['STRICT', 'IDEMPOTENT']);
  }
  return result;
}

/**
 * The option a my.cnf key sets and how: mysqld ignores a `loose_` prefix (unknown options are then
 * only a warning) and reads `skip_x` and `disable_x` as x = OFF, `enable_x` as x = ON.
 */
function optionOf(key: string): { option: string; modifier?: 'skip' | 'disable' | 'enable' } {
  const name = key.replace(/^loose_/, '');
  const m = /^(skip|disable|enable)_(.+)$/.exec(name);
  return m ? { option: m[2], modifier: m[1] as 'skip' | 'disable' | 'enable' } : { option: name };
}
