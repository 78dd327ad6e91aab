import { IConstruct } from 'constructs';
import { invalid } from '../../private/errors';
import { configEntries, configText } from '../config-overrides';
import { TLS_CA_FILE } from '../tls-kit';

/** Port of every mongod. */
export const MONGODB_PORT = 27017;
/** Where the data volume is mounted; the data itself is in a subdirectory (a new volume's root holds lost+found). */
export const DATA_MOUNT = '/data/db';
export const DB_PATH = `${DATA_MOUNT}/db`;
/** The private, mode 0400 copy of the keyfile (an in-memory emptyDir). */
export const KEYFILE_DIR = '/var/run/mongodb-keyfile';
export const KEYFILE_PATH = `${KEYFILE_DIR}/keyfile`;
/** Where the Secret's keyfile is mounted (group-readable under fsGroup, so mongod cannot use it as is). */
export const KEYFILE_SECRET_DIR = '/var/run/mongodb-secret';
/**
 * With tls: the certificate and its key in one PEM file, as mongod wants them, composed from the
 * mounted Secret by the setup init container and again by the agent on renewal (in memory, mode 0600).
 */
export const TLS_PEM_DIR = '/var/run/mongodb-tls';
export const TLS_PEM_FILE = `${TLS_PEM_DIR}/server.pem`;
export const CONFIG_DIR = '/etc/mongod';
export const CONFIG_FILE = 'mongod.conf';
export const REPLICA_SET_FILE = 'replica-set.json';
export const SCRIPTS_DIR = '/scripts';
export const CACHE_SIZE_KEY = 'storage.wiredTiger.engineConfig.cacheSizeGB';
/** The smallest container memory: a 0.25 GiB cache, mongod's own memory, and the mongosh probes run in the same container. */
export const MIN_MEMORY_MIB = 1024;

/** mongod.conf options the replica-set bootstrap depends on: overriding them breaks the set. */
const MANAGED_KEYS = [
  'net.port',
  'net.bindIp',
  'net.bindIpAll',
  'processManagement.fork',
  'replication.replSetName',
  'security.authorization',
  'security.keyFile',
  'security.clusterAuthMode',
  'storage.dbPath',
  'systemLog.destination',
  'systemLog.path',
];

/**
 * The WiredTiger cache, in GB, as mongod sizes it on a machine of this memory:
 * 50% of (memory - 1 GiB), at least 0.25 GiB, rounded down to 0.01.
 */
export function wiredTigerCacheSizeGB(memoryMiB: number): number {
  const gib = (memoryMiB - 1024) / 2 / 1024;
  return Math.max(0.25, Math.floor(gib * 100) / 100);
}

/**
 * net.tls of mongod.conf. `requireTLS`: every connection, in and out, is TLS. With allowPlaintext,
 * `preferTLS`: members still connect to each other with TLS, clients may come without (`allowTLS`
 * would make members connect to each other in plaintext). Clients authenticate with passwords, so
 * they need no certificate; members present theirs, as their outgoing connections do.
 */
export function tlsOptions(tls: { readonly allowPlaintext: boolean }): { [key: string]: string } {
  return {
    'net.tls.mode': tls.allowPlaintext ? 'preferTLS' : 'requireTLS',
    'net.tls.certificateKeyFile': TLS_PEM_FILE,
    'net.tls.CAFile': TLS_CA_FILE,
    'net.tls.allowConnectionsWithoutCertificates': 'true',
    'net.tls.disabledProtocols': 'TLS1_0,TLS1_1',
  };
}

/** The options of mongod.conf: the engine's own, then the user's overrides (their names checked again). */
export function mongodOptions(
  scope: IConstruct, replicaSetName: string, overrides: { [key: string]: string }, tls?: { readonly allowPlaintext: boolean },
): { [key: string]: string } {
  checkOptionNames(scope, Object.keys(overrides));
  return {
    ...tls ? tlsOptions(tls) : {},
    'net.bindIpAll': 'true',
    'net.port': String(MONGODB_PORT),
    'processManagement.fork': 'false',
    'replication.replSetName': replicaSetName,
    'security.authorization': 'enabled',
    'security.keyFile': KEYFILE_PATH,
    'storage.dbPath': DB_PATH,
    ...overrides,
  };
}

/**
 * Renders dotted options as mongod.conf YAML: nested sections, keys sorted, numbers and booleans
 * plain, every other value double-quoted (so YAML 1.1 readers cannot mistake `on` or `0644`).
 */
