import { AccessMode } from './access-mode';
import {
  CEPHFS_DRIVER_SUFFIX, RBD_DRIVER_SUFFIX, requireAbsolutePath, requireAccessModeList, requireFsType, requireIntegerIn, requireNonEmpty,
  requireOptions, requireParameters, requireProvisionerName, requireRookOperatorNamespace, requireZone,
} from './volume-checks';
import { invalid } from '../private/errors';
import { keysOf, optional, requireBoolean, requireNumber, requireOneOf } from '../private/guards';
import { requireDnsLabel } from '../private/names';

/** Where a provisioner's volumes can be attached from. */
export enum VolumeLocality {
  /** Reachable from any node (network filesystems, replicated block storage). */
  CLUSTER = 'cluster',
  /** Attached only in the zone the disk was created in (cloud block disks). */
  ZONAL = 'zonal',
  /** On one node's own disks: the pod must return to that node. */
  NODE = 'node',
}

/** What a provisioner's volumes can do; used to refuse claims they cannot serve. */
export interface ProvisionerCapabilities {
  /** Access modes the volumes support. */
  readonly accessModes: AccessMode[];
  /** Whether a bound volume can be grown by editing its claim. */
  readonly supportsExpansion: boolean;
  /** Where the volumes can be attached from; decides the default volume binding mode. */
  readonly locality: VolumeLocality;
}

const RWO = [AccessMode.READ_WRITE_ONCE, AccessMode.READ_WRITE_ONCE_POD];
const ALL_MODES = [AccessMode.READ_WRITE_ONCE, AccessMode.READ_ONLY_MANY, AccessMode.READ_WRITE_MANY, AccessMode.READ_WRITE_ONCE_POD];

/** EBS volume types. @see https://docs.aws.amazon.com/ebs/latest/userguide/ebs-volume-types.html */
export enum EbsVolumeType {
  /** General purpose SSD, baseline 3000 IOPS and 125 MiB/s, both tunable. */
  GP3 = 'gp3',
  /** Previous general purpose SSD; IOPS scale with size. */
  GP2 = 'gp2',
  /** Provisioned IOPS SSD. */
  IO1 = 'io1',
  /** Provisioned IOPS SSD, higher durability. */
  IO2 = 'io2',
  /** Throughput-optimized HDD; not for databases' random I/O. */
  ST1 = 'st1',
  /** Cold HDD. */
  SC1 = 'sc1',
}

/** Parameters of the AWS EBS CSI driver. @see https://github.com/kubernetes-sigs/aws-ebs-csi-driver/blob/master/docs/parameters.md */
export interface AwsEbsOptions {
  /** Volume type. @default EbsVolumeType.GP3 */
  readonly type?: EbsVolumeType;
  /** Provisioned IOPS: 3000 to 80000 for gp3, 100 to 64000 for io1, 100 to 256000 for io2 (required for io1 and io2); none for the other types. @default - the type's baseline */
  readonly iops?: number;
  /** Throughput in MiB/s, gp3 only: 125 to 2000, and at most 0.25 per provisioned IOPS. @default - the type's baseline */
  readonly throughputMiBps?: number;
  /** Encrypt volumes at rest. @default true */
  readonly encrypted?: boolean;
  /** KMS key ARN for encryption (with `encrypted` only). @default - the account's default EBS key */
  readonly kmsKeyId?: string;
  /** Filesystem to format: ext2, ext3, ext4 or xfs. @default 'ext4' */
  readonly fsType?: string;
}

/** GCE persistent disk types. @see https://cloud.google.com/compute/docs/disks */
export enum GcePdType {
  /** Balanced SSD. */
  BALANCED = 'pd-balanced',
  /** Performance SSD. */
  SSD = 'pd-ssd',
  /** Standard HDD. */
  STANDARD = 'pd-standard',
  /** Extreme persistent disk. */
  EXTREME = 'pd-extreme',
  /** Hyperdisk Balanced. */
  HYPERDISK_BALANCED = 'hyperdisk-balanced',
}

