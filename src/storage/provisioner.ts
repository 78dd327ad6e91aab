import { AccessMode } from './access-mode';

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
  /** Provisioned IOPS (gp3, io1, io2). @default - the type's baseline */
  readonly iops?: number;
  /** Throughput in MiB/s (gp3 only). @default - the type's baseline */
  readonly throughputMiBps?: number;
  /** Encrypt volumes at rest. @default true */
  readonly encrypted?: boolean;
  /** KMS key ARN for encryption. @default - the account's default EBS key */
  readonly kmsKeyId?: string;
  /** Filesystem to format. @default 'ext4' */
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
  /** Host caching (`None`, `ReadOnly`, `ReadWrite`). @default 'ReadOnly' */
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
  /** Exported path on the server; each volume is a sub-directory of it. */
  readonly share: string;
  /** NFS mount options' protocol version. @default '4.1' */
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
  /** Keep a replica on the node that runs the pod (`best-effort`, `strict-local`, `disabled`). @default 'best-effort' */
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

/**
 * The volume plugin that creates disks for a StorageClass, with its typed parameters and what its
 * volumes can do. CSI driver names only: the in-tree names of old tutorials are refused with their
 * replacement.
 *
 * @see https://kubernetes.io/docs/concepts/storage/storage-classes/#provisioner
 */
export class Provisioner {
  /** AWS Elastic Block Store through the EBS CSI driver: zonal block disks, ReadWriteOnce. */
  public static awsEbs(options: AwsEbsOptions = {}): Provisioner {
    return new Provisioner('ebs.csi.aws.com', compact({
      'type': options.type ?? EbsVolumeType.GP3,
      'iops': options.iops?.toString(),
      'throughput': options.throughputMiBps?.toString(),
      'encrypted': String(options.encrypted ?? true),
      'kmsKeyId': options.kmsKeyId,
      'csi.storage.k8s.io/fstype': options.fsType ?? 'ext4',
    }), { accessModes: RWO, supportsExpansion: true, locality: VolumeLocality.ZONAL });
  }

  /** Google Compute Engine persistent disks through the PD CSI driver, zonal or regional. */
  public static gcePd(options: GcePdOptions = {}): Provisioner {
    return new Provisioner('pd.csi.storage.gke.io', compact({
      'type': options.type ?? GcePdType.BALANCED,
      'replication-type': options.regional ? 'regional-pd' : 'none',
      'csi.storage.k8s.io/fstype': options.fsType ?? 'ext4',
    }), { accessModes: [...RWO, AccessMode.READ_ONLY_MANY], supportsExpansion: true, locality: VolumeLocality.ZONAL });
  }

  /** Azure managed disks through the Azure Disk CSI driver. Zone-redundant SKUs attach from any zone. */
  public static azureDisk(options: AzureDiskOptions = {}): Provisioner {
    const sku = options.skuName ?? AzureDiskSku.PREMIUM_LRS;
    return new Provisioner('disk.csi.azure.com', compact({
      'skuName': sku,
      'cachingMode': options.cachingMode ?? (sku === AzureDiskSku.PREMIUM_V2_LRS || sku === AzureDiskSku.ULTRA_SSD_LRS ? 'None' : 'ReadOnly'),
      'csi.storage.k8s.io/fstype': options.fsType ?? 'ext4',
    }), { accessModes: RWO, supportsExpansion: true, locality: sku.endsWith('_ZRS') ? VolumeLocality.CLUSTER : VolumeLocality.ZONAL });
  }

  /** Azure Files (SMB or NFS shares) through the Azure File CSI driver: ReadWriteMany. */
  public static azureFile(options: AzureFileOptions = {}): Provisioner {
    return new Provisioner('file.csi.azure.com', compact({
      skuName: options.skuName ?? AzureFileSku.PREMIUM_LRS,
      protocol: options.nfs ? 'nfs' : undefined,
    }), { accessModes: ALL_MODES, supportsExpansion: true, locality: VolumeLocality.CLUSTER });
  }