export function renderMongodConf(options: { [key: string]: string }): string {
  type Tree = { [key: string]: Tree | string };
  const root: Tree = {};
  for (const [path, value] of Object.entries(options)) {
    const parts = path.split('.');
    let node = root;
    for (const part of parts.slice(0, -1)) {
      node = (node[part] ??= {}) as Tree;
    }
    node[parts[parts.length - 1]] = value;
  }
  const lines: string[] = ['# Rendered by cdk8s-stateful: edit the MongoDb construct\'s `config`, not this file.'];
  const walk = (node: Tree, indent: string) => {
    for (const key of Object.keys(node).sort()) {
      const value = node[key];
      if (typeof value === 'string') {
        lines.push(`${indent}${key}: ${scalar(value)}`);
      } else {
        lines.push(`${indent}${key}:`);
        walk(value, `${indent}  `);
      }
    }
  };
  walk(root, '');
  return lines.join('\n') + '\n';
}

function scalar(value: string): string {
  return /^(true|false|-?(0|[1-9][0-9]*)(\.[0-9]+)?)$/.test(value) ? value : JSON.stringify(value);
}

/** What the replica-set agent reads: the set's name and the members this synth knows. */
export interface ReplicaSetSettings {
  readonly name: string;
  readonly port: number;
  /** host:port of every data-bearing member, ordinal order. */
  readonly members: string[];
  /** host:port of the arbiter, if any. */
  readonly arbiter?: string;
  /** Name of the root user. */
  readonly rootUser: string;
  /** With tls: the CA every mongod's certificate is checked against. */
  readonly tls?: { readonly caFile: string };
  /**
   * The addresses of this instance's own pods, which the agent may remove from the set when they
   * are not in `members`/`arbiter`: data pods are `<prefix><ordinal><suffix>`, the arbiter
   * `arbiterHost` (whether or not one is rendered). Members added by hand are never removed.
   */
  readonly own: { readonly prefix: string; readonly suffix: string; readonly arbiterHost: string };
}

export function renderReplicaSetSettings(settings: ReplicaSetSettings): string {
  return JSON.stringify({
    arbiter: settings.arbiter ?? null,
    members: settings.members,
    name: settings.name,
    own: { arbiterHost: settings.own.arbiterHost, prefix: settings.own.prefix, suffix: settings.own.suffix },
    port: settings.port,
    rootUser: settings.rootUser,
    tls: settings.tls ? { caFile: settings.tls.caFile } : null,
  }, undefined, 2) + '\n';
}

/** What the override checks know of the topology. */
export interface MongoDbTopology {
  /** Data-bearing members (pods of the data StatefulSet). */
  readonly members: number;
  /** Whether an arbiter (a vote without data, sharing mongod.conf) completes the voters. */
  readonly arbiter: boolean;
  /** Whether the `tls` prop is set (net.tls is then the construct's). */
  readonly tls?: boolean;
  /** Whether `tls.allowPlaintext` is set. */
  readonly allowPlaintext?: boolean;
}

const OPTION_PATH = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$/;
/** MongoDB's smallest oplog, in MB, and its largest (1 PB). */
const MIN_OPLOG_MB = 990;
const MAX_OPLOG_MB = 1024 * 1024 * 1024;

/**
 * Checks `config` (mongod.conf overrides by dotted path) on its own and against the topology, and
 * returns it unchanged. Refuses (ValidationError) what would stop mongod, lose acknowledged writes
 * or keep a member out of the replica set; warns about legal durability trade-offs. Every rule and
 * its reason: docs/validation.md, "Config overrides".
 */
