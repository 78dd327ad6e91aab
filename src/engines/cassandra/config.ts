import { IConstruct } from 'constructs';
import { CassandraVersion } from './cassandra-version';
import { invalid, warn } from '../../private/errors';
import { configSettings, renderSettings } from '../config-overrides';
import { jvmHeapMiB } from '../engine-kit';

/** Stand-in for the pod's IP in the rendered cassandra.yaml; the init container substitutes it. */
export const POD_IP_PLACEHOLDER = '__POD_IP__';
/** Where the data volume is mounted. Every directory Cassandra writes is a subdirectory of it. */
export const DATA_MOUNT = '/var/lib/cassandra';
/** CQL (native transport) port. */
export const CQL_PORT = 9042;
/** Internode (gossip and streaming) port. */
export const STORAGE_PORT = 7000;
/** The smallest container memory we accept, in MiB. */
export const MIN_MEMORY_MIB = 2048;

/** Keys of cassandra.yaml that the construct owns, with the reason a user may not override them. */
const MANAGED: { [key: string]: string } = {
  cluster_name: "is set from the 'clusterName' prop",
  listen_address: 'is the pod IP, set when the pod starts',
  listen_interface: 'would replace listen_address, which is the pod IP',
  broadcast_address: 'is the pod IP (listen_address), which the peers reach',
  rpc_address: 'is set so that CQL listens on every address of the pod',
  rpc_interface: 'would replace rpc_address',
  broadcast_rpc_address: 'is the pod IP, which drivers learn from system.peers',
  seed_provider: 'lists the first pods of the ring; seeds are chosen by the construct',
  endpoint_snitch: "is GossipingPropertyFileSnitch, fed by the 'datacenter' and 'racks' props",
  native_transport_port: `is ${CQL_PORT}: the Services, probes and NetworkPolicy are built for it`,
  storage_port: `is ${STORAGE_PORT}: the headless Service and NetworkPolicy are built for it`,
  data_file_directories: 'must stay on the data volume',
  commitlog_directory: 'must stay on the data volume',
  hints_directory: 'must stay on the data volume',
  saved_caches_directory: 'must stay on the data volume',
  cdc_raw_directory: 'must stay on the data volume',
  authenticator: "is PasswordAuthenticator (AllowAllAuthenticator with 'passwordAuthentication: false'): the generated superuser depends on it",
  authorizer: "is CassandraAuthorizer (AllowAllAuthorizer with 'passwordAuthentication: false')",
  role_manager: 'is CassandraRoleManager: the generated superuser is one of its roles',
};

/** Keys the construct owns when `tls` is set. */
const MANAGED_WITH_TLS: { [key: string]: string } = {
  client_encryption_options: "is rendered from the 'tls' prop (PEM files composed from the TLS Secret)",
  server_encryption_options: "is rendered from the 'tls' prop: every internode connection is encrypted and both ends present certificates",
};

/** Cassandra's SslContextFactory for PEM files (4.1 and later). */
export const PEM_SSL_CONTEXT_FACTORY = 'org.apache.cassandra.security.PEMBasedSslContextFactory';

/** Virtual nodes per node, and the replication factor the token allocation optimizes for (RF 3). */
export const NUM_TOKENS = 16;
export const TOKEN_ALLOCATION_RF = 3;

/**
 * The replication factor the token allocator optimizes for, by default: 3, but never more than
 * the racks when there are several, since Cassandra refuses to bootstrap a node into a datacenter
 * with more than one rack and fewer racks than this factor.
 */
export function tokenAllocationRf(racks: number): number {
  return racks > 1 ? Math.min(TOKEN_ALLOCATION_RF, racks) : TOKEN_ALLOCATION_RF;
}

/** What cassandra.yaml is rendered from. */
export interface CassandraYamlInput {
  readonly clusterName: string;
  readonly seeds: string[];
  readonly version: CassandraVersion;
  /** Racks of the ring (1 without racks). */
  readonly racks: number;
  readonly overrides: { [key: string]: string };
  /** PasswordAuthenticator and CassandraAuthorizer (else Cassandra's AllowAll ones); default true. */
  readonly passwordAuthentication?: boolean;
  /** Replicas of system_auth per datacenter that the bootstrap aims at (at most 3); default 3. */
  readonly authReplication?: number;
  /** Client and internode encryption, from PEM files. */
  readonly tls?: CassandraYamlTls;
}

