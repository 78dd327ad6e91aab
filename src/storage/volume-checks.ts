import { Size, SizeRoundingBehavior } from 'cdk8s';
import { IConstruct } from 'constructs';
import { AccessMode, ReclaimPolicy } from './access-mode';
import { invalid } from '../private/errors';
import { Where, requireArray, requireInstance, requireKnownKeys, requireNumber, requireOneOf, requireRecord, requireString, requireStringRecord } from '../private/guards';
import { requireDnsLabel, requireDnsSubdomain } from '../private/names';
import { requirePositiveSize } from '../private/validation';

// Beside the storage constructs, but not exported from the package: checks, not API. Every check
// takes where the error is reported (a construct, or a static factory's name), the prop as the
// user wrote it and the value, and returns the value typed, or throws a ValidationError.

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** The options of a static factory: a plain object whose keys are all known (`keysOf<Options>(...)`). */
export function requireOptions(where: string, value: unknown, keys: readonly string[]): { [key: string]: unknown } {
  const record = requireRecord(where, 'options', value);
  requireKnownKeys(where, '', record, keys);
  return record;
}

/** A string with at least one character, for what a driver needs to find the data (ids, handles, servers). */
export function requireNonEmpty(where: Where, prop: string, value: unknown): string {
  const text = requireString(where, prop, value);
  if (text.trim().length === 0) {
    invalid(where, prop, 'must not be empty', text);
  }
  return text;
}

/** A whole number from `min` to `max` (inclusive); `why` ends the message (' for gp3 volumes'). */
export function requireIntegerIn(where: Where, prop: string, value: unknown, min: number, max?: number, why = ''): number {
  const n = requireNumber(where, prop, value);
  if (!Number.isInteger(n) || n < min || (max !== undefined && n > max)) {
    invalid(where, prop, max === undefined ? `must be an integer of at least ${min}${why}` : `must be an integer from ${min} to ${max}${why}`, n);
  }
  return n;
}

/**
 * An absolute path on a node or server, such as `example`; `noBacksteps` refuses '..' (Kubernetes
 * does for local and hostPath volumes).
 */
export function requireAbsolutePath(where: Where, prop: string, value: unknown, example: string, noBacksteps: boolean): string {
  const path = requireString(where, prop, value);
  if (!path.startsWith('/')) {
    invalid(where, prop, `must be an absolute path such as '${example}'`, path);
  }
  if (noBacksteps && path.split('/').includes('..')) {
    invalid(where, prop, "must not contain '..'", path);
  }
  return path;
}

/**
 * The value of a node label that a volume's node affinity or a class's allowed topology matches
 * (`topology.kubernetes.io/zone`, `kubernetes.io/hostname`): a non-empty label value, since nodes
 * carry no other.
 */
export function requireNodeLabelValue(where: Where, prop: string, value: unknown, label: string): string {
  const text = requireString(where, prop, value);
  if (text.length === 0 || text.length > 63 || !LABEL_VALUE.test(text)) {
    invalid(where, prop, `must be a value of the node label '${label}': 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`, text);
  }
  return text;
}

/** A zone as nodes carry it in `topology.kubernetes.io/zone`. */
export function requireZone(where: Where, prop: string, value: unknown): string {
  return requireNodeLabelValue(where, prop, value, 'topology.kubernetes.io/zone');
}

/** A list of zones: each a zone, none twice (Kubernetes refuses duplicate values in allowedTopologies). */
export function requireZones(where: Where, prop: string, value: unknown): string[] {
  const zones = requireArray(where, prop, value, 'a list of zones').map((z, i) => requireZone(where, `${prop}[${i}]`, z));
  zones.forEach((zone, i) => {
    if (zones.indexOf(zone) !== i) {
      invalid(where, `${prop}[${i}]`, 'repeats a zone already listed (Kubernetes refuses duplicates)', zone);
    }
  });
  return zones;
}

/** Mount options: a list of non-empty strings. */
export function requireMountOptions(where: Where, prop: string, value: unknown): string[] {
  return requireArray(where, prop, value, 'a list of mount options').map((o, i) => {
    const option = requireString(where, `${prop}[${i}]`, o);
    if (option.trim().length === 0) {
      invalid(where, `${prop}[${i}]`, "must be a mount option such as 'nfsvers=4.1' or 'noatime', not empty", option);
    }
    return option;
  });
}

/** A filesystem type: one of `allowed` when the driver documents them, otherwise a plain name ('ext4', 'xfs'). */
export function requireFsType(where: Where, prop: string, value: unknown, allowed?: readonly string[]): string {
  if (allowed) {
    return requireOneOf(where, prop, value, allowed);
  }
  const fsType = requireString(where, prop, value);
  if (!/^[a-z0-9]+$/.test(fsType)) {
    invalid(where, prop, "must be a filesystem type such as 'ext4' or 'xfs' (lower-case letters and digits)", fsType);
  }
  return fsType;
}

/** The reclaim policies a volume or class may have: Recycle is refused by each with its own message. */
export const KEPT_RECLAIM_POLICIES = [ReclaimPolicy.RETAIN, ReclaimPolicy.DELETE];