/** Parameters of the GCE PD CSI driver. @see https://github.com/kubernetes-sigs/gcp-compute-persistent-disk-csi-driver */
export interface GcePdOptions {
  /** Disk type. @default GcePdType.BALANCED */
  readonly type?: GcePdType;
  /** Replicate each disk synchronously across two zones of the region (regional PD). @default false */
  readonly regional?: boolean;
  /** Filesystem to format. @default 'ext4' */
  readonly fsType?: string;
}

/** Azure managed disk SKUs. */
export enum AzureDiskSku {
  /** Premium SSD, locally redundant. */
  PREMIUM_LRS = 'Premium_LRS',
  /** Premium SSD v2, locally redundant. */
  PREMIUM_V2_LRS = 'PremiumV2_LRS',
  /** Premium SSD, zone-redundant: attachable from any zone of the region. */
  PREMIUM_ZRS = 'Premium_ZRS',
  /** Standard SSD, locally redundant. */
  STANDARD_SSD_LRS = 'StandardSSD_LRS',
  /** Standard SSD, zone-redundant. */
  STANDARD_SSD_ZRS = 'StandardSSD_ZRS',
  /** Standard HDD. */
  STANDARD_LRS = 'Standard_LRS',
  /** Ultra disk. */
  ULTRA_SSD_LRS = 'UltraSSD_LRS',
}

/** Parameters of the Azure Disk CSI driver. @see https://github.com/kubernetes-sigs/azuredisk-csi-driver/blob/master/docs/driver-parameters.md */
export interface AzureDiskOptions {
  /** Disk SKU. @default AzureDiskSku.PREMIUM_LRS */
  readonly skuName?: AzureDiskSku;
  /** Host caching (`None`, `ReadOnly`, `ReadWrite`); only `None` for UltraSSD_LRS and PremiumV2_LRS. @default - 'None' for UltraSSD_LRS and PremiumV2_LRS, 'ReadOnly' otherwise */
  readonly cachingMode?: string;
  /** Filesystem to format. @default 'ext4' */
  readonly fsType?: string;
}

/** Azure Files SKUs. */
export enum AzureFileSku {
  /** Standard, locally redundant. */
  STANDARD_LRS = 'Standard_LRS',
  /** Standard, zone-redundant. */
  STANDARD_ZRS = 'Standard_ZRS',
  /** Standard, geo-redundant. */
  STANDARD_GRS = 'Standard_GRS',
  /** Premium (SSD), locally redundant. */
  PREMIUM_LRS = 'Premium_LRS',
  /** Premium (SSD), zone-redundant. */
  PREMIUM_ZRS = 'Premium_ZRS',
}

/** Parameters of the Azure File CSI driver. @see https://github.com/kubernetes-sigs/azurefile-csi-driver/blob/master/docs/driver-parameters.md */
export interface AzureFileOptions {
  /** Storage account SKU. @default AzureFileSku.PREMIUM_LRS */
  readonly skuName?: AzureFileSku;
  /** Use NFS instead of SMB (Premium SKUs only). @default false */
  readonly nfs?: boolean;
}

/** Rook-managed Ceph settings shared by RBD and CephFS. @see https://rook.io/docs/rook/latest/Storage-Configuration/Block-Storage-RBD/block-storage/ */
export interface RookCephOptions {
  /** Namespace of the Rook operator: the CSI driver is named `<operatorNamespace>.rbd.csi.ceph.com`. @default 'rook-ceph' */
  readonly operatorNamespace?: string;
  /** Namespace of the CephCluster (the `clusterID` parameter). @default 'rook-ceph' */
  readonly clusterNamespace?: string;
  /** Ceph pool (RBD) or data pool (CephFS). @default 'replicapool' for RBD; the filesystem's default data pool for CephFS */
  readonly pool?: string;
  /** Filesystem name (CephFS only). @default 'myfs' */
  readonly fsName?: string;
}

/** Parameters of the NFS CSI driver. @see https://github.com/kubernetes-csi/csi-driver-nfs/blob/master/docs/driver-parameters.md */
export interface NfsOptions {
  /** NFS server host name or address. */
  readonly server: string;
  /** Exported path on the server, absolute; each volume is a sub-directory of it. */
  readonly share: string;
  /** NFS protocol version of the mount options: '3', '4', '4.0', '4.1' or '4.2'. @default '4.1' */
  readonly nfsVersion?: string;
}

