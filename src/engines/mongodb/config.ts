import { IConstruct } from 'constructs';
import { invalid } from '../../private/errors';

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

/** The options of mongod.conf: the engine's own, then the user's overrides, checked. */
export function mongodOptions(scope: IConstruct, replicaSetName: string, overrides: { [key: string]: string }): { [key: string]: string } {
  const keys = Object.keys(overrides).sort();
  for (const key of keys) {
    if (!/^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$/.test(key)) {
      invalid(scope, 'config', 'keys must be dotted mongod.conf option paths such as \'operationProfiling.slowOpThresholdMs\'', key);
    }
    if (MANAGED_KEYS.some((managed) => managed === key || managed.startsWith(`${key}.`) || key.startsWith(`${managed}.`))) {
      invalid(scope, 'config', `must not set '${key}': the replica-set bootstrap depends on it (managed keys: ${MANAGED_KEYS.join(', ')})`, key);
    }
    const prefix = keys.find((other) => other !== key && key.startsWith(`${other}.`));
    if (prefix) {
      invalid(scope, 'config', `must not set both '${prefix}' and '${key}': one is a section of the other`, key);
    }
  }
  return {
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
}

export function renderReplicaSetSettings(settings: ReplicaSetSettings): string {
  return JSON.stringify({
    arbiter: settings.arbiter ?? null,
    members: settings.members,
    name: settings.name,
    port: settings.port,
    rootUser: settings.rootUser,
  }, undefined, 2) + '\n';
}
