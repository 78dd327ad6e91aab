import { Size } from 'cdk8s';
import {
  AccessMode, PersistentVolume, PersistentVolumeSource, Provisioner, ReclaimPolicy, StaticVolumeSet, StorageClass,
} from '../../src/storage';
import { newChart, only, synth } from '../util';

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

    test('an access mode the source cannot serve', () => {
      expect(() => new PersistentVolume(newChart(), 'pv', {
        source: PersistentVolumeSource.local({ path: '/mnt', node: 'n1' }), capacity: Size.gibibytes(1), accessModes: [AccessMode.READ_WRITE_MANY],
      })).toThrow(/'accessModes' asks for ReadWriteMany, which a local volume cannot serve; valid: ReadWriteOnce, ReadWriteOncePod/);
    });
  });
});

describe('StaticVolumeSet', () => {
  test('pre-binds one volume per ordinal to the StatefulSet claims', () => {
    const chart = newChart('shop');
    const local = new StorageClass(chart, 'local', { provisioner: Provisioner.none() });
    new StaticVolumeSet(chart, 'orders-disks', {
      statefulSetName: 'orders',
      capacity: Size.gibibytes(50),
      storageClass: local,
      sources: [0, 1, 2].map((i) => PersistentVolumeSource.local({ path: '/mnt/disks/orders', node: `node-${i}` })),
    });
    const pvs = synth(chart).filter((o) => o.kind === 'PersistentVolume');
    expect(pvs.map((pv) => pv.metadata.name)).toEqual(['shop-data-orders-0', 'shop-data-orders-1', 'shop-data-orders-2']);
    expect(pvs.map((pv) => pv.spec.claimRef)).toEqual([0, 1, 2].map((i) => ({ name: `data-orders-${i}`, namespace: 'shop' })));
    expect(pvs.every((pv) => pv.spec.storageClassName === 'local' && pv.spec.persistentVolumeReclaimPolicy === 'Retain')).toBe(true);
    expect(pvs[2].spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values).toEqual(['node-2']);
  });

  test('needs at least one source', () => {
    expect(() => new StaticVolumeSet(newChart(), 'none', { statefulSetName: 'x', capacity: Size.gibibytes(1), sources: [] }))
      .toThrow("test/none: 'sources' must list one volume source per pod (at least one)");
  });
});