/** Parameters of the vSphere CSI driver. @see https://docs.vmware.com/en/VMware-vSphere-Container-Storage-Plug-in/ */
export interface VsphereOptions {
  /** vSphere storage policy (SPBM) name. @default - the datastore's default policy */
  readonly storagePolicyName?: string;
  /** Datastore URL. @default - chosen by the storage policy */
  readonly datastoreUrl?: string;
  /** Filesystem to format. @default 'ext4' */
  readonly fsType?: string;
}

/** Parameters of the OpenStack Cinder CSI driver. */
export interface CinderOptions {
  /** Cinder volume type. @default - the cloud's default type */
  readonly volumeType?: string;
  /** Availability zone to create volumes in. @default - the pod's zone */
  readonly availabilityZone?: string;
}

/** Parameters of the Portworx CSI driver. */
export interface PortworxOptions {
  /** Synchronous replicas of each volume, 1 to 3. @default 3 */
  readonly replicas?: number;
  /** I/O profile (`db`, `db_remote`, `auto`...). @default 'db_remote' */
  readonly ioProfile?: string;
}

/** Parameters of the Longhorn CSI driver. @see https://longhorn.io/docs/latest/references/storage-class-parameters/ */
export interface LonghornOptions {
  /** Replicas of each volume, on different nodes. @default 3 */
  readonly replicas?: number;
  /** Keep a replica on the node that runs the pod (`best-effort`, `strict-local` with one replica, `disabled`). @default 'best-effort' */
  readonly dataLocality?: string;
  /** Filesystem to format. @default 'ext4' */
  readonly fsType?: string;
}

/** OpenEBS storage engines. */
export enum OpenEbsEngine {
  /** Local PV on a host path: node-local, no replication. */
  LOCAL_HOSTPATH = 'openebs.io/local',
  /** Local PV on LVM: node-local, expandable. */
  LOCAL_LVM = 'local.csi.openebs.io',
  /** Local PV on ZFS: node-local, expandable. */
  LOCAL_ZFS = 'zfs.csi.openebs.io',
  /** Replicated PV (Mayastor): replicated across nodes over NVMe-oF. */
  REPLICATED = 'io.openebs.csi-mayastor',
}

/** Options of a provisioner this library has no factory for. */
export interface CustomProvisionerOptions {
  /** Parameters passed to the provisioner. @default - none */
  readonly parameters?: { [key: string]: string };
  /** Access modes its volumes support. @default [ReadWriteOnce, ReadWriteOncePod] */
  readonly accessModes?: AccessMode[];
  /** Whether its volumes can be expanded. @default false */
  readonly supportsExpansion?: boolean;
  /** Where its volumes can be attached from. @default VolumeLocality.ZONAL (the safe assumption: bind where the pod lands) */
  readonly locality?: VolumeLocality;
}

/**
 * In-tree provisioner names from older tutorials, mapped to what replaced them.
 * They were migrated to CSI drivers and removed from Kubernetes.
 */
const IN_TREE_REPLACEMENTS: { [name: string]: string } = {
  'kubernetes.io/aws-ebs': 'Provisioner.awsEbs() (ebs.csi.aws.com)',
  'kubernetes.io/gce-pd': 'Provisioner.gcePd() (pd.csi.storage.gke.io)',
  'kubernetes.io/azure-disk': 'Provisioner.azureDisk() (disk.csi.azure.com)',
  'kubernetes.io/azure-file': 'Provisioner.azureFile() (file.csi.azure.com)',
  'kubernetes.io/cinder': 'Provisioner.cinder() (cinder.csi.openstack.org)',
  'kubernetes.io/vsphere-volume': 'Provisioner.vsphere() (csi.vsphere.vmware.com)',
  'kubernetes.io/portworx-volume': 'Provisioner.portworx() (pxd.portworx.com)',
  'kubernetes.io/rbd': 'Provisioner.cephRbd() (Rook Ceph CSI)',
  'kubernetes.io/cephfs': 'Provisioner.cephFs() (Rook Ceph CSI)',
  'kubernetes.io/glusterfs': 'a CSI driver (GlusterFS support was removed in Kubernetes 1.26)',
  'kubernetes.io/quobyte': 'a CSI driver (Quobyte support was removed in Kubernetes 1.25)',
  'kubernetes.io/storageos': 'a CSI driver (StorageOS support was removed in Kubernetes 1.25)',
  'kubernetes.io/scaleio': 'a CSI driver (ScaleIO support was removed in Kubernetes 1.22)',
  'kubernetes.io/flocker': 'a CSI driver (Flocker support was removed in Kubernetes 1.25)',
  'kubernetes.io/photon-pd': 'Provisioner.vsphere() (Photon PD support was removed in Kubernetes 1.15)',
};

