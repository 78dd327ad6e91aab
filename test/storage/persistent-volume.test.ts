import { Duration, Size } from 'cdk8s';
import {
  AccessMode, PersistentVolume, PersistentVolumeSource, Provisioner, ReclaimPolicy, StorageClass, VolumeMode,
} from '../../src/storage';
import { exactly, newChart, only, synth } from '../util';

describe('PersistentVolume', () => {
  test("the seed's NFS volume, made safe: Retain, no namespace, capacity as a quantity", () => {
    const chart = newChart('shop');
    new PersistentVolume(chart, 'pv0003', {
      source: PersistentVolumeSource.nfs({ server: '172.17.0.2', path: '/tmp' }),
      capacity: Size.gibibytes(5),
    });
    const pv = only(synth(chart), 'PersistentVolume');
    expect(pv.metadata).toEqual({ name: 'pv0003' });
    expect(pv.spec).toEqual({
      nfs: { server: '172.17.0.2', path: '/tmp' },
      capacity: { storage: '5Gi' },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Retain',
      storageClassName: '',
      volumeMode: 'Filesystem',
    });
  });

  test.each([
    ['csi', PersistentVolumeSource.csi({ driver: 'ebs.csi.aws.com', volumeHandle: 'vol-1' }), { csi: { driver: 'ebs.csi.aws.com', volumeHandle: 'vol-1' } }],
    ['iscsi', PersistentVolumeSource.iscsi({ targetPortal: '10.0.0.1:3260', iqn: 'iqn.2001-04.com.example:storage', lun: 0 }),
      { iscsi: { targetPortal: '10.0.0.1:3260', iqn: 'iqn.2001-04.com.example:storage', lun: 0, fsType: 'ext4' } }],
    ['fc', PersistentVolumeSource.fibreChannel({ targetWwns: ['500a0982991b8dc5'], lun: 2 }), { fc: { targetWWNs: ['500a0982991b8dc5'], lun: 2, fsType: 'ext4' } }],
    ['hostPath', PersistentVolumeSource.hostPath({ path: '/srv/data' }), { hostPath: { path: '/srv/data', type: 'DirectoryOrCreate' } }],
    ['awsElasticBlockStore → EBS CSI', PersistentVolumeSource.awsElasticBlockStore({ volumeId: 'vol-0abc' }),
      { csi: { driver: 'ebs.csi.aws.com', volumeHandle: 'vol-0abc', fsType: 'ext4' } }],
    ['gcePersistentDisk → PD CSI', PersistentVolumeSource.gcePersistentDisk({ project: 'p', zone: 'europe-west1-b', diskName: 'd' }),
      { csi: { driver: 'pd.csi.storage.gke.io', volumeHandle: 'projects/p/zones/europe-west1-b/disks/d', fsType: 'ext4' } }],
    ['azureDisk → Azure Disk CSI', PersistentVolumeSource.azureDisk('/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/disks/d'),
      { csi: { driver: 'disk.csi.azure.com', volumeHandle: '/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/disks/d', fsType: 'ext4' } }],
    ['cinder → Cinder CSI', PersistentVolumeSource.cinder('1234'), { csi: { driver: 'cinder.csi.openstack.org', volumeHandle: '1234', fsType: 'ext4' } }],
    ['vsphereVolume → vSphere CSI', PersistentVolumeSource.vsphereVolume('fcd-1'), { csi: { driver: 'csi.vsphere.vmware.com', volumeHandle: 'fcd-1', fsType: 'ext4' } }],
    ['portworx → Portworx CSI', PersistentVolumeSource.portworx('px-1'), { csi: { driver: 'pxd.portworx.com', volumeHandle: 'px-1' } }],
  ])('%s source', (_name, source, expected) => {
    const chart = newChart();
    new PersistentVolume(chart, 'pv', { source, capacity: Size.gibibytes(10) });
    expect(only(synth(chart), 'PersistentVolume').spec).toMatchObject(expected);
  });

  test('Ceph RBD and CephFS static volumes go through Rook CSI with their secrets', () => {
    const chart = newChart();
    new PersistentVolume(chart, 'rbd', { source: PersistentVolumeSource.cephRbd({ pool: 'replicapool', volume: 'img-1', secretName: 'rook-csi-rbd-node' }), capacity: Size.gibibytes(1) });
    new PersistentVolume(chart, 'fs', { source: PersistentVolumeSource.cephFs({ pool: 'myfs', volume: '/volumes/a', secretName: 'rook-csi-cephfs-node' }), capacity: Size.gibibytes(1) });
    const [rbd, fs] = synth(chart);
    expect(rbd.spec.csi.driver).toBe('rook-ceph.rbd.csi.ceph.com');
    expect(rbd.spec.csi.nodeStageSecretRef).toEqual({ name: 'rook-csi-rbd-node', namespace: 'rook-ceph' });
    expect(fs.spec.csi.driver).toBe('rook-ceph.cephfs.csi.ceph.com');
    expect(fs.spec.csi.volumeAttributes.rootPath).toBe('/volumes/a');
  });

  test('a local volume is pinned to its node', () => {
    const chart = newChart();
    new PersistentVolume(chart, 'pv', { source: PersistentVolumeSource.local({ path: '/mnt/disks/ssd1', node: 'worker-1' }), capacity: Size.gibibytes(100) });
    expect(only(synth(chart), 'PersistentVolume').spec.nodeAffinity).toEqual({
      required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['worker-1'] }] }] },
    });
  });

  test('storage class, claim reference and access modes are written', () => {
    const chart = newChart();
    const local = new StorageClass(chart, 'local', { provisioner: Provisioner.none() });
    new PersistentVolume(chart, 'pv', {
      source: PersistentVolumeSource.nfs({ server: 'nfs', path: '/x' }),
      capacity: Size.mebibytes(1536),
      storageClass: local,
      accessModes: [AccessMode.READ_WRITE_MANY],
      claim: { name: 'shared', namespace: 'db' },
    });
    const pv = only(synth(chart), 'PersistentVolume');
    expect(pv.spec).toMatchObject({ storageClassName: 'local', accessModes: ['ReadWriteMany'], capacity: { storage: '1536Mi' }, claimRef: { name: 'shared', namespace: 'db' } });
  });

  describe('bad input', () => {
    test.each([
      ['flexVolume', PersistentVolumeSource.flexVolume(), /FlexVolume is deprecated since Kubernetes 1.23; install the vendor's CSI driver/],
      ['flocker', PersistentVolumeSource.flocker(), /Flocker was removed in Kubernetes 1.25/],
      ['glusterfs', PersistentVolumeSource.glusterfs(), /Glusterfs was removed in Kubernetes 1.26; use PersistentVolumeSource.cephFs\(\)/],
      ['quobyte', PersistentVolumeSource.quobyte(), /Quobyte was removed in Kubernetes 1.25/],
      ['scaleIo', PersistentVolumeSource.scaleIo(), /ScaleIO was removed in Kubernetes 1.22; use the PowerFlex CSI driver/],
      ['storageOs', PersistentVolumeSource.storageOs(), /StorageOS was removed in Kubernetes 1.25/],
      ['photonPersistentDisk', PersistentVolumeSource.photonPersistentDisk(), /PhotonPersistentDisk was removed in Kubernetes 1.15; use PersistentVolumeSource.vsphereVolume\(\)/],
    ])('the removed volume type %s is refused with its replacement', (_name, source, message) => {
      const chart = newChart();
      expect(() => new PersistentVolume(chart, 'pv', { source, capacity: Size.gibibytes(1) })).toThrow(message);
      expect(() => new PersistentVolume(newChart(), 'pv', { source, capacity: Size.gibibytes(1) })).toThrow(/^test\/pv: 'source' cannot be used: /);
    });

    test("the seed's Recycle is refused", () => {
      const chart = newChart();
      expect(() => new PersistentVolume(chart, 'pv0003', {
        source: PersistentVolumeSource.nfs({ server: '172.17.0.2', path: '/tmp' }),
        capacity: Size.gibibytes(5),
        reclaimPolicy: ReclaimPolicy.RECYCLE,
      })).toThrow("test/pv0003: 'reclaimPolicy' must be 'Retain' or 'Delete': Recycle (rm -rf of the volume) is deprecated upstream and loses data");
    });

    test('a capacity that is not positive', () => {
      expect(() => new PersistentVolume(newChart(), 'pv', { source: PersistentVolumeSource.hostPath({ path: '/x' }), capacity: Size.gibibytes(0) }))
        .toThrow(/test\/pv: 'capacity' must be a positive size such as Size.gibibytes\(10\), got '0 KiB'/);
    });

    test('a construct id that is no name', () => {
      expect(() => new PersistentVolume(newChart(), 'PV_1', { source: PersistentVolumeSource.hostPath({ path: '/x' }), capacity: Size.gibibytes(1) })).toThrow(exactly(
        "test/PV_1: 'name' must be a DNS subdomain (lower-case letters, digits, '-' and '.') of at most 253 characters; it defaults to the construct id: set 'name', got 'PV_1'"));
    });

    test('a capacity of a fraction of a byte', () => {
      expect(() => new PersistentVolume(newChart(), 'pv', { source: PersistentVolumeSource.hostPath({ path: '/x' }), capacity: Size.gibibytes(0.3) }))
        .toThrow(/^test\/pv: 'capacity' must be a whole number of bytes, such as Size.mebibytes\(1536\) rather than Size.gibibytes\(1.3\), got '314572.8\d* KiB'$/);
    });

    test('a capacity of whole bytes below a KiB is written exactly', () => {
      const chart = newChart();
      new PersistentVolume(chart, 'pv', { source: PersistentVolumeSource.hostPath({ path: '/x' }), capacity: Size.kibibytes(0.5) });
      expect(only(synth(chart), 'PersistentVolume').spec.capacity).toEqual({ storage: '0.5Ki' });
    });

    test('no access mode', () => {
      expect(() => new PersistentVolume(newChart(), 'pv', { source: PersistentVolumeSource.hostPath({ path: '/x' }), capacity: Size.gibibytes(1), accessModes: [] }))
        .toThrow(exactly("test/pv: 'accessModes' must list at least one access mode"));
    });

    test('a claim reference Kubernetes would refuse', () => {
      const make = (claim: any) => () => new PersistentVolume(newChart(), 'pv', { source: PersistentVolumeSource.hostPath({ path: '/x' }), capacity: Size.gibibytes(1), claim });
      expect(make({ name: 'My Claim', namespace: 'db' })).toThrow(/^test\/pv: 'claim.name' must be a DNS subdomain .*, got 'My Claim'$/);
      expect(make({ name: 'data', namespace: 'db.shop' })).toThrow(/^test\/pv: 'claim.namespace' must be a DNS label .* of at most 63 characters, got 'db.shop'$/);
    });

    test('capabilities of a hand-made storage class are checked where a volume names it', () => {
      const storageClass = { storageClassName: 'manual', capabilities: { accessModes: 'ReadWriteOnce', supportsExpansion: false, locality: 'node' } };
      expect(() => new PersistentVolume(newChart(), 'pv', { source: PersistentVolumeSource.hostPath({ path: '/x' }), capacity: Size.gibibytes(1), storageClass } as any))
        .toThrow(exactly("test/pv: 'storageClass.capabilities.accessModes' must be a list of AccessMode values, got 'ReadWriteOnce' (a string)"));
    });

    test('an access mode the source cannot serve', () => {
      expect(() => new PersistentVolume(newChart(), 'pv', {
        source: PersistentVolumeSource.local({ path: '/mnt', node: 'n1' }), capacity: Size.gibibytes(1), accessModes: [AccessMode.READ_WRITE_MANY],
      })).toThrow(/'accessModes' asks for ReadWriteMany, which a local volume cannot serve; valid: ReadWriteOnce, ReadWriteOncePod/);
    });
  });

  describe('values of the wrong type, as Python or plain JavaScript may pass them', () => {
    const build = (props: any) => () => new PersistentVolume(newChart(), 'pv', props);
    const valid = () => ({ source: PersistentVolumeSource.nfs({ server: 'nfs', path: '/x' }), capacity: Size.gibibytes(5) });
    test.each([
      ['no props at all', undefined, "test/pv: 'props' must be an object of named props, got nothing"],
      ['a string for the source', { ...valid(), source: 'nfs://172.17.0.2/tmp' },
        "test/pv: 'source' must be a PersistentVolumeSource such as PersistentVolumeSource.nfs({ server, path }), got 'nfs://172.17.0.2/tmp' (a string)"],
      ['a plain object for the source', { ...valid(), source: { nfs: { server: 'nfs', path: '/x' } } },
        "test/pv: 'source' must be a PersistentVolumeSource such as PersistentVolumeSource.nfs({ server, path }), got an object with keys nfs"],
      ['no capacity', { source: valid().source }, "test/pv: 'capacity' must be a Size such as Size.gibibytes(10), got nothing"],
      ['a quantity string for the capacity', { ...valid(), capacity: '5Gi' }, "test/pv: 'capacity' must be a Size such as Size.gibibytes(10), got '5Gi' (a string)"],
      ['a Duration for the capacity', { ...valid(), capacity: Duration.seconds(5) }, "test/pv: 'capacity' must be a Size such as Size.gibibytes(10), got a Duration"],
      ['a number for the name', { ...valid(), name: 3 }, "test/pv: 'name' must be a string, got 3 (a number)"],
      ['a string for access modes', { ...valid(), accessModes: 'ReadWriteOnce' }, "test/pv: 'accessModes' must be a list of AccessMode values, got 'ReadWriteOnce' (a string)"],
      ['an abbreviated access mode', { ...valid(), accessModes: ['RWX'] },
        "test/pv: 'accessModes[0]' must be one of 'ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod', got 'RWX' (a string)"],
      ['a lower-case reclaim policy', { ...valid(), reclaimPolicy: 'retain' }, "test/pv: 'reclaimPolicy' must be one of 'Retain', 'Delete', got 'retain' (a string)"],
      ['a class name for the storage class', { ...valid(), storageClass: 'manual' },
        "test/pv: 'storageClass' must be a storage class such as new StorageClass(...) or StorageClass.fromStorageClassName('ssd'), got 'manual' (a string)"],
      ['a lower-case volume mode', { ...valid(), volumeMode: 'block' }, "test/pv: 'volumeMode' must be one of 'Filesystem', 'Block', got 'block' (a string)"],
      ['a string for mount options', { ...valid(), mountOptions: 'hard,nfsvers=4.1' }, "test/pv: 'mountOptions' must be a list of mount options, got 'hard,nfsvers=4.1' (a string)"],
      ['an empty mount option', { ...valid(), mountOptions: [''] }, "test/pv: 'mountOptions[0]' must be a mount option such as 'nfsvers=4.1' or 'noatime', not empty, got ''"],
      ['a claim name for the claim', { ...valid(), claim: 'myclaim' }, "test/pv: 'claim' must be an object of named props, got 'myclaim' (a string)"],
      ['a claim without namespace', { ...valid(), claim: { name: 'myclaim' } }, "test/pv: 'claim.namespace' must be a string, got nothing"],
      ['a misspelt claim key', { ...valid(), claim: { name: 'myclaim', namespace: 'db', nmespace: 'db' } },
        "test/pv: 'claim.nmespace' is not a known prop of 'claim'; did you mean 'namespace'? valid: name, namespace"],
      ['a misspelt prop', { ...valid(), capacty: Size.gibibytes(5) },
        "test/pv: 'capacty' is not a known prop; did you mean 'capacity'? valid: accessModes, capacity, claim, mountOptions, name, reclaimPolicy, source, storageClass, volumeMode"],
    ])('%s', (_, props, message) => {
      expect(build(props)).toThrow(exactly(message));
    });

    test('the enums as Python passes them (by value) are accepted', () => {
      const chart = newChart();
      new PersistentVolume(chart, 'pv', { ...valid(), volumeMode: VolumeMode.BLOCK, reclaimPolicy: ReclaimPolicy.DELETE, accessModes: [AccessMode.READ_WRITE_MANY] });
      expect(only(synth(chart), 'PersistentVolume').spec).toMatchObject({ volumeMode: 'Block', persistentVolumeReclaimPolicy: 'Delete', accessModes: ['ReadWriteMany'] });
    });
  });
});
