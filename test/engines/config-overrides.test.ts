import { IConstruct } from 'constructs';
import { validateConfig as cassandra } from '../../src/engines/cassandra/config';
import { configEntries, configSettings, configText, renderSettings } from '../../src/engines/config-overrides';
import { validateConfig as kafka } from '../../src/engines/kafka/config';
import { validateConfig as mongodb } from '../../src/engines/mongodb/config';
import { validateConfig as mysql } from '../../src/engines/mysql/config';
import { validateConfig as postgres } from '../../src/engines/postgres/config';
import { childScope, exactly } from '../util';

process.env.CDK8S_STATEFUL_QUIET = '1';

/*
 * The check every engine's `config` passes before its own rules: a plain object (a dict from
 * Python) of setting names to strings. Tested here once, and below on all five engines from one table.
 */

class Settings { public readonly work_mem = '64MB'; }

/** `config` values that are no object of settings, and how the message names them. */
const NOT_AN_OBJECT: Array<[string, unknown, string]> = [
  ['a number', 64, '64 (a number)'],
  ['a string', 'work_mem=64MB', '\'work_mem=64MB\' (a string)'],
  ['a boolean', true, 'true (a boolean)'],
  ['an empty list', [], 'a list of 0'],
  ['a list of pairs', [['work_mem', '64MB']], 'a list of 1'],
  ['a Map', new Map([['work_mem', '64MB']]), 'a Map'],
  ['an instance of a class', new Settings(), 'a Settings'],
  ['a function', () => ({ work_mem: '64MB' }), 'a function'],
];

/** Values of one setting that are no string, and how the message names them. */
const NOT_A_STRING: Array<[string, unknown, string]> = [
  ['a number', 64, '64 (a number)'],
  ['zero', 0, '0 (a number)'],
  ['true', true, 'true (a boolean)'],
  ['false', false, 'false (a boolean)'],
  ['null', null, 'null'],
  ['undefined', undefined, 'nothing'],
  ['a list', ['64MB'], 'a list of 1'],
  ['an object', { value: '64MB' }, 'an object with keys value'],
  ['a Map', new Map(), 'a Map'],
  ['a bigint', 64n, 'a bigint'],
];

const notAnObject = (path: string, got: string) => exactly(`${path}: 'config' must be an object of setting names to string values, got ${got}`);
const notAString = (path: string, key: string, got: string) =>
  exactly(`${path}: 'config.${key}' must be a string (numbers and booleans too, quoted: '64', 'true'), got ${got}`);

/** An object without a prototype, as some callers build a dict. */
function bare(entries: { [key: string]: unknown }): object {
  return Object.assign(Object.create(null), entries);
}

describe('configEntries', () => {
  test.each([[undefined], [null]])('%p is no entries', (config) => {
    expect(configEntries(childScope(), config)).toEqual([]);
  });

  test('an object gives its entries in order, values unchecked (that is configText\'s part)', () => {
    expect(configEntries(childScope(), { b: '2', a: 1 })).toEqual([['b', '2'], ['a', 1]]);
    expect(configEntries(childScope(), {})).toEqual([]);
  });

  test('an object without a prototype is an object of settings too', () => {
    expect(configEntries(childScope(), bare({ work_mem: '64MB' }))).toEqual([['work_mem', '64MB']]);
  });

  test.each(NOT_AN_OBJECT)('%s is refused by the scope\'s path', (_what, config, got) => {
    expect(() => configEntries(childScope('orders'), config)).toThrow(notAnObject('test/orders', got));
  });
});

describe('configText', () => {
  test.each(['64MB', '', ' padded ', 'two\nlines'])('the string %p comes back as it is (the engines judge its content)', (value) => {
    expect(configText(childScope(), 'work_mem', value)).toBe(value);
  });

  test.each(NOT_A_STRING)('%s is refused, naming the setting', (_what, value, got) => {
    expect(() => configText(childScope(), 'log.retention.hours', value)).toThrow(notAString('test/shop', 'log.retention.hours', got));
  });
});