// What the factories accept, beyond the kinds of their options.
const EBS_KEYS = keysOf<AwsEbsOptions>({ type: true, iops: true, throughputMiBps: true, encrypted: true, kmsKeyId: true, fsType: true });
/** Provisioned IOPS by EBS volume type, as CreateVolume documents them; the other types take none. */
const EBS_IOPS: { readonly [type: string]: { readonly min: number; readonly max: number; readonly required: boolean } | undefined } = {
  [EbsVolumeType.GP3]: { min: 3000, max: 80000, required: false },
  [EbsVolumeType.IO1]: { min: 100, max: 64000, required: true },
  [EbsVolumeType.IO2]: { min: 100, max: 256000, required: true },
};
/** The IOPS of a gp3 volume that sets none. */
const GP3_BASELINE_IOPS = 3000;
/** The filesystems the EBS CSI driver formats. */
const EBS_FS_TYPES = ['ext2', 'ext3', 'ext4', 'xfs'];
const AZURE_CACHING_MODES = ['None', 'ReadOnly', 'ReadWrite'];
const ROOK_KEYS = keysOf<RookCephOptions>({ operatorNamespace: true, clusterNamespace: true, pool: true, fsName: true });
/** The protocol versions of the `nfsvers` mount option (nfs(5)); NFSv2 is left out. */
const NFS_VERSIONS = ['3', '4', '4.0', '4.1', '4.2'];
const LONGHORN_DATA_LOCALITIES = ['disabled', 'best-effort', 'strict-local'];
const CUSTOM_KEYS = keysOf<CustomProvisionerOptions>({ parameters: true, accessModes: true, supportsExpansion: true, locality: true });

/**
 * The volume plugin that creates disks for a StorageClass, with its typed parameters and what its
 * volumes can do. CSI driver names only: the in-tree names of old tutorials are refused with their
 * replacement.
 *
 * @see https://kubernetes.io/docs/concepts/storage/storage-classes/#provisioner
 */
export class Provisioner {
  /**
   * AWS Elastic Block Store through the EBS CSI driver: zonal block disks, ReadWriteOnce.
   *
   * IOPS and throughput are checked against the ranges AWS documents for CreateVolume (gp3: 3000 to
   * 80000 IOPS, 125 to 2000 MiB/s and at most 0.25 MiB/s per IOPS; io1: 100 to 64000 IOPS; io2: 100
   * to 256000 IOPS, which io1 and io2 require).
   * @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVolume.html
   */
  public static awsEbs(options: AwsEbsOptions = {}): Provisioner {
    const where = 'Provisioner.awsEbs';
    const o = requireOptions(where, options, EBS_KEYS);
    const type = optional(o.type, (v) => requireOneOf(where, 'type', v, Object.values(EbsVolumeType))) ?? EbsVolumeType.GP3;
    const iops = optional(o.iops, (v) => ebsIops(where, type, v));
    if (iops === undefined && EBS_IOPS[type]?.required) {
      invalid(where, 'iops', `must be set for ${type} volumes: AWS requires their provisioned IOPS (${EBS_IOPS[type]!.min} to ${EBS_IOPS[type]!.max})`);
    }
    const throughput = optional(o.throughputMiBps, (v) => ebsThroughput(where, type, v, iops ?? GP3_BASELINE_IOPS));
    const encrypted = optional(o.encrypted, (v) => requireBoolean(where, 'encrypted', v)) ?? true;
    const kmsKeyId = optional(o.kmsKeyId, (v) => requireNonEmpty(where, 'kmsKeyId', v));
    if (kmsKeyId !== undefined && !encrypted) {
      invalid(where, 'kmsKeyId', 'needs encrypted volumes: leave encrypted unset (true) or drop kmsKeyId');
    }
    const fsType = optional(o.fsType, (v) => requireFsType(where, 'fsType', v, EBS_FS_TYPES)) ?? 'ext4';
    return new Provisioner('ebs.csi.aws.com', compact({
      'type': type,
      'iops': iops?.toString(),
      'throughput': throughput?.toString(),
      'encrypted': String(encrypted),
      'kmsKeyId': kmsKeyId,
      'csi.storage.k8s.io/fstype': fsType,
    }), { accessModes: RWO, supportsExpansion: true, locality: VolumeLocality.ZONAL });
  }

