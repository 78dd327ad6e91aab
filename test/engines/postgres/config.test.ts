import { parseBoolean, validateConfig, walSenders } from '../../../src/engines/postgres/config';
import { childScope, exactly, warningsOf } from '../../util';

process.env.CDK8S_STATEFUL_QUIET = '1';

/** A scope at `test/orders`, as a Postgres construct would be. */
const scope = () => childScope('orders');

function check(config: unknown, replicas = 3): { [key: string]: string } {
  return validateConfig(scope(), config, { replicas });
}

/** The warnings validateConfig leaves on its scope. */
function warnings(config: unknown, replicas = 3): string[] {
  const s = scope();
  validateConfig(s, config, { replicas });
  return warningsOf(s);
}

describe('names', () => {
  test('a name postgresql.conf cannot hold is refused', () => {
    expect(() => check({ 'bad key': '1' })).toThrow(exactly('test/orders: \'config.bad key\' must be a postgresql.conf setting name (letters, digits, _ and .)'));
  });

  test.each(['port', 'PORT', 'listen_addresses', 'hba_file', 'data_directory', 'config_file', 'unix_socket_directories'])('managed %s is refused, in any case', (key) => {
    expect(() => check({ [key]: 'x' })).toThrow(exactly(`test/orders: 'config.${key}' is managed by the construct (the probes, scripts and mounts rely on it); managed: config_file, data_directory, hba_file, listen_addresses, port, unix_socket_directories`));
  });

  test('a value on two lines is refused', () => {
    expect(() => check({ work_mem: '4MB\nport = 1' })).toThrow(exactly('test/orders: \'config.work_mem\' must be a single-line string, got \'4MB\nport = 1\''));
  });

  test('names are returned lower-case, so that they replace the tuned line of the same name', () => {
    expect(check({ 'Work_Mem': '64MB', 'auto_explain.log_min_duration': '1s' })).toEqual({ 'work_mem': '64MB', 'auto_explain.log_min_duration': '1s' });
  });

  test('one setting twice (names are case-insensitive) is refused', () => {
    expect(() => check({ WORK_MEM: '32MB', work_mem: '64MB' })).toThrow(exactly('test/orders: \'config.work_mem\' sets the same setting as \'config.WORK_MEM\': PostgreSQL setting names are case-insensitive, keep one'));
  });
});

describe('booleans, parsed as PostgreSQL parses them', () => {
  test.each([
    ['on', true], ['ON', true], ['true', true], ['t', true], ['TR', true], ['yes', true], ['y', true], ['1', true],
    ['off', false], ['Off', false], ['of', false], ['false', false], ['f', false], ['no', false], ['n', false], ['0', false],
    ['o', undefined], ['', undefined], ['2', undefined], ['yesno', undefined], [' on', undefined], ['enabled', undefined],
  ])('%p reads as %p', (text, value) => {
    expect(parseBoolean(text)).toBe(value);
  });

  test('a value that is no boolean is refused', () => {
    expect(() => check({ fsync: 'o' })).toThrow(exactly('test/orders: \'config.fsync\' must be a boolean: on, off, true, false, yes, no, 1 or 0, or a unique prefix of one, got \'o\''));
  });
});

describe('durability', () => {
  test.each(['off', 'false', 'NO', '0', 'of', 'f'])('fsync %s is refused', (value) => {
    expect(() => check({ fsync: value }, 1)).toThrow(exactly(`test/orders: 'config.fsync' must stay on: with fsync off, a crash of the node can corrupt the data files beyond repair (and every standby clones or streams from them), got '${value}'`));
  });

  test.each(['off', 'n'])('full_page_writes %s is refused', (value) => {
    expect(() => check({ full_page_writes: value }, 1)).toThrow(exactly(`test/orders: 'config.full_page_writes' must stay on: without full-page images, a page torn by a crash cannot be repaired from the WAL, got '${value}'`));
  });

  test('fsync and full_page_writes on are fine', () => {
    expect(check({ fsync: 'on', full_page_writes: 'yes' })).toEqual({ fsync: 'on', full_page_writes: 'yes' });
  });

  test.each(['off', 'OFF', 'false', '0', 'no'])('synchronous_commit %s is accepted with a warning', (value) => {
    expect(warnings({ synchronous_commit: value })).toEqual([
      `[WARNING] test/orders: 'config.synchronous_commit' is '${value}': commits are acknowledged before their WAL is flushed, so a crash of the primary loses the last acknowledged transactions (up to 3 × wal_writer_delay)`,
    ]);
  });

  test.each(['on', 'local', 'remote_write', 'remote_apply'])('synchronous_commit %s passes without a warning', (value) => {
    expect(warnings({ synchronous_commit: value })).toEqual([]);
  });

  test('synchronous_commit that PostgreSQL does not know is refused', () => {
    expect(() => check({ synchronous_commit: 'remote' })).toThrow(exactly('test/orders: \'config.synchronous_commit\' must be one of on, off, local, remote_write, remote_apply, true, false, yes, no, 1, 0, got \'remote\''));
  });
});

