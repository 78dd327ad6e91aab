import { Duration } from 'cdk8s';
import { IConstruct } from 'constructs';
import { invalid } from './errors';

/**
 * A Duration that Kubernetes takes in whole seconds (grace periods, probe budgets, retention):
 * `Duration.toSeconds()` throws a bare Error for 30.5 s, so it is checked here with the prop.
 */
export function requireWholeSeconds(scope: IConstruct, prop: string, duration: Duration, min: number, max: number, why: string): number {
  const seconds = duration.toMilliseconds() / 1000;
  if (!Number.isInteger(seconds) || seconds < min || seconds > max) {
    invalid(scope, prop, `must be whole seconds from ${min} s to ${max} s: ${why}`, `${seconds} s`);
  }
  return seconds;
}