  /** Google Compute Engine persistent disks through the PD CSI driver, zonal or regional. */
  public static gcePd(options: GcePdOptions = {}): Provisioner {
    const where = 'Provisioner.gcePd';
    const o = requireOptions(where, options, keysOf<GcePdOptions>({ type: true, regional: true, fsType: true }));
    const type = optional(o.type, (v) => requireOneOf(where, 'type', v, Object.values(GcePdType))) ?? GcePdType.BALANCED;
    const regional = optional(o.regional, (v) => requireBoolean(where, 'regional', v)) ?? false;
    const fsType = optional(o.fsType, (v) => requireFsType(where, 'fsType', v)) ?? 'ext4';
    return new Provisioner('pd.csi.storage.gke.io', compact({
      'type': type,
      'replication-type': regional ? 'regional-pd' : 'none',
      'csi.storage.k8s.io/fstype': fsType,
    }), { accessModes: [...RWO, AccessMode.READ_ONLY_MANY], supportsExpansion: true, locality: VolumeLocality.ZONAL });
  }

  /** Azure managed disks through the Azure Disk CSI driver. Zone-redundant SKUs attach from any zone. */
  public static azureDisk(options: AzureDiskOptions = {}): Provisioner {
    const where = 'Provisioner.azureDisk';
    const o = requireOptions(where, options, keysOf<AzureDiskOptions>({ skuName: true, cachingMode: true, fsType: true }));
    const sku = optional(o.skuName, (v) => requireOneOf(where, 'skuName', v, Object.values(AzureDiskSku))) ?? AzureDiskSku.PREMIUM_LRS;
    const uncached = sku === AzureDiskSku.PREMIUM_V2_LRS || sku === AzureDiskSku.ULTRA_SSD_LRS;
    const cachingMode = optional(o.cachingMode, (v) => requireOneOf(where, 'cachingMode', v, AZURE_CACHING_MODES));
    if (uncached && cachingMode !== undefined && cachingMode !== 'None') {
      invalid(where, 'cachingMode', `must be 'None' for ${sku} disks, which have no host caching`, cachingMode);
    }
    const fsType = optional(o.fsType, (v) => requireFsType(where, 'fsType', v)) ?? 'ext4';
    return new Provisioner('disk.csi.azure.com', compact({
      'skuName': sku,
      'cachingMode': cachingMode ?? (uncached ? 'None' : 'ReadOnly'),
      'csi.storage.k8s.io/fstype': fsType,
    }), { accessModes: RWO, supportsExpansion: true, locality: sku.endsWith('_ZRS') ? VolumeLocality.CLUSTER : VolumeLocality.ZONAL });
  }

  /** Azure Files (SMB or NFS shares) through the Azure File CSI driver: ReadWriteMany. */
  public static azureFile(options: AzureFileOptions = {}): Provisioner {
    const where = 'Provisioner.azureFile';
    const o = requireOptions(where, options, keysOf<AzureFileOptions>({ skuName: true, nfs: true }));
    const sku = optional(o.skuName, (v) => requireOneOf(where, 'skuName', v, Object.values(AzureFileSku))) ?? AzureFileSku.PREMIUM_LRS;
    const nfs = optional(o.nfs, (v) => requireBoolean(where, 'nfs', v)) ?? false;
    if (nfs && !sku.startsWith('Premium_')) {
      invalid(where, 'nfs', `needs a Premium SKU (Premium_LRS or Premium_ZRS): Azure Files serves NFS shares only from premium storage, not ${sku}`);
    }
    return new Provisioner('file.csi.azure.com', compact({
      skuName: sku,
      protocol: nfs ? 'nfs' : undefined,
    }), { accessModes: ALL_MODES, supportsExpansion: true, locality: VolumeLocality.CLUSTER });
  }

