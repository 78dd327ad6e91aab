import { parseBoolean, validateConfig, walSenders } from '../../../src/engines/postgres/config';
import { childScope, exactly, warningsOf } from '../../util';

process.env.CDK8S_STATEFUL_QUIET = '1';

/** A scope at `test/orders`, as a Postgres construct would be. */
const scope = () => childScope('orders');

function check(config: unknown, replicas = 3, synchronous = true): { [key: string]: string } {
  return validateConfig(scope(), config, { replicas, synchronous });
}

/** The warnings validateConfig leaves on its scope. */
function warnings(config: unknown, replicas = 3, synchronous = true): string[] {
  const s = scope();
  validateConfig(s, config, { replicas, synchronous });
  return warningsOf(s);
}

describe('names', () => {
  test('a name postgresql.conf cannot hold is refused', () => {
    expect(() => check({ 'bad key': '1' })).toThrow(exactly('test/orders: \'config.bad key\' must be a postgresql.conf setting name (letters, digits, _ and .)'));
  });

  test.each([
    'port', 'PORT', 'listen_addresses', 'hba_file', 'data_directory', 'config_file', 'unix_socket_directories',
    'primary_conninfo', 'primary_slot_name', 'synchronous_standby_names', 'restore_command', 'recovery_target_time', 'cluster_name',
    'ssl', 'SSL_CERT_FILE', 'ssl_key_file', 'ssl_ca_file',
  ])('managed %s is refused, in any case', (key) => {
    expect(() => check({ [key]: 'x' })).toThrow(exactly(`test/orders: 'config.${key}' is managed by the construct or Patroni (the pods, replication and failover rely on it); managed: cluster_name, config_file, data_directory, hba_file, ident_file, listen_addresses, port, primary_conninfo, primary_slot_name, recovery_target, recovery_target_lsn, recovery_target_name, recovery_target_time, recovery_target_xid, restore_command, ssl, ssl_ca_file, ssl_cert_file, ssl_key_file, synchronous_standby_names, unix_socket_directories`));
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

  test.each(['on', 'remote_write', 'remote_apply'])('synchronous_commit %s passes without a warning', (value) => {
    expect(warnings({ synchronous_commit: value })).toEqual([]);
  });

  test('synchronous_commit local warns with synchronous replication, whose promise it breaks, and not without', () => {
    expect(warnings({ synchronous_commit: 'local' })).toEqual([
      '[WARNING] test/orders: \'config.synchronous_commit\' is \'local\': commits no longer wait for the synchronous standby, so a failover may lose acknowledged commits despite synchronousReplication',
    ]);
    expect(warnings({ synchronous_commit: 'local' }, 3, false)).toEqual([]);
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

  test.each([1, 2])('wal_level minimal is refused with %i replica(s): Patroni adds standbys whenever replicas is raised', (replicas) => {
    expect(() => check({ wal_level: 'minimal', max_wal_senders: '0' }, replicas)).toThrow(exactly('test/orders: \'config.wal_level\' must be replica or logical: standbys stream the WAL, and Patroni adds one whenever replicas is raised, got \'minimal\''));
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

  test('max_replication_slots must hold a slot per other member and one for a clone', () => {
    expect(() => check({ max_replication_slots: '2' }, 3)).toThrow(exactly('test/orders: \'config.max_replication_slots\' must be at least 3 with 3 replicas: Patroni keeps a slot on the primary for each other member, and pg_basebackup takes one more while a standby is cloned, got \'2\''));
    expect(check({ max_replication_slots: '3' }, 3)).toEqual({ max_replication_slots: '3' });
    expect(check({ max_replication_slots: '0' }, 1)).toEqual({ max_replication_slots: '0' });
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

  test('archive_mode PostgreSQL does not know is refused', () => {
    expect(() => check({ archive_mode: 'sometimes' })).toThrow(exactly('test/orders: \'config.archive_mode\' must be one of on, off, always, true, false, yes, no, 1, 0, got \'sometimes\''));
  });

  test('an archive_mode with its command or library passes', () => {
    expect(check({ archive_mode: 'on', archive_command: 'cp %p /a/%f' })).toEqual({ archive_mode: 'on', archive_command: 'cp %p /a/%f' });
    expect(check({ archive_mode: 'always', archive_library: 'basic_archive', archive_command: '' })).toEqual({ archive_mode: 'always', archive_library: 'basic_archive', archive_command: '' });
    expect(check({ archive_mode: 'off' })).toEqual({ archive_mode: 'off' });
  });
});
