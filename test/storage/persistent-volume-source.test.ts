import { Size } from 'cdk8s';
import { AccessMode, PersistentVolume, PersistentVolumeSource } from '../../src/storage';
import { exactly, newChart, only, synth } from '../util';

const expectError = (make: () => unknown, message: string | RegExp) =>
  expect(make).toThrow(typeof message === 'string' ? exactly(message) : message);

describe('PersistentVolumeSource', () => {
  test('valid edge cases pass', () => {
    const csi = PersistentVolumeSource.csi({
      driver: 'Example.CSI.io', volumeHandle: 'h', fsType: 'xfs', volumeAttributes: { a: '' }, nodeStageSecretName: 'stage.secret', accessModes: [AccessMode.READ_WRITE_MANY],
    });
    const chart = newChart();
    new PersistentVolume(chart, 'pv', { source: csi, capacity: Size.gibibytes(1), accessModes: [AccessMode.READ_WRITE_MANY] });
    expect(only(synth(chart), 'PersistentVolume').spec.csi).toEqual({
      driver: 'Example.CSI.io', volumeHandle: 'h', fsType: 'xfs', volumeAttributes: { a: '' }, nodeStageSecretRef: { name: 'stage.secret', namespace: 'default' },
    });
    expect(() => PersistentVolumeSource.iscsi({ targetPortal: '10.0.0.1', iqn: 'eui.02004567A425678D', lun: 255 })).not.toThrow();
    expect(() => PersistentVolumeSource.iscsi({ targetPortal: '10.0.0.1', iqn: `naa.${'6'.repeat(32)}`, lun: 0 })).not.toThrow();
    expect(() => PersistentVolumeSource.fibreChannel({ targetWwns: ['500a0982991b8dc5', '500a0982991b8dc6'], lun: 0 })).not.toThrow();
    expect(() => PersistentVolumeSource.nfs({ server: 'fd00::5', path: '/' })).not.toThrow();
    expect(() => PersistentVolumeSource.hostPath({ path: '/var/lib/x', node: 'ip-10-0-0-1.eu-west-1.compute.internal' })).not.toThrow();
    expect(() => PersistentVolumeSource.awsElasticBlockStore({ volumeId: 'vol-0123456789abcdef0', zone: 'eu-west-1a', fsType: 'xfs' })).not.toThrow();
    expect(() => PersistentVolumeSource.azureDisk('/subscriptions/0000/resourcegroups/rg/providers/microsoft.compute/disks/d1')).not.toThrow();
    expect(() => PersistentVolumeSource.azureFile({ resourceGroup: 'My_RG (prod)', storageAccount: 'abc', shareName: 'a-b-c', secretName: 'azure-secret', secretNamespace: 'db' })).not.toThrow();
    expect(() => PersistentVolumeSource.cephRbd({ operatorNamespace: 'a'.repeat(46), pool: 'p', volume: 'img', secretName: 's' })).not.toThrow();
  });

  describe('values Kubernetes or the driver would refuse', () => {
    test.each([
      ['a CSI driver name with a space', () => PersistentVolumeSource.csi({ driver: 'ebs csi', volumeHandle: 'v' }),
        "PersistentVolumeSource.csi: 'driver' must be a CSI driver name such as 'ebs.csi.aws.com': at most 63 letters, digits, '-' and '.', starting and ending with a letter or digit, got 'ebs csi'"],
      ['a CSI driver name of 64 characters', () => PersistentVolumeSource.csi({ driver: `${'a'.repeat(60)}.com`, volumeHandle: 'v' }),
        /^PersistentVolumeSource.csi: 'driver' must be a CSI driver name/],
      ['an empty volume handle', () => PersistentVolumeSource.csi({ driver: 'ebs.csi.aws.com', volumeHandle: '' }), "PersistentVolumeSource.csi: 'volumeHandle' must not be empty, got ''"],
      ['a secret name that is no DNS subdomain', () => PersistentVolumeSource.csi({ driver: 'd.io', volumeHandle: 'v', nodeStageSecretName: 'Stage_Secret' }),
        /^PersistentVolumeSource.csi: 'nodeStageSecretName' must be a DNS subdomain .*, got 'Stage_Secret'$/],
      ['a secret namespace without a secret', () => PersistentVolumeSource.csi({ driver: 'd.io', volumeHandle: 'v', nodeStageSecretNamespace: 'kube-system' }),
        "PersistentVolumeSource.csi: 'nodeStageSecretNamespace' has no secret to locate: set nodeStageSecretName too, or drop it"],
      ['a secret namespace that is no namespace', () => PersistentVolumeSource.csi({ driver: 'd.io', volumeHandle: 'v', nodeStageSecretName: 's', nodeStageSecretNamespace: 'kube.system' }),
        /^PersistentVolumeSource.csi: 'nodeStageSecretNamespace' must be a DNS label .* of at most 63 characters, got 'kube.system'$/],
      ['an empty attribute key', () => PersistentVolumeSource.csi({ driver: 'd.io', volumeHandle: 'v', volumeAttributes: { '': 'x' } }),
        "PersistentVolumeSource.csi: 'volumeAttributes' must not have an empty key"],
      ['no access mode', () => PersistentVolumeSource.csi({ driver: 'd.io', volumeHandle: 'v', accessModes: [] }),
        "PersistentVolumeSource.csi: 'accessModes' must list at least one access mode the volume supports"],
      ['a relative NFS path', () => PersistentVolumeSource.nfs({ server: 'nfs', path: 'tmp' }),
        "PersistentVolumeSource.nfs: 'path' must be an absolute path such as '/exports/data', got 'tmp'"],
      ['an empty NFS server', () => PersistentVolumeSource.nfs({ server: '', path: '/tmp' }), "PersistentVolumeSource.nfs: 'server' must not be empty, got ''"],
      ['an IQN that is a bare name', () => PersistentVolumeSource.iscsi({ targetPortal: '10.0.0.1:3260', iqn: 'storage', lun: 0 }),
        "PersistentVolumeSource.iscsi: 'iqn' must be an iSCSI qualified name such as 'iqn.2001-04.com.example:storage' (or 'eui.' and 16, 'naa.' and 32 letters and digits), got 'storage'"],
      ['an IQN without its target name', () => PersistentVolumeSource.iscsi({ targetPortal: '10.0.0.1:3260', iqn: 'iqn.2001-04.com.example', lun: 0 }),
        /^PersistentVolumeSource.iscsi: 'iqn' must be an iSCSI qualified name/],
      ['an EUI of 15 characters', () => PersistentVolumeSource.iscsi({ targetPortal: '10.0.0.1', iqn: 'eui.02004567A425678', lun: 0 }), /'iqn' must be an iSCSI qualified name/],
      ['an empty target portal', () => PersistentVolumeSource.iscsi({ targetPortal: '', iqn: 'iqn.2001-04.com.example:s', lun: 0 }),
        "PersistentVolumeSource.iscsi: 'targetPortal' must not be empty, got ''"],
      ['an iSCSI LUN above 255', () => PersistentVolumeSource.iscsi({ targetPortal: '10.0.0.1', iqn: 'iqn.2001-04.com.example:s', lun: 256 }),
        "PersistentVolumeSource.iscsi: 'lun' must be an integer from 0 to 255, got 256"],
      ['a negative Fibre Channel LUN', () => PersistentVolumeSource.fibreChannel({ targetWwns: ['500a0982991b8dc5'], lun: -1 }),
        "PersistentVolumeSource.fibreChannel: 'lun' must be an integer from 0 to 255, got -1"],
      ['a fractional LUN', () => PersistentVolumeSource.fibreChannel({ targetWwns: ['500a0982991b8dc5'], lun: 1.5 }), /'lun' must be an integer from 0 to 255, got 1.5$/],
      ['no target WWN', () => PersistentVolumeSource.fibreChannel({ targetWwns: [], lun: 0 }),
        "PersistentVolumeSource.fibreChannel: 'targetWwns' must list at least one target world wide name"],
      ['an empty target WWN', () => PersistentVolumeSource.fibreChannel({ targetWwns: [''], lun: 0 }), "PersistentVolumeSource.fibreChannel: 'targetWwns[0]' must not be empty, got ''"],
      ['a relative local path', () => PersistentVolumeSource.local({ path: 'mnt/disks/ssd1', node: 'n1' }),
        "PersistentVolumeSource.local: 'path' must be an absolute path such as '/mnt/disks/ssd1', got 'mnt/disks/ssd1'"],
      ['a local path with ..', () => PersistentVolumeSource.local({ path: '/mnt/../etc', node: 'n1' }), "PersistentVolumeSource.local: 'path' must not contain '..', got '/mnt/../etc'"],
      ['a node name no hostname label can hold', () => PersistentVolumeSource.local({ path: '/mnt', node: 'worker 1' }),
        "PersistentVolumeSource.local: 'node' must be a value of the node label 'kubernetes.io/hostname': 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, got 'worker 1'"],
      ['an empty node', () => PersistentVolumeSource.local({ path: '/mnt', node: '' }), /^PersistentVolumeSource.local: 'node' must be a value of the node label 'kubernetes.io\/hostname'.*, got ''$/],
      ['a hostPath with ..', () => PersistentVolumeSource.hostPath({ path: '/srv/../../etc' }), "PersistentVolumeSource.hostPath: 'path' must not contain '..', got '/srv/../../etc'"],
      ['a relative hostPath', () => PersistentVolumeSource.hostPath({ path: 'data' }), "PersistentVolumeSource.hostPath: 'path' must be an absolute path such as '/srv/data', got 'data'"],
      ['an empty hostPath node', () => PersistentVolumeSource.hostPath({ path: '/srv', node: '' }), /^PersistentVolumeSource.hostPath: 'node' must be a value of the node label/],
      ['an EBS volume by its name', () => PersistentVolumeSource.awsElasticBlockStore({ volumeId: 'orders-data' }),
        "PersistentVolumeSource.awsElasticBlockStore: 'volumeId' must be an EBS volume id: 'vol-' and hexadecimal digits, such as 'vol-0123456789abcdef0', got 'orders-data'"],
      ['an EBS zone with a space', () => PersistentVolumeSource.awsElasticBlockStore({ volumeId: 'vol-0abc', zone: 'eu west 1a' }),
        "PersistentVolumeSource.awsElasticBlockStore: 'zone' must be a value of the node label 'topology.kubernetes.io/zone': 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, got 'eu west 1a'"],
      ['a filesystem the EBS driver does not format', () => PersistentVolumeSource.awsElasticBlockStore({ volumeId: 'vol-0abc', fsType: 'btrfs' }),
        "PersistentVolumeSource.awsElasticBlockStore: 'fsType' must be one of 'ext2', 'ext3', 'ext4', 'xfs', got 'btrfs' (a string)"],
      ['a disk name with capitals', () => PersistentVolumeSource.gcePersistentDisk({ project: 'p', zone: 'europe-west1-b', diskName: 'Orders_Disk' }),
        "PersistentVolumeSource.gcePersistentDisk: 'diskName' must be a Compute Engine disk name: 1 to 63 lower-case letters, digits and '-', starting with a letter and not ending with '-', got 'Orders_Disk'"],
      ['a project with a slash', () => PersistentVolumeSource.gcePersistentDisk({ project: 'p/q', zone: 'europe-west1-b', diskName: 'd' }),
        "PersistentVolumeSource.gcePersistentDisk: 'project' must be a project id, without '/' (it is one segment of the disk's path), got 'p/q'"],
      ['an empty GCE zone', () => PersistentVolumeSource.gcePersistentDisk({ project: 'p', zone: '', diskName: 'd' }), /^PersistentVolumeSource.gcePersistentDisk: 'zone' must be a value of the node label/],
      ['an Azure disk by its name', () => PersistentVolumeSource.azureDisk('orders-disk'),
        "PersistentVolumeSource.azureDisk: 'diskUri' must be the resource id of a managed disk: '/subscriptions/<subscription>/resourceGroups/<group>/providers/Microsoft.Compute/disks/<disk>', got 'orders-disk'"],
      ['a storage account with capitals', () => PersistentVolumeSource.azureFile({ resourceGroup: 'rg', storageAccount: 'MyAccount', shareName: 'share', secretName: 's' }),
        "PersistentVolumeSource.azureFile: 'storageAccount' must be a storage account name: 3 to 24 lower-case letters and digits, got 'MyAccount'"],
      ['a share name with --', () => PersistentVolumeSource.azureFile({ resourceGroup: 'rg', storageAccount: 'acct', shareName: 'a--b', secretName: 's' }),
        "PersistentVolumeSource.azureFile: 'shareName' must be a file share name: 3 to 63 lower-case letters, digits and '-', starting and ending with a letter or digit, no '--', got 'a--b'"],
      ['a resource group with #', () => PersistentVolumeSource.azureFile({ resourceGroup: 'rg#1', storageAccount: 'acct', shareName: 'share', secretName: 's' }),
        "PersistentVolumeSource.azureFile: 'resourceGroup' must be a resource group name, without '#', got 'rg#1'"],
      ['an empty Cinder volume id', () => PersistentVolumeSource.cinder(''), "PersistentVolumeSource.cinder: 'volumeId' must not be empty, got ''"],
      ['an empty vSphere handle', () => PersistentVolumeSource.vsphereVolume(''), "PersistentVolumeSource.vsphereVolume: 'volumeHandle' must not be empty, got ''"],
      ['an operator namespace too long for the driver name', () => PersistentVolumeSource.cephRbd({ operatorNamespace: 'a'.repeat(47), pool: 'p', volume: 'v', secretName: 's' }),
        /^PersistentVolumeSource.cephRbd: 'operatorNamespace' must have at most 46 characters: it starts the CSI driver name 'a{47}.rbd.csi.ceph.com', which may have at most 63/],
      ['a relative CephFS root path', () => PersistentVolumeSource.cephFs({ pool: 'myfs', volume: 'volumes/a', secretName: 's' }),
        "PersistentVolumeSource.cephFs: 'volume' must be an absolute path such as '/volumes/csi/group/subvolume', got 'volumes/a'"],
      ['a Ceph secret that is no DNS subdomain', () => PersistentVolumeSource.cephRbd({ pool: 'p', volume: 'img', secretName: 'Node_Secret' }),
        /^PersistentVolumeSource.cephRbd: 'secretName' must be a DNS subdomain .*, got 'Node_Secret'$/],
    ])('%s', (_, make, message) => {
      expectError(make, message);
    });
  });

  describe('values of the wrong type, as Python or plain JavaScript may pass them', () => {
    const S = PersistentVolumeSource as any;
    test.each([
      ['no CSI options', () => S.csi(), "PersistentVolumeSource.csi: 'options' must be an object of named props, got nothing"],
      ['null CSI options', () => S.csi(null), "PersistentVolumeSource.csi: 'options' must be an object of named props, got null"],
      ['no CSI driver', () => S.csi({ volumeHandle: 'v' }), "PersistentVolumeSource.csi: 'driver' must be a string, got nothing"],
      ['a number for a volume handle', () => S.csi({ driver: 'd.io', volumeHandle: 42 }), "PersistentVolumeSource.csi: 'volumeHandle' must be a string, got 42 (a number)"],
      ['a list for attributes', () => S.csi({ driver: 'd.io', volumeHandle: 'v', volumeAttributes: ['a=b'] }),
        "PersistentVolumeSource.csi: 'volumeAttributes' must be a map of strings to strings, got a list of 1"],
      ['a boolean attribute', () => S.csi({ driver: 'd.io', volumeHandle: 'v', volumeAttributes: { staticVolume: true } }),
        "PersistentVolumeSource.csi: 'volumeAttributes.staticVolume' must be a string, got true (a boolean)"],
      ['a string for access modes', () => S.csi({ driver: 'd.io', volumeHandle: 'v', accessModes: 'ReadWriteOnce' }),
        "PersistentVolumeSource.csi: 'accessModes' must be a list of AccessMode values, got 'ReadWriteOnce' (a string)"],
      ['a misspelt CSI option', () => S.csi({ driver: 'd.io', volumeHandle: 'v', fstype: 'xfs' }),
        "PersistentVolumeSource.csi: 'fstype' is not a known prop; did you mean 'fsType'? valid: accessModes, driver, fsType, nodeStageSecretName, nodeStageSecretNamespace, volumeAttributes, volumeHandle"],
      ['a string for NFS options', () => S.nfs('172.17.0.2:/tmp'), "PersistentVolumeSource.nfs: 'options' must be an object of named props, got '172.17.0.2:/tmp' (a string)"],
      ['no NFS path', () => S.nfs({ server: 'nfs' }), "PersistentVolumeSource.nfs: 'path' must be a string, got nothing"],
      ['a misspelt NFS option', () => S.nfs({ server: 'nfs', pat: '/x' }), /^PersistentVolumeSource.nfs: 'pat' is not a known prop; did you mean 'path'\? valid: path, server$/],
      ['a string for a LUN', () => S.iscsi({ targetPortal: '10.0.0.1', iqn: 'iqn.2001-04.com.example:s', lun: '0' }),
        "PersistentVolumeSource.iscsi: 'lun' must be a number, got '0' (a string)"],
      ['no LUN', () => S.fibreChannel({ targetWwns: ['500a0982991b8dc5'] }), "PersistentVolumeSource.fibreChannel: 'lun' must be a number, got nothing"],
      ['a string for target WWNs', () => S.fibreChannel({ targetWwns: '500a0982991b8dc5', lun: 0 }),
        "PersistentVolumeSource.fibreChannel: 'targetWwns' must be a list of target world wide names, got '500a0982991b8dc5' (a string)"],
      ['a number as a target WWN', () => S.fibreChannel({ targetWwns: [5], lun: 0 }), "PersistentVolumeSource.fibreChannel: 'targetWwns[0]' must be a string, got 5 (a number)"],
      ['no node for a local volume', () => S.local({ path: '/mnt' }), "PersistentVolumeSource.local: 'node' must be a string, got nothing"],
      ['a misspelt local option', () => S.local({ path: '/mnt', nodeName: 'n1' }), /^PersistentVolumeSource.local: 'nodeName' is not a known prop; valid: node, path$/],
      ['null for a hostPath node', () => S.hostPath({ path: '/srv', node: null }), "PersistentVolumeSource.hostPath: 'node' must be a string, got null"],
      ['a number for an EBS volume id', () => S.awsElasticBlockStore({ volumeId: 123 }), "PersistentVolumeSource.awsElasticBlockStore: 'volumeId' must be a string, got 123 (a number)"],
      ['a misspelt EBS option', () => S.awsElasticBlockStore({ volumeID: 'vol-0abc' }),
        /^PersistentVolumeSource.awsElasticBlockStore: 'volumeID' is not a known prop; did you mean 'volumeId'\?/],
      ['no GCE zone', () => S.gcePersistentDisk({ project: 'p', diskName: 'd' }), "PersistentVolumeSource.gcePersistentDisk: 'zone' must be a string, got nothing"],
      ['an object for an Azure disk', () => S.azureDisk({ uri: '/subscriptions/s' }), "PersistentVolumeSource.azureDisk: 'diskUri' must be a string, got an object with keys uri"],
      ['no Azure Files secret', () => S.azureFile({ resourceGroup: 'rg', storageAccount: 'acct', shareName: 'share' }),
        "PersistentVolumeSource.azureFile: 'secretName' must be a string, got nothing"],
      ['a number for a Cinder volume id', () => S.cinder(1234), "PersistentVolumeSource.cinder: 'volumeId' must be a string, got 1234 (a number)"],
      ['null for a vSphere handle', () => S.vsphereVolume(null), "PersistentVolumeSource.vsphereVolume: 'volumeHandle' must be a string, got null"],
      ['nothing for a Portworx volume', () => S.portworx(), "PersistentVolumeSource.portworx: 'volumeId' must be a string, got nothing"],
      ['no RBD image', () => S.cephRbd({ pool: 'p', secretName: 's' }), "PersistentVolumeSource.cephRbd: 'volume' must be a string, got nothing"],
      ['a misspelt Ceph option', () => S.cephFs({ pool: 'myfs', volume: '/v', secret: 's' }),
        /^PersistentVolumeSource.cephFs: 'secret' is not a known prop; valid: clusterNamespace, operatorNamespace, pool, secretName, volume$/],
    ])('%s', (_, make, message) => {
      expectError(make, message);
    });
  });
});