  /** Ceph RBD block images through Rook's CSI driver. */
  public static cephRbd(options: RookCephOptions = {}): Provisioner {
    const where = 'Provisioner.cephRbd';
    const o = requireOptions(where, options, ROOK_KEYS);
    if (o.fsName !== undefined) {
      invalid(where, 'fsName', 'is for Provisioner.cephFs() only: RBD images belong to a pool, not a filesystem; leave fsName unset');
    }
    const operatorNs = requireRookOperatorNamespace(where, o.operatorNamespace, RBD_DRIVER_SUFFIX);
    const clusterNs = optional(o.clusterNamespace, (v) => requireDnsLabel(where, 'clusterNamespace', v as string, 63)) ?? 'rook-ceph';
    const pool = optional(o.pool, (v) => requireNonEmpty(where, 'pool', v)) ?? 'replicapool';
    return new Provisioner(`${operatorNs}${RBD_DRIVER_SUFFIX}`, {
      'clusterID': clusterNs,
      'pool': pool,
      'imageFormat': '2',
      'imageFeatures': 'layering',
      ...rookSecrets('rook-csi-rbd', clusterNs),
      'csi.storage.k8s.io/fstype': 'ext4',
    }, { accessModes: RWO, supportsExpansion: true, locality: VolumeLocality.CLUSTER });
  }

  /** CephFS shared filesystems through Rook's CSI driver: ReadWriteMany. */
  public static cephFs(options: RookCephOptions = {}): Provisioner {
    const where = 'Provisioner.cephFs';
    const o = requireOptions(where, options, ROOK_KEYS);
    const operatorNs = requireRookOperatorNamespace(where, o.operatorNamespace, CEPHFS_DRIVER_SUFFIX);
    const clusterNs = optional(o.clusterNamespace, (v) => requireDnsLabel(where, 'clusterNamespace', v as string, 63)) ?? 'rook-ceph';
    const fsName = optional(o.fsName, (v) => requireNonEmpty(where, 'fsName', v)) ?? 'myfs';
    const pool = optional(o.pool, (v) => requireNonEmpty(where, 'pool', v));
    return new Provisioner(`${operatorNs}${CEPHFS_DRIVER_SUFFIX}`, compact({
      clusterID: clusterNs,
      fsName,
      pool,
      ...rookSecrets('rook-csi-cephfs', clusterNs),
    }), { accessModes: ALL_MODES, supportsExpansion: true, locality: VolumeLocality.CLUSTER });
  }

  /** Sub-directories of an NFS export through the NFS CSI driver: ReadWriteMany. */
  public static nfs(options: NfsOptions): Provisioner {
    const where = 'Provisioner.nfs';
    const o = requireOptions(where, options, keysOf<NfsOptions>({ server: true, share: true, nfsVersion: true }));
    const server = requireNonEmpty(where, 'server', o.server);
    const share = requireAbsolutePath(where, 'share', o.share, '/exports/k8s', false);
    const nfsVersion = optional(o.nfsVersion, (v) => requireOneOf(where, 'nfsVersion', v, NFS_VERSIONS)) ?? '4.1';
    return new Provisioner('nfs.csi.k8s.io', { server, share },
      { accessModes: ALL_MODES, supportsExpansion: false, locality: VolumeLocality.CLUSTER },
      [`nfsvers=${nfsVersion}`, 'hard']);
  }

  /** VMware vSphere virtual disks through the vSphere CSI driver. */
  public static vsphere(options: VsphereOptions = {}): Provisioner {
    const where = 'Provisioner.vsphere';
    const o = requireOptions(where, options, keysOf<VsphereOptions>({ storagePolicyName: true, datastoreUrl: true, fsType: true }));
    return new Provisioner('csi.vsphere.vmware.com', compact({
      'storagepolicyname': optional(o.storagePolicyName, (v) => requireNonEmpty(where, 'storagePolicyName', v)),
      'datastoreurl': optional(o.datastoreUrl, (v) => requireNonEmpty(where, 'datastoreUrl', v)),
      'csi.storage.k8s.io/fstype': optional(o.fsType, (v) => requireFsType(where, 'fsType', v)) ?? 'ext4',
    }), { accessModes: RWO, supportsExpansion: true, locality: VolumeLocality.ZONAL });
  }