/** Why a hand-made volume cannot be recycled. */
export const VOLUME_RECYCLE_REFUSED = "must be 'Retain' or 'Delete': Recycle (rm -rf of the volume) is deprecated upstream and loses data; use Retain and clean volumes deliberately";

/** A list of AccessMode values (which may be empty: the caller says whether that is allowed). */
export function requireAccessModeList(where: Where, prop: string, value: unknown): AccessMode[] {
  return requireArray(where, prop, value, 'a list of AccessMode values')
    .map((m, i) => requireOneOf(where, `${prop}[${i}]`, m, Object.values(AccessMode)));
}

/** A map of strings to strings whose keys are not empty (Kubernetes refuses an empty parameter key). */
export function requireParameters(where: Where, prop: string, value: unknown): { [key: string]: string } {
  const map = requireStringRecord(where, prop, value);
  if (Object.keys(map).includes('')) {
    invalid(where, prop, 'must not have an empty key');
  }
  return map;
}

/**
 * The capacity of a volume: a positive Size of whole bytes (a volume holds no fraction of a byte;
 * `Size.gibibytes(0.3)` would be written as a quantity of millibytes).
 */
export function requireCapacity(scope: IConstruct, prop: string, value: unknown): Size {
  const size = requireInstance(scope, prop, value, Size, 'Size.gibibytes(10)');
  requirePositiveSize(scope, prop, size);
  const kib = size.toKibibytes({ rounding: SizeRoundingBehavior.NONE });
  if (!Number.isInteger(kib * 1024)) {
    invalid(scope, prop, 'must be a whole number of bytes, such as Size.mebibytes(1536) rather than Size.gibibytes(1.3)', `${kib} KiB`);
  }
  return size;
}

/**
 * The name of a cluster-wide object (StorageClass, PersistentVolume): `name` when set, else the
 * construct id; a DNS subdomain either way. The message says when the name comes from the id.
 */
export function requireObjectName(scope: IConstruct, name: unknown, id: string): string {
  if (name !== undefined) {
    return requireDnsSubdomain(scope, 'name', name as string);
  }
  if (id.length > 253 || !DNS_SUBDOMAIN.test(id)) {
    invalid(scope, 'name', "must be a DNS subdomain (lower-case letters, digits, '-' and '.') of at most 253 characters; it defaults to the construct id: set 'name'", id);
  }
  return id;
}

/**
 * A CSI driver name as Kubernetes accepts it in a PersistentVolume: at most 63 characters, a DNS
 * subdomain once lower-cased (`ebs.csi.aws.com`).
 */
export function requireCsiDriverName(where: Where, prop: string, value: unknown): string {
  const name = requireString(where, prop, value);
  if (name.length === 0 || name.length > 63 || !DNS_SUBDOMAIN.test(name.toLowerCase())) {
    invalid(where, prop, "must be a CSI driver name such as 'ebs.csi.aws.com': at most 63 letters, digits, '-' and '.', starting and ending with a letter or digit", name);
  }
  return name;
}

/**
 * A StorageClass provisioner as Kubernetes accepts it: a qualified name once lower-cased, that is a
 * name of at most 63 letters, digits, '-', '_' or '.' (`ebs.csi.aws.com`), optionally after a DNS
 * subdomain and '/' (`kubernetes.io/no-provisioner`).
 */
export function requireProvisionerName(where: Where, prop: string, value: unknown): string {
  const name = requireString(where, prop, value);
  const slash = name.lastIndexOf('/');
  const prefix = slash >= 0 ? name.slice(0, slash).toLowerCase() : undefined;
  const base = name.slice(slash + 1);
  const prefixOk = prefix === undefined || (prefix.length > 0 && prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix));
  if (!prefixOk || base.length === 0 || base.length > 63 || !QUALIFIED_NAME.test(base)) {
    invalid(where, prop, "must be a provisioner name such as 'ebs.csi.aws.com': at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, optionally after a DNS subdomain and '/'", name);
  }
  return name;
}

/** What Rook appends to its operator's namespace to name the RBD CSI driver. */
export const RBD_DRIVER_SUFFIX = '.rbd.csi.ceph.com';
/** What Rook appends to its operator's namespace to name the CephFS CSI driver. */
export const CEPHFS_DRIVER_SUFFIX = '.cephfs.csi.ceph.com';

/**
 * The namespace of the Rook operator: a DNS label short enough that the CSI driver named after it
 * (`<namespace><suffix>`) has at most 63 characters. 'rook-ceph' when unset.
 */
export function requireRookOperatorNamespace(where: Where, value: unknown, suffix: string): string {
  const ns = value === undefined ? 'rook-ceph' : requireDnsLabel(where, 'operatorNamespace', value as string, 63);
  if (ns.length + suffix.length > 63) {
    invalid(where, 'operatorNamespace', `must have at most ${63 - suffix.length} characters: it starts the CSI driver name '${ns}${suffix}', which may have at most 63`, ns);
  }
  return ns;
}
