import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { ReclaimPolicy, VolumeBindingMode } from './access-mode';
import { Provisioner, ProvisionerCapabilities, VolumeLocality } from './provisioner';
import { invalid, warn } from '../private/errors';
import { ensureUniqueNames, makeClusterScoped } from '../private/k8s';
import { requireDnsSubdomain } from '../private/names';

/** A storage class that claims can name: one of ours, or one that already exists in the cluster. */
export interface IStorageClass {
  /** The StorageClass's name, as claims reference it. */
  readonly storageClassName: string;
  /**
   * What its volumes can do, when known; claims that ask for more are refused at synth.
   * @default - unknown: nothing is checked
   */
  readonly capabilities?: ProvisionerCapabilities;
}

/** Properties of a {@link StorageClass}. */
export interface StorageClassProps {
  /** Who creates the volumes, with its parameters. */
  readonly provisioner: Provisioner;
  /** The StorageClass name (cluster-wide). @default - the construct id */
  readonly name?: string;
  /**
   * What happens to a volume when its claim is deleted. `Retain` keeps the data: the default for state.
   * @see https://kubernetes.io/docs/concepts/storage/storage-classes/#reclaim-policy
   * @default ReclaimPolicy.RETAIN
   */
  readonly reclaimPolicy?: ReclaimPolicy;
  /**
   * When volumes are bound and provisioned.
   * @see https://kubernetes.io/docs/concepts/storage/storage-classes/#volume-binding-mode
   * @default - WaitForFirstConsumer for zonal and node-local storage (the disk is created where the pod lands), Immediate otherwise
   */
  readonly volumeBindingMode?: VolumeBindingMode;
  /**
   * Whether claims can be grown.
   * @default - true where the provisioner supports it
   */
  readonly allowVolumeExpansion?: boolean;
  /** Mount options for the volumes. @default - those the provisioner needs, if any */
  readonly mountOptions?: string[];
  /** Only create volumes in these zones (`topology.kubernetes.io/zone`). @default - any zone */
  readonly zones?: string[];
  /** Make this the cluster's default class for claims that name none. @default false */
  readonly isDefault?: boolean;
}

/**
 * A StorageClass with defaults for state: volumes are retained when their claim goes, bound where
 * the pod lands for zonal disks, and expandable where the provisioner can. Cluster-scoped: it never
 * carries the chart's namespace.
 *
 * @see https://kubernetes.io/docs/concepts/storage/storage-classes/
 */
export class StorageClass extends Construct implements IStorageClass {
  /** A StorageClass that already exists in the cluster. Give its capabilities to have claims checked against them. */
  public static fromStorageClassName(name: string, capabilities?: ProvisionerCapabilities): IStorageClass {
    return { storageClassName: name, capabilities };
  }

  public readonly storageClassName: string;
  public readonly capabilities?: ProvisionerCapabilities;
  /** The provisioner. */
  public readonly provisioner: Provisioner;
  /** The reclaim policy written into the class. */
  public readonly reclaimPolicy: ReclaimPolicy;
  /** The underlying API object. */
  public readonly apiObject: k8s.KubeStorageClass;

  constructor(scope: Construct, id: string, props: StorageClassProps) {
    super(scope, id);
    const { provisioner } = props;
    this.storageClassName = requireDnsSubdomain(this, 'name', props.name ?? id);
    this.provisioner = provisioner;
    this.capabilities = provisioner.capabilities;

    const replacement = provisioner.removedInTreeReplacement;
    if (replacement) {
      invalid(this, 'provisioner', `names the removed in-tree plugin '${provisioner.name}'; use ${replacement}`);
    }
    this.reclaimPolicy = props.reclaimPolicy ?? ReclaimPolicy.RETAIN;
    if (this.reclaimPolicy === ReclaimPolicy.RECYCLE) {
      invalid(this, 'reclaimPolicy', "must be 'Retain' or 'Delete' (a StorageClass cannot recycle; Recycle is deprecated upstream)", this.reclaimPolicy);
    }
    if (this.reclaimPolicy === ReclaimPolicy.DELETE) {
      warn(this, "reclaimPolicy 'Delete' destroys a database's disk when its claim is deleted; prefer 'Retain' for state");
    }
    const expansion = props.allowVolumeExpansion ?? provisioner.capabilities.supportsExpansion;
    if (expansion && !provisioner.capabilities.supportsExpansion) {
      invalid(this, 'allowVolumeExpansion', `cannot be true: ${provisioner.name} volumes cannot be expanded`);
    }
    const binding = props.volumeBindingMode ?? (provisioner.capabilities.locality === VolumeLocality.CLUSTER
      ? VolumeBindingMode.IMMEDIATE : VolumeBindingMode.WAIT_FOR_FIRST_CONSUMER);
    if (binding === VolumeBindingMode.IMMEDIATE && provisioner.capabilities.locality === VolumeLocality.NODE) {
      invalid(this, 'volumeBindingMode', `must be WaitForFirstConsumer for node-local storage (${provisioner.name}): an immediately bound volume can land on a node the pod cannot run on`);
    }

    const mountOptions = props.mountOptions ?? provisioner.mountOptions;
    this.apiObject = new k8s.KubeStorageClass(this, 'Resource', {
      metadata: {
        name: this.storageClassName,
        annotations: props.isDefault ? { 'storageclass.kubernetes.io/is-default-class': 'true' } : undefined,
      },
      provisioner: provisioner.name,
      parameters: Object.keys(provisioner.parameters).length > 0 ? provisioner.parameters : undefined,
      reclaimPolicy: this.reclaimPolicy,
      volumeBindingMode: binding,
      allowVolumeExpansion: expansion,
      mountOptions: mountOptions.length > 0 ? mountOptions : undefined,
      allowedTopologies: props.zones && props.zones.length > 0
        ? [{ matchLabelExpressions: [{ key: 'topology.kubernetes.io/zone', values: props.zones }] }]
        : undefined,
    });
    makeClusterScoped(this.apiObject);
    ensureUniqueNames(this);
  }
}
