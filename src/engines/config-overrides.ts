import { IConstruct } from 'constructs';
import { invalid } from '../private/errors';
import { describeValue } from '../private/guards';

/*
 * What every engine's `config` overrides must be before its own rules read them: a plain object
 * (a dict from Python) of setting names to strings. Values from Python or JavaScript arrive
 * untyped, so a number or a boolean gets a clear error here, never a TypeError in a renderer.
 */

/** The entries of `config`, which must be a plain object, or absent. */
export function configEntries(scope: IConstruct, config: unknown): Array<[string, unknown]> {
  if (config === undefined || config === null) { return []; }
  const proto = typeof config === 'object' && !Array.isArray(config) ? Object.getPrototypeOf(config) : undefined;
  if (proto !== Object.prototype && proto !== null) {
    invalid(scope, 'config', `must be an object of setting names to string values, got ${describeValue(config)}`);
  }
  return Object.entries(config as object);
}

/** The value of one override, which must be a string: numbers and booleans too ('64', 'true'). */
export function configText(scope: IConstruct, key: string, value: unknown): string {
  if (typeof value !== 'string') {
    invalid(scope, `config.${key}`, `must be a string (numbers and booleans too, quoted: '64', 'true'), got ${describeValue(value)}`);
  }
  return value;
}

/**
 * A configuration file as every renderer writes it: a header comment, then one line per setting
 * in sorted order, so that the same input always gives the same bytes (and the same checksum).
 */
export function renderSettings(header: string, settings: { [key: string]: string }, line: (key: string, value: string) => string): string {
  return [header, ...Object.keys(settings).sort().map((key) => line(key, settings[key])), ''].join('\n');
}

/** The overrides as strings, each passed to the engine's `check` of one setting first. */
export function configSettings(scope: IConstruct, config: unknown, check: (key: string, value: string) => void): { [key: string]: string } {
  const settings: { [key: string]: string } = {};
  for (const [key, value] of configEntries(scope, config)) {
    const text = configText(scope, key, value);
    check(key, text);
    settings[key] = text;
  }
  return settings;
}