describe('replication', () => {
  test('the tuned configuration of every size passes its own checks', () => {
    for (let replicas = 1; replicas <= 12; replicas++) {
      expect(check({}, replicas)).toEqual({});
      // The tuned values written out as overrides: the rules hold for them too.
      const tuned = String(walSenders(replicas));
      expect(() => check({ max_wal_senders: tuned, max_replication_slots: tuned }, replicas)).not.toThrow();
    }
  });

  test('wal_level minimal with standbys is refused', () => {
    expect(() => check({ wal_level: 'minimal' }, 2)).toThrow(exactly('test/orders: \'config.wal_level\' must be replica or logical when replicas > 1: standbys stream the WAL, got \'minimal\''));
  });

  test('wal_level minimal on a single server needs max_wal_senders 0, which PostgreSQL requires', () => {
    expect(() => check({ wal_level: 'minimal' }, 1)).toThrow(exactly('test/orders: \'config.wal_level\' minimal also needs \'config.max_wal_senders\': \'0\': PostgreSQL does not start at wal_level minimal with WAL senders (tuned: 10), got \'minimal\''));
    expect(check({ wal_level: 'MINIMAL', max_wal_senders: '0' }, 1)).toEqual({ wal_level: 'MINIMAL', max_wal_senders: '0' });
  });

  test.each(['replica', 'logical', 'hot_standby', 'archive'])('wal_level %s is fine with standbys', (value) => {
    expect(check({ wal_level: value })).toEqual({ wal_level: value });
  });

  test('wal_level PostgreSQL does not know is refused', () => {
    expect(() => check({ wal_level: 'full' })).toThrow(exactly('test/orders: \'config.wal_level\' must be one of minimal, replica, logical, archive, hot_standby, got \'full\''));
  });

  test.each(['off', 'false', '0', 'no'])('hot_standby %s with standbys is refused', (value) => {
    expect(() => check({ hot_standby: value }, 2)).toThrow(exactly(`test/orders: 'config.hot_standby' must stay on when replicas > 1: a standby that accepts no connection never becomes Ready, got '${value}'`));
  });

  test('hot_standby off on a single server is fine (it has no standby)', () => {
    expect(check({ hot_standby: 'off' }, 1)).toEqual({ hot_standby: 'off' });
  });

  test('max_wal_senders must hold every standby and a clone', () => {
    expect(() => check({ max_wal_senders: '3' }, 3)).toThrow(exactly('test/orders: \'config.max_wal_senders\' must be at least 4 with 3 replicas: one WAL sender for each of the 2 standby(s) and 2 for a standby being cloned (pg_basebackup streams the backup and its WAL on two connections), got \'3\''));
    expect(check({ max_wal_senders: '4' }, 3)).toEqual({ max_wal_senders: '4' });
    expect(check({ max_wal_senders: '0' }, 1)).toEqual({ max_wal_senders: '0' });
  });

  test('max_wal_senders must be a whole number', () => {
    expect(() => check({ max_wal_senders: 'ten' })).toThrow(exactly('test/orders: \'config.max_wal_senders\' must be a whole number, got \'ten\''));
  });

  test('max_replication_slots 0 with standbys is refused: pg_basebackup needs a temporary slot', () => {
    expect(() => check({ max_replication_slots: '0' }, 2)).toThrow(exactly('test/orders: \'config.max_replication_slots\' must be at least 1 when replicas > 1: pg_basebackup streams a new standby\'s WAL through a temporary replication slot, got \'0\''));
    expect(check({ max_replication_slots: '1' }, 2)).toEqual({ max_replication_slots: '1' });
    expect(check({ max_replication_slots: '0' }, 1)).toEqual({ max_replication_slots: '0' });
  });

  test('primary_conninfo is refused: pg_basebackup writes it where it wins', () => {
    expect(() => check({ primary_conninfo: 'host=x' })).toThrow(exactly('test/orders: \'config.primary_conninfo\' is written into each standby\'s postgresql.auto.conf by pg_basebackup, which wins over postgresql.conf: a value here would be ignored, got \'host=x\''));
  });

  test('primary_slot_name is refused unless empty', () => {
    expect(() => check({ primary_slot_name: 'standby' })).toThrow(exactly('test/orders: \'config.primary_slot_name\' must be empty: the construct creates no replication slots, and every standby would ask for this one slot; a standby whose slot is missing or taken stops replicating, got \'standby\''));
    expect(check({ primary_slot_name: '' })).toEqual({ primary_slot_name: '' });
  });

  test.each(['0', '0MB', '0 GB'])('wal_keep_size %s with standbys warns', (value) => {
    expect(warnings({ wal_keep_size: value })).toEqual([
      `[WARNING] test/orders: 'config.wal_keep_size' is ${value}: the primary keeps no WAL for standbys, so a standby that falls behind by one checkpoint must be re-cloned`,
    ]);
  });

  test('wal_keep_size of some size, or 0 on a single server, does not warn', () => {
    expect(warnings({ wal_keep_size: '1GB' })).toEqual([]);
    expect(warnings({ wal_keep_size: '10MB' })).toEqual([]);
    expect(warnings({ wal_keep_size: '0' }, 1)).toEqual([]);
  });
});

