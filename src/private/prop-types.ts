import { IConstruct } from 'constructs';
import { ClassOf, requireArray, requireBoolean, requireInstance, requireKnownKeys, requireNumber, requireRecord, requireString, requireStringRecord } from './guards';

/**
 * Props checked from a table, for constructs with many props (the engines): one line per prop
 * says what it must hold, and keys the table does not name are refused. Built on the guards.
 */

/** A class whose instances a prop must hold, and how users make one (for the message). */
export interface InstanceKind {
  readonly type: ClassOf<unknown>;
  readonly example: string;
}

/** What one prop must hold; 'checked-elsewhere' names a known prop whose owner checks it (a version class). */
export type PropKind = 'string' | 'integer' | 'number' | 'boolean' | 'string-map' | 'object' | 'array' | 'checked-elsewhere' | InstanceKind;

/** An {@link InstanceKind}: `instanceOf(Size, 'Size.gibibytes(10)')`. */
export function instanceOf(type: ClassOf<unknown>, example: string): InstanceKind {
  return { type, example };
}

/** Refuses `value` unless it is of `kind`; `undefined` (an optional prop left unset) passes. */
export function requireKind(scope: IConstruct, prop: string, value: unknown, kind: PropKind): void {
  if (value === undefined || kind === 'checked-elsewhere') { return; }
  switch (kind) {
    case 'string': requireString(scope, prop, value); break;
    // Ranges (and NaN) are the caller's to check, with its own message; here only the kind.
    case 'integer': if (typeof value !== 'number') { requireNumber(scope, prop, value); } break;
    case 'number': requireNumber(scope, prop, value); break;
    case 'boolean': requireBoolean(scope, prop, value); break;
    case 'string-map': requireStringRecord(scope, prop, value); break;
    case 'object': requireRecord(scope, prop, value); break;
    case 'array': requireArray(scope, prop, value); break;
    default: requireInstance(scope, prop, value, kind.type, kind.example);
  }
}

/**
 * Checks every prop of `props` against `kinds` and refuses keys that `kinds` does not name: a
 * misspelt prop from JavaScript must not be ignored silently. `prefix` names the struct ('' for a
 * construct's props).
 */
export function requireProps(scope: IConstruct, prefix: string, props: unknown, kinds: { [prop: string]: PropKind }): void {
  if (props === undefined) { return; }
  const record = requireRecord(scope, prefix === '' ? 'props' : prefix, props);
  requireKnownKeys(scope, prefix, record, Object.keys(kinds));
  for (const [key, value] of Object.entries(record)) {
    requireKind(scope, prefix === '' ? key : `${prefix}.${key}`, value, kinds[key]);
  }
}
