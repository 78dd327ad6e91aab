import { brokerOnlyOverrides, NodeRole, renderServerProperties, requireBrokersFor, validateConfig } from '../../../src/engines/kafka/config';
import { childScope, exactly, warningsOf } from '../../util';

process.env.CDK8S_STATEFUL_QUIET = '1';

/** A scope at `test/events`, as a Kafka construct would be. */
const scope = () => childScope('events');

function check(config: unknown, brokers = 3, controllers?: number): { [key: string]: string } {
  return validateConfig(scope(), config, { brokers, controllers });
}

/** The warnings validateConfig leaves on its scope. */
function warnings(config: unknown, brokers = 3, controllers?: number): string[] {
  const s = scope();
  validateConfig(s, config, { brokers, controllers });
  return warningsOf(s);
}

describe('names, shared with the renderer', () => {
  test('valid overrides come back unchanged', () => {
    const config = { 'log.retention.hours': '72', 'auto.create.topics.enable': 'false', 'log.flush.interval.messages': '10000' };
    expect(check(config)).toEqual(config);
  });

  const render = (overrides: { [key: string]: string }) => renderServerProperties(scope(), {
    role: NodeRole.COMBINED,
    voters: ['0@events-0:9093'],
    podDomain: 'events-headless.db.svc.cluster.local',
    brokers: 3,
    overrides,
    security: { sasl: true, tls: false, plaintextClients: false },
  });

  test.each([
    [{ 'bad key': '1' }, '\'config.bad key\' must be a Kafka property name (letters, digits, \'.\', \'_\', \'-\'), e.g. \'log.retention.hours\', got \'bad key\''],
    [{ 'node.id': '7' }, '\'config.node.id\' is managed by the construct (per pod or per quorum) and cannot be overridden; managed keys: node.id, process.roles, controller.quorum.voters, controller.quorum.bootstrap.servers, controller.listener.names, log.dirs, log.dir, metadata.log.dir, broker.id'],
    [{ 'broker.id': '7' }, '\'config.broker.id\' is managed by the construct (per pod or per quorum) and cannot be overridden; managed keys: node.id, process.roles, controller.quorum.voters, controller.quorum.bootstrap.servers, controller.listener.names, log.dirs, log.dir, metadata.log.dir, broker.id'],
    [{ 'log.retention.hours': '1\nnode.id=7' }, '\'config.log.retention.hours\' must be a single line (no line breaks), got \'1\nnode.id=7\''],
  ])('%j is refused, by validateConfig and by the renderer', (config, message) => {
    expect(() => check(config)).toThrow(exactly(`test/events: ${message}`));
    expect(() => render(config)).toThrow(exactly(`test/events: ${message}`));
  });
});

describe('numbers and booleans Kafka would not parse', () => {
  test.each([
    ['log.retention.hours', '1.5', 'int, -2147483648 to 2147483647'],
    ['num.partitions', '3 partitions', 'int, -2147483648 to 2147483647'],
    ['log.flush.interval.messages', '1e6', 'long, -9223372036854775808 to 9223372036854775807'],
    ['log.retention.ms', '9223372036854775808', 'long, -9223372036854775808 to 9223372036854775807'],
    ['offsets.topic.replication.factor', '40000', 'short, -32768 to 32767'],
  ])('%s=%p is refused', (key, value, type) => {
    expect(() => check({ [key]: value })).toThrow(exactly(`test/events: 'config.${key}' must be a whole number (Kafka reads it as a Java ${type}), got '${value}'`));
  });

  test('whole numbers pass, as Java parses them (sign, surrounding spaces)', () => {
    expect(check({ 'log.retention.ms': '-1', 'log.flush.interval.ms': ' 1000 ', 'log.retention.hours': '+168' })).toEqual({ 'log.retention.ms': '-1', 'log.flush.interval.ms': ' 1000 ', 'log.retention.hours': '+168' });
  });

  test('a boolean other than true or false is refused', () => {
    expect(() => check({ 'auto.create.topics.enable': 'no' })).toThrow(exactly('test/events: \'config.auto.create.topics.enable\' must be true or false, got \'no\''));
    expect(check({ 'auto.create.topics.enable': 'FALSE' })).toEqual({ 'auto.create.topics.enable': 'FALSE' });
  });
});

