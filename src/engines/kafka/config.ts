import { createHash } from 'crypto';
import { IConstruct } from 'constructs';
import { invalid, warn } from '../../private/errors';
import { configSettings, renderSettings } from '../config-overrides';

/** Port of the broker listener (clients and replication). */
export const BROKER_PORT = 9092;
/** Port of the controller listener (the KRaft quorum). */
export const CONTROLLER_PORT = 9093;
/** Port of the plaintext client listener that `tls.allowPlaintext` keeps beside the TLS one. */
export const PLAINTEXT_CLIENT_PORT = 9094;
/** The SASL mechanism of clients and brokers. */
export const SCRAM_MECHANISM = 'SCRAM-SHA-512';
/** The SCRAM user of clients (the administrative user), created at format time. */
export const ADMIN_USER = 'admin';
/** The SCRAM user brokers authenticate to each other with, created at format time. */
export const INTER_BROKER_USER = 'broker';
/** The SASL/PLAIN user of the controller listener without TLS (controllers cannot use SCRAM). */
export const CONTROLLER_USER = 'controller';
/** Where the start script composes the PEM keystore (key and chain) from the mounted TLS Secret. */
export const KEYSTORE_FILE = '/etc/kafka/runtime/keystore.pem';
/** The mounted CA (the same path as TLS_CA_FILE of tls-kit). */
export const TRUSTSTORE_FILE = '/etc/tls/ca.crt';
/** Placeholders the start script replaces with passwords read from the environment (never in the ConfigMap). */
export const INTER_BROKER_PASSWORD_PLACEHOLDER = '@INTER_BROKER_PASSWORD@';
export const CONTROLLER_PASSWORD_PLACEHOLDER = '@CONTROLLER_PASSWORD@';
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
  // KRaft reads node.id; one broker.id in the template every pod shares would be the same on all of them.
  'broker.id',
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
  /** Authentication and encryption of the listeners. */
  readonly security: KafkaSecurity;
}

/** How the listeners are secured. */
export interface KafkaSecurity {
  /** SASL/SCRAM for clients and brokers, and SASL/PLAIN (without TLS) on the controller listener. */
  readonly sasl: boolean;
  /** TLS on every listener; the controller listener with mutual TLS. */
  readonly tls: boolean;
  /** With TLS: a plaintext client listener on PLAINTEXT_CLIENT_PORT beside the TLS one. */
  readonly plaintextClients: boolean;
}

/** The protocol clients use on the broker listener. */
export function clientProtocol(security: KafkaSecurity): string {
  return `${security.sasl ? 'SASL_' : ''}${security.tls ? 'SSL' : 'PLAINTEXT'}`;
}

/**
 * The listener settings of one role: the broker listener (clients and replication) with SCRAM, the
 * controller listener with mutual TLS or, without TLS, SASL/PLAIN (KRaft controllers cannot check
 * SCRAM: those credentials live in the metadata log they serve), and with TLS the PEM keystore that
 * the start script composes. Passwords are placeholders the start script fills in from the Secret.
 */
