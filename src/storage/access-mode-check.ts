import { IConstruct } from 'constructs';
import { AccessMode } from './access-mode';
import { invalid } from '../private/errors';

// Beside AccessMode, but not exported from the package: a check, not API.

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