describe('replication factors against the brokers', () => {
  test('default.replication.factor above the brokers is refused', () => {
    expect(() => check({ 'default.replication.factor': '5' })).toThrow(exactly('test/events: \'config.default.replication.factor\' must be at most the number of brokers (3): a topic cannot have more replicas than brokers, got \'5\''));
  });

  test.each([
    ['offsets.topic.replication.factor', 'the consumer offsets topic'],
    ['transaction.state.log.replication.factor', 'the transaction state topic'],
  ])('%s above the brokers is refused', (key, of) => {
    expect(() => check({ [key]: '4', 'transaction.state.log.min.isr': '1' })).toThrow(exactly(`test/events: 'config.${key}' must be at most the number of brokers (3): ${of} cannot have more replicas than brokers, got '4'`));
  });

  test.each(['default.replication.factor', 'offsets.topic.replication.factor', 'transaction.state.log.replication.factor', 'min.insync.replicas', 'transaction.state.log.min.isr'])('%s 0 is refused', (key) => {
    expect(() => check({ [key]: '0' })).toThrow(exactly(`test/events: 'config.${key}' must be at least 1, got '0'`));
  });

  test('a factor of 1 on a cluster warns: a single copy', () => {
    expect(warnings({ 'offsets.topic.replication.factor': '1' })).toEqual([
      '[WARNING] test/events: \'config.offsets.topic.replication.factor\' is 1: the consumer offsets topic keeps a single copy, lost with its broker\'s volume',
    ]);
    expect(warnings({ 'offsets.topic.replication.factor': '1' }, 1)).toEqual([]);
  });

  test('min.insync.replicas above the replication factor is refused', () => {
    expect(() => check({ 'min.insync.replicas': '3', 'default.replication.factor': '2' }, 5)).toThrow(exactly('test/events: \'config.min.insync.replicas\' must be at most \'config.default.replication.factor\' (2): acks=all writes to topics of the default replication factor would fail for good (NOT_ENOUGH_REPLICAS), got \'3\''));
    expect(() => check({ 'min.insync.replicas': '4' }, 5)).toThrow(exactly('test/events: \'config.min.insync.replicas\' must be at most \'config.default.replication.factor\' (3 by default): acks=all writes to topics of the default replication factor would fail for good (NOT_ENOUGH_REPLICAS), got \'4\''));
  });

  test('a replication factor below the default min.insync.replicas is refused, naming the default', () => {
    expect(() => check({ 'default.replication.factor': '1' })).toThrow(exactly('test/events: \'config.default.replication.factor\' must be at least \'config.min.insync.replicas\' (2 by default): acks=all writes to topics of the default replication factor would fail for good (NOT_ENOUGH_REPLICAS), got \'1\''));
    expect(() => check({ 'transaction.state.log.replication.factor': '1' })).toThrow(exactly('test/events: \'config.transaction.state.log.replication.factor\' must be at least \'config.transaction.state.log.min.isr\' (2 by default): writes to the transaction state topic would fail for good (NOT_ENOUGH_REPLICAS), got \'1\''));
  });

  test('transaction.state.log.min.isr above its replication factor is refused', () => {
    expect(() => check({ 'transaction.state.log.min.isr': '3', 'transaction.state.log.replication.factor': '2' })).toThrow(exactly('test/events: \'config.transaction.state.log.min.isr\' must be at most \'config.transaction.state.log.replication.factor\' (2): writes to the transaction state topic would fail for good (NOT_ENOUGH_REPLICAS), got \'3\''));
  });

  test('min.insync.replicas equal to the replication factor warns: no replica may be down', () => {
    expect(warnings({ 'min.insync.replicas': '3' }, 4)).toEqual([
      '[WARNING] test/events: \'config.min.insync.replicas\' (3) equals \'config.default.replication.factor\' (3 by default): while any broker holding a replica is down, acks=all writes to those topics fail',
    ]);
  });

  test('min.insync.replicas 1 with replicas warns: one broker alone acknowledges', () => {
    expect(warnings({ 'min.insync.replicas': '1' })).toEqual([
      '[WARNING] test/events: \'config.min.insync.replicas\' is 1 with \'config.default.replication.factor\' (3 by default): an acks=all write may be acknowledged by one broker alone, and lost with it',
    ]);
  });

  test('a replication factor of 1 with min.insync.replicas 1 on a cluster warns once, about the single copy', () => {
    expect(warnings({ 'default.replication.factor': '1', 'min.insync.replicas': '1' })).toEqual([
      '[WARNING] test/events: \'config.default.replication.factor\' is 1: a topic keeps a single copy, lost with its broker\'s volume',
    ]);
  });

  test('the defaults, and sound overrides, pass without warnings', () => {
    for (const brokers of [1, 2, 3, 5, 9]) {
      expect(warnings({}, brokers)).toEqual([]);
    }
    expect(warnings({ 'default.replication.factor': '3', 'min.insync.replicas': '2', 'offsets.topic.replication.factor': '3' }, 5)).toEqual([]);
  });
});

