import { MANAGED_KEYS, validateConfig } from '../../../src/engines/mysql/config';
import { childScope, exactly, warningsOf } from '../../util';

process.env.CDK8S_STATEFUL_QUIET = '1';

/** A scope at `test/shop`, as a MySql construct would be. */
const scope = () => childScope('shop');

function check(config: unknown, replicas = 3): { [key: string]: string } {
  return validateConfig(scope(), config, { replicas });
}

/** The warnings validateConfig leaves on its scope. */
function warnings(config: unknown, replicas = 3): string[] {
  const s = scope();
  validateConfig(s, config, { replicas });
  return warningsOf(s);
}

const managed = `is managed by the construct and cannot be overridden (managed: ${MANAGED_KEYS.join(', ')}); use the construct's props instead`;

describe('names', () => {
  test('keys are normalized as mysqld reads them, values trimmed', () => {
    expect(check({ 'Innodb-Buffer-Pool-Size': ' 300M ', 'skip_symbolic_links': '' })).toEqual({ innodb_buffer_pool_size: '300M', skip_symbolic_links: '' });
  });

  test('a name that is no option is refused', () => {
    expect(() => check({ 'bad key': '1' })).toThrow(exactly('test/shop: \'config.bad key\' must be a mysqld option name (letters, digits, \'_\' and \'-\'), got \'bad key\''));
  });

  test.each([
    ['server-id', '7'],
    ['gtid_mode', 'OFF'],
    ['enforce-gtid-consistency', 'OFF'],
    ['log_bin', 'OFF'],
    ['skip_log_bin', ''],
    ['disable-log-bin', ''],
    ['read_only', 'OFF'],
    ['super_read_only', 'OFF'],
    // mysqld reads these as the managed options themselves.
    ['loose-gtid-mode', 'OFF'],
    ['skip-gtid-mode', ''],
    ['loose_skip_log_bin', ''],
    ['disable_super_read_only', ''],
    ['disable-networking', ''],
    ['enable_replica_start', ''],
  ])('managed %s is refused, in any spelling', (key, value) => {
    expect(() => check({ [key]: value })).toThrow(exactly(`test/shop: 'config.${key}' ${managed}, got '${value}'`));
  });

  test('a value on two lines is refused', () => {
    expect(() => check({ long_query_time: '1\n[client]' })).toThrow(exactly('test/shop: \'config.long_query_time\' must be a single-line string, got \'1\n[client]\''));
  });

  test.each([
    [{ 'innodb-buffer-pool-size': '1G', 'innodb_buffer_pool_size': '2G' }, 'config.innodb_buffer_pool_size', 'config.innodb-buffer-pool-size'],
    [{ log_slave_updates: 'ON', log_replica_updates: 'ON' }, 'config.log_slave_updates', 'config.log_replica_updates'],
    [{ 'loose-sync-binlog': '1', 'sync_binlog': '1' }, 'config.sync_binlog', 'config.loose-sync-binlog'],
  ])('one option twice is refused: %j', (config, prop, twin) => {
    expect(() => check(config)).toThrow(exactly(`test/shop: '${prop}' sets the same option as '${twin}' (mysqld reads '-' as '_', slave_ as replica_, and the loose_, skip_, disable_ and enable_ prefixes): keep one`));
  });
});

