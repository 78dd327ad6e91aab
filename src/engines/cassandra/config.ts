import { IConstruct } from 'constructs';
import { CassandraVersion } from './cassandra-version';
import { jvmHeapMiB } from '../../private/engine-kit';
import { invalid } from '../../private/errors';

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
};

/** What cassandra.yaml is rendered from. */
export interface CassandraYamlInput {
  readonly clusterName: string;
  readonly seeds: string[];
  readonly version: CassandraVersion;
  readonly overrides: { [key: string]: string };
}

/**
 * cassandra.yaml, deterministic: one `key: value` line per setting, keys sorted, overrides last-wins.
 * Settings not listed keep Cassandra's own defaults (those of its Config class).
 */
export function renderCassandraYaml(scope: IConstruct, input: CassandraYamlInput): string {
  const settings: { [key: string]: string } = {
    allocate_tokens_for_local_replication_factor: '3',
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
    num_tokens: '16',
    partitioner: 'org.apache.cassandra.dht.Murmur3Partitioner',
    rpc_address: '0.0.0.0',
    saved_caches_directory: `${DATA_MOUNT}/saved_caches`,
    seed_provider: `[{class_name: org.apache.cassandra.locator.SimpleSeedProvider, parameters: [{seeds: ${JSON.stringify(input.seeds.join(','))}}]}]`,
    start_native_transport: 'true',
    storage_port: String(STORAGE_PORT),
  };
  // 4.1 renamed settings to carry their unit; 4.0 knows only the old names.
  if (input.version.majorVersion === '4.0') {
    settings.commitlog_sync_period_in_ms = '10000';
  } else {
    settings.commitlog_sync_period = '10000ms';
  }
  for (const [key, value] of Object.entries(input.overrides)) {
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
    // A setting made obsolete by the user's spelling (either name of the commit log period) gives way.
    if (key === 'commitlog_sync_period' || key === 'commitlog_sync_period_in_ms') {
      delete settings.commitlog_sync_period;
      delete settings.commitlog_sync_period_in_ms;
    }
    settings[key] = yamlValue(value);
  }
  const lines = Object.keys(settings).sort().map((key) => `${key}: ${settings[key]}`);
  return [
    '# Rendered by cdk8s-stateful. __POD_IP__ is replaced with the pod IP when the pod starts.',
    ...lines,
    '',
  ].join('\n');
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
