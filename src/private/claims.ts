import { Size } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { invalid } from './errors';
import { requireDnsLabel } from './names';
import { quantityOf } from './quantity';
import { requireAccessModes, requirePositiveSize } from './validation';
import { AccessMode, VolumeMode } from '../storage/access-mode';
import { IStorageClass } from '../storage/storage-class';
import { VolumeClaimTemplateProps } from '../workload/volume-claim';

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

/** */
export function resolveClaimTemplate(scope: IConstruct, index: number, props: VolumeClaimTemplateProps): ResolvedClaimTemplate {
  const prop = `volumeClaims[${index}]`;
  const name = requireDnsLabel(scope, `${prop}.name`, props.name ?? 'data');
  requirePositiveSize(scope, `${prop}.size`, props.size);
  const accessModes = props.accessModes ?? [AccessMode.READ_WRITE_ONCE];
  const caps = props.storageClass?.capabilities;
  if (caps) {
    requireAccessModes(scope, `${prop}.accessModes`, accessModes, caps.accessModes,
      `storage class '${props.storageClass!.storageClassName}'`);
  }
  if (props.volumeMode === VolumeMode.BLOCK && props.mountPath !== undefined) {
    invalid(scope, `${prop}.mountPath`, 'cannot be set for a Block volume: a raw device is attached with volumeDevices, not mounted; leave mountPath unset');
  }
  return {
    name,
    mountPath: props.mountPath,
    mountInto: props.mountInto,
    size: props.size,
    accessModes,
    storageClass: props.storageClass,
    volumeMode: props.volumeMode ?? VolumeMode.FILESYSTEM,
  };
}

/** */
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