/** TLS in cassandra.yaml. */
export interface CassandraYamlTls {
  /** The composed PEM keystore (key and chain) and the CA, as files. */
  readonly keystore: string;
  readonly truststore: string;
  /** Clients may connect without TLS too (internode traffic is encrypted regardless). */
  readonly allowPlaintext: boolean;
}

/**
 * cassandra.yaml, deterministic: one `key: value` line per setting, keys sorted, overrides last-wins.
 * Settings not listed keep Cassandra's own defaults (those of its Config class).
 */
export function renderCassandraYaml(scope: IConstruct, input: CassandraYamlInput): string {
  const settings: { [key: string]: string } = {
    allocate_tokens_for_local_replication_factor: String(tokenAllocationRf(input.racks)),
    auto_snapshot: 'true',
    broadcast_rpc_address: POD_IP_PLACEHOLDER,
    cdc_raw_directory: `${DATA_MOUNT}/cdc_raw`,
    cluster_name: JSON.stringify(input.clusterName),
    commit_failure_policy: 'stop',
    commitlog_directory: `${DATA_MOUNT}/commitlog`,
    commitlog_sync: 'periodic',
    data_file_directories: `[${DATA_MOUNT}/data]`,
    disk_failure_policy: 'stop',
    endpoint_snitch: 'GossipingPropertyFileSnitch',
    hints_directory: `${DATA_MOUNT}/hints`,
    listen_address: POD_IP_PLACEHOLDER,
    native_transport_port: String(CQL_PORT),
    num_tokens: String(NUM_TOKENS),
    partitioner: 'org.apache.cassandra.dht.Murmur3Partitioner',
    rpc_address: '0.0.0.0',
    saved_caches_directory: `${DATA_MOUNT}/saved_caches`,
    seed_provider: `[{class_name: org.apache.cassandra.locator.SimpleSeedProvider, parameters: [{seeds: ${JSON.stringify(input.seeds.join(','))}}]}]`,
    start_native_transport: 'true',
    storage_port: String(STORAGE_PORT),
    // The class names 4.0 to 5.0 all read (5.0 also takes {class_name: ...}).
    authenticator: input.passwordAuthentication === false ? 'AllowAllAuthenticator' : 'PasswordAuthenticator',
    authorizer: input.passwordAuthentication === false ? 'AllowAllAuthorizer' : 'CassandraAuthorizer',
    role_manager: 'CassandraRoleManager',
  };
  // Logins and permission checks read system_auth at LOCAL_QUORUM (4.1+): with 2 replicas both
  // must answer, so one node down would refuse every request once the auth caches expire. Writes
  // stay at EACH_QUORUM, which with 2 replicas is both: a read at LOCAL_ONE still sees every write.
  if (input.passwordAuthentication !== false && (input.authReplication ?? 3) < 3 && input.version.majorVersion !== '4.0') {
    settings.auth_read_consistency_level = 'LOCAL_ONE';
  }
  if (input.tls) {
    const stores = `keystore: ${input.tls.keystore}, truststore: ${input.tls.truststore}, ssl_context_factory: {class_name: ${PEM_SSL_CONTEXT_FACTORY}}`;
    settings.client_encryption_options = `{enabled: true, optional: ${input.tls.allowPlaintext}, require_client_auth: false, ${stores}}`;
    // Internode: on the storage port itself (no legacy ssl_storage_port), every connection, and both
    // ends prove a certificate of the CA. No endpoint verification: peers dial each other's pod IP,
    // which no certificate names.
    settings.server_encryption_options = `{internode_encryption: all, require_client_auth: true, require_endpoint_verification: false, ${stores}}`;
  }
  // 4.1 renamed settings to carry their unit; 4.0 knows only the old names.
  if (input.version.majorVersion === '4.0') {
    settings.commitlog_sync_period_in_ms = '10000';
  } else {
    settings.commitlog_sync_period = '10000ms';
  }
  // Cassandra does not start with a sync period outside periodic sync (validateConfig refuses the user's own).
  if (input.overrides.commitlog_sync === 'batch' || input.overrides.commitlog_sync === 'group') {
    delete settings.commitlog_sync_period;
    delete settings.commitlog_sync_period_in_ms;
  }
  for (const [key, value] of Object.entries(input.overrides)) {
    checkSetting(scope, key, value);
    if (input.tls && MANAGED_WITH_TLS[key]) {
      invalid(scope, `config.${key}`, `cannot be overridden with 'tls' set: it ${MANAGED_WITH_TLS[key]}`);
    }
    // A setting made obsolete by the user's spelling (either name of the commit log period) gives way.
    if (key === 'commitlog_sync_period' || key === 'commitlog_sync_period_in_ms') {
      delete settings.commitlog_sync_period;
      delete settings.commitlog_sync_period_in_ms;
    }
    settings[key] = yamlValue(value);
  }
  return renderSettings('# Rendered by cdk8s-stateful. __POD_IP__ is replaced with the pod IP when the pod starts.', settings,
    (key, value) => `${key}: ${value}`);
}

