import { Size, Testing } from 'cdk8s';
import {
  AccessMode, AzureDiskSku, EbsVolumeType, OpenEbsEngine, PersistentVolume, PersistentVolumeSource, Provisioner, ReclaimPolicy, StorageClass,
  VolumeBindingMode, VolumeLocality,
} from '../../src/storage';
import { exactly, newChart, only, synth } from '../util';

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

  describe('values Kubernetes would refuse', () => {
    test.each([
      ['a construct id that is no name', () => new StorageClass(newChart(), 'FastSSD', { provisioner: Provisioner.awsEbs() }),
        "test/FastSSD: 'name' must be a DNS subdomain (lower-case letters, digits, '-' and '.') of at most 253 characters; it defaults to the construct id: set 'name', got 'FastSSD'"],
      ['an empty mount option', () => new StorageClass(newChart(), 'sc', { provisioner: Provisioner.awsEbs(), mountOptions: ['noatime', ''] }),
        "test/sc: 'mountOptions[1]' must be a mount option such as 'nfsvers=4.1' or 'noatime', not empty, got ''"],
      ['a zone with a space', () => new StorageClass(newChart(), 'sc', { provisioner: Provisioner.awsEbs(), zones: ['eu west 1a'] }),
        "test/sc: 'zones[0]' must be a value of the node label 'topology.kubernetes.io/zone': 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, got 'eu west 1a'"],
      ['an empty zone', () => new StorageClass(newChart(), 'sc', { provisioner: Provisioner.awsEbs(), zones: [''] }),
        /^test\/sc: 'zones\[0\]' must be a value of the node label 'topology.kubernetes.io\/zone'.*, got ''$/],
      ['a zone listed twice', () => new StorageClass(newChart(), 'sc', { provisioner: Provisioner.awsEbs(), zones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1a'] }),
        "test/sc: 'zones[2]' repeats a zone already listed (Kubernetes refuses duplicates), got 'eu-west-1a'"],
    ])('%s', (_, make, message) => {
      expect(make).toThrow(typeof message === 'string' ? exactly(message) : message);
    });

    test('an empty list of zones or mount options means none', () => {
      const chart = newChart();
      new StorageClass(chart, 'sc', { provisioner: Provisioner.nfs({ server: 'nfs', share: '/x' }), zones: [], mountOptions: [] });
      const sc = only(synth(chart), 'StorageClass');
      expect(sc.allowedTopologies).toBeUndefined();
      expect(sc.mountOptions).toBeUndefined();
    });
  });

  describe('values of the wrong type, as Python or plain JavaScript may pass them', () => {
    const build = (props: any) => () => new StorageClass(newChart(), 'sc', props);
    const ebs = Provisioner.awsEbs();
    test.each([
      ['no props at all', undefined, "test/sc: 'props' must be an object of named props, got nothing"],
      ['null props', null, "test/sc: 'props' must be an object of named props, got null"],
      ['no provisioner', {}, "test/sc: 'provisioner' must be a Provisioner such as Provisioner.awsEbs() or Provisioner.custom('<driver name>'), got nothing"],
      ['a driver name for the provisioner', { provisioner: 'ebs.csi.aws.com' },
        "test/sc: 'provisioner' must be a Provisioner such as Provisioner.awsEbs() or Provisioner.custom('<driver name>'), got 'ebs.csi.aws.com' (a string)"],
      ['a plain object for the provisioner', { provisioner: { name: 'ebs.csi.aws.com', parameters: {} } },
        "test/sc: 'provisioner' must be a Provisioner such as Provisioner.awsEbs() or Provisioner.custom('<driver name>'), got an object with keys name, parameters"],
      ['null for the provisioner', { provisioner: null }, /^test\/sc: 'provisioner' must be a Provisioner such as .*, got null$/],
      ['a number for the name', { provisioner: ebs, name: 5 }, "test/sc: 'name' must be a string, got 5 (a number)"],
      ['null for the name', { provisioner: ebs, name: null }, "test/sc: 'name' must be a string, got null"],
      ['a lower-case reclaim policy', { provisioner: ebs, reclaimPolicy: 'retain' }, "test/sc: 'reclaimPolicy' must be one of 'Retain', 'Delete', got 'retain' (a string)"],
      ['a binding mode in its own words', { provisioner: ebs, volumeBindingMode: 'WaitForFirstconsumer' },
        "test/sc: 'volumeBindingMode' must be one of 'Immediate', 'WaitForFirstConsumer', got 'WaitForFirstconsumer' (a string)"],
      ['a string for allowVolumeExpansion', { provisioner: ebs, allowVolumeExpansion: 'false' }, "test/sc: 'allowVolumeExpansion' must be true or false, got 'false' (a string)"],
      ['a string for mount options', { provisioner: ebs, mountOptions: 'noatime' }, "test/sc: 'mountOptions' must be a list of mount options, got 'noatime' (a string)"],
      ['a number as a mount option', { provisioner: ebs, mountOptions: [4] }, "test/sc: 'mountOptions[0]' must be a string, got 4 (a number)"],
      ['a string for zones', { provisioner: ebs, zones: 'eu-west-1a' }, "test/sc: 'zones' must be a list of zones, got 'eu-west-1a' (a string)"],
      ['a map for zones', { provisioner: ebs, zones: { a: 'eu-west-1a' } }, "test/sc: 'zones' must be a list of zones, got an object with keys a"],
      ['a string for isDefault', { provisioner: ebs, isDefault: 'yes' }, "test/sc: 'isDefault' must be true or false, got 'yes' (a string)"],
      ['a misspelt prop', { provisioner: ebs, reclaimPolicys: 'Retain' },
        "test/sc: 'reclaimPolicys' is not a known prop; did you mean 'reclaimPolicy'? valid: allowVolumeExpansion, isDefault, mountOptions, name, provisioner, reclaimPolicy, volumeBindingMode, zones"],
    ])('%s', (_, props, message) => {
      expect(build(props)).toThrow(typeof message === 'string' ? exactly(message) : message);
    });
  });

  describe('fromStorageClassName', () => {
    test('capabilities given by hand are checked, and claims against them', () => {
      const chart = newChart();
      const gp3 = StorageClass.fromStorageClassName('gp3', { accessModes: [AccessMode.READ_WRITE_ONCE], supportsExpansion: true, locality: VolumeLocality.ZONAL });
      expect(gp3.capabilities?.locality).toBe('zonal');
      expect(() => new PersistentVolume(chart, 'pv', { source: PersistentVolumeSource.hostPath({ path: '/x' }), capacity: Size.gibibytes(1), storageClass: gp3 })).not.toThrow();
    });

    const F = StorageClass as any;
    const caps = { accessModes: [AccessMode.READ_WRITE_ONCE], supportsExpansion: false, locality: VolumeLocality.NODE };
    test.each([
      ['a number for the name', () => F.fromStorageClassName(5), "StorageClass.fromStorageClassName: 'name' must be a string, got 5 (a number)"],
      ['no name', () => F.fromStorageClassName(), "StorageClass.fromStorageClassName: 'name' must be a string, got nothing"],
      ['a string for capabilities', () => F.fromStorageClassName('gp3', 'zonal'),
        "StorageClass.fromStorageClassName: 'capabilities' must be an object of named props, got 'zonal' (a string)"],
      ['incomplete capabilities', () => F.fromStorageClassName('gp3', { accessModes: ['ReadWriteOnce'] }),
        "StorageClass.fromStorageClassName: 'capabilities.supportsExpansion' must be true or false, got nothing"],
      ['a string for access modes', () => F.fromStorageClassName('gp3', { ...caps, accessModes: 'ReadWriteOnce' }),
        "StorageClass.fromStorageClassName: 'capabilities.accessModes' must be a list of AccessMode values, got 'ReadWriteOnce' (a string)"],
      ['no access mode', () => F.fromStorageClassName('gp3', { ...caps, accessModes: [] }),
        "StorageClass.fromStorageClassName: 'capabilities.accessModes' must list at least one access mode: a class whose volumes serve none cannot bind a claim"],
      ['an upper-case locality', () => F.fromStorageClassName('gp3', { ...caps, locality: 'ZONAL' }),
        "StorageClass.fromStorageClassName: 'capabilities.locality' must be one of 'cluster', 'zonal', 'node', got 'ZONAL' (a string)"],
      ['a misspelt capability', () => F.fromStorageClassName('gp3', { ...caps, supportExpansion: true }),
        "StorageClass.fromStorageClassName: 'capabilities.supportExpansion' is not a known prop of 'capabilities'; did you mean 'supportsExpansion'? valid: accessModes, locality, supportsExpansion"],
    ])('%s', (_, make, message) => {
      expect(make).toThrow(exactly(message));
    });
  });

  test('Delete is allowed but warned about', () => {
    const chart = newChart();
    const sc = new StorageClass(chart, 'scratch', { provisioner: Provisioner.awsEbs(), reclaimPolicy: ReclaimPolicy.DELETE });
    expect(only(synth(chart), 'StorageClass').reclaimPolicy).toBe('Delete');
    expect(sc.node.metadata.map((m) => m.data)).toEqual([expect.stringMatching(/reclaimPolicy 'Delete' destroys/)]);
  });
});
