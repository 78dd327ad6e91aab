import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { ReclaimPolicy, VolumeBindingMode } from './access-mode';
import { Provisioner, ProvisionerCapabilities, VolumeLocality } from './provisioner';
import { requireCapabilities } from './provisioner-check';
import { KEPT_RECLAIM_POLICIES, requireMountOptions, requireObjectName, requireZones } from './volume-checks';
import { invalid, warn } from '../private/errors';
import { keysOf, optional, requireBoolean, requireInstance, requireKnownKeys, requireOneOf, requireRecord, requireString } from '../private/guards';
import { ensureUniqueNames, makeClusterScoped } from '../private/k8s';

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

const PROPS = keysOf<StorageClassProps>({
  provisioner: true,
  name: true,
  reclaimPolicy: true,
  volumeBindingMode: true,
  allowVolumeExpansion: true,
  mountOptions: true,
  zones: true,
  isDefault: true,
});

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
    // The name's syntax is checked where a claim or volume names the class, with that prop's name.
    const where = 'StorageClass.fromStorageClassName';
    requireString(where, 'name', name);
    return { storageClassName: name, capabilities: optional(capabilities, (v) => requireCapabilities(where, 'capabilities', v)) };
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
    requireKnownKeys(this, '', requireRecord(this, 'props', props), PROPS);
    this.storageClassName = requireObjectName(this, props.name, id);
    const provisioner = requireInstance(this, 'provisioner', props.provisioner, Provisioner, "Provisioner.awsEbs() or Provisioner.custom('<driver name>')");
    this.provisioner = provisioner;
    this.capabilities = provisioner.capabilities;

    const replacement = provisioner.removedInTreeReplacement;
    if (replacement) {
      invalid(this, 'provisioner', `names the removed in-tree plugin '${provisioner.name}'; use ${replacement}`);
    }
    if (props.reclaimPolicy === ReclaimPolicy.RECYCLE) {
      invalid(this, 'reclaimPolicy', "must be 'Retain' or 'Delete' (a StorageClass cannot recycle; Recycle is deprecated upstream)", props.reclaimPolicy);
    }
    this.reclaimPolicy = optional(props.reclaimPolicy, (v) => requireOneOf(this, 'reclaimPolicy', v, KEPT_RECLAIM_POLICIES)) ?? ReclaimPolicy.RETAIN;
    const allowExpansion = optional(props.allowVolumeExpansion, (v) => requireBoolean(this, 'allowVolumeExpansion', v));
    const expansion = allowExpansion ?? provisioner.capabilities.supportsExpansion;
    if (expansion && !provisioner.capabilities.supportsExpansion) {
      invalid(this, 'allowVolumeExpansion', `cannot be true: ${provisioner.name} volumes cannot be expanded`);
    }
    const bindingMode = optional(props.volumeBindingMode, (v) => requireOneOf(this, 'volumeBindingMode', v, Object.values(VolumeBindingMode)));
    const binding = bindingMode ?? (provisioner.capabilities.locality === VolumeLocality.CLUSTER
      ? VolumeBindingMode.IMMEDIATE : VolumeBindingMode.WAIT_FOR_FIRST_CONSUMER);
    if (binding === VolumeBindingMode.IMMEDIATE && provisioner.capabilities.locality === VolumeLocality.NODE) {
      invalid(this, 'volumeBindingMode', `must be WaitForFirstConsumer for node-local storage (${provisioner.name}): an immediately bound volume can land on a node the pod cannot run on`);
    }
    const mountOptions = optional(props.mountOptions, (v) => requireMountOptions(this, 'mountOptions', v)) ?? provisioner.mountOptions;
    const zones = optional(props.zones, (v) => requireZones(this, 'zones', v));
    const isDefault = optional(props.isDefault, (v) => requireBoolean(this, 'isDefault', v));
    if (this.reclaimPolicy === ReclaimPolicy.DELETE) {
      warn(this, "reclaimPolicy 'Delete' destroys a database's disk when its claim is deleted; prefer 'Retain' for state");
    }

    this.apiObject = new k8s.KubeStorageClass(this, 'Resource', {
      metadata: {
        name: this.storageClassName,
        annotations: isDefault ? { 'storageclass.kubernetes.io/is-default-class': 'true' } : undefined,
      },
      provisioner: provisioner.name,
      parameters: Object.keys(provisioner.parameters).length > 0 ? provisioner.parameters : undefined,
      reclaimPolicy: this.reclaimPolicy,
      volumeBindingMode: binding,
      allowVolumeExpansion: expansion,
      mountOptions: mountOptions.length > 0 ? mountOptions : undefined,
      allowedTopologies: zones && zones.length > 0
        ? [{ matchLabelExpressions: [{ key: 'topology.kubernetes.io/zone', values: zones }] }]
        : undefined,
    });
    makeClusterScoped(this.apiObject);
    ensureUniqueNames(this);
  }
}