/** A user's value as YAML: plain when it is safe as a plain scalar, as given when it is a flow list or map, quoted otherwise. */
function yamlValue(value: string): string {
  if (value.startsWith('[') || value.startsWith('{')) { return value; }
  if (/^[A-Za-z0-9_./+-][A-Za-z0-9_./+:-]*$/.test(value) && !value.endsWith(':')) { return value; }
  return JSON.stringify(value);
}

/** cassandra-rackdc.properties of one rack, for GossipingPropertyFileSnitch. */
export function renderRackDc(datacenter: string, rack: string): string {
  return `# Rendered by cdk8s-stateful.\ndc=${datacenter}\nrack=${rack}\nprefer_local=true\n`;
}

/** JVM heap sizes for Cassandra's cassandra-env.sh (MAX_HEAP_SIZE and HEAP_NEWSIZE). */
export interface HeapSizes {
  readonly maxHeapMiB: number;
  readonly newSizeMiB: number;
}

/**
 * Heap from memory: half the container memory up to 16 GiB (so between a half and a quarter for
 * containers up to 64 GiB; the rest is off-heap structures and page cache), and a young generation
 * of 100 MiB per core or a quarter of the heap, whichever is smaller, as cassandra-env.sh computes it.
 */
export function heapSizes(scope: IConstruct, memoryMiB: number, cpuMillis: number): HeapSizes {
  if (memoryMiB < MIN_MEMORY_MIB) {
    invalid(scope, 'resources.memory', `must be at least ${MIN_MEMORY_MIB} MiB: Cassandra needs a 1024 MiB heap plus as much again for off-heap structures, page cache and nodetool`, `${memoryMiB} MiB`);
  }
  const maxHeapMiB = jvmHeapMiB(scope, memoryMiB, 0.5, 1024, 16384);
  const cores = Math.max(1, Math.ceil(cpuMillis / 1000));
  return { maxHeapMiB, newSizeMiB: Math.min(100 * cores, Math.floor(maxHeapMiB / 4)) };
}

/** What the override checks know of the topology. */
export interface CassandraTopology {
  /** Nodes in the ring, every rack together. */
  readonly nodes: number;
  /** Racks of the datacenter (1 without racks). */
  readonly racks: number;
}

/** Cassandra's limit of tokens per node. */
const MAX_NUM_TOKENS = 1536;
/** The rendered (and Cassandra's default) commit log sync period. */
const SYNC_PERIOD_MS = 10000;
const DISK_FAILURE_POLICIES = ['die', 'stop_paranoid', 'stop', 'best_effort', 'ignore'];
const COMMIT_FAILURE_POLICIES = ['die', 'stop', 'stop_commit', 'ignore'];
/** Settings 4.1 renamed to carry their unit: [new name, 4.0 name]. */
const RENAMED = [
  ['commitlog_sync_period', 'commitlog_sync_period_in_ms'],
  ['commitlog_sync_group_window', 'commitlog_sync_group_window_in_ms'],
  ['max_hint_window', 'max_hint_window_in_ms'],
];

/**
 * Checks `config` (cassandra.yaml overrides) on its own and against the topology, and returns it
 * unchanged. Refuses (ValidationError) what would keep a node from starting or joining with its
 * data, or lose acknowledged writes; warns about legal durability trade-offs. Every rule and its
 * reason: docs/validation.md, "Config overrides".
 */