describe('the binary log', () => {
  test.each([['log_replica_updates', 'OFF'], ['log-slave-updates', '0'], ['skip-log-replica-updates', ''], ['disable_log_slave_updates', '']])('%s=%p with replicas is refused', (key, value) => {
    expect(() => check({ [key]: value })).toThrow(exactly(`test/shop: 'config.${key}' must stay ON when replicas > 1: after a failover the promoted replica's binary log must hold every transaction the other replicas still need, got '${value}'`));
  });

  test('log_replica_updates OFF on a single server is fine; ON is fine anywhere', () => {
    expect(check({ log_replica_updates: 'OFF' }, 1)).toEqual({ log_replica_updates: 'OFF' });
    expect(check({ log_replica_updates: 'ON' })).toEqual({ log_replica_updates: 'ON' });
    // enable_x is x = ON to mysqld.
    expect(check({ 'enable-log-slave-updates': '' })).toEqual({ enable_log_slave_updates: '' });
  });

  test('a boolean mysqld would silently read as OFF is refused', () => {
    expect(() => check({ log_replica_updates: 'yes' }, 1)).toThrow(exactly('test/shop: \'config.log_replica_updates\' must be ON or OFF (or TRUE/FALSE, 1/0): mysqld reads any other value as OFF, got \'yes\''));
  });

  test('binlog_format STATEMENT with replicas is refused', () => {
    expect(() => check({ binlog_format: 'statement' })).toThrow(exactly('test/shop: \'config.binlog_format\' must be ROW (or MIXED) when replicas > 1: replicas replay statements, and those MySQL cannot replay identically (UUID(), LIMIT without ORDER BY, ...) make them silently differ from the source, got \'statement\''));
    expect(check({ binlog_format: 'STATEMENT' }, 1)).toEqual({ binlog_format: 'STATEMENT' });
  });

  test('binlog_format MIXED with replicas warns; ROW does not', () => {
    expect(warnings({ binlog_format: 'MIXED' })).toEqual([
      '[WARNING] test/shop: \'config.binlog_format\' is MIXED: replicas stay identical to the source only as far as MySQL recognizes the statements it must log as rows; ROW (the default) has no such gap',
    ]);
    expect(warnings({ binlog_format: 'row' })).toEqual([]);
    expect(warnings({ binlog_format: 'MIXED' }, 1)).toEqual([]);
  });

  test('binlog_format and binlog_row_image mysqld does not know are refused', () => {
    expect(() => check({ binlog_format: 'BINARY' })).toThrow(exactly('test/shop: \'config.binlog_format\' must be one of ROW, MIXED, STATEMENT, got \'BINARY\''));
    expect(() => check({ binlog_row_image: 'PARTIAL' })).toThrow(exactly('test/shop: \'config.binlog_row_image\' must be one of FULL, MINIMAL, NOBLOB, got \'PARTIAL\''));
    expect(check({ binlog_row_image: 'minimal' })).toEqual({ binlog_row_image: 'minimal' });
  });

  test('binlog retention comes from the binlogRetention prop', () => {
    for (const key of ['binlog_expire_logs_seconds', 'expire-logs-days']) {
      expect(() => check({ [key]: '0' })).toThrow(exactly(`test/shop: 'config.${key}' is set from the binlogRetention prop (at least an hour: 0 would keep binary logs forever and fill the volume); use binlogRetention instead, got '0'`));
    }
  });

  test('binary logs that are never purged are refused', () => {
    expect(() => check({ binlog_expire_logs_auto_purge: 'OFF' })).toThrow(exactly('test/shop: \'config.binlog_expire_logs_auto_purge\' must stay ON: binary logs would never be purged and would fill the volume, got \'OFF\''));
    expect(check({ binlog_expire_logs_auto_purge: 'ON' })).toEqual({ binlog_expire_logs_auto_purge: 'ON' });
  });
});

describe('durability', () => {
  test.each(['0', '100'])('sync_binlog %s warns', (value) => {
    expect(warnings({ sync_binlog: value }, 1)).toEqual([
      `[WARNING] test/shop: 'config.sync_binlog' is ${value}: the binary log is not flushed at every commit, so a crash of the node can lose acknowledged transactions from it, and replicas may hold transactions the restarted source lost`,
    ]);
  });

  test('sync_binlog 1 does not warn; one that is no number is refused', () => {
    expect(warnings({ sync_binlog: '1' })).toEqual([]);
    expect(() => check({ sync_binlog: 'always' })).toThrow(exactly('test/shop: \'config.sync_binlog\' must be a whole number from 0 to 4294967295, got \'always\''));
  });

  test.each([['0', 'of mysqld'], ['2', 'of the node']])('innodb_flush_log_at_trx_commit %s warns', (value, what) => {
    expect(warnings({ innodb_flush_log_at_trx_commit: value }, 1)).toEqual([
      `[WARNING] test/shop: 'config.innodb_flush_log_at_trx_commit' is ${value}: the redo log is flushed about once a second instead of at every commit, so a crash (${what}) loses up to a second of acknowledged transactions`,
    ]);
  });

  test('innodb_flush_log_at_trx_commit 1 does not warn; 3 is refused', () => {
    expect(warnings({ innodb_flush_log_at_trx_commit: '1' })).toEqual([]);
    expect(() => check({ innodb_flush_log_at_trx_commit: '3' })).toThrow(exactly('test/shop: \'config.innodb_flush_log_at_trx_commit\' must be one of 0, 1, 2, got \'3\''));
  });

  test.each([['innodb_doublewrite', 'OFF'], ['innodb-doublewrite', 'detect_only'], ['innodb_doublewrite', '0'], ['skip-innodb-doublewrite', '']])('%s=%p is refused, on any topology', (key, value) => {
    expect(() => check({ [key]: value }, 1)).toThrow(exactly(`test/shop: 'config.${key}' must stay ON (or DETECT_AND_RECOVER): without the doublewrite buffer, a page torn by a crash cannot be recovered, got '${value}'`));
  });

  test('innodb_doublewrite ON or DETECT_AND_RECOVER passes', () => {
    expect(check({ innodb_doublewrite: 'DETECT_AND_RECOVER' })).toEqual({ innodb_doublewrite: 'DETECT_AND_RECOVER' });
    expect(check({ innodb_doublewrite: 'on' })).toEqual({ innodb_doublewrite: 'on' });
  });
});

