import { CassandraVersion } from '../../../src/engines/cassandra/cassandra-version';
import { renderCassandraYaml, validateConfig } from '../../../src/engines/cassandra/config';
import { childScope, exactly, warningsOf } from '../../util';

process.env.CDK8S_STATEFUL_QUIET = '1';

/** A scope at `test/ring`, as a Cassandra construct would be. */
const scope = () => childScope('ring');

function check(config: unknown, nodes = 3, racks = 1): { [key: string]: string } {
  return validateConfig(scope(), config, { nodes, racks });
}

/** The warnings validateConfig leaves on its scope. */
function warnings(config: unknown, nodes = 3, racks = 1): string[] {
  const s = scope();
  validateConfig(s, config, { nodes, racks });
  return warningsOf(s);
}

function yaml(overrides: { [key: string]: string }, version = CassandraVersion.V5_0): { [key: string]: string } {
  const text = renderCassandraYaml(scope(), { clusterName: 'ring', seeds: ['ring-0'], version, racks: 1, overrides });
  return Object.fromEntries(text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
}

describe('names, shared with the renderer', () => {
  test('valid overrides come back unchanged', () => {
    const config = { concurrent_reads: '64', concurrent_writes: '48', num_tokens: '8', commitlog_sync_period_in_ms: '5000' };
    expect(check(config)).toEqual(config);
  });

  test.each([
    [{ listen_address: '10.0.0.1' }, '\'config.listen_address\' cannot be overridden: it is the pod IP, set when the pod starts'],
    [{ endpoint_snitch: 'SimpleSnitch' }, '\'config.endpoint_snitch\' cannot be overridden: it is GossipingPropertyFileSnitch, fed by the \'datacenter\' and \'racks\' props'],
    [{ seed_provider: '[]' }, '\'config.seed_provider\' cannot be overridden: it lists the first pods of the ring; seeds are chosen by the construct'],
    [{ 'Bad-Key': '1' }, '\'config.Bad-Key\' must be a cassandra.yaml setting name (lower-case letters, digits and \'_\'), got \'Bad-Key\''],
    [{ concurrent_reads: '1\nlisten_address: 1.2.3.4' }, '\'config.concurrent_reads\' must be a one-line YAML value (a scalar, or a flow list or map such as [a, b] or {k: v}), got \'1\nlisten_address: 1.2.3.4\''],
  ])('%j is refused, by validateConfig and by the renderer', (config, message) => {
    expect(() => check(config)).toThrow(exactly(`test/ring: ${message}`));
    expect(() => yaml(config)).toThrow(exactly(`test/ring: ${message}`));
  });

  test('a setting under its 4.0 and 4.1 names at once is refused', () => {
    expect(() => check({ commitlog_sync_period: '5s', commitlog_sync_period_in_ms: '5000' })).toThrow(exactly('test/ring: \'config.commitlog_sync_period_in_ms\' cannot be set together with \'config.commitlog_sync_period\': it is the same setting under its 4.0 name, and Cassandra refuses both'));
    expect(() => check({ max_hint_window: '3h', max_hint_window_in_ms: '10800000' })).toThrow(/'config.max_hint_window_in_ms' cannot be set together with 'config.max_hint_window'/);
  });
});

describe('joining the ring', () => {
  test.each(['false', 'no', 'OFF'])('auto_bootstrap %s is refused', (value) => {
    expect(() => check({ auto_bootstrap: value }, 1)).toThrow(exactly(`test/ring: 'config.auto_bootstrap' must stay true: a new or replaced node would take its token ranges without streaming their data, and serve them empty until a full repair, got '${value}'`));
  });

  test('start_native_transport false is refused: the probes wait for CQL', () => {
    expect(() => check({ start_native_transport: 'false' })).toThrow(exactly('test/ring: \'config.start_native_transport\' must stay true: the startup probe waits for CQL on 9042, so a node without it is restarted forever, got \'false\''));
    expect(check({ start_native_transport: 'true', auto_bootstrap: 'true' })).toEqual({ start_native_transport: 'true', auto_bootstrap: 'true' });
  });

  test('a boolean YAML does not read as one is refused', () => {
    expect(() => check({ auto_bootstrap: 'nope' })).toThrow(exactly('test/ring: \'config.auto_bootstrap\' must be true or false, got \'nope\''));
  });

  test.each(['0', '1537', 'many'])('num_tokens %s is refused', (value) => {
    expect(() => check({ num_tokens: value })).toThrow(exactly(`test/ring: 'config.num_tokens' must be a whole number from 1 to 1536 (Cassandra's limit); a node that has joined the ring cannot change it, got '${value}'`));
  });

  test('initial_token on a ring of several nodes is refused: they would all claim it', () => {
    expect(() => check({ initial_token: '0' }, 3)).toThrow(exactly('test/ring: \'config.initial_token\' cannot be set on a ring of 3 nodes: every node reads the same cassandra.yaml and would claim the same tokens, got \'0\''));
  });

  test('initial_token on a single node must list num_tokens tokens', () => {
    expect(() => check({ initial_token: '0' }, 1)).toThrow(exactly('test/ring: \'config.initial_token\' must list num_tokens (16) comma-separated tokens, one per virtual node, got \'0\''));
    expect(check({ initial_token: '-9223372036854775808, 0', num_tokens: '2' }, 1)).toEqual({ initial_token: '-9223372036854775808, 0', num_tokens: '2' });
  });

  test('an allocation replication factor above a count of racks other than 1 is refused', () => {
    expect(() => check({ allocate_tokens_for_local_replication_factor: '3' }, 4, 2)).toThrow(exactly('test/ring: \'config.allocate_tokens_for_local_replication_factor\' must be 1, or at most the number of racks (2): Cassandra refuses to bootstrap a node into a datacenter with more than one rack but fewer racks than this replication factor, got \'3\''));
    expect(() => check({ allocate_tokens_for_local_replication_factor: '5' }, 4, 4)).toThrow(/must be 1, or at most the number of racks \(4\)/);
  });

  test('the default allocation factor follows the racks: 3, or the number of racks when there are two', () => {
    expect(() => check({}, 4, 2)).not.toThrow();
    const rendered = (racks: number) => renderCassandraYaml(scope(), { clusterName: 'ring', seeds: ['ring-0'], version: CassandraVersion.V5_0, racks, overrides: {} });
    expect(rendered(2)).toContain('\nallocate_tokens_for_local_replication_factor: 2\n');
    expect(rendered(1)).toContain('\nallocate_tokens_for_local_replication_factor: 3\n');
    expect(rendered(5)).toContain('\nallocate_tokens_for_local_replication_factor: 3\n');
  });

  test.each([
    [{}, 2, 2], // both nodes are seeds: no token allocation
    [{}, 9, 3], [{}, 5, 1], [{}, 8, 4],
    [{ allocate_tokens_for_local_replication_factor: '2' }, 4, 2],
    [{ allocate_tokens_for_local_replication_factor: '1' }, 6, 2],
    [{ allocate_tokens_for_local_replication_factor: '5' }, 10, 1],
  ])('%j with %i nodes in %i racks passes', (config, nodes, racks) => {
    expect(check(config, nodes, racks)).toEqual(config);
  });
});

describe('the commit log', () => {
  test('a sync mode Cassandra does not know is refused', () => {
    expect(() => check({ commitlog_sync: 'Batch' })).toThrow(exactly('test/ring: \'config.commitlog_sync\' must be periodic, batch or group, got \'Batch\''));
  });

  test.each([['batch', 'commitlog_sync_period', '5s'], ['group', 'commitlog_sync_period_in_ms', '5000']])('%s with a period (%s) is refused', (sync, key, period) => {
    expect(() => check({ commitlog_sync: sync, [key]: period, commitlog_sync_group_window: '15ms' })).toThrow(exactly(`test/ring: 'config.${key}' cannot be set with commitlog_sync ${sync}: Cassandra does not start with a period outside periodic sync, got '${period}'`));
  });

  test('group without its window is refused', () => {
    expect(() => check({ commitlog_sync: 'group' })).toThrow(exactly('test/ring: \'config.commitlog_sync\' group needs \'config.commitlog_sync_group_window\' (4.0: commitlog_sync_group_window_in_ms) above 0: Cassandra does not start without it, got \'group\''));
    expect(check({ commitlog_sync: 'group', commitlog_sync_group_window_in_ms: '15' })).toEqual({ commitlog_sync: 'group', commitlog_sync_group_window_in_ms: '15' });
  });

  test('batch and group leave the rendered period out, which Cassandra would refuse', () => {
    for (const version of [CassandraVersion.V5_0, CassandraVersion.V4_0]) {
      const batch = yaml({ commitlog_sync: 'batch' }, version);
      expect(batch.commitlog_sync).toBe('batch');
      expect(batch.commitlog_sync_period).toBeUndefined();
      expect(batch.commitlog_sync_period_in_ms).toBeUndefined();
      expect(yaml({ commitlog_sync: 'group', commitlog_sync_group_window: '15ms' }, version).commitlog_sync_period).toBeUndefined();
    }
    expect(yaml({ commitlog_sync: 'periodic' }).commitlog_sync_period).toBe('10000ms');
    expect(yaml({}, CassandraVersion.V4_0).commitlog_sync_period_in_ms).toBe('10000');
  });

  test('a period of 0 is refused, and one that is no duration', () => {
    expect(() => check({ commitlog_sync_period: '0ms' })).toThrow(exactly('test/ring: \'config.commitlog_sync_period\' must be more than 0: Cassandra does not start with periodic sync and no period, got \'0ms\''));
    expect(() => check({ commitlog_sync_period: '10 seconds' })).toThrow(exactly('test/ring: \'config.commitlog_sync_period\' must be a duration such as 10000ms or 10s (a number and one of d, h, m, s, ms, us, ns), got \'10 seconds\''));
    expect(() => check({ commitlog_sync_period_in_ms: '10s' })).toThrow(exactly('test/ring: \'config.commitlog_sync_period_in_ms\' must be a whole number of milliseconds, got \'10s\''));
  });

  test('a period longer than the default warns, and says whether other replicas cover it', () => {
    expect(warnings({ commitlog_sync_period: '1m' })).toEqual([
      '[WARNING] test/ring: \'config.commitlog_sync_period\' is 1m: a node acknowledges writes up to that long before they reach its disk, so a crash of the node loses them unless other replicas hold them (Cassandra\'s default: 10s)',
    ]);
    expect(warnings({ commitlog_sync_period_in_ms: '60000' }, 1)).toEqual([
      '[WARNING] test/ring: \'config.commitlog_sync_period_in_ms\' is 60000: a node acknowledges writes up to that long before they reach its disk, so a crash of the node loses them, and a single node has no other replica (Cassandra\'s default: 10s)',
    ]);
  });

  test('the default period, or a shorter one, does not warn', () => {
    expect(warnings({ commitlog_sync_period: '10s' })).toEqual([]);
    expect(warnings({ commitlog_sync_period_in_ms: '2000' })).toEqual([]);
  });
});

describe('hints, snapshots and failure policies', () => {
  test('hinted handoff off on a ring warns; on a single node it does not', () => {
    expect(warnings({ hinted_handoff_enabled: 'false' })).toEqual([
      '[WARNING] test/ring: \'config.hinted_handoff_enabled\' is false: writes a node misses while it is down are not replayed when it returns, so it serves stale data until a repair',
    ]);
    expect(warnings({ hinted_handoff_enabled: 'false' }, 1)).toEqual([]);
    expect(warnings({ hinted_handoff_enabled: 'true' })).toEqual([]);
  });

  test('a hint window of 0 warns', () => {
    expect(warnings({ max_hint_window: '0h' })).toEqual([
      '[WARNING] test/ring: \'config.max_hint_window\' is 0: no hints are kept for a node that is down, so it serves stale data until a repair',
    ]);
    expect(warnings({ max_hint_window_in_ms: '0' })).toEqual([
      '[WARNING] test/ring: \'config.max_hint_window_in_ms\' is 0: no hints are kept for a node that is down, so it serves stale data until a repair',
    ]);
    expect(warnings({ max_hint_window: '3h' })).toEqual([]);
  });

  test('auto_snapshot off warns', () => {
    expect(warnings({ auto_snapshot: 'false' }, 1)).toEqual([
      '[WARNING] test/ring: \'config.auto_snapshot\' is false: TRUNCATE and DROP keep no snapshot, so a mistaken one cannot be undone',
    ]);
  });

  test.each(['best_effort', 'ignore'])('disk_failure_policy %s warns', (value) => {
    expect(warnings({ disk_failure_policy: value })).toEqual([
      `[WARNING] test/ring: 'config.disk_failure_policy' is ${value}: a node with a failed disk keeps serving, so reads at consistency ONE can return obsolete or missing data`,
    ]);
  });

  test('failure policies Cassandra does not know are refused', () => {
    expect(() => check({ disk_failure_policy: 'panic' })).toThrow(exactly('test/ring: \'config.disk_failure_policy\' must be one of die, stop_paranoid, stop, best_effort, ignore, got \'panic\''));
    expect(() => check({ commit_failure_policy: 'best_effort' })).toThrow(exactly('test/ring: \'config.commit_failure_policy\' must be one of die, stop, stop_commit, ignore, got \'best_effort\''));
    expect(warnings({ disk_failure_policy: 'die', commit_failure_policy: 'stop_commit' })).toEqual([]);
  });
});