describe('configSettings', () => {
  /** configSettings with a check that records its calls, and refuses the value 'bad'. */
  function settings(config: unknown): { result?: { [key: string]: string }; error?: Error; calls: string[][] } {
    const calls: string[][] = [];
    const check = (key: string, value: string) => {
      calls.push([key, value]);
      if (value === 'bad') { throw new Error(`check refused ${key}`); }
    };
    try {
      return { result: configSettings(childScope(), config, check), calls };
    } catch (error) {
      return { error: error as Error, calls };
    }
  }

  test('calls the check once per setting, in order, and returns the settings', () => {
    expect(settings({ b: '2', a: '1', c: '' })).toEqual({ result: { b: '2', a: '1', c: '' }, calls: [['b', '2'], ['a', '1'], ['c', '']] });
  });

  test.each([[undefined], [null], [{}]])('%p is no settings, and no call', (config) => {
    expect(settings(config)).toEqual({ result: {}, calls: [] });
  });

  test('a value that is no string is refused before its check, and stops the ones after it', () => {
    const { error, calls } = settings({ a: '1', b: 2, c: '3' });
    expect(error?.message).toMatch(notAString('test/shop', 'b', '2 (a number)'));
    expect(calls).toEqual([['a', '1']]);
  });

  test('a refusal of the check stops the settings after it', () => {
    const { error, calls } = settings({ a: '1', b: 'bad', c: '3' });
    expect(error?.message).toBe('check refused b');
    expect(calls).toEqual([['a', '1'], ['b', 'bad']]);
  });

  test('config that is not an object is refused before any check', () => {
    const { error, calls } = settings(['a']);
    expect(error?.message).toMatch(notAnObject('test/shop', 'a list of 1'));
    expect(calls).toEqual([]);
  });
});

describe('renderSettings', () => {
  const line = (key: string, value: string) => `${key}=${value}`;

  test('the header, then one line a setting sorted by name, then a newline', () => {
    expect(renderSettings('# header', { 'num.partitions': '3', 'log.retention.hours': '72', 'auto.create.topics.enable': 'false' }, line))
      .toBe('# header\nauto.create.topics.enable=false\nlog.retention.hours=72\nnum.partitions=3\n');
  });

  test('the same settings in another order give the same bytes', () => {
    expect(renderSettings('#', { b: '2', a: '1' }, line)).toBe(renderSettings('#', { a: '1', b: '2' }, line));
  });

  test('no settings is the header alone, with its newline', () => {
    expect(renderSettings('# header', {}, line)).toBe('# header\n');
  });

  test('each line is written by the engine\'s function, from its key and value', () => {
    expect(renderSettings('# yaml', { seeds: 'a, b', cluster_name: '\'ring\'' }, (key, value) => `${key}: ${value}`))
      .toBe('# yaml\ncluster_name: \'ring\'\nseeds: a, b\n');
  });
});

interface Engine {
  readonly validate: (scope: IConstruct, config: unknown) => { [key: string]: string };
  /** A setting the engine takes as it is, with a value that passes its rules. */
  readonly key: string;
  readonly value: string;
}

const ENGINES: { [name: string]: Engine } = {
  postgres: { validate: (s, c) => postgres(s, c, { replicas: 3, synchronous: true }), key: 'work_mem', value: '64MB' },
  mysql: { validate: (s, c) => mysql(s, c, { replicas: 3 }), key: 'max_connections', value: '200' },
  mongodb: { validate: (s, c) => mongodb(s, c, { members: 3, arbiter: false }), key: 'operationProfiling.slowOpThresholdMs', value: '200' },
  cassandra: { validate: (s, c) => cassandra(s, c, { nodes: 3, racks: 1 }), key: 'concurrent_reads', value: '64' },
  kafka: { validate: (s, c) => kafka(s, c, { brokers: 3 }), key: 'log.retention.hours', value: '168' },
};

describe.each(Object.entries(ENGINES))('%s validateConfig', (_name, { validate, key, value }) => {
  test('its valid setting comes back unchanged, from a plain object or one without a prototype', () => {
    expect(validate(childScope(), { [key]: value })).toEqual({ [key]: value });
    expect(validate(childScope(), bare({ [key]: value }))).toEqual({ [key]: value });
  });

  test.each([['undefined', undefined], ['null', null], ['{}', {}], ['a bare {}', bare({})]])('%s is no override', (_what, config) => {
    expect(validate(childScope(), config)).toEqual({});
  });

  test.each(NOT_AN_OBJECT)('config that is %s is refused', (_what, config, got) => {
    expect(() => validate(childScope(), config)).toThrow(notAnObject('test/shop', got));
  });

  test.each(NOT_A_STRING)('a value that is %s is refused by its setting\'s name', (_what, bad, got) => {
    expect(() => validate(childScope(), { [key]: bad })).toThrow(notAString('test/shop', key, got));
  });
});