export function validateConfig(scope: IConstruct, config: unknown, topology: MongoDbTopology): { [key: string]: string } {
  const entries = configEntries(scope, config);
  checkOptionNames(scope, entries.map(([key]) => key));
  const options: { [key: string]: string } = {};
  for (const [key, value] of entries) {
    options[key] = configText(scope, key, value);
  }
  const rule = (key: string, check: (value: string) => string | undefined) => {
    const value = options[key];
    const problem = value === undefined ? undefined : check(value);
    if (problem !== undefined) { invalid(scope, `config.${key}`, problem, value); }
  };

  rule('storage.journal.enabled', () => 'cannot be set: MongoDB 6.1 and later always journal and do not start with this option, and 6.0 without a journal loses acknowledged writes on a crash');
  for (const key of Object.keys(options).filter((k) => k.split('.').pop() === 'writeConcernMajorityJournalDefault')) {
    invalid(scope, `config.${key}`, 'is a field of the replica-set configuration (rs.conf()), not a mongod.conf option: mongod would not start. Leave it true: false lets writes acknowledged by a majority be lost when members crash together', options[key]);
  }
  rule('replication.enableMajorityReadConcern', (v) => v === 'true' ? undefined
    : `must stay true: MongoDB 5.0 and later do not start with it false${topology.arbiter ? ' (the old advice for primary-secondary-arbiter sets no longer applies)' : ''}`);
  rule('replication.oplogSizeMB', (v) => /^[0-9]+$/.test(v) && Number(v) >= MIN_OPLOG_MB && Number(v) <= MAX_OPLOG_MB ? undefined
    : `must be a whole number of MB from ${MIN_OPLOG_MB} (MongoDB's smallest oplog) to ${MAX_OPLOG_MB} (1 PB): a member that falls further behind than the oplog reaches must be resynced from scratch`);
  rule('storage.engine', (v) => v === 'wiredTiger' ? undefined
    : 'must be wiredTiger: the official image has no other storage engine (inMemory is MongoDB Enterprise and keeps no data across a restart)');
  rule('storage.journal.commitIntervalMs', (v) => /^[0-9]+$/.test(v) && Number(v) >= 1 && Number(v) <= 500 ? undefined
    : 'must be a whole number of milliseconds from 1 to 500');
  rule(CACHE_SIZE_KEY, (v) => /^[0-9]+(\.[0-9]+)?$/.test(v) && Number(v) >= 0.25 && Number(v) <= 10000 ? undefined
    : 'must be a number of GB from 0.25 to 10000');
  rule('setParameter.enableLocalhostAuthBypass', (v) => v !== 'false' && v !== '0' ? undefined
    : 'must stay true: the replica-set agent initiates the set and creates the root user through the localhost exception');
  if (topology.tls) {
    // The one step of turning TLS on for a running set without an outage (docs/engines/mongodb.md):
    // members accept TLS but still talk plaintext to each other until every member accepts it.
    const transition = topology.allowPlaintext === true && options['net.tls.mode'] === 'allowTLS';
    if (options['net.tls.mode'] === 'allowTLS' && !transition) {
      invalid(scope, 'config.net.tls.mode', 'allowTLS is only the first step of turning TLS on for a running set, and needs tls.allowPlaintext: true (members would talk to each other in plaintext); leave it out otherwise', 'allowTLS');
    }
    for (const key of Object.keys(options).filter((k) => (/^net\.(tls|ssl)(\.|$)/.test(k) || k === 'net') && !(transition && k === 'net.tls.mode'))) {
      invalid(scope, `config.${key}`, 'is set by the tls prop (net.tls: the mode, the certificate composed from the Secret, the CA); use tls.certificates and tls.allowPlaintext instead', options[key]);
    }
  } else {
    for (const key of ['net.tls.mode', 'net.ssl.mode']) {
      rule(key, (v) => !/^require(TLS|SSL)$/.test(v) ? undefined
        : 'cannot require TLS without the tls prop: the replica-set agent and the probes would connect without TLS, so no member would become ready or join the set; set tls instead');
    }
  }
  return options;
}

/**
 * Checks of the option names, shared by validateConfig and mongodOptions: dotted paths, none the
 * bootstrap depends on (nor a section holding one), and no option together with its own section.
 */
function checkOptionNames(scope: IConstruct, keys: string[]): void {
  for (const key of [...keys].sort()) {
    if (!OPTION_PATH.test(key)) {
      invalid(scope, `config.${key}`, 'must be a dotted mongod.conf option path such as \'operationProfiling.slowOpThresholdMs\' (letters, digits and \'_\' between the dots)', key);
    }
    if (MANAGED_KEYS.some((managed) => managed === key || managed.startsWith(`${key}.`) || key.startsWith(`${managed}.`))) {
      invalid(scope, `config.${key}`, `is managed by the construct, or holds an option it manages: the replica-set bootstrap depends on it (managed: ${MANAGED_KEYS.join(', ')})`);
    }
    const section = keys.find((other) => other !== key && key.startsWith(`${other}.`));
    if (section !== undefined) {
      invalid(scope, `config.${key}`, `cannot be set together with 'config.${section}': one is a section of the other`);
    }
  }
}
