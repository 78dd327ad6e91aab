import { IConstruct } from 'constructs';

/**
 * Thrown for input that cannot produce a correct manifest. Synthesis stops, so no YAML is written.
 *
 * The message always names the construct path, the prop and what would be valid:
 * `shop/orders: 'replicas' must be a positive integer, got 2.5`.
 */
export class ValidationError extends Error {
  /**
   * @param scope the construct whose prop is wrong, or, where there is no construct yet (a static
   *   factory such as `NetworkPeer.pods`), the name of the factory
   */
  constructor(scope: IConstruct | string, prop: string, rule: string, got?: unknown) {
    const suffix = got === undefined ? '' : `, got ${describe(got)}`;
    const where = typeof scope === 'string' ? scope : scope.node.path;
    super(`${where}: '${prop}' ${rule}${suffix}`);
    this.name = 'ValidationError';
  }
}

/** Throws a {@link ValidationError}; typed `never` so callers can use it in expressions. */
export function invalid(scope: IConstruct | string, prop: string, rule: string, got?: unknown): never {
  throw new ValidationError(scope, prop, rule, got);
}

function describe(value: unknown): string {
  if (typeof value === 'string') { return `'${value}'`; }
  if (typeof value === 'number' || typeof value === 'boolean') { return String(value); }
  return JSON.stringify(value);
}

/** `replicas`, `brokers` and friends: whole numbers from `min` up. */
export function requireInteger(scope: IConstruct, prop: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    invalid(scope, prop, min === 1 ? 'must be a positive integer' : `must be an integer of at least ${min}`, value);
  }
  return value;
}

/**
 * A synth-time warning for a choice that is legal but risky. cdk8s has no annotations mechanism,
 * so warnings go to stderr once per message, and are kept on the construct's metadata for tests.
 */
export function warn(scope: IConstruct, message: string): void {
  const text = `[WARNING] ${scope.node.path}: ${message}`;
  scope.node.addMetadata('cdk8s-stateful:warning', text);
  if (!printed.has(text)) {
    printed.add(text);
    if (!process.env.CDK8S_STATEFUL_QUIET) { process.stderr.write(text + '\n'); }
  }
}
const printed = new Set<string>();

/** {@link warn}, but at most once on `scope`: for a fact about a whole chart that many constructs see. */
export function warnOnce(scope: IConstruct, message: string): void {
  const text = `[WARNING] ${scope.node.path}: ${message}`;
  if (!scope.node.metadata.some((m) => m.type === 'cdk8s-stateful:warning' && m.data === text)) {
    warn(scope, message);
  }
}

/** A TCP/UDP port: a whole number from 1 to 65535. */
export function requirePortNumber(scope: IConstruct | string, prop: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    invalid(scope, prop, 'must be a port number, an integer from 1 to 65535', value);
  }
  return value;
}
