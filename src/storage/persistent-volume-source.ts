import { k8s } from 'cdk8s-plus-27';
import { AccessMode } from './access-mode';
import {
  CEPHFS_DRIVER_SUFFIX, RBD_DRIVER_SUFFIX, requireAbsolutePath, requireAccessModeList, requireCsiDriverName, requireFsType, requireIntegerIn,
  requireNodeLabelValue, requireNonEmpty, requireOptions, requireParameters, requireRookOperatorNamespace, requireZone,
} from './volume-checks';
import { invalid } from '../private/errors';
import { keysOf, optional, requireArray, requireString } from '../private/guards';
import { requireDnsLabel, requireDnsSubdomain } from '../private/names';

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
    const where = 'PersistentVolumeSource.csi';
    const o = requireOptions(where, options, keysOf<CsiSourceOptions>({
      driver: true,
      volumeHandle: true,
      fsType: true,
      volumeAttributes: true,
      nodeStageSecretName: true,
      nodeStageSecretNamespace: true,
      accessModes: true,
    }));
    const driver = requireCsiDriverName(where, 'driver', o.driver);
    const volumeHandle = requireNonEmpty(where, 'volumeHandle', o.volumeHandle);
    const fsType = optional(o.fsType, (v) => requireFsType(where, 'fsType', v));
    const volumeAttributes = optional(o.volumeAttributes, (v) => requireParameters(where, 'volumeAttributes', v));
    const secretName = optional(o.nodeStageSecretName, (v) => requireDnsSubdomain(where, 'nodeStageSecretName', v as string));
    const secretNamespace = optional(o.nodeStageSecretNamespace, (v) => requireDnsLabel(where, 'nodeStageSecretNamespace', v as string, 63));
    if (secretNamespace !== undefined && secretName === undefined) {
      invalid(where, 'nodeStageSecretNamespace', 'has no secret to locate: set nodeStageSecretName too, or drop it');
    }
    const accessModes = optional(o.accessModes, (v) => requireAccessModeList(where, 'accessModes', v)) ?? ALL;
    if (accessModes.length === 0) {
      invalid(where, 'accessModes', 'must list at least one access mode the volume supports');
    }
    return new PersistentVolumeSource('csi', {
      csi: {
        driver,
        volumeHandle,
        fsType,
        volumeAttributes,
        nodeStageSecretRef: secretName ? { name: secretName, namespace: secretNamespace ?? 'default' } : undefined,
      },
    }, accessModes);
  }

  /** An NFS export. Shared storage: ReadWriteMany works; a database's data directory should not be shared. */
  public static nfs(options: NfsSourceOptions): PersistentVolumeSource {
    const where = 'PersistentVolumeSource.nfs';
    const o = requireOptions(where, options, keysOf<NfsSourceOptions>({ server: true, path: true }));
    const server = requireNonEmpty(where, 'server', o.server);
    const path = requireAbsolutePath(where, 'path', o.path, '/exports/data', false);
    return new PersistentVolumeSource('nfs', { nfs: { server, path } }, ALL);
  }

  /** An iSCSI LUN. */
  public static iscsi(options: IscsiSourceOptions): PersistentVolumeSource {
    const where = 'PersistentVolumeSource.iscsi';
    const o = requireOptions(where, options, keysOf<IscsiSourceOptions>({ targetPortal: true, iqn: true, lun: true, fsType: true }));
    const targetPortal = requireNonEmpty(where, 'targetPortal', o.targetPortal);
    const iqn = requireIqn(where, 'iqn', o.iqn);
    const lun = requireIntegerIn(where, 'lun', o.lun, 0, 255);
    const fsType = optional(o.fsType, (v) => requireFsType(where, 'fsType', v)) ?? 'ext4';
    return new PersistentVolumeSource('iscsi', {
      iscsi: { targetPortal, iqn, lun, fsType },
    }, [AccessMode.READ_WRITE_ONCE, AccessMode.READ_ONLY_MANY, AccessMode.READ_WRITE_ONCE_POD]);
  }

  /** A Fibre Channel LUN. */
  public static fibreChannel(options: FibreChannelSourceOptions): PersistentVolumeSource {
    const where = 'PersistentVolumeSource.fibreChannel';
    const o = requireOptions(where, options, keysOf<FibreChannelSourceOptions>({ targetWwns: true, lun: true, fsType: true }));
    const targetWwns = requireArray(where, 'targetWwns', o.targetWwns, 'a list of target world wide names')
      .map((w, i) => requireNonEmpty(where, `targetWwns[${i}]`, w));
    if (targetWwns.length === 0) {
      invalid(where, 'targetWwns', 'must list at least one target world wide name');
    }
    const lun = requireIntegerIn(where, 'lun', o.lun, 0, 255);
    const fsType = optional(o.fsType, (v) => requireFsType(where, 'fsType', v)) ?? 'ext4';
    return new PersistentVolumeSource('fc', {
      fc: { targetWwNs: targetWwns, lun, fsType },
    }, [AccessMode.READ_WRITE_ONCE, AccessMode.READ_ONLY_MANY, AccessMode.READ_WRITE_ONCE_POD]);
  }

  /** A local disk of one node: fast, but the pod is tied to that node and the data dies with it. */
  public static local(options: LocalSourceOptions): PersistentVolumeSource {
    const where = 'PersistentVolumeSource.local';
    const o = requireOptions(where, options, keysOf<LocalSourceOptions>({ path: true, node: true }));
    const path = requireAbsolutePath(where, 'path', o.path, '/mnt/disks/ssd1', true);
    const node = requireNodeLabelValue(where, 'node', o.node, HOSTNAME);
    return new PersistentVolumeSource('local', { local: { path } }, RWO, hostnameAffinity(node));
  }

  /** A directory on a node. For tests and single-node clusters only. */
  public static hostPath(options: HostPathSourceOptions): PersistentVolumeSource {
    const where = 'PersistentVolumeSource.hostPath';
    const o = requireOptions(where, options, keysOf<HostPathSourceOptions>({ path: true, node: true }));
    const path = requireAbsolutePath(where, 'path', o.path, '/srv/data', true);
    const node = optional(o.node, (v) => requireNodeLabelValue(where, 'node', v, HOSTNAME));
    return new PersistentVolumeSource('hostPath', { hostPath: { path, type: 'DirectoryOrCreate' } }, RWO,
      node ? hostnameAffinity(node) : undefined);
  }

  /** An existing AWS EBS volume, through the EBS CSI driver that replaced the in-tree `awsElasticBlockStore`. */
  public static awsElasticBlockStore(options: EbsVolumeSourceOptions): PersistentVolumeSource {
    const where = 'PersistentVolumeSource.awsElasticBlockStore';
    const o = requireOptions(where, options, keysOf<EbsVolumeSourceOptions>({ volumeId: true, zone: true, fsType: true }));
    const volumeId = requireString(where, 'volumeId', o.volumeId);
    if (!/^vol-[0-9a-f]+$/.test(volumeId)) {
      invalid(where, 'volumeId', "must be an EBS volume id: 'vol-' and hexadecimal digits, such as 'vol-0123456789abcdef0'", volumeId);
    }
    const zone = optional(o.zone, (v) => requireZone(where, 'zone', v));
    const fsType = optional(o.fsType, (v) => requireFsType(where, 'fsType', v, EBS_SOURCE_FS_TYPES)) ?? 'ext4';
    return new PersistentVolumeSource('csi', {
      csi: { driver: 'ebs.csi.aws.com', volumeHandle: volumeId, fsType },
    }, RWO, zone ? zoneAffinity(ZONE, zone) : undefined);
  }

  /** An existing GCE persistent disk, through the PD CSI driver that replaced the in-tree `gcePersistentDisk`. */
  public static gcePersistentDisk(options: GcePersistentDiskSourceOptions): PersistentVolumeSource {
    const where = 'PersistentVolumeSource.gcePersistentDisk';
    const o = requireOptions(where, options, keysOf<GcePersistentDiskSourceOptions>({ project: true, zone: true, diskName: true, fsType: true }));
    const project = requireNonEmpty(where, 'project', o.project);
    if (project.includes('/')) {
      invalid(where, 'project', "must be a project id, without '/' (it is one segment of the disk's path)", project);
    }
    const zone = requireZone(where, 'zone', o.zone);
    const diskName = requireString(where, 'diskName', o.diskName);
    if (diskName.length > 63 || !/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(diskName)) {
      invalid(where, 'diskName', "must be a Compute Engine disk name: 1 to 63 lower-case letters, digits and '-', starting with a letter and not ending with '-'", diskName);
    }
    const fsType = optional(o.fsType, (v) => requireFsType(where, 'fsType', v)) ?? 'ext4';
    return new PersistentVolumeSource('csi', {
      csi: {
        driver: 'pd.csi.storage.gke.io',
        volumeHandle: `projects/${project}/zones/${zone}/disks/${diskName}`,
        fsType,
      },
    }, [...RWO, AccessMode.READ_ONLY_MANY], zoneAffinity(ZONE, zone));
  }

  /** An existing Azure managed disk (its resource URI), through the Azure Disk CSI driver. */
  public static azureDisk(diskUri: string): PersistentVolumeSource {
    const where = 'PersistentVolumeSource.azureDisk';
    requireString(where, 'diskUri', diskUri);
    if (!AZURE_DISK_URI.test(diskUri)) {
      invalid(where, 'diskUri', "must be the resource id of a managed disk: '/subscriptions/<subscription>/resourceGroups/<group>/providers/Microsoft.Compute/disks/<disk>'", diskUri);
    }
    return new PersistentVolumeSource('csi', { csi: { driver: 'disk.csi.azure.com', volumeHandle: diskUri, fsType: 'ext4' } }, RWO);
  }

  /** An existing Azure File share, through the Azure File CSI driver. */
  public static azureFile(options: AzureFileSourceOptions): PersistentVolumeSource {
    const where = 'PersistentVolumeSource.azureFile';
    const o = requireOptions(where, options, keysOf<AzureFileSourceOptions>({
      resourceGroup: true, storageAccount: true, shareName: true, secretName: true, secretNamespace: true,
    }));
    const resourceGroup = requireNonEmpty(where, 'resourceGroup', o.resourceGroup);
    if (resourceGroup.includes('#')) {
      // '#' separates the parts of the volume handle.
      invalid(where, 'resourceGroup', "must be a resource group name, without '#'", resourceGroup);
    }
    const storageAccount = requireString(where, 'storageAccount', o.storageAccount);
    if (!/^[a-z0-9]{3,24}$/.test(storageAccount)) {
      invalid(where, 'storageAccount', 'must be a storage account name: 3 to 24 lower-case letters and digits', storageAccount);
    }
    const shareName = requireString(where, 'shareName', o.shareName);
    if (shareName.length < 3 || shareName.length > 63 || !/^[a-z0-9](-?[a-z0-9])*$/.test(shareName)) {
      invalid(where, 'shareName', "must be a file share name: 3 to 63 lower-case letters, digits and '-', starting and ending with a letter or digit, no '--'", shareName);
    }
    const secretName = requireDnsSubdomain(where, 'secretName', o.secretName as string);
    const secretNamespace = optional(o.secretNamespace, (v) => requireDnsLabel(where, 'secretNamespace', v as string, 63)) ?? 'default';
    return new PersistentVolumeSource('csi', {
      csi: {
        driver: 'file.csi.azure.com',
        volumeHandle: `${resourceGroup}#${storageAccount}#${shareName}`,
        volumeAttributes: { shareName },
        nodeStageSecretRef: { name: secretName, namespace: secretNamespace },
      },
    }, ALL);
  }

  /** An existing OpenStack Cinder volume, through the Cinder CSI driver. */
  public static cinder(volumeId: string): PersistentVolumeSource {
    requireNonEmpty('PersistentVolumeSource.cinder', 'volumeId', volumeId);
    return new PersistentVolumeSource('csi', { csi: { driver: 'cinder.csi.openstack.org', volumeHandle: volumeId, fsType: 'ext4' } }, RWO);
  }

  /** An existing vSphere volume (its First Class Disk id), through the vSphere CSI driver. */
  public static vsphereVolume(volumeHandle: string): PersistentVolumeSource {
    requireNonEmpty('PersistentVolumeSource.vsphereVolume', 'volumeHandle', volumeHandle);
    return new PersistentVolumeSource('csi', { csi: { driver: 'csi.vsphere.vmware.com', volumeHandle, fsType: 'ext4' } }, RWO);
  }

  /** An existing Portworx volume, through the Portworx CSI driver. */
  public static portworx(volumeId: string): PersistentVolumeSource {
    requireNonEmpty('PersistentVolumeSource.portworx', 'volumeId', volumeId);
    return new PersistentVolumeSource('csi', { csi: { driver: 'pxd.portworx.com', volumeHandle: volumeId } }, ALL);
  }

  /** An existing Ceph RBD image, through Rook's CSI driver (static provisioning). */
  public static cephRbd(options: CephSourceOptions): PersistentVolumeSource {
    const c = cephSource('PersistentVolumeSource.cephRbd', options, RBD_DRIVER_SUFFIX, false);
    return new PersistentVolumeSource('csi', {
      csi: {
        driver: c.driver,
        volumeHandle: c.volume,
        fsType: 'ext4',
        volumeAttributes: { clusterID: c.clusterNamespace, pool: c.pool, staticVolume: 'true', imageFeatures: 'layering' },
        nodeStageSecretRef: { name: c.secretName, namespace: c.clusterNamespace },
      },
    }, RWO);
  }

  /** An existing CephFS directory, through Rook's CSI driver (static provisioning). */
  public static cephFs(options: CephSourceOptions): PersistentVolumeSource {
    const c = cephSource('PersistentVolumeSource.cephFs', options, CEPHFS_DRIVER_SUFFIX, true);
    return new PersistentVolumeSource('csi', {
      csi: {
        driver: c.driver,
        volumeHandle: c.volume,
        volumeAttributes: { clusterID: c.clusterNamespace, fsName: c.pool, staticVolume: 'true', rootPath: c.volume },
        nodeStageSecretRef: { name: c.secretName, namespace: c.clusterNamespace },
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

const HOSTNAME = 'kubernetes.io/hostname';
const ZONE = 'topology.kubernetes.io/zone';
/** The filesystems the EBS CSI driver formats. */
const EBS_SOURCE_FS_TYPES = ['ext2', 'ext3', 'ext4', 'xfs'];
const AZURE_DISK_URI = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Compute\/disks\/[^/]+$/i;

function hostnameAffinity(node: string): k8s.VolumeNodeAffinity {
  return zoneAffinity(HOSTNAME, node);
}

function zoneAffinity(key: string, value: string): k8s.VolumeNodeAffinity {
  return { required: { nodeSelectorTerms: [{ matchExpressions: [{ key, operator: 'In', values: [value] }] }] } };
}

/**
 * An iSCSI qualified name as Kubernetes accepts it: `iqn.YYYY-MM.<naming authority>[:<name>]`,
 * `eui.` and 16 characters, or `naa.` and 32.
 */
function requireIqn(where: string, prop: string, value: unknown): string {
  const iqn = requireString(where, prop, value);
  const ok = iqn.startsWith('iqn') ? /iqn\.\d{4}-\d{2}\.([A-Za-z0-9.-]+)(:[^,;*&$|\s]+)$/.test(iqn)
    : iqn.startsWith('eui') ? /^eui.[A-Za-z0-9]{16}$/.test(iqn)
      : iqn.startsWith('naa') ? /^naa.[A-Za-z0-9]{32}$/.test(iqn) : false;
  if (!ok) {
    invalid(where, prop, "must be an iSCSI qualified name such as 'iqn.2001-04.com.example:storage' (or 'eui.' and 16, 'naa.' and 32 letters and digits)", iqn);
  }
  return iqn;
}

/** The checked options of a Rook Ceph source, and the CSI driver they name. */
function cephSource(where: string, options: unknown, suffix: string, rootPath: boolean) {
  const o = requireOptions(where, options, keysOf<CephSourceOptions>({
    operatorNamespace: true, clusterNamespace: true, pool: true, volume: true, secretName: true,
  }));
  const operatorNamespace = requireRookOperatorNamespace(where, o.operatorNamespace, suffix);
  return {
    driver: `${operatorNamespace}${suffix}`,
    clusterNamespace: optional(o.clusterNamespace, (v) => requireDnsLabel(where, 'clusterNamespace', v as string, 63)) ?? 'rook-ceph',
    pool: requireNonEmpty(where, 'pool', o.pool),
    volume: rootPath ? requireAbsolutePath(where, 'volume', o.volume, '/volumes/csi/group/subvolume', true) : requireNonEmpty(where, 'volume', o.volume),
    secretName: requireDnsSubdomain(where, 'secretName', o.secretName as string),
  };
}