  /** Ceph RBD block images through Rook's CSI driver. */
  public static cephRbd(options: RookCephOptions = {}): Provisioner {
    const operatorNs = options.operatorNamespace ?? 'rook-ceph';
    const clusterNs = options.clusterNamespace ?? 'rook-ceph';
    return new Provisioner(`${operatorNs}.rbd.csi.ceph.com`, {
      'clusterID': clusterNs,
      'pool': options.pool ?? 'replicapool',
      'imageFormat': '2',
      'imageFeatures': 'layering',
      ...rookSecrets('rook-csi-rbd', clusterNs),
      'csi.storage.k8s.io/fstype': 'ext4',
    }, { accessModes: RWO, supportsExpansion: true, locality: VolumeLocality.CLUSTER });
  }

  /** CephFS shared filesystems through Rook's CSI driver: ReadWriteMany. */
  public static cephFs(options: RookCephOptions = {}): Provisioner {
    const operatorNs = options.operatorNamespace ?? 'rook-ceph';
    const clusterNs = options.clusterNamespace ?? 'rook-ceph';
    const fsName = options.fsName ?? 'myfs';
    return new Provisioner(`${operatorNs}.cephfs.csi.ceph.com`, compact({
      clusterID: clusterNs,
      fsName,
      pool: options.pool,
      ...rookSecrets('rook-csi-cephfs', clusterNs),
    }), { accessModes: ALL_MODES, supportsExpansion: true, locality: VolumeLocality.CLUSTER });
  }

  /** Sub-directories of an NFS export through the NFS CSI driver: ReadWriteMany. */
  public static nfs(options: NfsOptions): Provisioner {
    return new Provisioner('nfs.csi.k8s.io', { server: options.server, share: options.share },
      { accessModes: ALL_MODES, supportsExpansion: false, locality: VolumeLocality.CLUSTER },
      [`nfsvers=${options.nfsVersion ?? '4.1'}`, 'hard']);
  }

  /** VMware vSphere virtual disks through the vSphere CSI driver. */
  public static vsphere(options: VsphereOptions = {}): Provisioner {
    return new Provisioner('csi.vsphere.vmware.com', compact({
      'storagepolicyname': options.storagePolicyName,
      'datastoreurl': options.datastoreUrl,
      'csi.storage.k8s.io/fstype': options.fsType ?? 'ext4',
    }), { accessModes: RWO, supportsExpansion: true, locality: VolumeLocality.ZONAL });
  }

  /** OpenStack Cinder volumes through the Cinder CSI driver. */
  public static cinder(options: CinderOptions = {}): Provisioner {
    return new Provisioner('cinder.csi.openstack.org', compact({
      type: options.volumeType,
      availability: options.availabilityZone,
    }), { accessModes: RWO, supportsExpansion: true, locality: VolumeLocality.ZONAL });
  }

  /** Portworx volumes through its CSI driver, replicated across nodes. */
  public static portworx(options: PortworxOptions = {}): Provisioner {
    return new Provisioner('pxd.portworx.com', {
      repl: String(options.replicas ?? 3),
      io_profile: options.ioProfile ?? 'db_remote',
    }, { accessModes: ALL_MODES, supportsExpansion: true, locality: VolumeLocality.CLUSTER });
  }

  /** Longhorn volumes, replicated across nodes. */
  public static longhorn(options: LonghornOptions = {}): Provisioner {
    return new Provisioner('driver.longhorn.io', {
      numberOfReplicas: String(options.replicas ?? 3),
      staleReplicaTimeout: '30',
      dataLocality: options.dataLocality ?? 'best-effort',
      fsType: options.fsType ?? 'ext4',
    }, { accessModes: ALL_MODES, supportsExpansion: true, locality: VolumeLocality.CLUSTER });
  }

  /** OpenEBS, local (node-bound) or replicated. */
  public static openEbs(engine: OpenEbsEngine = OpenEbsEngine.LOCAL_HOSTPATH): Provisioner {
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
    return new Provisioner(name, { ...options.parameters }, {
      accessModes: options.accessModes ?? RWO,
      supportsExpansion: options.supportsExpansion ?? false,
      locality: options.locality ?? VolumeLocality.ZONAL,
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
