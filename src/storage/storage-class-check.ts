import { IConstruct } from 'constructs';
import { IStorageClass } from './storage-class';
import { invalid } from '../private/errors';
import { describeValue, requireString } from '../private/guards';
import { requireDnsSubdomain } from '../private/names';

// Beside IStorageClass, but not exported from the package: a check, not API.

/**
 * A storage class as a claim names it: a StorageClass construct or `fromStorageClassName`, whose
 * name Kubernetes accepts. A bare string (a name passed from JavaScript or Python) or null is
 * refused with how to make one.
 */
export function requireStorageClass(scope: IConstruct, prop: string, value: unknown): IStorageClass {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    invalid(scope, prop, `must be a storage class such as new StorageClass(...) or StorageClass.fromStorageClassName('ssd'), got ${describeValue(value)}`);
  }
  const name = requireString(scope, `${prop}.storageClassName`, (value as IStorageClass).storageClassName);
  requireDnsSubdomain(scope, `${prop}.storageClassName`, name);
  return value as IStorageClass;
}