  /** OpenStack Cinder volumes through the Cinder CSI driver. */
  public static cinder(options: CinderOptions = {}): Provisioner {
    const where = 'Provisioner.cinder';
    const o = requireOptions(where, options, keysOf<CinderOptions>({ volumeType: true, availabilityZone: true }));
    return new Provisioner('cinder.csi.openstack.org', compact({
      type: optional(o.volumeType, (v) => requireNonEmpty(where, 'volumeType', v)),
      availability: optional(o.availabilityZone, (v) => requireZone(where, 'availabilityZone', v)),
    }), { accessModes: RWO, supportsExpansion: true, locality: VolumeLocality.ZONAL });
  }

  /** Portworx volumes through its CSI driver, replicated across nodes. */
  public static portworx(options: PortworxOptions = {}): Provisioner {
    const where = 'Provisioner.portworx';
    const o = requireOptions(where, options, keysOf<PortworxOptions>({ replicas: true, ioProfile: true }));
    const replicas = optional(o.replicas, (v) => requireIntegerIn(where, 'replicas', v, 1, 3, ' (Portworx keeps 1 to 3 synchronous copies)')) ?? 3;
    return new Provisioner('pxd.portworx.com', {
      repl: String(replicas),
      io_profile: optional(o.ioProfile, (v) => requireNonEmpty(where, 'ioProfile', v)) ?? 'db_remote',
    }, { accessModes: ALL_MODES, supportsExpansion: true, locality: VolumeLocality.CLUSTER });
  }

  /** Longhorn volumes, replicated across nodes. */
  public static longhorn(options: LonghornOptions = {}): Provisioner {
    const where = 'Provisioner.longhorn';
    const o = requireOptions(where, options, keysOf<LonghornOptions>({ replicas: true, dataLocality: true, fsType: true }));
    const replicas = optional(o.replicas, (v) => requireIntegerIn(where, 'replicas', v, 1)) ?? 3;
    const dataLocality = optional(o.dataLocality, (v) => requireOneOf(where, 'dataLocality', v, LONGHORN_DATA_LOCALITIES)) ?? 'best-effort';
    if (dataLocality === 'strict-local' && replicas !== 1) {
      invalid(where, 'replicas', "must be 1 with dataLocality 'strict-local' (Longhorn refuses more replicas in that mode); set replicas: 1", replicas);
    }
    return new Provisioner('driver.longhorn.io', {
      numberOfReplicas: String(replicas),
      staleReplicaTimeout: '30',
      dataLocality,
      fsType: optional(o.fsType, (v) => requireFsType(where, 'fsType', v)) ?? 'ext4',
    }, { accessModes: ALL_MODES, supportsExpansion: true, locality: VolumeLocality.CLUSTER });
  }

  /** OpenEBS, local (node-bound) or replicated. */
  public static openEbs(engine: OpenEbsEngine = OpenEbsEngine.LOCAL_HOSTPATH): Provisioner {
    requireOneOf('Provisioner.openEbs', 'engine', engine, Object.values(OpenEbsEngine));
    const local = engine !== OpenEbsEngine.REPLICATED;
    return new Provisioner(engine, engine === OpenEbsEngine.REPLICATED ? { repl: '3', protocol: 'nvmf' } : {}, {
      accessModes: RWO,
      supportsExpansion: engine !== OpenEbsEngine.LOCAL_HOSTPATH,
      locality: local ? VolumeLocality.NODE : VolumeLocality.CLUSTER,
    });
  }

  /**
   * No provisioner: volumes are created by hand (`PersistentVolume`, `StaticVolumeSet`) and bound
   * when a pod is scheduled, as for local disks.
   *
   * @see https://kubernetes.io/docs/concepts/storage/storage-classes/#local
   */
  public static none(): Provisioner {
    return new Provisioner('kubernetes.io/no-provisioner', {}, { accessModes: ALL_MODES, supportsExpansion: false, locality: VolumeLocality.NODE });
  }

