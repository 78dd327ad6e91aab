import { IConstruct } from 'constructs';
import { invalid } from './errors';

/*
 * Run-time type guards for props. Python and plain JavaScript callers reach us without the
 * TypeScript types: a string where a number belongs, a dict where a `Size` belongs or a misspelt
 * key must meet a ValidationError naming the prop, never a TypeError from deep inside or silence.
 *
 * Every guard takes the construct (or, before one exists, the factory's name), the prop as the
 * user wrote it, and the value; it returns the value typed, or throws.
 */

/** Where an error is reported: a construct, or the name of a static factory. */
export type Where = IConstruct | string;

/** A class, for {@link requireInstance}; classes with private constructors (`Size`, `Duration`) too. */
export type ClassOf<T> = Function & { readonly prototype: T };

/** A string. */
export function requireString(scope: Where, prop: string, value: unknown): string {
  if (typeof value !== 'string') { wrongType(scope, prop, 'a string', value); }
  return value;
}

/** A finite number (use `requireInteger` from errors.ts for ranges of whole numbers). */
export function requireNumber(scope: Where, prop: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) { wrongType(scope, prop, 'a number', value); }
  return value;
}

/** true or false. */
export function requireBoolean(scope: Where, prop: string, value: unknown): boolean {
  if (typeof value !== 'boolean') { wrongType(scope, prop, 'true or false', value); }
  return value;
}

/**
 * An instance of `type`; `example` says how users make one (`'Size.gibibytes(10)'`).
 *
 * An object of a class with the same name also passes: two copies of one library (cdk8s installed
 * twice) make `instanceof` fail for values that are perfectly good.
 */
export function requireInstance<T>(scope: Where, prop: string, value: unknown, type: ClassOf<T>, example: string): T {
  const sameName = typeof value === 'object' && value !== null && (value as object).constructor?.name === type.name;
  if (!(value instanceof type) && !sameName) { wrongType(scope, prop, `${article(type.name)} ${type.name} such as ${example}`, value); }
  return value as T;
}

/** An array (its items are the caller's to check). `what` names the items: 'a list of containers'. */
export function requireArray(scope: Where, prop: string, value: unknown, what = 'a list'): unknown[] {
  if (!Array.isArray(value)) { wrongType(scope, prop, what, value); }
  return value;
}

/** A plain object of named props (a struct as jsii or JavaScript passes it). */
export function requireRecord(scope: Where, prop: string, value: unknown): { [key: string]: unknown } {
  if (!isPlainObject(value)) { wrongType(scope, prop, 'an object of named props', value); }
  return value as { [key: string]: unknown };
}

/** A map of strings to strings (labels, annotations, node selectors). */
export function requireStringRecord(scope: Where, prop: string, value: unknown): { [key: string]: string } {
  if (!isPlainObject(value)) { wrongType(scope, prop, 'a map of strings to strings', value); }
  for (const [key, v] of Object.entries(value as object)) {
    if (typeof v !== 'string') { wrongType(scope, `${prop}.${key}`, 'a string', v); }
  }
  return value as { [key: string]: string };
}

/** One of `allowed` (the values of a string enum: `Object.values(SpreadMode)`). */
export function requireOneOf<T extends string>(scope: Where, prop: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    invalid(scope, prop, `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describeValue(value)}`);
  }
  return value as T;
}

/**
 * Refuses keys of `obj` that are not in `knownKeys`: a typo from JavaScript (`replica: 3`) must not
 * be silently ignored. `prop` names the object ('' for a construct's props, 'volumeClaims[0]').
 * Keys whose value is `undefined` are refused too: `{ replica: undefined }` is still a typo.
 */
export function requireKnownKeys(scope: Where, prop: string, obj: object, knownKeys: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (knownKeys.includes(key)) { continue; }
    const near = knownKeys.filter((k) => editDistance(k.toLowerCase(), key.toLowerCase()) <= 2);
    const hint = near.length > 0 ? `did you mean ${near.map((k) => `'${k}'`).join(' or ')}? ` : '';
    const of = prop === '' ? '' : ` of '${prop}'`;
    invalid(scope, prop === '' ? key : `${prop}.${key}`,
      `is not a known prop${of}; ${hint}valid: ${[...knownKeys].sort().join(', ')}`);
  }
}

/**
 * The keys of a props interface, checked by the compiler against the interface: adding a prop
 * without listing it here is a compile error. `keysOf<StatefulWorkloadProps>({ containers: true, ... })`.
 */
export function keysOf<T>(keys: { readonly [K in keyof Required<T>]: true }): string[] {
  return Object.keys(keys);
}

/** `check(value)` unless `value` is undefined (an optional prop left unset). */
export function optional<T>(value: unknown, check: (value: unknown) => T): T | undefined {
  return value === undefined ? undefined : check(value);
}

/** A short rendering of any value for an error message: `'3' (a string)`, `a Size`, `an object with keys a, b`. */
export function describeValue(value: unknown): string {
  if (value === null) { return 'null'; }
  if (value === undefined) { return 'nothing'; }
  if (Array.isArray(value)) { return `a list of ${value.length}`; }
  switch (typeof value) {
    case 'string': return `'${value}' (a string)`;
    case 'number': return `${value} (a number)`;
    case 'boolean': return `${value} (a boolean)`;
    case 'object': {
      const name = (value as object).constructor?.name;
      if (name && name !== 'Object') { return `${article(name)} ${name}`; }
      const keys = Object.keys(value as object);
      return keys.length > 0 ? `an object with keys ${keys.join(', ')}` : 'an empty object';
    }
    default: return `a ${typeof value}`;
  }
}

function article(word: string): string {
  return /^[AEIOUaeiou]/.test(word) ? 'an' : 'a';
}

function wrongType(scope: Where, prop: string, expected: string, value: unknown): never {
  return invalid(scope, prop, `must be ${expected}, got ${describeValue(value)}`);
}

function isPlainObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) { return false; }
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
