import { k8s } from 'cdk8s-plus-27';
import { AccessMode } from './access-mode';

/** A CSI volume that already exists. */
export interface CsiSourceOptions {
  /** CSI driver name, e.g. `ebs.csi.aws.com`. */
  readonly driver: string;
  /** The driver's id of the volume. */
  readonly volumeHandle: string;
  /** Filesystem type. @default - the driver's default */
  readonly fsType?: string;
  /** Attributes the driver needs to find the volume. @default - none */
  readonly volumeAttributes?: { [key: string]: string };
  /** Secret (in `nodeStageSecretNamespace`) the node needs to stage the volume. @default - none */
  readonly nodeStageSecretName?: string;
  /** Namespace of `nodeStageSecretName`. @default 'default' */
  readonly nodeStageSecretNamespace?: string;
  /** Access modes the volume supports. @default - all; the driver decides */
  readonly accessModes?: AccessMode[];
}

/** An NFS export. */
export interface NfsSourceOptions {
  /** Server host name or address. */
  readonly server: string;
  /** Exported path. */
  readonly path: string;
}

/** An iSCSI LUN. */
export interface IscsiSourceOptions {
  /** Target portal, `host:port`. */
  readonly targetPortal: string;
  /** Target IQN. */
  readonly iqn: string;
  /** LUN number. */
  readonly lun: number;
  /** Filesystem type. @default 'ext4' */
  readonly fsType?: string;
}

/** A Fibre Channel LUN. */
export interface FibreChannelSourceOptions {
  /** Target world wide names. */
  readonly targetWwns: string[];
  /** LUN number. */
  readonly lun: number;
  /** Filesystem type. @default 'ext4' */
  readonly fsType?: string;
}

/** A disk or directory on one node. */
export interface LocalSourceOptions {
  /** Path on the node. */
  readonly path: string;
  /** The node (its `kubernetes.io/hostname` label) that has the disk. */
  readonly node: string;
}

/** A directory on the node (for tests and single-node clusters). */
export interface HostPathSourceOptions {
  /** Path on the node. */
  readonly path: string;
  /** Pin the volume to this node (`kubernetes.io/hostname`). @default - any node */
  readonly node?: string;
}

/** An existing AWS EBS volume. */
export interface EbsVolumeSourceOptions {
  /** Volume id, `vol-...`. */
  readonly volumeId: string;
  /** Availability zone of the volume, to pin pods there. @default - not pinned */
  readonly zone?: string;
  /** Filesystem type. @default 'ext4' */
  readonly fsType?: string;
}

/** An existing GCE persistent disk. */
export interface GcePersistentDiskSourceOptions {
  /** GCP project id. */
  readonly project: string;
  /** Zone of the disk. */
  readonly zone: string;
  /** Disk name. */
  readonly diskName: string;
  /** Filesystem type. @default 'ext4' */
  readonly fsType?: string;
}

/** An existing Azure File share. */
export interface AzureFileSourceOptions {
  /** Resource group of the storage account. */
  readonly resourceGroup: string;
  /** Storage account name. */
  readonly storageAccount: string;
  /** Share name. */
  readonly shareName: string;
  /** Secret with `azurestorageaccountname` and `azurestorageaccountkey`. */
  readonly secretName: string;
  /** Namespace of the secret. @default 'default' */
  readonly secretNamespace?: string;
}

/** An existing Ceph RBD image or CephFS subvolume managed by Rook. */
export interface CephSourceOptions {
  /** Namespace of the Rook operator (the CSI driver's prefix). @default 'rook-ceph' */
  readonly operatorNamespace?: string;
  /** Namespace of the CephCluster (`clusterID`). @default 'rook-ceph' */
  readonly clusterNamespace?: string;
  /** RBD: pool name. CephFS: filesystem name. */
  readonly pool: string;
  /** RBD: image name. CephFS: the path of the directory to mount. */
  readonly volume: string;
  /** Secret with the user's Ceph credentials for staging. */
  readonly secretName: string;
}

/**
 * Where a hand-made PersistentVolume's data lives: the volume types in use today, and the old
 * in-tree types mapped to the CSI drivers that replaced them. Types that were removed from
 * Kubernetes with no replacement are refused at synth with what to use instead.
 *
 * @see https://kubernetes.io/docs/concepts/storage/persistent-volumes/#types-of-persistent-volumes
 */
export class PersistentVolumeSource {
  /** A volume of any CSI driver. */
  public static csi(options: CsiSourceOptions): PersistentVolumeSource {
    return new PersistentVolumeSource('csi', {
      csi: {
        driver: options.driver,
        volumeHandle: options.volumeHandle,
        fsType: options.fsType,
        volumeAttributes: options.volumeAttributes,
        nodeStageSecretRef: options.nodeStageSecretName
          ? { name: options.nodeStageSecretName, namespace: options.nodeStageSecretNamespace ?? 'default' }
          : undefined,
      },
    }, options.accessModes ?? ALL);
  }