describe('leaders and listeners', () => {
  test('unclean leader election warns', () => {
    expect(warnings({ 'unclean.leader.election.enable': 'true' })).toEqual([
      '[WARNING] test/events: \'config.unclean.leader.election.enable\' is true: a replica that is not in sync may become leader, and the acknowledged messages it lacks are lost',
    ]);
    expect(warnings({ 'unclean.leader.election.enable': 'false' })).toEqual([]);
  });

  test('an advertised address without the pod name is refused on a cluster', () => {
    expect(() => check({ 'advertised.listeners': 'BROKER://kafka.example.com:9092' })).toThrow(exactly('test/events: \'config.advertised.listeners\' must name each pod with @POD_NAME@ (the start script fills it in): with one address for every broker, brokers fetch from the wrong one and replication stops, got \'BROKER://kafka.example.com:9092\''));
    expect(check({ 'advertised.listeners': 'SASL://@POD_NAME@.events-headless.db.svc.cluster.local:9094' })).toEqual({ 'advertised.listeners': 'SASL://@POD_NAME@.events-headless.db.svc.cluster.local:9094' });
    expect(check({ 'advertised.listeners': 'BROKER://kafka.example.com:9092' }, 1)).toEqual({ 'advertised.listeners': 'BROKER://kafka.example.com:9092' });
  });

  test('listeners with dedicated controllers are refused: both roles get the overrides', () => {
    expect(() => check({ listeners: 'BROKER://:9092' }, 3, 3)).toThrow(exactly('test/events: \'config.listeners\' cannot be overridden with dedicated controllers: the overrides go to brokers and controllers alike, which need different listeners, got \'BROKER://:9092\''));
  });

  test('listeners without the controller listener are refused in combined mode', () => {
    expect(() => check({ listeners: 'BROKER://:9092' })).toThrow(exactly('test/events: \'config.listeners\' must keep CONTROLLER://:9093: in combined mode the voters are reached on that listener (the brokers-only ordinals get the others), got \'BROKER://:9092\''));
    expect(check({ listeners: 'BROKER://:9092,CONTROLLER://:9093,SASL://:9094' })).toEqual({ listeners: 'BROKER://:9092,CONTROLLER://:9093,SASL://:9094' });
  });
});

describe('brokers against what the topics need', () => {
  test('GIVEN min.insync.replicas 3 WHEN 3 brokers THEN refused: one broker down would stop acks=all writes', () => {
    expect(() => check({ 'min.insync.replicas': '3' }, 3)).toThrow(exactly("test/events: 'brokers' must be at least 'config.min.insync.replicas' (3) + 1 = 4: with 3 brokers, one broker down (a restart, a node drain) stops every acks=all write; add brokers or lower min.insync.replicas, got 3"));
    expect(() => check({ 'min.insync.replicas': '3' }, 4)).not.toThrow();
  });

  test('GIVEN min.insync.replicas 2 WHEN 2 brokers (dedicated controllers) THEN refused; the default on 2 brokers is only warned about by the construct', () => {
    expect(() => check({ 'min.insync.replicas': '2', 'default.replication.factor': '2' }, 2, 3)).toThrow(/^test\/events: 'brokers' must be at least 'config.min.insync.replicas' \(2\) \+ 1 = 3: with 2 brokers/);
    expect(() => check({}, 2, 3)).not.toThrow();
    expect(() => check({ 'min.insync.replicas': '1' }, 1)).not.toThrow();
  });

  test('a replication factor above the brokers is refused, naming the factor', () => {
    expect(() => check({ 'offsets.topic.replication.factor': '4' }, 3)).toThrow(/^test\/events: 'config.offsets.topic.replication.factor' must be at most the number of brokers \(3\)/);
  });
});

describe('brokerOnlyOverrides', () => {
  test('the brokers-only ordinals of combined mode get the listeners without the controller listener', () => {
    expect(brokerOnlyOverrides({ 'listeners': 'BROKER://:9092,CONTROLLER://:9093,SASL://:9094', 'log.retention.hours': '1' }))
      .toEqual({ 'listeners': 'BROKER://:9092,SASL://:9094', 'log.retention.hours': '1' });
    const none = { 'log.retention.hours': '1' };
    expect(brokerOnlyOverrides(none)).toBe(none);
  });
});

describe('requireBrokersFor (what drainBrokers leaves)', () => {
  test.each([
    [2, 5, {}, "test/events: 'drainBrokers' must leave at least 'config.default.replication.factor' (3 by default) brokers: draining 2, 3, 4 leaves 2 broker(s), and with 2, a partition cannot keep that many replicas (its topics stay under-replicated, new ones cannot be created)"],
    [3, 5, { 'offsets.topic.replication.factor': '4', 'default.replication.factor': '3' }, "test/events: 'drainBrokers' must leave at least 'config.offsets.topic.replication.factor' (4) brokers: draining 3, 4 leaves 3 broker(s), and with 3, a partition cannot keep that many replicas (its topics stay under-replicated, new ones cannot be created)"],
    [3, 5, { 'min.insync.replicas': '3' }, "test/events: 'drainBrokers' must leave at least 'config.min.insync.replicas' (3) + 1 = 4 brokers: draining 3, 4 leaves 3 broker(s), and with 3, one broker down (a restart, a node drain) stops every acks=all write; add brokers or lower min.insync.replicas"],
  ])('GIVEN %d of %d brokers left and %j THEN refused', (left, brokers, config, message) => {
    const drained = Array.from({ length: brokers - left }, (_, i) => left + i).join(', ');
    expect(() => requireBrokersFor(scope(), 'drainBrokers', left, brokers, config as any, `draining ${drained} leaves ${left} broker(s)`)).toThrow(exactly(message));
  });

  test('GIVEN 3 of 5 brokers left with the defaults THEN accepted (replication factor 3, min.insync.replicas 2)', () => {
    expect(() => requireBrokersFor(scope(), 'drainBrokers', 3, 5, {}, 'draining 3, 4 leaves 3 broker(s)')).not.toThrow();
  });
});
