import { IConstruct } from 'constructs';
import type { SecretKeyReference } from './backup-repository';
import { invalid } from '../../private/errors';
import { requireDnsSubdomain, requireSecretKeyName } from '../../private/names';
import { requireProps } from '../../private/prop-types';

/** A {@link SecretKeyReference} given as a prop, checked. */
export function requireSecretKey(scope: IConstruct, prop: string, value: unknown): SecretKeyReference {
  if (value === undefined) { invalid(scope, prop, "is required: { secretName: '...', key: '...' }"); }
  requireProps(scope, prop, value, { secretName: 'string', key: 'string' });
  const ref = value as SecretKeyReference;
  if (ref.secretName === undefined || ref.key === undefined) {
    invalid(scope, prop, 'needs both secretName and key', value);
  }
  requireDnsSubdomain(scope, `${prop}.secretName`, ref.secretName);
  requireSecretKeyName(scope, `${prop}.key`, ref.key);
  return ref;
}