export function validateConfig(scope: IConstruct, config: unknown, topology: CassandraTopology): { [key: string]: string } {
  const { nodes, racks } = topology;
  const options = configSettings(scope, config, (key, value) => checkSetting(scope, key, value));
  const get = (key: string): string | undefined => options[key];
  const boolean = (key: string): boolean | undefined => {
    const value = get(key);
    if (value === undefined) { return undefined; }
    // YAML 1.1, as Cassandra's SnakeYAML reads it.
    if (/^(true|yes|on)$/i.test(value)) { return true; }
    if (/^(false|no|off)$/i.test(value)) { return false; }
    return invalid(scope, `config.${key}`, 'must be true or false', value);
  };
  const whole = (key: string, min: number, max: number, why = ''): number | undefined => {
    const value = get(key);
    if (value !== undefined && (!/^[0-9]+$/.test(value) || Number(value) < min || Number(value) > max)) {
      invalid(scope, `config.${key}`, `must be a whole number from ${min} to ${max}${why}`, value);
    }
    return value === undefined ? undefined : Number(value);
  };
  for (const [name, oldName] of RENAMED) {
    if (get(name) !== undefined && get(oldName) !== undefined) {
      invalid(scope, `config.${oldName}`, `cannot be set together with 'config.${name}': it is the same setting under its 4.0 name, and Cassandra refuses both`);
    }
  }

  if (boolean('start_native_transport') === false) {
    invalid(scope, 'config.start_native_transport', 'must stay true: the startup probe waits for CQL on 9042, so a node without it is restarted forever', get('start_native_transport'));
  }
  if (boolean('auto_bootstrap') === false) {
    invalid(scope, 'config.auto_bootstrap', 'must stay true: a new or replaced node would take its token ranges without streaming their data, and serve them empty until a full repair', get('auto_bootstrap'));
  }
  if (boolean('hinted_handoff_enabled') === false && nodes > 1) {
    warn(scope, '\'config.hinted_handoff_enabled\' is false: writes a node misses while it is down are not replayed when it returns, so it serves stale data until a repair');
  }
  const hintWindow = durationMs(scope, 'max_hint_window', get('max_hint_window')) ?? durationMs(scope, 'max_hint_window_in_ms', get('max_hint_window_in_ms'));
  if (hintWindow === 0 && nodes > 1) {
    warn(scope, `'config.${get('max_hint_window') !== undefined ? 'max_hint_window' : 'max_hint_window_in_ms'}' is 0: no hints are kept for a node that is down, so it serves stale data until a repair`);
  }
  if (boolean('auto_snapshot') === false) {
    warn(scope, '\'config.auto_snapshot\' is false: TRUNCATE and DROP keep no snapshot, so a mistaken one cannot be undone');
  }

  // Tokens: every node reads the same cassandra.yaml.
  const tokens = whole('num_tokens', 1, MAX_NUM_TOKENS, ' (Cassandra\'s limit); a node that has joined the ring cannot change it') ?? NUM_TOKENS;
  const initial = get('initial_token');
  if (initial !== undefined && nodes > 1) {
    invalid(scope, 'config.initial_token', `cannot be set on a ring of ${nodes} nodes: every node reads the same cassandra.yaml and would claim the same tokens`, initial);
  }
  if (initial !== undefined && initial.split(',').filter((t) => t.trim() !== '').length !== tokens) {
    invalid(scope, 'config.initial_token', `must list num_tokens (${tokens}) comma-separated tokens, one per virtual node`, initial);
  }
  // Cassandra's token allocation refuses a datacenter with more than one rack but fewer racks than this RF.
  const allocationRf = whole('allocate_tokens_for_local_replication_factor', 1, 2147483647) ?? tokenAllocationRf(racks);
  const seeds = Math.min(racks, 3);
  if (racks > 1 && allocationRf > racks && nodes > seeds) {
    const given = get('allocate_tokens_for_local_replication_factor');
    invalid(scope, 'config.allocate_tokens_for_local_replication_factor', given !== undefined
      ? `must be 1, or at most the number of racks (${racks}): Cassandra refuses to bootstrap a node into a datacenter with more than one rack but fewer racks than this replication factor`
      : `is ${TOKEN_ALLOCATION_RF} by default, which needs 1 rack or at least ${TOKEN_ALLOCATION_RF}: with ${racks} racks Cassandra refuses to bootstrap the nodes after the seeds; set it to your keyspaces' replication factor (at most ${racks}) or 1`, given);
  }

  // The commit log: batch and group have no period; group needs its window; a long period loses more on a crash.
  const sync = get('commitlog_sync');
  if (sync !== undefined && !['periodic', 'batch', 'group'].includes(sync)) {
    invalid(scope, 'config.commitlog_sync', 'must be periodic, batch or group', sync);
  }
  const periodKey = get('commitlog_sync_period') !== undefined ? 'commitlog_sync_period' : 'commitlog_sync_period_in_ms';
  const period = durationMs(scope, periodKey, get(periodKey));
  const windowKey = get('commitlog_sync_group_window') !== undefined ? 'commitlog_sync_group_window' : 'commitlog_sync_group_window_in_ms';
  if ((sync === 'batch' || sync === 'group') && period !== undefined) {
    invalid(scope, `config.${periodKey}`, `cannot be set with commitlog_sync ${sync}: Cassandra does not start with a period outside periodic sync`, get(periodKey));
  }
  if (sync === 'group' && !(Number.parseFloat(get(windowKey) ?? '0') > 0)) {
    invalid(scope, 'config.commitlog_sync', 'group needs \'config.commitlog_sync_group_window\' (4.0: commitlog_sync_group_window_in_ms) above 0: Cassandra does not start without it', sync);
  }
  if (sync !== 'batch' && sync !== 'group' && period !== undefined) {
    if (period === 0) {
      invalid(scope, `config.${periodKey}`, 'must be more than 0: Cassandra does not start with periodic sync and no period', get(periodKey));
    }
    if (period > SYNC_PERIOD_MS) {
      warn(scope, `'config.${periodKey}' is ${get(periodKey)}: a node acknowledges writes up to that long before they reach its disk, so a crash of the node loses them${nodes > 1 ? ' unless other replicas hold them' : ', and a single node has no other replica'} (Cassandra's default: 10s)`);
    }
  }

  const disk = get('disk_failure_policy');
  if (disk !== undefined && !DISK_FAILURE_POLICIES.includes(disk)) {
    invalid(scope, 'config.disk_failure_policy', `must be one of ${DISK_FAILURE_POLICIES.join(', ')}`, disk);
  }
  if (disk === 'best_effort' || disk === 'ignore') {
    warn(scope, `'config.disk_failure_policy' is ${disk}: a node with a failed disk keeps serving, so reads at consistency ONE can return obsolete or missing data`);
  }
  const commit = get('commit_failure_policy');
  if (commit !== undefined && !COMMIT_FAILURE_POLICIES.includes(commit)) {
    invalid(scope, 'config.commit_failure_policy', `must be one of ${COMMIT_FAILURE_POLICIES.join(', ')}`, commit);
  }
  return options;
}