export function securitySettings(input: { role: NodeRole; podDomain: string; security: KafkaSecurity }): { [key: string]: string } {
  const { role, security } = input;
  const isBroker = role !== NodeRole.CONTROLLER;
  const isController = role !== NodeRole.BROKER;
  const plain = isBroker && security.tls && security.plaintextClients;
  const controllerProtocol = security.tls ? 'SSL' : (security.sasl ? 'SASL_PLAINTEXT' : 'PLAINTEXT');
  const map = [`CONTROLLER:${controllerProtocol}`];
  const settings: { [key: string]: string } = {};
  if (isBroker) {
    const listeners = [`BROKER://:${BROKER_PORT}`];
    if (isController) { listeners.push(`CONTROLLER://:${CONTROLLER_PORT}`); }
    const advertised = [`BROKER://${POD_NAME_PLACEHOLDER}.${input.podDomain}:${BROKER_PORT}`];
    map.unshift(`BROKER:${clientProtocol(security)}`);
    if (plain) {
      listeners.push(`CLIENT_PLAINTEXT://:${PLAINTEXT_CLIENT_PORT}`);
      advertised.push(`CLIENT_PLAINTEXT://${POD_NAME_PLACEHOLDER}.${input.podDomain}:${PLAINTEXT_CLIENT_PORT}`);
      map.push(`CLIENT_PLAINTEXT:${security.sasl ? 'SASL_PLAINTEXT' : 'PLAINTEXT'}`);
    }
    Object.assign(settings, {
      'listeners': listeners.join(','),
      // Only the client listeners are advertised: clients and other brokers reach each pod by its stable DNS name.
      'advertised.listeners': advertised.join(','),
      'inter.broker.listener.name': 'BROKER',
    });
  } else {
    settings.listeners = `CONTROLLER://:${CONTROLLER_PORT}`;
  }
  settings['listener.security.protocol.map'] = map.join(',');
  if (security.sasl) {
    if (isBroker) {
      Object.assign(settings, {
        'sasl.enabled.mechanisms': SCRAM_MECHANISM,
        'sasl.mechanism.inter.broker.protocol': SCRAM_MECHANISM,
        // The broker listener's login: what this broker presents to the others.
        'listener.name.broker.scram-sha-512.sasl.jaas.config':
          `org.apache.kafka.common.security.scram.ScramLoginModule required username="${INTER_BROKER_USER}" password="${INTER_BROKER_PASSWORD_PLACEHOLDER}";`,
      });
    }
    if (!security.tls) {
      // Server side on the controllers, client side on the brokers: one user, its password from the Secret.
      Object.assign(settings, {
        'sasl.mechanism.controller.protocol': 'PLAIN',
        'listener.name.controller.sasl.enabled.mechanisms': 'PLAIN',
        'listener.name.controller.plain.sasl.jaas.config':
          `org.apache.kafka.common.security.plain.PlainLoginModule required username="${CONTROLLER_USER}" password="${CONTROLLER_PASSWORD_PLACEHOLDER}" user_${CONTROLLER_USER}="${CONTROLLER_PASSWORD_PLACEHOLDER}";`,
      });
    }
  }
  if (security.tls) {
    Object.assign(settings, {
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': KEYSTORE_FILE,
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': TRUSTSTORE_FILE,
      // Kafka's default, stated: every peer's certificate must name the host it was reached by.
      'ssl.endpoint.identification.algorithm': 'https',
      // Controllers admit only members that present a certificate of the CA.
      'listener.name.controller.ssl.client.auth': 'required',
    });
  }
  return settings;
}

/**
 * The durability defaults for `brokers`: topics (and the internal topics) get up to 3 replicas and
 * acks=all writes need up to 2 of them in sync; no unclean leader election.
 */
