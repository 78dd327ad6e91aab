import { Size, SizeRoundingBehavior } from 'cdk8s';
import { IConstruct } from 'constructs';
import { invalid } from './errors';

/** A size must be a positive quantity. */
export function requirePositiveSize(scope: IConstruct, prop: string, size: Size): void {
  const kib = size.toKibibytes({ rounding: SizeRoundingBehavior.NONE });
  if (!(kib > 0) || !Number.isFinite(kib)) {
    invalid(scope, prop, 'must be a positive size such as Size.gibibytes(10)', `${kib} KiB`);
  }
}