describe('synchronous_standby_names', () => {
  const refused = (value: string, rule: string) => `test/orders: 'config.synchronous_standby_names' ${rule}, got '${value}'`;

  test.each([
    ['FIRST 3 (*)', 3, 'must wait for at most 2 standby(s), the standbys of 3 replica(s): every commit would wait forever'],
    ['ANY 2 (*)', 2, 'must wait for at most 1 standby(s), the standbys of 2 replica(s): every commit would wait forever'],
    ['*', 1, 'must wait for at most 0 standby(s), the standbys of 1 replica(s): every commit would wait forever'],
    ['ANY 2 ("orders-1")', 3, 'must wait for at most the 1 standby name(s) it lists: every commit would wait forever'],
    ['2 ("orders-1", "ORDERS-1")', 3, 'must wait for at most the 1 standby name(s) it lists: every commit would wait forever'],
    ['FIRST 0 (*)', 3, 'must wait for at least 1 standby (PostgreSQL refuses 0)'],
  ])('%s with %i replicas is refused', (value, replicas, rule) => {
    expect(() => check({ synchronous_standby_names: value }, replicas)).toThrow(exactly(refused(value, rule)));
  });

  test.each(['orders-1', 'ANY 1 (orders-1, orders-2)', 'FIRST 1 (first)', 'ANY 1 "a"', '1 (a'])('%s is no standby list PostgreSQL reads', (value) => {
    expect(() => check({ synchronous_standby_names: value })).toThrow(exactly(refused(value, 'must be a standby list: \'FIRST n (name, ...)\', \'ANY n (name, ...)\' or \'name, ...\'; standbys are named after their pods, and a name with \'-\' is double-quoted: \'ANY 1 ("orders-1", "orders-2")\'')));
  });

  test.each(['', '*', '"orders-1"', 'ANY 1 (*)', 'FIRST 1 ("orders-1", "orders-2")', 'any 1 (standby_a, standby_b)'])('%p with 3 replicas passes without a warning', (value) => {
    expect(warnings({ synchronous_standby_names: value })).toEqual([]);
  });

  test('waiting for every standby passes with a warning', () => {
    expect(warnings({ synchronous_standby_names: 'ANY 2 ("orders-0", "orders-1", "orders-2")' })).toEqual([
      '[WARNING] test/orders: \'config.synchronous_standby_names\' waits for every standby: commits stop whenever a standby is down, restarting or being re-cloned',
    ]);
  });
});

describe('archiving', () => {
  test('archive_mode on without a command or library is refused: WAL would pile up', () => {
    expect(() => check({ archive_mode: 'on' })).toThrow(exactly('test/orders: \'config.archive_mode\' needs \'config.archive_command\' or \'config.archive_library\': with neither, the primary keeps every WAL segment for the archiver until the volume is full and it stops, got \'on\''));
    expect(() => check({ archive_mode: 'always', archive_command: '  ' })).toThrow(/'config.archive_mode' needs/);
  });

  test('archive_command without archive_mode archives nothing and is refused', () => {
    expect(() => check({ archive_command: 'cp %p /archive/%f' })).toThrow(exactly('test/orders: \'config.archive_command\' has no effect unless \'config.archive_mode\' is on or always: nothing would be archived, got \'cp %p /archive/%f\''));
    expect(() => check({ archive_mode: 'off', archive_library: 'basic_archive' })).toThrow(/'config.archive_library' has no effect unless 'config.archive_mode' is on or always/);
  });

  test('archive_command and archive_library together are refused', () => {
    expect(() => check({ archive_mode: 'on', archive_command: 'cp %p /a/%f', archive_library: 'basic_archive' })).toThrow(exactly('test/orders: \'config.archive_library\' cannot be set together with \'config.archive_command\': PostgreSQL refuses to archive when both are set, got \'basic_archive\''));
  });

  test('archiving at wal_level minimal is refused', () => {
    expect(() => check({ wal_level: 'minimal', max_wal_senders: '0', archive_mode: 'on', archive_command: 'cp %p /a/%f' }, 1)).toThrow(exactly('test/orders: \'config.archive_mode\' cannot be on with wal_level minimal: PostgreSQL does not start, got \'on\''));
  });

  test('archive_mode PostgreSQL does not know is refused', () => {
    expect(() => check({ archive_mode: 'sometimes' })).toThrow(exactly('test/orders: \'config.archive_mode\' must be one of on, off, always, true, false, yes, no, 1, 0, got \'sometimes\''));
  });

  test('an archive_mode with its command or library passes', () => {
    expect(check({ archive_mode: 'on', archive_command: 'cp %p /a/%f' })).toEqual({ archive_mode: 'on', archive_command: 'cp %p /a/%f' });
    expect(check({ archive_mode: 'always', archive_library: 'basic_archive', archive_command: '' })).toEqual({ archive_mode: 'always', archive_library: 'basic_archive', archive_command: '' });
    expect(check({ archive_mode: 'off' })).toEqual({ archive_mode: 'off' });
  });
});