export function replicationDefaults(brokers: number): { [key: string]: string } {
  return {
    'default.replication.factor': String(Math.min(3, brokers)),
    'min.insync.replicas': String(Math.min(2, brokers)),
    'offsets.topic.replication.factor': String(Math.min(3, brokers)),
    'transaction.state.log.replication.factor': String(Math.min(3, brokers)),
    'transaction.state.log.min.isr': String(Math.min(2, brokers)),
    'unclean.leader.election.enable': 'false',
  };
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
  // Durability on every node: in KRaft the controllers apply some of these (the default replication
  // factor of new topics, unclean leader election, min.insync.replicas for eligible leaders) and the
  // brokers others (acks=all, internal topics). Unused ones are ignored by a role.
  Object.assign(settings, replicationDefaults(input.brokers));
  Object.assign(settings, securitySettings(input));
  for (const [key, value] of Object.entries(input.overrides)) {
    checkProperty(scope, key, value);
    settings[key] = value;
  }
  return renderSettings('# Rendered by cdk8s-stateful. The start script fills in node.id and the pod name of each pod.', settings,
    (key, value) => `${key}=${escapeValue(value)}`);
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

/** What the override checks know of the topology. */
export interface KafkaTopology {
  /** Brokers. */
  readonly brokers: number;
  /** Dedicated KRaft controllers; undefined when the brokers are the controllers (combined mode). */
  readonly controllers?: number;
}

const INT: [bigint, bigint, string] = [-(2n ** 31n), 2n ** 31n - 1n, 'int'];
const SHORT: [bigint, bigint, string] = [-(2n ** 15n), 2n ** 15n - 1n, 'short'];
const LONG: [bigint, bigint, string] = [-(2n ** 63n), 2n ** 63n - 1n, 'long'];
/** Whole-number properties (Kafka parses them with Java's parseInt, parseShort, parseLong): the replication and flush ones and the common others. */
const WHOLE_NUMBERS: { [key: string]: [bigint, bigint, string] } = {
  'default.replication.factor': INT,
  'min.insync.replicas': INT,
  'offsets.topic.replication.factor': SHORT,
  'transaction.state.log.replication.factor': SHORT,
  'transaction.state.log.min.isr': INT,
  'num.partitions': INT,
  'offsets.topic.num.partitions': INT,
  'transaction.state.log.num.partitions': INT,
  'log.flush.interval.messages': LONG,
  'log.flush.interval.ms': LONG,
  'log.flush.scheduler.interval.ms': LONG,
  'log.flush.offset.checkpoint.interval.ms': INT,
  'log.flush.start.offset.checkpoint.interval.ms': INT,
  'log.retention.hours': INT,
  'log.retention.minutes': INT,
  'log.retention.ms': LONG,
  'log.retention.bytes': LONG,
  'log.segment.bytes': INT,
  'log.roll.hours': INT,
  'log.roll.ms': LONG,
  'message.max.bytes': INT,
  'replica.fetch.max.bytes': INT,
  'replica.lag.time.max.ms': LONG,
  'num.replica.fetchers': INT,
  'num.network.threads': INT,
  'num.io.threads': INT,
  'num.recovery.threads.per.data.dir': INT,
  'offsets.retention.minutes': INT,
  'log.cleaner.threads': INT,
};
/** Boolean properties (Kafka accepts true or false, in any case, and nothing else). */
const BOOLEANS = ['unclean.leader.election.enable', 'auto.create.topics.enable', 'delete.topic.enable', 'auto.leader.rebalance.enable', 'log.cleaner.enable'];

/**
 * Checks `config` (server.properties overrides, for brokers and controllers alike) on its own and
 * against the topology, and returns it unchanged. Refuses (ValidationError) what would stop a node,
 * make writes or internal topics fail for good, or stop replication; warns about legal durability
 * trade-offs. The replication settings are checked as they take effect: an override, or the
 * rendered default for this number of brokers. Every rule and its reason: docs/validation.md,
 * "Config overrides".
 */
export function validateConfig(scope: IConstruct, config: unknown, topology: KafkaTopology): { [key: string]: string } {
  const { brokers, controllers } = topology;
  const overrides = configSettings(scope, config, (key, value) => checkProperty(scope, key, value));
  for (const [key, [min, max, type]] of Object.entries(WHOLE_NUMBERS)) {
    const value = overrides[key]?.trim();
    if (value !== undefined && (!/^[+-]?[0-9]+$/.test(value) || BigInt(value) < min || BigInt(value) > max)) {
      invalid(scope, `config.${key}`, `must be a whole number (Kafka reads it as a Java ${type}, ${min} to ${max})`, overrides[key]);
    }
  }
  for (const key of BOOLEANS) {
    const value = overrides[key]?.trim();
    if (value !== undefined && !/^(true|false)$/i.test(value)) {
      invalid(scope, `config.${key}`, 'must be true or false', overrides[key]);
    }
  }

  const defaults = replicationDefaults(brokers);
  const number = (key: string) => Number((overrides[key] ?? defaults[key]).trim());
  const given = (key: string) => overrides[key] !== undefined;
  const describe = (key: string) => `'config.${key}' (${number(key)}${given(key) ? '' : ' by default'})`;
  /** A replication factor: at least 1, at most the brokers; a single copy on a cluster is a warning. */
  const factor = (key: string, of: string) => {
    const rf = number(key);
    if (given(key) && rf < 1) {
      invalid(scope, `config.${key}`, 'must be at least 1', overrides[key]);
    }
    if (given(key) && rf > brokers) {
      invalid(scope, `config.${key}`, `must be at most the number of brokers (${brokers}): ${of} cannot have more replicas than brokers`, overrides[key]);
    }
    if (given(key) && rf === 1 && brokers > 1) {
      warn(scope, `'config.${key}' is 1: ${of} keeps a single copy, lost with its broker's volume`);
    }
    return rf;
  };
  /** A minimum in-sync replica count: at least 1, at most its replication factor. */
  const minimum = (key: string, rfKey: string, of: string) => {
    const isr = number(key);
    const rf = number(rfKey);
    if (given(key) && isr < 1) {
      invalid(scope, `config.${key}`, 'must be at least 1', overrides[key]);
    }
    if (isr > rf) {
      const [wrong, other] = given(key) ? [key, rfKey] : [rfKey, key];
      invalid(scope, `config.${wrong}`, `must ${wrong === key ? 'be at most' : 'be at least'} ${describe(other)}: ${of} would fail for good (NOT_ENOUGH_REPLICAS)`, overrides[wrong]);
    }
    return isr;
  };

  const rf = factor('default.replication.factor', 'a topic');
  const isr = minimum('min.insync.replicas', 'default.replication.factor', 'acks=all writes to topics of the default replication factor');
  if ((given('min.insync.replicas') || given('default.replication.factor')) && brokers > 1 && rf > 1) {
    if (isr === rf) {
      warn(scope, `${describe('min.insync.replicas')} equals ${describe('default.replication.factor')}: while any broker holding a replica is down, acks=all writes to those topics fail`);
    } else if (isr === 1) {
      warn(scope, `'config.min.insync.replicas' is 1 with ${describe('default.replication.factor')}: an acks=all write may be acknowledged by one broker alone, and lost with it`);
    }
  }
  factor('offsets.topic.replication.factor', 'the consumer offsets topic');
  factor('transaction.state.log.replication.factor', 'the transaction state topic');
  minimum('transaction.state.log.min.isr', 'transaction.state.log.replication.factor', 'writes to the transaction state topic');

  if (/^true$/i.test(overrides['unclean.leader.election.enable']?.trim() ?? '')) {
    warn(scope, '\'config.unclean.leader.election.enable\' is true: a replica that is not in sync may become leader, and the acknowledged messages it lacks are lost');
  }
  // Listeners: every pod of a set shares the template, and with dedicated controllers brokers and controllers share the overrides.
  const advertised = overrides['advertised.listeners'];
  if (advertised !== undefined && brokers > 1 && !advertised.includes(POD_NAME_PLACEHOLDER)) {
    invalid(scope, 'config.advertised.listeners', `must name each pod with ${POD_NAME_PLACEHOLDER} (the start script fills it in): with one address for every broker, brokers fetch from the wrong one and replication stops`, advertised);
  }
  const listeners = overrides.listeners;
  if (listeners !== undefined && controllers !== undefined) {
    invalid(scope, 'config.listeners', 'cannot be overridden with dedicated controllers: the overrides go to brokers and controllers alike, which need different listeners', listeners);
  }
  if (listeners !== undefined && !new RegExp(`(^|,)\\s*CONTROLLER://[^,]*:${CONTROLLER_PORT}\\s*(,|$)`).test(listeners)) {
    invalid(scope, 'config.listeners', `must keep CONTROLLER://:${CONTROLLER_PORT}: in combined mode the voters are reached on that listener (the brokers-only ordinals get the others)`, listeners);
  }
  requireBrokersFor(scope, 'brokers', brokers, brokers, overrides);
  return overrides;
}

/**
 * The overrides of the brokers-only ordinals of combined mode: the same, except that a `listeners`
 * override loses its CONTROLLER listener (a broker-only node must not listen as a controller).
 */
export function brokerOnlyOverrides(overrides: { [key: string]: string }): { [key: string]: string } {
  if (overrides.listeners === undefined) { return overrides; }
  const listeners = overrides.listeners.split(',').filter((l) => !/^\s*CONTROLLER:\/\//.test(l)).join(',');
  return { ...overrides, listeners };
}

/**
 * A broker count must hold what the topics need: every replica of the largest replication factor
 * on its own broker, and `min.insync.replicas` + 1 brokers, so that one broker down (a restart, a
 * node drain) does not stop acks=all writes. The settings are taken as they take effect for
 * `brokers` (an override, or the default); a default `min.insync.replicas` (min(2, brokers)) on a
 * count of its own, 1 or 2 brokers, is left to the warnings: small clusters are allowed, and say so.
 */
export function requireBrokersFor(scope: IConstruct, prop: string, count: number, brokers: number,
  overrides: { [key: string]: string }, what?: string): void {
  const defaults = replicationDefaults(brokers);
  const value = (key: string) => Number((overrides[key] ?? defaults[key]).trim());
  const label = (key: string) => `'config.${key}' (${value(key)}${overrides[key] === undefined ? ' by default' : ''})`;
  const [must, after] = what === undefined
    ? ['must be at least', `: with ${count} brokers`]
    : ['must leave at least', ` brokers: ${what}, and with ${count}`];
  for (const key of ['default.replication.factor', 'offsets.topic.replication.factor', 'transaction.state.log.replication.factor']) {
    if (count < value(key)) {
      invalid(scope, prop, `${must} ${label(key)}${after}, a partition cannot keep that many replicas (its topics stay under-replicated, new ones cannot be created)`, what === undefined ? count : undefined);
    }
  }
  const isr = value('min.insync.replicas');
  const checked = overrides['min.insync.replicas'] !== undefined || count < brokers;
  if (checked && count > 1 && count < isr + 1) {
    invalid(scope, prop, `${must} ${label('min.insync.replicas')} + 1 = ${isr + 1}${after}, one broker down (a restart, a node drain) stops every acks=all write; add brokers or lower min.insync.replicas`, what === undefined ? count : undefined);
  }
}

/** Checks of one override that the renderer repeats: a property name, not one the construct owns, on one line. */
function checkProperty(scope: IConstruct, key: string, value: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(key)) {
    invalid(scope, `config.${key}`, 'must be a Kafka property name (letters, digits, \'.\', \'_\', \'-\'), e.g. \'log.retention.hours\'', key);
  }
  if (MANAGED_KEYS.includes(key)) {
    invalid(scope, `config.${key}`, `is managed by the construct (per pod or per quorum) and cannot be overridden; managed keys: ${MANAGED_KEYS.join(', ')}`);
  }
  if (/[\r\n]/.test(value)) {
    invalid(scope, `config.${key}`, 'must be a single line (no line breaks)', value);
  }
}
