/**
 * postgresql.conf and pg_hba.conf, rendered from typed props and tuned from the container's memory,
 * and the checks of the user's overrides. Not public API: the Postgres construct writes them into
 * its `<name>-config` ConfigMap.
 */
import { IConstruct } from 'constructs';
import { invalid, warn } from '../../private/errors';
import { configEntries, configText } from '../config-overrides';
import { TLS_CA_FILE, TLS_CERT_FILE, TLS_KEY_FILE } from '../tls-kit';

/** The server's socket directory (an emptyDir). */
export const SOCKET_DIR = '/var/run/postgresql';
/** The port every pod listens on. */
export const POSTGRES_PORT = 5432;

/**
 * Settings the pods or Patroni own: overriding them would break probes, mounts, replication or
 * failover (Patroni writes the standbys' recovery settings and the synchronous standby names).
 */
export const MANAGED_SETTINGS = [
  'cluster_name', 'config_file', 'data_directory', 'hba_file', 'ident_file', 'listen_addresses', 'port',
  'primary_conninfo', 'primary_slot_name', 'recovery_target', 'recovery_target_lsn', 'recovery_target_name',
  'recovery_target_time', 'recovery_target_xid', 'restore_command',
  // The `tls` prop's: the certificate files are the mounted Secret's, and Patroni and the standbys verify against its CA.
  'ssl', 'ssl_ca_file', 'ssl_cert_file', 'ssl_key_file',
  'synchronous_standby_names', 'unix_socket_directories',
];

/** The oldest TLS version the server accepts: older ones have known weaknesses and every supported libpq speaks 1.2. */
export const TLS_MIN_PROTOCOL = 'TLSv1.2';
const TLS_PROTOCOLS = ['tlsv1.2', 'tlsv1.3'];

/**
 * The server's TLS files, for Patroni's local `postgresql.parameters` (which win over the cluster-wide
 * ones): only pods that mount the Secret get them. In the cluster-wide configuration, a member not yet
 * rolled would get `ssl = on` without the files, and PostgreSQL refuses to start like that.
 */
export function tlsFileSettings(): Map<string, string> {
  return new Map([
    ['ssl', 'on'],
    ['ssl_cert_file', TLS_CERT_FILE],
    ['ssl_key_file', TLS_KEY_FILE],
    ['ssl_ca_file', TLS_CA_FILE],
  ]);
}

/** What the tuning needs to know. */
export interface TuningInput {
  readonly memoryMiB: number;
  readonly storageMiB: number;
  readonly maxConnections: number;
  readonly replicas: number;
}

/**
 * The least memory the tuned configuration works in: 128 MiB of base (shared_buffers at 25%,
 * maintenance, the postmaster and its auxiliary processes) plus about 1 MiB per allowed connection,
 * and never below 256 MiB.
 */
export function minimumMemoryMiB(maxConnections: number): number {
  return Math.max(256, 128 + maxConnections);
}

/** max_wal_senders and max_replication_slots as tuned: room for every standby, clones and reconnects. */
export function walSenders(replicas: number): number {
  return Math.max(10, replicas + 4);
}

/**
 * The tuned settings, before the user's overrides. Values are postgresql.conf literals without
 * quotes. Addresses, ports, the socket and pg_hba are Patroni's (patroni.ts).
 */
