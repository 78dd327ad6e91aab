import { createHash } from 'crypto';
import { IConstruct } from 'constructs';
import { invalid } from '../../private/errors';

/** Port of the broker listener (clients and replication). */
export const BROKER_PORT = 9092;
/** Port of the controller listener (the KRaft quorum). */
export const CONTROLLER_PORT = 9093;
/** Node ids of dedicated controllers start here, so they never collide with broker ids. */
export const CONTROLLER_ID_OFFSET = 1000;
/** Where the data volume is mounted. */
export const DATA_MOUNT = '/var/lib/kafka/data';
/** The log directory: a subdirectory of the mount, whose root may hold lost+found. */
export const LOG_DIRS = `${DATA_MOUNT}/logs`;

/** Placeholders the start script replaces with the pod's values. */
export const NODE_ID_PLACEHOLDER = '@NODE_ID@';
export const POD_NAME_PLACEHOLDER = '@POD_NAME@';

/** Keys that the library manages per pod or per quorum: overriding them would break the cluster. */
const MANAGED_KEYS = [
  'node.id',
  'process.roles',
  'controller.quorum.voters',
  'controller.quorum.bootstrap.servers',
  'controller.listener.names',
  'log.dirs',
  'log.dir',
  'metadata.log.dir',
];

/** The role of the nodes of one StatefulSet. */
export enum NodeRole {
  COMBINED = 'broker,controller',
  BROKER = 'broker',
  CONTROLLER = 'controller',
}

/** Everything a server.properties is rendered from. */
export interface ServerConfigInput {
  readonly role: NodeRole;
  /** `<node.id>@<host>:<port>` of every voter, in order. */
  readonly voters: string[];
  /** The headless Service domain of this set's pods: `<set>-headless.<ns>.svc.<domain>`. */
  readonly podDomain: string;
  /** Number of brokers (for the replication defaults). */
  readonly brokers: number;
  /** User overrides; they win. */
  readonly overrides: { [key: string]: string };
}

/** The deterministic server.properties of one set: sorted keys, no timestamps, placeholders for per-pod values. */
export function renderServerProperties(scope: IConstruct, input: ServerConfigInput): string {
  const settings: { [key: string]: string } = {
    'process.roles': input.role,
    'node.id': NODE_ID_PLACEHOLDER,
    'controller.quorum.voters': input.voters.join(','),
    'controller.listener.names': 'CONTROLLER',
    'log.dirs': LOG_DIRS,
  };
  const isBroker = input.role !== NodeRole.CONTROLLER;
  const isController = input.role !== NodeRole.BROKER;
  // Durability on every node: in KRaft the controllers apply some of these (the default replication
  // factor of new topics, unclean leader election, min.insync.replicas for eligible leaders) and the
  // brokers others (acks=all, internal topics). Unused ones are ignored by a role.
  const n = input.brokers;
  Object.assign(settings, {
    'default.replication.factor': String(Math.min(3, n)),
    'min.insync.replicas': String(Math.min(2, n)),
    'offsets.topic.replication.factor': String(Math.min(3, n)),
    'transaction.state.log.replication.factor': String(Math.min(3, n)),
    'transaction.state.log.min.isr': String(Math.min(2, n)),
    'unclean.leader.election.enable': 'false',
  });
  if (isBroker) {
    Object.assign(settings, {
      'listeners': isController
        ? `BROKER://:${BROKER_PORT},CONTROLLER://:${CONTROLLER_PORT}`
        : `BROKER://:${BROKER_PORT}`,
      // Only the broker listener is advertised: clients and other brokers reach each pod by its stable DNS name.
      'advertised.listeners': `BROKER://${POD_NAME_PLACEHOLDER}.${input.podDomain}:${BROKER_PORT}`,
      'inter.broker.listener.name': 'BROKER',
      'listener.security.protocol.map': 'BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT',
    });
  } else {
    Object.assign(settings, {
      'listeners': `CONTROLLER://:${CONTROLLER_PORT}`,
      'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT',
    });
  }
  for (const [key, value] of Object.entries(input.overrides)) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(key)) {
      invalid(scope, 'config', 'keys must be Kafka property names (letters, digits, \'.\', \'_\', \'-\'), e.g. \'log.retention.hours\'', key);
    }
    if (MANAGED_KEYS.includes(key)) {
      invalid(scope, `config.${key}`, `is managed by the construct (per pod or per quorum) and cannot be overridden; managed keys: ${MANAGED_KEYS.join(', ')}`);
    }
    if (/[\r\n]/.test(value)) {
      invalid(scope, `config.${key}`, 'must be a single line (no line breaks)', value);
    }
    settings[key] = value;
  }
  const lines = Object.keys(settings).sort().map((k) => `${k}=${escapeValue(settings[k])}`);
  return [
    '# Rendered by cdk8s-stateful. The start script fills in node.id and the pod name of each pod.',
    ...lines,
    '',
  ].join('\n');
}

/** Java properties: a backslash is an escape, so a literal one is doubled; a leading space would be dropped. */
function escapeValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/^ /, '\\ ');
}

/**
 * A KRaft cluster id that is the same on every synth: the first 16 bytes of a SHA-256 of the
 * namespace and name, as 22 characters of base64url (what `kafka-storage.sh random-uuid` prints).
 * An id starting with '-' would read as an option on the command line, so the hash is salted until it does not.
 */
export function deriveClusterId(namespace: string, name: string): string {
  for (let salt = 0; ; salt++) {
    const digest = createHash('sha256').update(`cdk8s-stateful/kafka/${namespace}/${name}/${salt}`).digest();
    const id = digest.subarray(0, 16).toString('base64url');
    if (!id.startsWith('-')) { return id; }
  }
}

/** A pinned cluster id must be a Kafka Uuid: 16 bytes in 22 characters of base64url. */
export function requireClusterId(scope: IConstruct, id: string): string {
  // Kafka decodes ids with Java's lenient base64url decoder: the last character's low bits may be set
  // (the id in Kafka's own docs, MkU3OEVBNTcwNTJENDM2Qk, has them), so only length and alphabet count.
  const valid = /^[A-Za-z0-9_-]{22}$/.test(id) && !id.startsWith('-');
  if (!valid) {
    invalid(scope, 'clusterId', 'must be a Kafka cluster id: 22 characters of base64url encoding 16 bytes, not starting with \'-\' (as printed by `kafka-storage.sh random-uuid`, or `kafka-cluster.sh cluster-id` of a running cluster)', id);
  }
  return id;
}
