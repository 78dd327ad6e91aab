import {
  AccessMode, AzureDiskSku, AzureFileSku, EbsVolumeType, GcePdType, OpenEbsEngine, Provisioner, VolumeLocality,
} from '../../src/storage';
import { exactly } from '../util';

describe('Provisioner', () => {
  describe('valid options render the parameters the driver documents', () => {
    test('every AWS EBS option', () => {
      const p = Provisioner.awsEbs({ type: EbsVolumeType.GP3, iops: 8000, throughputMiBps: 2000, encrypted: true, kmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/k', fsType: 'xfs' });
      expect(p.parameters).toEqual({
        'type': 'gp3', 'iops': '8000', 'throughput': '2000', 'encrypted': 'true', 'kmsKeyId': 'arn:aws:kms:eu-west-1:111122223333:key/k', 'csi.storage.k8s.io/fstype': 'xfs',
      });
    });

    test.each([
      ['gp3 at its floor', { type: EbsVolumeType.GP3, iops: 3000, throughputMiBps: 125 }],
      ['gp3 at its ceiling', { type: EbsVolumeType.GP3, iops: 80000, throughputMiBps: 2000 }],
      ['gp3 throughput at 0.25 MiB/s per baseline IOPS', { throughputMiBps: 750 }],
      ['io1 at its floor', { type: EbsVolumeType.IO1, iops: 100 }],
      ['io1 at its ceiling', { type: EbsVolumeType.IO1, iops: 64000 }],
      ['io2 at its ceiling', { type: EbsVolumeType.IO2, iops: 256000 }],
      ['gp2 without IOPS', { type: EbsVolumeType.GP2 }],
      ['st1 unencrypted', { type: EbsVolumeType.ST1, encrypted: false }],
    ])('EBS: %s passes', (_, options) => {
      expect(() => Provisioner.awsEbs(options)).not.toThrow();
    });

    test('the other factories accept their documented values', () => {
      expect(Provisioner.azureDisk({ skuName: AzureDiskSku.ULTRA_SSD_LRS, cachingMode: 'None' }).parameters.cachingMode).toBe('None');
      expect(Provisioner.azureDisk({ skuName: AzureDiskSku.PREMIUM_V2_LRS }).parameters.cachingMode).toBe('None');
      expect(Provisioner.azureDisk({ cachingMode: 'ReadWrite' }).parameters.cachingMode).toBe('ReadWrite');
      expect(Provisioner.azureFile({ skuName: AzureFileSku.PREMIUM_ZRS, nfs: true }).parameters.protocol).toBe('nfs');
      expect(Provisioner.nfs({ server: '10.0.0.5', share: '/', nfsVersion: '3' }).mountOptions).toEqual(['nfsvers=3', 'hard']);
      expect(Provisioner.longhorn({ replicas: 1, dataLocality: 'strict-local' }).parameters.numberOfReplicas).toBe('1');
      expect(Provisioner.portworx({ replicas: 1 }).parameters.repl).toBe('1');
      expect(Provisioner.cephRbd({ operatorNamespace: 'a'.repeat(46) }).name).toBe(`${'a'.repeat(46)}.rbd.csi.ceph.com`);
      expect(Provisioner.cephFs({ operatorNamespace: 'a'.repeat(43), fsName: 'shared', pool: 'shared-data0' }).name).toBe(`${'a'.repeat(43)}.cephfs.csi.ceph.com`);
      expect(Provisioner.cinder({ availabilityZone: 'nova', volumeType: 'ssd' }).parameters).toEqual({ type: 'ssd', availability: 'nova' });
      expect(Provisioner.gcePd({ type: GcePdType.HYPERDISK_BALANCED, fsType: 'ext3' }).parameters['csi.storage.k8s.io/fstype']).toBe('ext3');
      expect(Provisioner.openEbs(OpenEbsEngine.LOCAL_ZFS).name).toBe('zfs.csi.openebs.io');
      expect(Provisioner.custom('example.com/My_Driver', { parameters: { tier: 'gold' }, locality: VolumeLocality.NODE }).capabilities.locality).toBe('node');
      expect(Provisioner.custom('kubernetes.io/aws-ebs').name).toBe('kubernetes.io/aws-ebs');
    });
  });

  describe('values the driver or Kubernetes would refuse', () => {
    test.each([
      ['IOPS on gp2', () => Provisioner.awsEbs({ type: EbsVolumeType.GP2, iops: 3000 }),
        "Provisioner.awsEbs: 'iops' can only be set for gp3, io1 and io2 volumes, not gp2 (whose performance follows from its size); leave iops unset, got 3000"],
      ['IOPS on sc1', () => Provisioner.awsEbs({ type: EbsVolumeType.SC1, iops: 500 }), /^Provisioner.awsEbs: 'iops' can only be set for gp3, io1 and io2 volumes, not sc1/],
      ['gp3 below its baseline', () => Provisioner.awsEbs({ iops: 2999 }), "Provisioner.awsEbs: 'iops' must be an integer from 3000 to 80000 for gp3 volumes, got 2999"],
      ['gp3 above its ceiling', () => Provisioner.awsEbs({ iops: 80001 }), "Provisioner.awsEbs: 'iops' must be an integer from 3000 to 80000 for gp3 volumes, got 80001"],
      ['fractional IOPS', () => Provisioner.awsEbs({ iops: 3000.5 }), "Provisioner.awsEbs: 'iops' must be an integer from 3000 to 80000 for gp3 volumes, got 3000.5"],
      ['io1 above its ceiling', () => Provisioner.awsEbs({ type: EbsVolumeType.IO1, iops: 64001 }),
        "Provisioner.awsEbs: 'iops' must be an integer from 100 to 64000 for io1 volumes, got 64001"],
      ['io2 below its floor', () => Provisioner.awsEbs({ type: EbsVolumeType.IO2, iops: 99 }),
        "Provisioner.awsEbs: 'iops' must be an integer from 100 to 256000 for io2 volumes, got 99"],
      ['io1 without IOPS', () => Provisioner.awsEbs({ type: EbsVolumeType.IO1 }),
        "Provisioner.awsEbs: 'iops' must be set for io1 volumes: AWS requires their provisioned IOPS (100 to 64000)"],
      ['throughput on io2', () => Provisioner.awsEbs({ type: EbsVolumeType.IO2, iops: 16000, throughputMiBps: 500 }),
        "Provisioner.awsEbs: 'throughputMiBps' can only be set for gp3 volumes, not io2; leave throughputMiBps unset, got 500"],
      ['gp3 throughput below 125', () => Provisioner.awsEbs({ throughputMiBps: 124 }),
        "Provisioner.awsEbs: 'throughputMiBps' must be an integer from 125 to 2000 for gp3 volumes, got 124"],
      ['gp3 throughput above 2000', () => Provisioner.awsEbs({ iops: 16000, throughputMiBps: 2001 }),
        "Provisioner.awsEbs: 'throughputMiBps' must be an integer from 125 to 2000 for gp3 volumes, got 2001"],
      ['more than 0.25 MiB/s per baseline IOPS', () => Provisioner.awsEbs({ throughputMiBps: 1000 }),
        "Provisioner.awsEbs: 'throughputMiBps' must be at most 0.25 MiB/s per provisioned IOPS: at most 750 with 3000 IOPS; set iops to at least 4000, got 1000"],
      ['more than 0.25 MiB/s per provisioned IOPS', () => Provisioner.awsEbs({ iops: 4000, throughputMiBps: 1001 }),
        /'throughputMiBps' must be at most 0.25 MiB\/s per provisioned IOPS: at most 1000 with 4000 IOPS; set iops to at least 4004, got 1001$/],
      ['a KMS key on unencrypted volumes', () => Provisioner.awsEbs({ encrypted: false, kmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/k' }),
        "Provisioner.awsEbs: 'kmsKeyId' needs encrypted volumes: leave encrypted unset (true) or drop kmsKeyId"],
      ['an empty KMS key', () => Provisioner.awsEbs({ kmsKeyId: '' }), "Provisioner.awsEbs: 'kmsKeyId' must not be empty, got ''"],
      ['a filesystem the EBS driver does not format', () => Provisioner.awsEbs({ fsType: 'ntfs' }),
        "Provisioner.awsEbs: 'fsType' must be one of 'ext2', 'ext3', 'ext4', 'xfs', got 'ntfs' (a string)"],
      ['a filesystem name with a space', () => Provisioner.gcePd({ fsType: 'ext 4' }),
        "Provisioner.gcePd: 'fsType' must be a filesystem type such as 'ext4' or 'xfs' (lower-case letters and digits), got 'ext 4'"],
      ['host caching on an Ultra disk', () => Provisioner.azureDisk({ skuName: AzureDiskSku.ULTRA_SSD_LRS, cachingMode: 'ReadOnly' }),
        "Provisioner.azureDisk: 'cachingMode' must be 'None' for UltraSSD_LRS disks, which have no host caching, got 'ReadOnly'"],
      ['host caching on Premium SSD v2', () => Provisioner.azureDisk({ skuName: AzureDiskSku.PREMIUM_V2_LRS, cachingMode: 'ReadWrite' }),
        /^Provisioner.azureDisk: 'cachingMode' must be 'None' for PremiumV2_LRS disks/],
      ['a caching mode in lower case', () => Provisioner.azureDisk({ cachingMode: 'readonly' }),
        "Provisioner.azureDisk: 'cachingMode' must be one of 'None', 'ReadOnly', 'ReadWrite', got 'readonly' (a string)"],
      ['NFS on a standard Azure Files SKU', () => Provisioner.azureFile({ skuName: AzureFileSku.STANDARD_LRS, nfs: true }),
        "Provisioner.azureFile: 'nfs' needs a Premium SKU (Premium_LRS or Premium_ZRS): Azure Files serves NFS shares only from premium storage, not Standard_LRS"],
      ['a filesystem name for RBD', () => Provisioner.cephRbd({ fsName: 'myfs' }),
        "Provisioner.cephRbd: 'fsName' is for Provisioner.cephFs() only: RBD images belong to a pool, not a filesystem; leave fsName unset"],
      ['an operator namespace too long for the RBD driver name', () => Provisioner.cephRbd({ operatorNamespace: 'a'.repeat(47) }),
        `Provisioner.cephRbd: 'operatorNamespace' must have at most 46 characters: it starts the CSI driver name '${'a'.repeat(47)}.rbd.csi.ceph.com', which may have at most 63, got '${'a'.repeat(47)}'`],
      ['an operator namespace too long for the CephFS driver name', () => Provisioner.cephFs({ operatorNamespace: 'a'.repeat(44) }),
        /^Provisioner.cephFs: 'operatorNamespace' must have at most 43 characters: it starts the CSI driver name 'a{44}.cephfs.csi.ceph.com'/],
      ['an operator namespace that is no namespace', () => Provisioner.cephFs({ operatorNamespace: 'Rook' }),
        "Provisioner.cephFs: 'operatorNamespace' must be a DNS label (lower-case letters, digits and '-', starting and ending with a letter or digit) of at most 63 characters, got 'Rook'"],
      ['a cluster namespace with an underscore', () => Provisioner.cephRbd({ clusterNamespace: 'rook_ceph' }), /^Provisioner.cephRbd: 'clusterNamespace' must be a DNS label .*, got 'rook_ceph'$/],
      ['an empty pool', () => Provisioner.cephRbd({ pool: '' }), "Provisioner.cephRbd: 'pool' must not be empty, got ''"],
      ['a relative NFS share', () => Provisioner.nfs({ server: 'nfs', share: 'exports' }),
        "Provisioner.nfs: 'share' must be an absolute path such as '/exports/k8s', got 'exports'"],
      ['an empty NFS server', () => Provisioner.nfs({ server: '', share: '/exports' }), "Provisioner.nfs: 'server' must not be empty, got ''"],
      ['an NFS version mount.nfs does not know', () => Provisioner.nfs({ server: 'nfs', share: '/exports', nfsVersion: '5' }),
        "Provisioner.nfs: 'nfsVersion' must be one of '3', '4', '4.0', '4.1', '4.2', got '5' (a string)"],
      ['an empty vSphere storage policy', () => Provisioner.vsphere({ storagePolicyName: ' ' }), "Provisioner.vsphere: 'storagePolicyName' must not be empty, got ' '"],
      ['a Cinder zone no node can carry', () => Provisioner.cinder({ availabilityZone: 'zone one' }),
        "Provisioner.cinder: 'availabilityZone' must be a value of the node label 'topology.kubernetes.io/zone': 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, got 'zone one'"],
      ['four Portworx replicas', () => Provisioner.portworx({ replicas: 4 }),
        "Provisioner.portworx: 'replicas' must be an integer from 1 to 3 (Portworx keeps 1 to 3 synchronous copies), got 4"],
      ['no Longhorn replica', () => Provisioner.longhorn({ replicas: 0 }), "Provisioner.longhorn: 'replicas' must be an integer of at least 1, got 0"],
      ['strict-local with the default 3 replicas', () => Provisioner.longhorn({ dataLocality: 'strict-local' }),
        "Provisioner.longhorn: 'replicas' must be 1 with dataLocality 'strict-local' (Longhorn refuses more replicas in that mode); set replicas: 1, got 3"],
      ['a data locality Longhorn does not know', () => Provisioner.longhorn({ dataLocality: 'strict' }),
        "Provisioner.longhorn: 'dataLocality' must be one of 'disabled', 'best-effort', 'strict-local', got 'strict' (a string)"],
      ['a provisioner name with a space', () => Provisioner.custom('my driver'),
        "Provisioner.custom: 'name' must be a provisioner name such as 'ebs.csi.aws.com': at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, optionally after a DNS subdomain and '/', got 'my driver'"],
      ['a provisioner name of 64 characters', () => Provisioner.custom(`${'a'.repeat(60)}.com`), /^Provisioner.custom: 'name' must be a provisioner name/],
      ['a provisioner name with an empty prefix', () => Provisioner.custom('/driver'), /^Provisioner.custom: 'name' must be a provisioner name/],
      ['an empty provisioner name', () => Provisioner.custom(''), /^Provisioner.custom: 'name' must be a provisioner name .*, got ''$/],
      ['an empty parameter key', () => Provisioner.custom('example.com', { parameters: { '': 'x' } }), "Provisioner.custom: 'parameters' must not have an empty key"],
      ['no access mode', () => Provisioner.custom('example.com', { accessModes: [] }),
        "Provisioner.custom: 'accessModes' must list at least one access mode: volumes that serve none cannot bind a claim"],
    ])('%s', (_, make, message) => {
      expect(make).toThrow(typeof message === 'string' ? exactly(message) : message);
    });
  });

  describe('values of the wrong type, as Python or plain JavaScript may pass them', () => {
    const P = Provisioner as any;
    test.each([
      ['null options', () => P.awsEbs(null), "Provisioner.awsEbs: 'options' must be an object of named props, got null"],
      ['a list for options', () => P.gcePd([]), "Provisioner.gcePd: 'options' must be an object of named props, got a list of 0"],
      ['a string for options', () => P.azureDisk('Premium_LRS'), "Provisioner.azureDisk: 'options' must be an object of named props, got 'Premium_LRS' (a string)"],
      ['a string for IOPS', () => P.awsEbs({ iops: '4000' }), "Provisioner.awsEbs: 'iops' must be a number, got '4000' (a string)"],
      ['a string for throughput', () => P.awsEbs({ throughputMiBps: '250' }), "Provisioner.awsEbs: 'throughputMiBps' must be a number, got '250' (a string)"],
      ['a string for IOPS on gp2', () => P.awsEbs({ type: 'gp2', iops: 'auto' }), "Provisioner.awsEbs: 'iops' must be a number, got 'auto' (a string)"],
      ['an enum member name for the type', () => P.awsEbs({ type: 'GP3' }),
        "Provisioner.awsEbs: 'type' must be one of 'gp3', 'gp2', 'io1', 'io2', 'st1', 'sc1', got 'GP3' (a string)"],
      ['a string for a boolean', () => P.awsEbs({ encrypted: 'true' }), "Provisioner.awsEbs: 'encrypted' must be true or false, got 'true' (a string)"],
      ['a number for a string', () => P.awsEbs({ kmsKeyId: 5 }), "Provisioner.awsEbs: 'kmsKeyId' must be a string, got 5 (a number)"],
      ['a misspelt EBS option', () => P.awsEbs({ iop: 4000 }),
        "Provisioner.awsEbs: 'iop' is not a known prop; did you mean 'iops'? valid: encrypted, fsType, iops, kmsKeyId, throughputMiBps, type"],
      ['a string for regional', () => P.gcePd({ regional: 'yes' }), "Provisioner.gcePd: 'regional' must be true or false, got 'yes' (a string)"],
      ['a disk type in its own words', () => P.gcePd({ type: 'ssd' }), /^Provisioner.gcePd: 'type' must be one of 'pd-balanced', 'pd-ssd', .*, got 'ssd' \(a string\)$/],
      ['a misspelt GCE option', () => P.gcePd({ regionl: true }), "Provisioner.gcePd: 'regionl' is not a known prop; did you mean 'regional'? valid: fsType, regional, type"],
      ['a number for a caching mode', () => P.azureDisk({ cachingMode: 1 }), "Provisioner.azureDisk: 'cachingMode' must be one of 'None', 'ReadOnly', 'ReadWrite', got 1 (a number)"],
      ['a misspelt Azure Disk option', () => P.azureDisk({ sku: 'Premium_LRS' }), /^Provisioner.azureDisk: 'sku' is not a known prop; valid: cachingMode, fsType, skuName$/],
      ['a string for nfs', () => P.azureFile({ nfs: 'true' }), "Provisioner.azureFile: 'nfs' must be true or false, got 'true' (a string)"],
      ['null for an Azure Files SKU', () => P.azureFile({ skuName: null }), /^Provisioner.azureFile: 'skuName' must be one of 'Standard_LRS', .*, got null$/],
      ['a number for a pool', () => P.cephRbd({ pool: 5 }), "Provisioner.cephRbd: 'pool' must be a string, got 5 (a number)"],
      ['null for an operator namespace', () => P.cephRbd({ operatorNamespace: null }), "Provisioner.cephRbd: 'operatorNamespace' must be a string, got null"],
      ['a number for a filesystem name', () => P.cephFs({ fsName: 5 }), "Provisioner.cephFs: 'fsName' must be a string, got 5 (a number)"],
      ['a misspelt Rook option', () => P.cephFs({ fsname: 'myfs' }),
        "Provisioner.cephFs: 'fsname' is not a known prop; did you mean 'fsName'? valid: clusterNamespace, fsName, operatorNamespace, pool"],
      ['no NFS options', () => P.nfs(), "Provisioner.nfs: 'options' must be an object of named props, got nothing"],
      ['no NFS share', () => P.nfs({ server: 'nfs' }), "Provisioner.nfs: 'share' must be a string, got nothing"],
      ['a number for an NFS server', () => P.nfs({ server: 10, share: '/x' }), "Provisioner.nfs: 'server' must be a string, got 10 (a number)"],
      ['a number for an NFS version', () => P.nfs({ server: 'nfs', share: '/x', nfsVersion: 4.1 }),
        "Provisioner.nfs: 'nfsVersion' must be one of '3', '4', '4.0', '4.1', '4.2', got 4.1 (a number)"],
      ['a number for a filesystem', () => P.vsphere({ fsType: 4 }), "Provisioner.vsphere: 'fsType' must be a string, got 4 (a number)"],
      ['a misspelt vSphere option', () => P.vsphere({ storagePolicy: 'gold' }), /^Provisioner.vsphere: 'storagePolicy' is not a known prop; valid: datastoreUrl, fsType, storagePolicyName$/],
      ['an object for a volume type', () => P.cinder({ volumeType: {} }), "Provisioner.cinder: 'volumeType' must be a string, got an empty object"],
      ['a string for Portworx replicas', () => P.portworx({ replicas: '3' }), "Provisioner.portworx: 'replicas' must be a number, got '3' (a string)"],
      ['a misspelt Portworx option', () => P.portworx({ replica: 3 }), /^Provisioner.portworx: 'replica' is not a known prop; did you mean 'replicas'\?/],
      ['a string for Longhorn replicas', () => P.longhorn({ replicas: '2' }), "Provisioner.longhorn: 'replicas' must be a number, got '2' (a string)"],
      ['null for the OpenEBS engine', () => P.openEbs(null), /^Provisioner.openEbs: 'engine' must be one of 'openebs.io\/local', .*, got null$/],
      ['an OpenEBS engine by its own name', () => P.openEbs('mayastor'), /^Provisioner.openEbs: 'engine' must be one of .*'io.openebs.csi-mayastor', got 'mayastor' \(a string\)$/],
      ['no provisioner name', () => P.custom(), "Provisioner.custom: 'name' must be a string, got nothing"],
      ['a number for a provisioner name', () => P.custom(5), "Provisioner.custom: 'name' must be a string, got 5 (a number)"],
      ['a list for parameters', () => P.custom('example.com', { parameters: ['tier=gold'] }),
        "Provisioner.custom: 'parameters' must be a map of strings to strings, got a list of 1"],
      ['a number as a parameter', () => P.custom('example.com', { parameters: { iops: 3000 } }), "Provisioner.custom: 'parameters.iops' must be a string, got 3000 (a number)"],
      ['a string for access modes', () => P.custom('example.com', { accessModes: 'ReadWriteOnce' }),
        "Provisioner.custom: 'accessModes' must be a list of AccessMode values, got 'ReadWriteOnce' (a string)"],
      ['an abbreviated access mode', () => P.custom('example.com', { accessModes: ['RWO'] }),
        "Provisioner.custom: 'accessModes[0]' must be one of 'ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod', got 'RWO' (a string)"],
      ['a capitalised locality', () => P.custom('example.com', { locality: 'Zonal' }), "Provisioner.custom: 'locality' must be one of 'cluster', 'zonal', 'node', got 'Zonal' (a string)"],
      ['a string for supportsExpansion', () => P.custom('example.com', { supportsExpansion: 'yes' }), "Provisioner.custom: 'supportsExpansion' must be true or false, got 'yes' (a string)"],
      ['a misspelt custom option', () => P.custom('example.com', { parameter: {} }),
        "Provisioner.custom: 'parameter' is not a known prop; did you mean 'parameters'? valid: accessModes, locality, parameters, supportsExpansion"],
    ])('%s', (_, make, message) => {
      expect(make).toThrow(typeof message === 'string' ? exactly(message) : message);
    });

    test('Python None (undefined) for an optional factory argument takes the default', () => {
      expect(Provisioner.openEbs(undefined).name).toBe('openebs.io/local');
      expect(Provisioner.awsEbs(undefined).parameters.type).toBe('gp3');
      expect(Provisioner.custom('example.com', { accessModes: undefined }).capabilities.accessModes).toEqual([AccessMode.READ_WRITE_ONCE, AccessMode.READ_WRITE_ONCE_POD]);
    });
  });
});