  /** Any other provisioner, by name. The removed in-tree names (`kubernetes.io/aws-ebs`...) are refused. */
  public static custom(name: string, options: CustomProvisionerOptions = {}): Provisioner {
    const where = 'Provisioner.custom';
    requireProvisionerName(where, 'name', name);
    const o = requireOptions(where, options, CUSTOM_KEYS);
    const parameters = optional(o.parameters, (v) => requireParameters(where, 'parameters', v));
    const accessModes = optional(o.accessModes, (v) => requireAccessModeList(where, 'accessModes', v)) ?? RWO;
    if (accessModes.length === 0) {
      invalid(where, 'accessModes', 'must list at least one access mode: volumes that serve none cannot bind a claim');
    }
    return new Provisioner(name, { ...parameters }, {
      accessModes,
      supportsExpansion: optional(o.supportsExpansion, (v) => requireBoolean(where, 'supportsExpansion', v)) ?? false,
      locality: optional(o.locality, (v) => requireOneOf(where, 'locality', v, Object.values(VolumeLocality))) ?? VolumeLocality.ZONAL,
    });
  }

  private constructor(
    /** The provisioner (CSI driver) name. */
    public readonly name: string,
    /** Parameters for the provisioner, as written into the StorageClass. */
    public readonly parameters: { [key: string]: string },
    /** What its volumes can do. */
    public readonly capabilities: ProvisionerCapabilities,
    /** Mount options it needs. */
    public readonly mountOptions: string[] = [],
  ) {}

  /**
   * What replaced this provisioner if it is one of the removed in-tree plugins.
   * @returns a hint, or undefined when the name is current
   */
  public get removedInTreeReplacement(): string | undefined {
    return IN_TREE_REPLACEMENTS[this.name];
  }
}

function rookSecrets(prefix: string, ns: string): { [key: string]: string } {
  return {
    'csi.storage.k8s.io/provisioner-secret-name': `${prefix}-provisioner`,
    'csi.storage.k8s.io/provisioner-secret-namespace': ns,
    'csi.storage.k8s.io/controller-expand-secret-name': `${prefix}-provisioner`,
    'csi.storage.k8s.io/controller-expand-secret-namespace': ns,
    'csi.storage.k8s.io/node-stage-secret-name': `${prefix}-node`,
    'csi.storage.k8s.io/node-stage-secret-namespace': ns,
  };
}

function compact(params: { [key: string]: string | undefined }): { [key: string]: string } {
  const out: { [key: string]: string } = {};
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined) { out[k] = v; }
  }
  return out;
}

/** Provisioned IOPS of an EBS volume of `type`: a whole number in the type's range. */
function ebsIops(where: string, type: EbsVolumeType, value: unknown): number {
  requireNumber(where, 'iops', value);
  const range = EBS_IOPS[type];
  if (!range) {
    invalid(where, 'iops', `can only be set for gp3, io1 and io2 volumes, not ${type} (whose performance follows from its size); leave iops unset`, value);
  }
  return requireIntegerIn(where, 'iops', value, range.min, range.max, ` for ${type} volumes`);
}

/** Throughput of a gp3 volume in MiB/s: 125 to 2000, and at most 0.25 MiB/s per provisioned IOPS. */
function ebsThroughput(where: string, type: EbsVolumeType, value: unknown, iops: number): number {
  requireNumber(where, 'throughputMiBps', value);
  if (type !== EbsVolumeType.GP3) {
    invalid(where, 'throughputMiBps', `can only be set for gp3 volumes, not ${type}; leave throughputMiBps unset`, value);
  }
  const throughput = requireIntegerIn(where, 'throughputMiBps', value, 125, 2000, ' for gp3 volumes');
  if (throughput * 4 > iops) {
    invalid(where, 'throughputMiBps', `must be at most 0.25 MiB/s per provisioned IOPS: at most ${Math.floor(iops / 4)} with ${iops} IOPS; set iops to at least ${throughput * 4}`, throughput);
  }
  return throughput;
}