export function tunedSettings(input: TuningInput): Map<string, string> {
  const mem = input.memoryMiB;
  const sharedBuffers = Math.floor(mem * 0.25);
  const effectiveCache = Math.floor(mem * 0.75);
  // What is left after shared_buffers, shared by all connections, each of which may run a few sorts at once.
  const workMemKiB = clamp(Math.floor(((mem - sharedBuffers) * 1024) / (input.maxConnections * 3)), 1024, 1024 * 1024);
  const maintenance = clamp(Math.floor(mem / 16), 16, 2048);
  // WAL kept for standbys that fall behind, and the checkpoint budget: each about a tenth of the volume.
  const walKeep = clamp(Math.floor(input.storageMiB / 10), 64, 8192);
  const maxWal = clamp(Math.floor(input.storageMiB / 10), 128, 4096);
  // The members' slots hold WAL for a standby that is down; past a quarter of the volume the slot
  // is given up (that standby is re-cloned) rather than the primary's volume filled.
  const slotKeep = Math.max(1024, Math.floor(input.storageMiB / 4));
  const senders = walSenders(input.replicas);
  return new Map<string, string>([
    ['max_connections', String(input.maxConnections)],
    ['password_encryption', 'scram-sha-256'],
    ['shared_buffers', `${sharedBuffers}MB`],
    ['effective_cache_size', `${effectiveCache}MB`],
    ['work_mem', `${workMemKiB}kB`],
    ['maintenance_work_mem', `${maintenance}MB`],
    // Nodes with huge pages configured kill a server that tries them without a hugepages limit (SIGBUS).
    ['huge_pages', 'off'],
    ['dynamic_shared_memory_type', 'posix'],
    ['wal_level', 'replica'],
    ['max_wal_senders', String(senders)],
    ['max_replication_slots', String(senders)],
    ['wal_keep_size', `${walKeep}MB`],
    ['max_slot_wal_keep_size', `${slotKeep}MB`],
    ['max_wal_size', `${maxWal}MB`],
    ['hot_standby', 'on'],
    ['timezone', 'UTC'],
    ['log_timezone', 'UTC'],
    ['datestyle', 'iso, mdy'],
    ['default_text_search_config', 'pg_catalog.english'],
  ]);
}

/** The tuned settings with `overrides` winning (both with lower-case names). */
export function withOverrides(settings: Map<string, string>, overrides: { [key: string]: string }): Map<string, string> {
  const all = new Map(settings);
  for (const [key, value] of Object.entries(overrides)) {
    all.set(key, value);
  }
  return all;
}

/** What pg_hba needs to know of TLS. */
export interface HbaTls {
  /** Whether clients (never the standbys) may still connect without TLS. */
  readonly allowPlaintext: boolean;
}

/**
 * pg_hba.conf rows, for Patroni's `postgresql.pg_hba`: the superuser by peer on the socket (Patroni
 * itself, kubectl exec), everything else with scram-sha-256 (never md5, password or trust);
 * replication only for the replication role. Which pods can reach the port at all is the
 * NetworkPolicy's job: the pod network's address range is not known at synth time.
 *
 * With TLS, every TCP connection must use it (`hostssl`; the first matching row wins, so plaintext
 * ones end at the `reject` rows): replication always, clients unless `allowPlaintext`. Loopback
 * included: the pod's own clients (the metrics sidecar, kubectl exec) use TLS too.
 */
export function pgHbaRows(superuser: string, replicationUser: string, tls?: HbaTls): string[] {
  const everywhere = (method: string, database: string, user: string, auth: string) =>
    [`${method} ${database} ${user} 0.0.0.0/0 ${auth}`, `${method} ${database} ${user} ::/0 ${auth}`];
  const local = [`local all ${superuser} peer`, 'local all all scram-sha-256'];
  if (!tls) {
    return [...local, ...everywhere('host', 'replication', replicationUser, 'scram-sha-256'), ...everywhere('host', 'all', 'all', 'scram-sha-256')];
  }
  return [
    ...local,
    ...everywhere('hostssl', 'replication', replicationUser, 'scram-sha-256'),
    ...everywhere('hostnossl', 'replication', 'all', 'reject'),
    ...everywhere(tls.allowPlaintext ? 'host' : 'hostssl', 'all', 'all', 'scram-sha-256'),
    ...(tls.allowPlaintext ? [] : everywhere('hostnossl', 'all', 'all', 'reject')),
  ];
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}

/** What the override checks know of the topology. */
export interface PostgresTopology {
  /** Pods: one primary and `replicas - 1` streaming standbys. */
  readonly replicas: number;
  /** Whether commits wait for a synchronous standby. */
  readonly synchronous: boolean;
  /** Whether the `backup` prop archives WAL with pgBackRest (it then owns the archive settings). */
  readonly archiving?: boolean;
}

/** Settings the `backup` prop owns. */
export const ARCHIVE_SETTINGS = ['archive_command', 'archive_library', 'archive_mode', 'archive_timeout'];