/**
 * Checks of one override that the renderer repeats: a setting name, not one the construct owns,
 * on one line.
 */
function checkSetting(scope: IConstruct, key: string, value: string): void {
  if (!/^[a-z][a-z0-9_]*$/.test(key)) {
    invalid(scope, `config.${key}`, 'must be a cassandra.yaml setting name (lower-case letters, digits and \'_\')', key);
  }
  const reason = MANAGED[key];
  if (reason) {
    invalid(scope, `config.${key}`, `cannot be overridden: it ${reason}`);
  }
  if (/[\r\n]/.test(value)) {
    invalid(scope, `config.${key}`, 'must be a one-line YAML value (a scalar, or a flow list or map such as [a, b] or {k: v})', value);
  }
}

/** A duration in milliseconds: `10s`, `10000ms` (4.1 names), or a plain number of milliseconds (the `_in_ms` names of 4.0). */
function durationMs(scope: IConstruct, key: string, value: string | undefined): number | undefined {
  if (value === undefined) { return undefined; }
  if (key.endsWith('_in_ms')) {
    if (!/^[0-9]+$/.test(value)) { invalid(scope, `config.${key}`, 'must be a whole number of milliseconds', value); }
    return Number(value);
  }
  const m = /^([0-9]+)(d|h|m|s|ms|us|µs|ns)$/.exec(value);
  if (!m) { invalid(scope, `config.${key}`, 'must be a duration such as 10000ms or 10s (a number and one of d, h, m, s, ms, us, ns)', value); }
  const perUnit: { [unit: string]: number } = { d: 86400000, h: 3600000, m: 60000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };
  return Number(m[1]) * perUnit[m[2]];
}