  /** An NFS export. Shared storage: ReadWriteMany works; a database's data directory should not be shared. */
  public static nfs(options: NfsSourceOptions): PersistentVolumeSource {
    return new PersistentVolumeSource('nfs', { nfs: { server: options.server, path: options.path } }, ALL);
  }

  /** An iSCSI LUN. */
  public static iscsi(options: IscsiSourceOptions): PersistentVolumeSource {
    return new PersistentVolumeSource('iscsi', {
      iscsi: { targetPortal: options.targetPortal, iqn: options.iqn, lun: options.lun, fsType: options.fsType ?? 'ext4' },
    }, [AccessMode.READ_WRITE_ONCE, AccessMode.READ_ONLY_MANY, AccessMode.READ_WRITE_ONCE_POD]);
  }

  /** A Fibre Channel LUN. */
  public static fibreChannel(options: FibreChannelSourceOptions): PersistentVolumeSource {
    return new PersistentVolumeSource('fc', {
      fc: { targetWwNs: options.targetWwns, lun: options.lun, fsType: options.fsType ?? 'ext4' },
    }, [AccessMode.READ_WRITE_ONCE, AccessMode.READ_ONLY_MANY, AccessMode.READ_WRITE_ONCE_POD]);
  }

  /** A local disk of one node: fast, but the pod is tied to that node and the data dies with it. */
  public static local(options: LocalSourceOptions): PersistentVolumeSource {
    return new PersistentVolumeSource('local', { local: { path: options.path } }, RWO, hostnameAffinity(options.node));
  }

  /** A directory on a node. For tests and single-node clusters only. */
  public static hostPath(options: HostPathSourceOptions): PersistentVolumeSource {
    return new PersistentVolumeSource('hostPath', { hostPath: { path: options.path, type: 'DirectoryOrCreate' } }, RWO,
      options.node ? hostnameAffinity(options.node) : undefined);
  }

  /** An existing AWS EBS volume, through the EBS CSI driver that replaced the in-tree `awsElasticBlockStore`. */
  public static awsElasticBlockStore(options: EbsVolumeSourceOptions): PersistentVolumeSource {
    return new PersistentVolumeSource('csi', {
      csi: { driver: 'ebs.csi.aws.com', volumeHandle: options.volumeId, fsType: options.fsType ?? 'ext4' },
    }, RWO, options.zone ? zoneAffinity('topology.kubernetes.io/zone', options.zone) : undefined);
  }

  /** An existing GCE persistent disk, through the PD CSI driver that replaced the in-tree `gcePersistentDisk`. */
  public static gcePersistentDisk(options: GcePersistentDiskSourceOptions): PersistentVolumeSource {
    return new PersistentVolumeSource('csi', {
      csi: {
        driver: 'pd.csi.storage.gke.io',
        volumeHandle: `projects/${options.project}/zones/${options.zone}/disks/${options.diskName}`,
        fsType: options.fsType ?? 'ext4',
      },
    }, [...RWO, AccessMode.READ_ONLY_MANY], zoneAffinity('topology.kubernetes.io/zone', options.zone));
  }

  /** An existing Azure managed disk (its resource URI), through the Azure Disk CSI driver. */
  public static azureDisk(diskUri: string): PersistentVolumeSource {
    return new PersistentVolumeSource('csi', { csi: { driver: 'disk.csi.azure.com', volumeHandle: diskUri, fsType: 'ext4' } }, RWO);
  }

  /** An existing Azure File share, through the Azure File CSI driver. */
  public static azureFile(options: AzureFileSourceOptions): PersistentVolumeSource {
    return new PersistentVolumeSource('csi', {
      csi: {
        driver: 'file.csi.azure.com',
        volumeHandle: `${options.resourceGroup}#${options.storageAccount}#${options.shareName}`,
        volumeAttributes: { shareName: options.shareName },
        nodeStageSecretRef: { name: options.secretName, namespace: options.secretNamespace ?? 'default' },
      },
    }, ALL);
  }

  /** An existing OpenStack Cinder volume, through the Cinder CSI driver. */
  public static cinder(volumeId: string): PersistentVolumeSource {
    return new PersistentVolumeSource('csi', { csi: { driver: 'cinder.csi.openstack.org', volumeHandle: volumeId, fsType: 'ext4' } }, RWO);
  }

  /** An existing vSphere volume (its First Class Disk id), through the vSphere CSI driver. */
  public static vsphereVolume(volumeHandle: string): PersistentVolumeSource {
    return new PersistentVolumeSource('csi', { csi: { driver: 'csi.vsphere.vmware.com', volumeHandle, fsType: 'ext4' } }, RWO);
  }

  /** An existing Portworx volume, through the Portworx CSI driver. */
  public static portworx(volumeId: string): PersistentVolumeSource {
    return new PersistentVolumeSource('csi', { csi: { driver: 'pxd.portworx.com', volumeHandle: volumeId } }, ALL);
  }

