import { IConstruct } from 'constructs';
import { invalid } from './errors';
import { requireString, requireStringRecord } from './guards';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const PORT_NAME = /^[a-z0-9]([a-z0-9]|-(?!-))*[a-z0-9]$|^[a-z]$/;

/**
 * A name that must be an RFC 1123 DNS label of at most `max` characters: StatefulSets (whose pods
 * are `<name>-<ordinal>` and whose revisions carry `<name>-<hash>` in a label value), namespaces
 * and every name that ends up in a DNS record.
 */
export function requireDnsLabel(scope: IConstruct | string, prop: string, name: string, max = 63): string {
  requireString(scope, prop, name);
  if (name.length === 0 || name.length > max || !DNS_LABEL.test(name)) {
    invalid(scope, prop, `must be a DNS label (lower-case letters, digits and '-', starting and ending with a letter or digit) of at most ${max} characters`, name);
  }
  return name;
}

/**
 * A Service name: an RFC 1035 DNS label of at most `max` characters. Unlike other object names it
 * must start with a letter, because it becomes a DNS name and the `<NAME>_SERVICE_HOST` variable.
 */
export function requireDns1035Label(scope: IConstruct | string, prop: string, name: string, max = 63): string {
  requireString(scope, prop, name);
  if (name.length === 0 || name.length > max || !DNS_1035_LABEL.test(name)) {
    invalid(scope, prop, `must be a DNS-1035 label (lower-case letters, digits and '-', starting with a letter and ending with a letter or digit) of at most ${max} characters, because it names a Service`, name);
  }
  return name;
}

/** Names of ConfigMaps, Secrets, StorageClasses and PersistentVolumes: DNS subdomains of at most 253 characters. */
export function requireDnsSubdomain(scope: IConstruct | string, prop: string, name: string): string {
  requireString(scope, prop, name);
  if (name.length === 0 || name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    invalid(scope, prop, 'must be a DNS subdomain (lower-case letters, digits, \'-\' and \'.\') of at most 253 characters', name);
  }
  return name;
}

/**
 * A label key: an optional DNS subdomain prefix and '/', then a name of at most 63 characters.
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set
 */
export function requireLabelKey(scope: IConstruct | string, prop: string, key: string): string {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = key.slice(slash + 1);
  const prefixOk = prefix === undefined || (prefix.length > 0 && prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix));
  if (!prefixOk || name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) {
    invalid(scope, prop, 'has a key that is not a label key: an optional DNS subdomain prefix and \'/\', then at most 63 letters, digits, \'-\', \'_\' or \'.\', starting and ending with a letter or digit', key);
  }
  return key;
}

/** A label value: empty, or at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit. */
export function requireLabelValue(scope: IConstruct | string, prop: string, value: string): string {
  requireString(scope, prop, value);
  if (value.length > 63 || (value.length > 0 && !LABEL_NAME.test(value))) {
    invalid(scope, prop, 'must be a label value: empty, or at most 63 letters, digits, \'-\', \'_\' or \'.\', starting and ending with a letter or digit', value);
  }
  return value;
}

/** A map of labels: checks the type, every key and every value (`prop.key` names a bad value). */
export function requireLabels(scope: IConstruct | string, prop: string, labels: unknown): { [key: string]: string } {
  const map = requireStringRecord(scope, prop, labels);
  for (const [key, value] of Object.entries(map)) {
    requireLabelKey(scope, prop, key);
    requireLabelValue(scope, `${prop}.${key}`, value);
  }
  return map;
}

/**
 * A port name (container and Service ports): an IANA service name of at most 15 lower-case
 * letters, digits and '-', with at least one letter and no leading, trailing or double '-'.
 * @see https://www.rfc-editor.org/rfc/rfc6335#section-5.1
 */
export function requirePortName(scope: IConstruct | string, prop: string, name: string): string {
  requireString(scope, prop, name);
  if (name.length === 0 || name.length > 15 || !PORT_NAME.test(name) || !/[a-z]/.test(name)) {
    invalid(scope, prop, 'must be an IANA service name: at most 15 lower-case letters, digits and \'-\', with at least one letter and no leading, trailing or double \'-\'', name);
  }
  return name;
}

/** A key of a Secret (or ConfigMap): letters, digits, '-', '_' and '.'. */
export function requireSecretKeyName(scope: IConstruct | string, prop: string, key: unknown): string {
  if (typeof key !== 'string' || !/^[-._a-zA-Z0-9]+$/.test(key) || key.length > 253) {
    invalid(scope, prop, "must be a Secret key (letters, digits, '-', '_' and '.')", key);
  }
  return key;
}
