import { Size } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { VolumeClaimTemplateProps } from './volume-claim';
import { invalid } from '../private/errors';
import { keysOf, optional, requireArray, requireInstance, requireKnownKeys, requireOneOf, requireRecord, requireString } from '../private/guards';
import { requireDnsLabel } from '../private/names';
import { quantityOf } from '../private/quantity';
import { requirePositiveSize } from '../private/validation';
import { AccessMode, VolumeMode } from '../storage/access-mode';
import { requireAccessModes } from '../storage/access-mode-check';
import { IStorageClass } from '../storage/storage-class';
import { requireStorageClass } from '../storage/storage-class-check';

// Not exported from the package: the validated form of VolumeClaimTemplateProps and its rendering.

/** A validated claim template. */
export interface ResolvedClaimTemplate {
  readonly name: string;
  readonly mountPath?: string;
  readonly mountInto?: string[];
  readonly size: Size;
  readonly accessModes: AccessMode[];
  readonly storageClass?: IStorageClass;
  readonly volumeMode: VolumeMode;
}

const CLAIM_KEYS = keysOf<VolumeClaimTemplateProps>({
  size: true, name: true, mountPath: true, mountInto: true, storageClass: true, accessModes: true, volumeMode: true,
});

/** Checks `volumeClaims[index]` and fills in its defaults. */
export function resolveClaimTemplate(scope: IConstruct, index: number, props: VolumeClaimTemplateProps): ResolvedClaimTemplate {
  const prop = `volumeClaims[${index}]`;
  requireKnownKeys(scope, prop, requireRecord(scope, prop, props), CLAIM_KEYS);
  const name = requireDnsLabel(scope, `${prop}.name`, props.name ?? 'data');
  const size = requireInstance(scope, `${prop}.size`, props.size, Size, 'Size.gibibytes(10)');
  requirePositiveSize(scope, `${prop}.size`, size);
  const mountPath = optional(props.mountPath, (v) => requireString(scope, `${prop}.mountPath`, v));
  const mountInto = optional(props.mountInto, (v) => requireArray(scope, `${prop}.mountInto`, v, 'a list of container names')
    .map((c, i) => requireString(scope, `${prop}.mountInto[${i}]`, c)));
  const accessModes = (optional(props.accessModes, (v) => requireArray(scope, `${prop}.accessModes`, v, 'a list of AccessMode values')) ?? [AccessMode.READ_WRITE_ONCE])
    .map((m, i) => requireOneOf(scope, `${prop}.accessModes[${i}]`, m, Object.values(AccessMode)));
  if (accessModes.length === 0) {
    // Kubernetes refuses a claim without one, whatever its storage class.
    invalid(scope, `${prop}.accessModes`, 'must list at least one access mode');
  }
  const volumeMode = optional(props.volumeMode, (v) => requireOneOf(scope, `${prop}.volumeMode`, v, Object.values(VolumeMode)));
  const storageClass = props.storageClass;
  if (storageClass !== undefined) {
    requireStorageClass(scope, `${prop}.storageClass`, storageClass);
  }
  const caps = storageClass?.capabilities;
  if (caps) {
    requireAccessModes(scope, `${prop}.accessModes`, accessModes, caps.accessModes,
      `storage class '${storageClass!.storageClassName}'`);
  }
  if (volumeMode === VolumeMode.BLOCK && mountPath !== undefined) {
    invalid(scope, `${prop}.mountPath`, 'cannot be set for a Block volume: a raw device is attached with volumeDevices, not mounted; leave mountPath unset');
  }
  return {
    name,
    mountPath,
    mountInto,
    size,
    accessModes,
    storageClass,
    volumeMode: volumeMode ?? VolumeMode.FILESYSTEM,
  };
}

/** The `volumeClaimTemplates` entry of a claim. */
export function renderClaimTemplate(claim: ResolvedClaimTemplate, labels: { [key: string]: string }): k8s.KubePersistentVolumeClaimProps {
  return {
    metadata: { name: claim.name, labels },
    spec: {
      accessModes: claim.accessModes,
      storageClassName: claim.storageClass?.storageClassName,
      volumeMode: claim.volumeMode,
      resources: { requests: { storage: k8s.Quantity.fromString(quantityOf(claim.size)) } },
    },
  };
}