  /** An existing Ceph RBD image, through Rook's CSI driver (static provisioning). */
  public static cephRbd(options: CephSourceOptions): PersistentVolumeSource {
    const ns = options.clusterNamespace ?? 'rook-ceph';
    return new PersistentVolumeSource('csi', {
      csi: {
        driver: `${options.operatorNamespace ?? 'rook-ceph'}.rbd.csi.ceph.com`,
        volumeHandle: options.volume,
        fsType: 'ext4',
        volumeAttributes: { clusterID: ns, pool: options.pool, staticVolume: 'true', imageFeatures: 'layering' },
        nodeStageSecretRef: { name: options.secretName, namespace: ns },
      },
    }, RWO);
  }

  /** An existing CephFS directory, through Rook's CSI driver (static provisioning). */
  public static cephFs(options: CephSourceOptions): PersistentVolumeSource {
    const ns = options.clusterNamespace ?? 'rook-ceph';
    return new PersistentVolumeSource('csi', {
      csi: {
        driver: `${options.operatorNamespace ?? 'rook-ceph'}.cephfs.csi.ceph.com`,
        volumeHandle: options.volume,
        volumeAttributes: { clusterID: ns, fsName: options.pool, staticVolume: 'true', rootPath: options.volume },
        nodeStageSecretRef: { name: options.secretName, namespace: ns },
      },
    }, ALL);
  }

  /** Refused: FlexVolume is deprecated (1.23) in favour of CSI. */
  public static flexVolume(): PersistentVolumeSource {
    return PersistentVolumeSource.removed('FlexVolume', 'is deprecated since Kubernetes 1.23; install the vendor\'s CSI driver and use PersistentVolumeSource.csi()');
  }

  /** Refused: Flocker was removed in Kubernetes 1.25. */
  public static flocker(): PersistentVolumeSource {
    return PersistentVolumeSource.removed('Flocker', 'was removed in Kubernetes 1.25 (the project is unmaintained); use a CSI driver with PersistentVolumeSource.csi()');
  }

  /** Refused: GlusterFS was removed in Kubernetes 1.26. */
  public static glusterfs(): PersistentVolumeSource {
    return PersistentVolumeSource.removed('Glusterfs', 'was removed in Kubernetes 1.26; use PersistentVolumeSource.cephFs() or nfs(), or a CSI driver with csi()');
  }

  /** Refused: Quobyte was removed in Kubernetes 1.25. */
  public static quobyte(): PersistentVolumeSource {
    return PersistentVolumeSource.removed('Quobyte', 'was removed in Kubernetes 1.25; use the Quobyte CSI driver with PersistentVolumeSource.csi()');
  }

  /** Refused: ScaleIO was removed in Kubernetes 1.22. */
  public static scaleIo(): PersistentVolumeSource {
    return PersistentVolumeSource.removed('ScaleIO', 'was removed in Kubernetes 1.22; use the PowerFlex CSI driver (csi-vxflexos.dellemc.com) with PersistentVolumeSource.csi()');
  }

  /** Refused: StorageOS was removed in Kubernetes 1.25. */
  public static storageOs(): PersistentVolumeSource {
    return PersistentVolumeSource.removed('StorageOS', 'was removed in Kubernetes 1.25; use the Ondat/StorageOS CSI driver with PersistentVolumeSource.csi()');
  }

  /** Refused: VMware Photon persistent disks were removed in Kubernetes 1.15. */
  public static photonPersistentDisk(): PersistentVolumeSource {
    return PersistentVolumeSource.removed('PhotonPersistentDisk', 'was removed in Kubernetes 1.15; use PersistentVolumeSource.vsphereVolume()');
  }

  private static removed(type: string, why: string): PersistentVolumeSource {
    return new PersistentVolumeSource(type, {}, [], undefined, `${type} ${why}`);
  }

  private constructor(
    /** The volume type, as it appears in the PersistentVolume spec (`csi`, `nfs`, `local`...). */
    public readonly volumeType: string,
    private readonly spec: k8s.PersistentVolumeSpec,
    /** Access modes this source can serve. */
    public readonly accessModes: AccessMode[],
    private readonly nodeAffinity?: k8s.VolumeNodeAffinity,
    /** Why this volume type is refused, for types removed from Kubernetes. */
    public readonly refusal?: string,
  ) {}

  /** @internal */
  public _toSpec(): k8s.PersistentVolumeSpec {
    return { ...this.spec, nodeAffinity: this.nodeAffinity };
  }
}

const RWO = [AccessMode.READ_WRITE_ONCE, AccessMode.READ_WRITE_ONCE_POD];
const ALL = [AccessMode.READ_WRITE_ONCE, AccessMode.READ_ONLY_MANY, AccessMode.READ_WRITE_MANY, AccessMode.READ_WRITE_ONCE_POD];

function hostnameAffinity(node: string): k8s.VolumeNodeAffinity {
  return zoneAffinity('kubernetes.io/hostname', node);
}

function zoneAffinity(key: string, value: string): k8s.VolumeNodeAffinity {
  return { required: { nodeSelectorTerms: [{ matchExpressions: [{ key, operator: 'In', values: [value] }] }] } };
}
