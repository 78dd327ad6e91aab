import { Size, SizeRoundingBehavior } from 'cdk8s';
import { IConstruct } from 'constructs';
import { invalid } from './errors';
import { AccessMode } from '../storage/access-mode';

/** A size must be a positive quantity. */
export function requirePositiveSize(scope: IConstruct, prop: string, size: Size): void {
  const kib = size.toKibibytes({ rounding: SizeRoundingBehavior.NONE });
  if (!(kib > 0) || !Number.isFinite(kib)) {
    invalid(scope, prop, 'must be a positive size such as Size.gibibytes(10)', `${kib} KiB`);
  }
}

/** Every requested access mode must be one the storage can serve. */
export function requireAccessModes(scope: IConstruct, prop: string, wanted: AccessMode[], supported: AccessMode[], what: string): void {
  if (wanted.length === 0) {
    invalid(scope, prop, 'must list at least one access mode');
  }
  for (const mode of wanted) {
    if (!supported.includes(mode)) {
      invalid(scope, prop, `asks for ${mode}, which ${what} cannot serve; valid: ${supported.join(', ')}`);
    }
  }
}
