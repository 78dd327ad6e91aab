import { mongodOptions, validateConfig } from '../../../src/engines/mongodb/config';
import { childScope, exactly } from '../../util';

/** A scope at `test/orders`, as a MongoDb construct would be. */
const scope = () => childScope('orders');

function check(config: unknown, members = 3, arbiter = false): { [key: string]: string } {
  return validateConfig(scope(), config, { members, arbiter });
}

const MANAGED = 'net.port, net.bindIp, net.bindIpAll, processManagement.fork, replication.replSetName, security.authorization, security.keyFile, security.clusterAuthMode, storage.dbPath, systemLog.destination, systemLog.path';

describe('names', () => {
  test('valid overrides come back unchanged', () => {
    const config = { 'operationProfiling.mode': 'slowOp', 'replication.oplogSizeMB': '2048', 'storage.wiredTiger.engineConfig.cacheSizeGB': '1.5' };
    expect(check(config)).toEqual(config);
  });

  test('a key that is no dotted option path is refused', () => {
    expect(() => check({ 'net port': '1' })).toThrow(exactly('test/orders: \'config.net port\' must be a dotted mongod.conf option path such as \'operationProfiling.slowOpThresholdMs\' (letters, digits and \'_\' between the dots), got \'net port\''));
  });

  test.each(['replication.replSetName', 'security.keyFile', 'storage.dbPath', 'net.bindIp', 'security', 'net', 'systemLog.path'])('managed %s (or a section holding one) is refused', (key) => {
    expect(() => check({ [key]: 'x' })).toThrow(exactly(`test/orders: 'config.${key}' is managed by the construct, or holds an option it manages: the replica-set bootstrap depends on it (managed: ${MANAGED})`));
  });

  test('an option together with its own section is refused', () => {
    expect(() => check({ 'operationProfiling': 'x', 'operationProfiling.mode': 'off' })).toThrow(exactly('test/orders: \'config.operationProfiling.mode\' cannot be set together with \'config.operationProfiling\': one is a section of the other'));
  });

  test('the renderer refuses the same names', () => {
    expect(() => mongodOptions(scope(), 'rs', { 'security.keyFile': '/k' })).toThrow(/'config.security.keyFile' is managed by the construct/);
    expect(mongodOptions(scope(), 'rs', { 'operationProfiling.mode': 'slowOp' })['operationProfiling.mode']).toBe('slowOp');
  });
});

describe('durability', () => {
  test.each(['false', 'true'])('storage.journal.enabled %s is refused', (value) => {
    expect(() => check({ 'storage.journal.enabled': value })).toThrow(exactly(`test/orders: 'config.storage.journal.enabled' cannot be set: MongoDB 6.1 and later always journal and do not start with this option, and 6.0 without a journal loses acknowledged writes on a crash, got '${value}'`));
  });

  test.each(['writeConcernMajorityJournalDefault', 'replication.writeConcernMajorityJournalDefault'])('%s is refused: it is not a mongod.conf option', (key) => {
    expect(() => check({ [key]: 'false' })).toThrow(exactly(`test/orders: 'config.${key}' is a field of the replica-set configuration (rs.conf()), not a mongod.conf option: mongod would not start. Leave it true: false lets writes acknowledged by a majority be lost when members crash together, got 'false'`));
  });

  test.each(['100', '989', '1073741825', '1.5e3', 'big'])('replication.oplogSizeMB %s is refused', (value) => {
    expect(() => check({ 'replication.oplogSizeMB': value })).toThrow(exactly(`test/orders: 'config.replication.oplogSizeMB' must be a whole number of MB from 990 (MongoDB's smallest oplog) to 1073741824 (1 PB): a member that falls further behind than the oplog reaches must be resynced from scratch, got '${value}'`));
  });

  test.each(['990', '51200', '1073741824'])('replication.oplogSizeMB %s passes', (value) => {
    expect(check({ 'replication.oplogSizeMB': value })).toEqual({ 'replication.oplogSizeMB': value });
  });

  test('storage engines other than wiredTiger are refused', () => {
    expect(() => check({ 'storage.engine': 'inMemory' })).toThrow(exactly('test/orders: \'config.storage.engine\' must be wiredTiger: the official image has no other storage engine (inMemory is MongoDB Enterprise and keeps no data across a restart), got \'inMemory\''));
    expect(check({ 'storage.engine': 'wiredTiger' })).toEqual({ 'storage.engine': 'wiredTiger' });
  });

  test('storage.journal.commitIntervalMs outside 1 to 500 is refused', () => {
    for (const value of ['0', '501', '100.5']) {
      expect(() => check({ 'storage.journal.commitIntervalMs': value })).toThrow(exactly(`test/orders: 'config.storage.journal.commitIntervalMs' must be a whole number of milliseconds from 1 to 500, got '${value}'`));
    }
    expect(check({ 'storage.journal.commitIntervalMs': '50' })).toEqual({ 'storage.journal.commitIntervalMs': '50' });
  });

  test('a cache size mongod does not take is refused', () => {
    for (const value of ['0.1', '20000', 'auto']) {
      expect(() => check({ 'storage.wiredTiger.engineConfig.cacheSizeGB': value })).toThrow(exactly(`test/orders: 'config.storage.wiredTiger.engineConfig.cacheSizeGB' must be a number of GB from 0.25 to 10000, got '${value}'`));
    }
  });
});

describe('members that could not join the set', () => {
  test('enableMajorityReadConcern false is refused (and the message knows about arbiters)', () => {
    expect(() => check({ 'replication.enableMajorityReadConcern': 'false' })).toThrow(exactly('test/orders: \'config.replication.enableMajorityReadConcern\' must stay true: MongoDB 5.0 and later do not start with it false, got \'false\''));
    expect(() => check({ 'replication.enableMajorityReadConcern': 'false' }, 2, true)).toThrow(exactly('test/orders: \'config.replication.enableMajorityReadConcern\' must stay true: MongoDB 5.0 and later do not start with it false (the old advice for primary-secondary-arbiter sets no longer applies), got \'false\''));
    expect(check({ 'replication.enableMajorityReadConcern': 'true' })).toEqual({ 'replication.enableMajorityReadConcern': 'true' });
  });

  test.each(['false', '0'])('the localhost exception turned off (%s) is refused', (value) => {
    expect(() => check({ 'setParameter.enableLocalhostAuthBypass': value })).toThrow(exactly(`test/orders: 'config.setParameter.enableLocalhostAuthBypass' must stay true: the replica-set agent initiates the set and creates the root user through the localhost exception, got '${value}'`));
  });

  test.each([['net.tls.mode', 'requireTLS'], ['net.ssl.mode', 'requireSSL']])('%s %s is refused', (key, value) => {
    expect(() => check({ [key]: value })).toThrow(exactly(`test/orders: 'config.${key}' cannot require TLS without the tls prop: the replica-set agent and the probes would connect without TLS, so no member would become ready or join the set; set tls instead, got '${value}'`));
  });

  test('TLS that still takes plain connections passes', () => {
    expect(check({ 'net.tls.mode': 'preferTLS' })).toEqual({ 'net.tls.mode': 'preferTLS' });
  });
});