const CONFIG_KEY = /^[A-Za-z_][A-Za-z0-9_.]*$/;
const BOOLEANS = 'on, off, true, false, yes, no, 1 or 0, or a unique prefix of one';
const WAL_LEVELS = ['minimal', 'replica', 'logical', 'archive', 'hot_standby'];
const SYNCHRONOUS_COMMIT = ['on', 'off', 'local', 'remote_write', 'remote_apply', 'true', 'false', 'yes', 'no', '1', '0'];
const ARCHIVE_MODES = ['on', 'off', 'always', 'true', 'false', 'yes', 'no', '1', '0'];

/**
 * Checks `config` (postgresql.conf overrides) on its own and against the topology, and returns it
 * with lower-case names: PostgreSQL matches setting names case-insensitively, and an override must
 * replace the tuned line of the same name, not sit next to it. Refuses (ValidationError) what would
 * stop the server, lose acknowledged data or stop replication; warns about legal durability
 * trade-offs. Every rule and its reason: docs/validation.md, "Config overrides".
 */
export function validateConfig(scope: IConstruct, config: unknown, topology: PostgresTopology): { [key: string]: string } {
  const { replicas } = topology;
  const settings = new Map<string, string>();
  const written = new Map<string, string>();
  for (const [key, value] of configEntries(scope, config)) {
    if (!CONFIG_KEY.test(key)) {
      invalid(scope, `config.${key}`, 'must be a postgresql.conf setting name (letters, digits, _ and .)');
    }
    const name = key.toLowerCase();
    if (MANAGED_SETTINGS.includes(name)) {
      invalid(scope, `config.${key}`, `is managed by the construct or Patroni (the pods, replication and failover rely on it); managed: ${MANAGED_SETTINGS.join(', ')}`);
    }
    if (topology.archiving && ARCHIVE_SETTINGS.includes(name)) {
      invalid(scope, `config.${key}`, `is managed by the 'backup' prop, which archives WAL with pgBackRest (set 'backup.archiveTimeout' for archive_timeout); managed with backups: ${ARCHIVE_SETTINGS.join(', ')}`);
    }
    const text = configText(scope, key, value);
    if (/[\r\n]/.test(text)) {
      invalid(scope, `config.${key}`, 'must be a single-line string', text);
    }
    if (written.has(name)) {
      invalid(scope, `config.${key}`, `sets the same setting as 'config.${written.get(name)}': PostgreSQL setting names are case-insensitive, keep one`);
    }
    written.set(name, key);
    settings.set(name, text);
  }

  const prop = (name: string) => `config.${written.get(name) ?? name}`;
  const boolean = (name: string): boolean | undefined => {
    const value = settings.get(name);
    if (value === undefined) { return undefined; }
    const parsed = parseBoolean(value);
    if (parsed === undefined) { invalid(scope, prop(name), `must be a boolean: ${BOOLEANS}`, value); }
    return parsed;
  };
  const oneOf = (name: string, allowed: string[]): string | undefined => {
    const value = settings.get(name);
    if (value !== undefined && !allowed.includes(value.toLowerCase())) {
      invalid(scope, prop(name), `must be one of ${allowed.join(', ')}`, value);
    }
    return value?.toLowerCase();
  };
  const count = (name: string): number | undefined => {
    const value = settings.get(name);
    if (value !== undefined && !/^\s*[0-9]+\s*$/.test(value)) {
      invalid(scope, prop(name), 'must be a whole number', value);
    }
    return value === undefined ? undefined : Number(value);
  };

  // A standby that accepts no connections is never Ready, and a standby needs the WAL of replica level.
  if (boolean('hot_standby') === false && replicas > 1) {
    invalid(scope, prop('hot_standby'), 'must stay on when replicas > 1: a standby that accepts no connection never becomes Ready', settings.get('hot_standby'));
  }
  if (boolean('fsync') === false) {
    invalid(scope, prop('fsync'), 'must stay on: with fsync off, a crash of the node can corrupt the data files beyond repair (and every standby clones or streams from them)', settings.get('fsync'));
  }
  if (boolean('full_page_writes') === false) {
    invalid(scope, prop('full_page_writes'), 'must stay on: without full-page images, a page torn by a crash cannot be repaired from the WAL', settings.get('full_page_writes'));
  }
  const walLevel = oneOf('wal_level', WAL_LEVELS);
  const senders = count('max_wal_senders') ?? walSenders(replicas);
  if (walLevel === 'minimal') {
    invalid(scope, prop('wal_level'), 'must be replica or logical: standbys stream the WAL, and Patroni adds one whenever replicas is raised', settings.get('wal_level'));
  }
  // Every standby holds a WAL sender; a standby being cloned holds two (the backup and its WAL stream).
  if (replicas > 1 && senders < replicas + 1) {
    invalid(scope, prop('max_wal_senders'), `must be at least ${replicas + 1} with ${replicas} replicas: one WAL sender for each of the ${replicas - 1} standby(s) and 2 for a standby being cloned (pg_basebackup streams the backup and its WAL on two connections)`, settings.get('max_wal_senders'));
  }
  const slots = count('max_replication_slots');
  if (replicas > 1 && slots !== undefined && slots < replicas) {
    invalid(scope, prop('max_replication_slots'), `must be at least ${replicas} with ${replicas} replicas: Patroni keeps a slot on the primary for each other member, and pg_basebackup takes one more while a standby is cloned`, settings.get('max_replication_slots'));
  }

  const encryption = settings.get('password_encryption');
  if (encryption !== undefined && encryption.toLowerCase() !== 'scram-sha-256') {
    // pg_hba accepts scram-sha-256 only: a password stored as an md5 hash could no longer log in.
    invalid(scope, prop('password_encryption'), 'must be scram-sha-256: every connection authenticates with scram-sha-256, which cannot check an md5 hash', encryption);
  }
  const minProtocol = settings.get('ssl_min_protocol_version');
  if (minProtocol !== undefined && !TLS_PROTOCOLS.includes(minProtocol.toLowerCase())) {
    invalid(scope, prop('ssl_min_protocol_version'), `must be ${TLS_MIN_PROTOCOL} (the default) or TLSv1.3: older versions have known weaknesses`, minProtocol);
  }

  const synchronousCommit = oneOf('synchronous_commit', SYNCHRONOUS_COMMIT);
  if (synchronousCommit !== undefined && parseBoolean(synchronousCommit) === false) {
    warn(scope, `'${prop('synchronous_commit')}' is '${settings.get('synchronous_commit')}': commits are acknowledged before their WAL is flushed, so a crash of the primary loses the last acknowledged transactions (up to 3 × wal_writer_delay)`);
  }
  if (synchronousCommit !== undefined && topology.synchronous && synchronousCommit === 'local') {
    warn(scope, `'${prop('synchronous_commit')}' is '${settings.get('synchronous_commit')}': commits no longer wait for the synchronous standby, so a failover may lose acknowledged commits despite synchronousReplication`);
  }

  const archiveMode = oneOf('archive_mode', ARCHIVE_MODES);
  const archiving = archiveMode !== undefined && (archiveMode === 'always' || parseBoolean(archiveMode) === true);
  const command = settings.get('archive_command')?.trim() ? settings.get('archive_command') : undefined;
  const library = settings.get('archive_library')?.trim() ? settings.get('archive_library') : undefined;
  if (command !== undefined && library !== undefined) {
    invalid(scope, prop('archive_library'), `cannot be set together with '${prop('archive_command')}': PostgreSQL refuses to archive when both are set`, library);
  }
  if (archiving && command === undefined && library === undefined) {
    invalid(scope, prop('archive_mode'), `needs '${prop('archive_command')}' or '${prop('archive_library')}': with neither, the primary keeps every WAL segment for the archiver until the volume is full and it stops`, settings.get('archive_mode'));
  }
  if (!archiving && (command !== undefined || library !== undefined)) {
    const name = command !== undefined ? 'archive_command' : 'archive_library';
    invalid(scope, prop(name), `has no effect unless '${prop('archive_mode')}' is on or always: nothing would be archived`, settings.get(name));
  }

  return Object.fromEntries(settings);
}

/** A boolean as PostgreSQL reads one: on/off/true/false/yes/no/1/0, any case, or a unique prefix ('t', 'of'). */
export function parseBoolean(value: string): boolean | undefined {
  const v = value.toLowerCase();
  if (v === '') { return undefined; }
  if (v === '1' || ('true'.startsWith(v) || 'yes'.startsWith(v)) || (v.length >= 2 && 'on'.startsWith(v))) { return true; }
  if (v === '0' || ('false'.startsWith(v) || 'no'.startsWith(v)) || (v.length >= 2 && 'off'.startsWith(v))) { return false; }
  return undefined;
}
