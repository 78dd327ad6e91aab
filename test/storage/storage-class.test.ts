import { Testing } from 'cdk8s';
import {
  AccessMode, AzureDiskSku, EbsVolumeType, OpenEbsEngine, Provisioner, ReclaimPolicy, StorageClass, VolumeBindingMode, VolumeLocality,
} from '../../src/storage';
import { newChart, only, synth } from '../util';

describe('StorageClass', () => {
  test('defaults for state: Retain, WaitForFirstConsumer for zonal disks, expansion where supported, no namespace', () => {
    // GIVEN a chart with a namespace
    const chart = newChart('shop');
    // WHEN
    new StorageClass(chart, 'ssd', { provisioner: Provisioner.awsEbs({ type: EbsVolumeType.GP3, iops: 4000, throughputMiBps: 250 }) });
    // THEN
    const sc = only(synth(chart), 'StorageClass');
    expect(sc.metadata).toEqual({ name: 'ssd' });
    expect(sc.provisioner).toBe('ebs.csi.aws.com');
    expect(sc.reclaimPolicy).toBe('Retain');
    expect(sc.volumeBindingMode).toBe('WaitForFirstConsumer');
    expect(sc.allowVolumeExpansion).toBe(true);
    expect(sc.parameters).toEqual({ 'type': 'gp3', 'iops': '4000', 'throughput': '250', 'encrypted': 'true', 'csi.storage.k8s.io/fstype': 'ext4' });
  });

  test.each([
    ['awsEbs', Provisioner.awsEbs(), 'ebs.csi.aws.com', 'WaitForFirstConsumer'],
    ['gcePd', Provisioner.gcePd(), 'pd.csi.storage.gke.io', 'WaitForFirstConsumer'],
    ['gcePd regional', Provisioner.gcePd({ regional: true }), 'pd.csi.storage.gke.io', 'WaitForFirstConsumer'],
    ['azureDisk', Provisioner.azureDisk(), 'disk.csi.azure.com', 'WaitForFirstConsumer'],
    ['azureDisk ZRS', Provisioner.azureDisk({ skuName: AzureDiskSku.PREMIUM_ZRS }), 'disk.csi.azure.com', 'Immediate'],
    ['azureFile', Provisioner.azureFile(), 'file.csi.azure.com', 'Immediate'],
    ['cephRbd', Provisioner.cephRbd(), 'rook-ceph.rbd.csi.ceph.com', 'Immediate'],
    ['cephFs', Provisioner.cephFs(), 'rook-ceph.cephfs.csi.ceph.com', 'Immediate'],
    ['nfs', Provisioner.nfs({ server: 'nfs.example.com', share: '/exports' }), 'nfs.csi.k8s.io', 'Immediate'],
    ['vsphere', Provisioner.vsphere(), 'csi.vsphere.vmware.com', 'WaitForFirstConsumer'],
    ['cinder', Provisioner.cinder(), 'cinder.csi.openstack.org', 'WaitForFirstConsumer'],
    ['portworx', Provisioner.portworx(), 'pxd.portworx.com', 'Immediate'],
    ['longhorn', Provisioner.longhorn(), 'driver.longhorn.io', 'Immediate'],
    ['openEbs local', Provisioner.openEbs(), 'openebs.io/local', 'WaitForFirstConsumer'],
    ['openEbs replicated', Provisioner.openEbs(OpenEbsEngine.REPLICATED), 'io.openebs.csi-mayastor', 'Immediate'],
    ['none (local static)', Provisioner.none(), 'kubernetes.io/no-provisioner', 'WaitForFirstConsumer'],
  ])('%s uses the CSI name %s and binds %s', (_name, provisioner, driver, binding) => {
    const chart = newChart();
    new StorageClass(chart, 'sc', { provisioner });
    const sc = only(synth(chart), 'StorageClass');
    expect(sc.provisioner).toBe(driver);
    expect(sc.volumeBindingMode).toBe(binding);
    expect(sc.reclaimPolicy).toBe('Retain');
    expect(sc.allowVolumeExpansion).toBe(provisioner.capabilities.supportsExpansion);
    expect(sc.metadata.namespace).toBeUndefined();
    expect(driver.startsWith('kubernetes.io/') && driver !== 'kubernetes.io/no-provisioner').toBe(false);
  });

  test('GCE regional disks replicate across zones', () => {
    expect(Provisioner.gcePd({ regional: true }).parameters['replication-type']).toBe('regional-pd');
    expect(Provisioner.gcePd().parameters['replication-type']).toBe('none');
  });

  test('NFS carries its mount options; zones become allowedTopologies; default class annotation', () => {
    const chart = newChart();
    new StorageClass(chart, 'shared', {
      provisioner: Provisioner.nfs({ server: '10.0.0.5', share: '/srv' }),
      zones: ['eu-west-1a', 'eu-west-1b'],
      isDefault: true,
    });
    const sc = only(synth(chart), 'StorageClass');
    expect(sc.mountOptions).toEqual(['nfsvers=4.1', 'hard']);
    expect(sc.allowedTopologies).toEqual([{ matchLabelExpressions: [{ key: 'topology.kubernetes.io/zone', values: ['eu-west-1a', 'eu-west-1b'] }] }]);
    expect(sc.metadata.annotations).toEqual({ 'storageclass.kubernetes.io/is-default-class': 'true' });
  });

  test('capabilities describe the volumes', () => {
    expect(Provisioner.awsEbs().capabilities).toEqual({
      accessModes: [AccessMode.READ_WRITE_ONCE, AccessMode.READ_WRITE_ONCE_POD], supportsExpansion: true, locality: VolumeLocality.ZONAL,
    });
    expect(Provisioner.cephFs().capabilities.accessModes).toContain(AccessMode.READ_WRITE_MANY);
  });

  test('fromStorageClassName references an existing class', () => {
    const existing = StorageClass.fromStorageClassName('gp3');
    expect(existing.storageClassName).toBe('gp3');
    expect(existing.capabilities).toBeUndefined();
  });

  describe('bad input', () => {
    test('the removed in-tree provisioner names are refused with their replacement', () => {
      const chart = newChart();
      expect(() => new StorageClass(chart, 'old', { provisioner: Provisioner.custom('kubernetes.io/aws-ebs') }))
        .toThrow("test/old: 'provisioner' names the removed in-tree plugin 'kubernetes.io/aws-ebs'; use Provisioner.awsEbs() (ebs.csi.aws.com)");
    });

    test('Recycle is refused', () => {
      const chart = newChart();
      expect(() => new StorageClass(chart, 'sc', { provisioner: Provisioner.awsEbs(), reclaimPolicy: ReclaimPolicy.RECYCLE }))
        .toThrow(/test\/sc: 'reclaimPolicy' must be 'Retain' or 'Delete'.*got 'Recycle'/);
    });

    test('expansion cannot be forced on storage that cannot expand', () => {
      const chart = newChart();
      expect(() => new StorageClass(chart, 'sc', { provisioner: Provisioner.none(), allowVolumeExpansion: true }))
        .toThrow(/'allowVolumeExpansion' cannot be true: kubernetes.io\/no-provisioner volumes cannot be expanded/);
    });

    test('node-local storage must wait for the first consumer', () => {
      const chart = newChart();
      expect(() => new StorageClass(chart, 'sc', { provisioner: Provisioner.openEbs(), volumeBindingMode: VolumeBindingMode.IMMEDIATE }))
        .toThrow(/'volumeBindingMode' must be WaitForFirstConsumer for node-local storage/);
    });

    test('a name that is not a DNS subdomain', () => {
      const chart = newChart();
      expect(() => new StorageClass(chart, 'sc', { provisioner: Provisioner.awsEbs(), name: 'Fast_SSD' }))
        .toThrow(/test\/sc: 'name' must be a DNS subdomain .* got 'Fast_SSD'/);
    });

    test('two classes with one name', () => {
      const chart = newChart();
      new StorageClass(chart, 'a', { provisioner: Provisioner.awsEbs(), name: 'ssd' });
      new StorageClass(chart, 'b', { provisioner: Provisioner.gcePd(), name: 'ssd' });
      expect(() => Testing.synth(chart)).toThrow(/two StorageClass objects are named 'ssd': test\/a\/Resource and test\/b\/Resource/);
    });
  });

  test('Delete is allowed but warned about', () => {
    const chart = newChart();
    const sc = new StorageClass(chart, 'scratch', { provisioner: Provisioner.awsEbs(), reclaimPolicy: ReclaimPolicy.DELETE });
    expect(only(synth(chart), 'StorageClass').reclaimPolicy).toBe('Delete');
    expect(sc.node.metadata.map((m) => m.data)).toEqual([expect.stringMatching(/reclaimPolicy 'Delete' destroys/)]);
  });
});
