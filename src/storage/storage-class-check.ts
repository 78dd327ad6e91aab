import { IConstruct } from 'constructs';
import { requireCapabilities } from './provisioner-check';
import { IStorageClass } from './storage-class';
import { invalid } from '../private/errors';
import { describeValue, requireString } from '../private/guards';
import { requireDnsSubdomain } from '../private/names';

// Beside IStorageClass, but not exported from the package: a check, not API.

/**
 * A storage class as a claim names it: a StorageClass construct or `fromStorageClassName`, whose
 * name Kubernetes accepts, and whose capabilities, when given, are complete. A bare string (a name
 * passed from JavaScript or Python) or null is refused with how to make one.
 */
export function requireStorageClass(scope: IConstruct, prop: string, value: unknown): IStorageClass {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    invalid(scope, prop, `must be a storage class such as new StorageClass(...) or StorageClass.fromStorageClassName('ssd'), got ${describeValue(value)}`);
  }
  const name = requireString(scope, `${prop}.storageClassName`, (value as IStorageClass).storageClassName);
  requireDnsSubdomain(scope, `${prop}.storageClassName`, name);
  const capabilities = (value as IStorageClass).capabilities;
  if (capabilities !== undefined) {
    requireCapabilities(scope, `${prop}.capabilities`, capabilities);
  }
  return value as IStorageClass;
}
