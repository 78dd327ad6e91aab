import { Size } from 'cdk8s';
import {
  describeValue, keysOf, optional, requireArray, requireInstance, requireKnownKeys, requireOneOf, requireStringRecord,
} from '../../src/private/guards';

// The guards the engines reuse; the workload tests show them in context.
describe('guards', () => {
  test('an instance of a second copy of a class (cdk8s installed twice) passes; a look-alike object does not', () => {
    // A class of the same name from another copy of the library.
    const Copy = { Size: class { public toKibibytes() { return 1; } } };
    expect(() => requireInstance('f', 'size', new Copy.Size(), Size, 'Size.gibibytes(1)')).not.toThrow();
    expect(() => requireInstance('f', 'size', { toKibibytes: () => 1 }, Size, 'Size.gibibytes(1)'))
      .toThrow("f: 'size' must be a Size such as Size.gibibytes(1), got an object with keys toKibibytes");
  });

  test('unknown keys are refused even when their value is undefined, with the nearest valid keys', () => {
    expect(() => requireKnownKeys('f', 'opts', { repicas: undefined }, ['replicas', 'replicaSet', 'name']))
      .toThrow("f: 'opts.repicas' is not a known prop of 'opts'; did you mean 'replicas'? valid: name, replicaSet, replicas");
    expect(() => requireKnownKeys('f', '', { colour: 1 }, ['name']))
      .toThrow("f: 'colour' is not a known prop; valid: name");
    expect(() => requireKnownKeys('f', '', { name: 1 }, ['name'])).not.toThrow();
  });

  test('keysOf lists every key of an interface, optional ones too', () => {
    interface Props { readonly a: string; readonly b?: number }
    expect(keysOf<Props>({ a: true, b: true })).toEqual(['a', 'b']);
  });

  test('optional skips only undefined', () => {
    const check = (v: unknown) => requireArray('f', 'list', v);
    expect(optional(undefined, check)).toBeUndefined();
    expect(() => optional(null, check)).toThrow("f: 'list' must be a list, got null");
  });

  test('maps of strings name the bad entry; enums list their values', () => {
    expect(() => requireStringRecord('f', 'labels', { a: 'x', b: true })).toThrow("f: 'labels.b' must be a string, got true (a boolean)");
    expect(() => requireStringRecord('f', 'labels', new Map())).toThrow("f: 'labels' must be a map of strings to strings, got a Map");
    expect(() => requireOneOf('f', 'mode', 'fast', ['Fast', 'Slow'])).toThrow("f: 'mode' must be one of 'Fast', 'Slow', got 'fast' (a string)");
  });

  test.each([
    [[1, 2], 'a list of 2'],
    [{}, 'an empty object'],
    [Size.gibibytes(1), 'a Size'],
    [() => 1, 'a function'],
    [undefined, 'nothing'],
  ])('describeValue(%p)', (value, text) => {
    expect(describeValue(value)).toBe(text);
  });
});