describe('replicas that differ from the source', () => {
  test.each(['all', '1062', 'ddl_exist_errors'])('replica_skip_errors %s with replicas is refused', (value) => {
    expect(() => check({ 'slave-skip-errors': value })).toThrow(exactly(`test/shop: 'config.slave-skip-errors' must be OFF when replicas > 1: a replica that skips a failing event silently differs from the source, and a failover to it loses data, got '${value}'`));
  });

  test('replica_skip_errors OFF, or any on a single server, passes', () => {
    expect(check({ replica_skip_errors: 'OFF' })).toEqual({ replica_skip_errors: 'OFF' });
    expect(check({ replica_skip_errors: 'all' }, 1)).toEqual({ replica_skip_errors: 'all' });
  });

  test('replica_exec_mode IDEMPOTENT with replicas is refused', () => {
    expect(() => check({ replica_exec_mode: 'IDEMPOTENT' })).toThrow(exactly('test/shop: \'config.replica_exec_mode\' must be STRICT when replicas > 1: IDEMPOTENT hides duplicate-key and missing-row errors, so a replica can silently differ from the source, got \'IDEMPOTENT\''));
    expect(check({ replica_exec_mode: 'STRICT' })).toEqual({ replica_exec_mode: 'STRICT' });
    expect(() => check({ replica_exec_mode: 'LAX' }, 1)).toThrow(exactly('test/shop: \'config.replica_exec_mode\' must be one of STRICT, IDEMPOTENT, got \'LAX\''));
  });

  test.each(['replicate-do-db', 'replicate_ignore_table', 'replicate_wild_do_table', 'replicate_rewrite_db'])('filter %s with replicas is refused', (key) => {
    expect(() => check({ [key]: 'shop' })).toThrow(exactly(`test/shop: 'config.${key}' cannot be used when replicas > 1: every replica is a failover target and must hold all the data, got 'shop'`));
  });

  test.each(['binlog_do_db', 'binlog-ignore-db'])('binary log filter %s with replicas is refused', (key) => {
    expect(() => check({ [key]: 'shop' })).toThrow(exactly(`test/shop: 'config.${key}' cannot be used when replicas > 1: every replica is a failover target and must hold all the data (the source would not log what this filters out), got 'shop'`));
  });

  test('filters on a single server pass', () => {
    expect(check({ replicate_do_db: 'shop' }, 1)).toEqual({ replicate_do_db: 'shop' });
  });

  test('a default storage engine the CLONE plugin does not copy is refused with replicas', () => {
    expect(() => check({ default_storage_engine: 'MyISAM' })).toThrow(exactly('test/shop: \'config.default_storage_engine\' must be InnoDB when replicas > 1: new replicas are cloned with the CLONE plugin, which copies InnoDB data only (tables of other engines arrive empty), got \'MyISAM\''));
    expect(check({ default_storage_engine: 'innodb' })).toEqual({ default_storage_engine: 'innodb' });
    expect(check({ default_storage_engine: 'MyISAM' }, 1)).toEqual({ default_storage_engine: 'MyISAM' });
  });
});

describe('the multi-threaded applier', () => {
  test('DATABASE with the commit order preserved (the default) is refused', () => {
    expect(() => check({ replica_parallel_type: 'DATABASE' })).toThrow(exactly('test/shop: \'config.replica_parallel_type\' DATABASE needs \'config.replica_preserve_commit_order\': \'OFF\' (ON, the default from 8.0.27, requires LOGICAL_CLOCK): replication would not start, got \'DATABASE\''));
    expect(() => check({ 'slave-parallel-type': 'database', 'replica_preserve_commit_order': 'ON' })).toThrow(/'config.slave-parallel-type' DATABASE needs 'config.replica_preserve_commit_order': 'OFF'/);
  });

  test('DATABASE with the commit order not preserved passes, with the warning about order', () => {
    expect(warnings({ replica_parallel_type: 'DATABASE', replica_preserve_commit_order: 'OFF' })).toEqual([
      '[WARNING] test/shop: \'config.replica_preserve_commit_order\' is OFF with a multi-threaded applier: replicas commit transactions out of the source\'s order, so reads from the read-only Service can see a transaction without one committed before it',
    ]);
  });

  test('the commit order not preserved with one applier thread does not warn', () => {
    expect(warnings({ replica_preserve_commit_order: 'OFF', replica_parallel_workers: '1' })).toEqual([]);
    expect(warnings({ replica_preserve_commit_order: 'OFF' }, 1)).toEqual([]);
  });

  test('values mysqld does not take are refused', () => {
    expect(() => check({ replica_parallel_workers: '2000' })).toThrow(exactly('test/shop: \'config.replica_parallel_workers\' must be a whole number from 0 to 1024, got \'2000\''));
    expect(() => check({ replica_parallel_type: 'TABLE' })).toThrow(exactly('test/shop: \'config.replica_parallel_type\' must be one of LOGICAL_CLOCK, DATABASE, got \'TABLE\''));
  });

  test('LOGICAL_CLOCK with workers passes without a warning', () => {
    expect(warnings({ replica_parallel_type: 'LOGICAL_CLOCK', replica_parallel_workers: '8', replica_preserve_commit_order: 'ON' })).toEqual([]);
  });
});
