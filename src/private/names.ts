import { IConstruct } from 'constructs';
import { invalid } from './errors';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * A name that must be an RFC 1123 DNS label of at most `max` characters: Services, StatefulSets
 * (whose pods are `<name>-<ordinal>` and whose revisions carry `<name>-<hash>` in a label value)
 * and every name that ends up in a DNS record.
 */
export function requireDnsLabel(scope: IConstruct, prop: string, name: string, max = 63): string {
  if (name.length === 0 || name.length > max || !DNS_LABEL.test(name)) {
    invalid(scope, prop, `must be a DNS label (lower-case letters, digits and '-', starting and ending with a letter or digit) of at most ${max} characters`, name);
  }
  return name;
}

/** Names of ConfigMaps, Secrets, StorageClasses and PersistentVolumes: DNS subdomains of at most 253 characters. */
export function requireDnsSubdomain(scope: IConstruct, prop: string, name: string): string {
  if (name.length === 0 || name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    invalid(scope, prop, 'must be a DNS subdomain (lower-case letters, digits, \'-\' and \'.\') of at most 253 characters', name);
  }
  return name;
}
