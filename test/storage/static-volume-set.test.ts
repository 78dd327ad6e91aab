import { Size } from 'cdk8s';
import {
  AccessMode, PersistentVolumeSource, Provisioner, ReclaimPolicy, StaticVolumeSet, StorageClass,
} from '../../src/storage';
import { exactly, newChart, synth } from '../util';

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

  test('names the claims of another template and namespace; the options reach every volume', () => {
    const chart = newChart('shop');
    new StaticVolumeSet(chart, 'disks', {
      statefulSetName: 'cache',
      claimTemplateName: 'wal',
      namespace: 'legacy',
      capacity: Size.gibibytes(1),
      accessModes: [AccessMode.READ_WRITE_ONCE_POD],
      reclaimPolicy: ReclaimPolicy.DELETE,
      sources: [PersistentVolumeSource.local({ path: '/mnt/a', node: 'n1' })],
    });
    const [pv] = synth(chart).filter((o) => o.kind === 'PersistentVolume');
    expect(pv.metadata.name).toBe('legacy-wal-cache-0');
    expect(pv.spec).toMatchObject({ claimRef: { name: 'wal-cache-0', namespace: 'legacy' }, accessModes: ['ReadWriteOncePod'], persistentVolumeReclaimPolicy: 'Delete' });
  });

  describe('bad input is reported with the prop of the set, not of one of its volumes', () => {
    const local = (node: string) => PersistentVolumeSource.local({ path: '/mnt/disks/cache', node });
    test.each([
      ['a StatefulSet name that is no DNS label', () => ({ statefulSetName: 'Cache', capacity: Size.gibibytes(1), sources: [local('n1')] }),
        "test/set: 'statefulSetName' must be a DNS label (lower-case letters, digits and '-', starting and ending with a letter or digit) of at most 52 characters, got 'Cache'"],
      ['a StatefulSet name too long for its pods', () => ({ statefulSetName: 'a'.repeat(53), capacity: Size.gibibytes(1), sources: [local('n1')] }),
        /^test\/set: 'statefulSetName' must be a DNS label .* of at most 52 characters, got 'a{53}'$/],
      ['a claim template name with a dot', () => ({ statefulSetName: 'cache', claimTemplateName: 'data.v2', capacity: Size.gibibytes(1), sources: [local('n1')] }),
        /^test\/set: 'claimTemplateName' must be a DNS label .* of at most 63 characters, got 'data.v2'$/],
      ['a namespace with capitals', () => ({ statefulSetName: 'cache', namespace: 'Shop', capacity: Size.gibibytes(1), sources: [local('n1')] }),
        /^test\/set: 'namespace' must be a DNS label .* of at most 63 characters, got 'Shop'$/],
      ['a zero capacity', () => ({ statefulSetName: 'cache', capacity: Size.gibibytes(0), sources: [local('n1')] }),
        "test/set: 'capacity' must be a positive size such as Size.gibibytes(10), got '0 KiB'"],
      ['a removed volume type among the sources', () => ({ statefulSetName: 'cache', capacity: Size.gibibytes(1), sources: [local('n1'), PersistentVolumeSource.flocker()] }),
        /^test\/set: 'sources\[1\]' cannot be used: Flocker was removed in Kubernetes 1.25/],
      ['an access mode a source cannot serve', () => ({ statefulSetName: 'cache', capacity: Size.gibibytes(1), sources: [local('n1')], accessModes: [AccessMode.READ_WRITE_MANY] }),
        "test/set: 'accessModes' asks for ReadWriteMany, which sources[0] (a local volume) cannot serve; valid: ReadWriteOnce, ReadWriteOncePod"],
      ['Recycle', () => ({ statefulSetName: 'cache', capacity: Size.gibibytes(1), sources: [local('n1')], reclaimPolicy: ReclaimPolicy.RECYCLE }),
        "test/set: 'reclaimPolicy' must be 'Retain' or 'Delete': Recycle (rm -rf of the volume) is deprecated upstream and loses data; use Retain and clean volumes deliberately"],
    ])('%s', (_, props, message) => {
      expect(() => new StaticVolumeSet(newChart(), 'set', props())).toThrow(typeof message === 'string' ? exactly(message) : message);
    });
  });

  describe('values of the wrong type, as Python or plain JavaScript may pass them', () => {
    const build = (props: any) => () => new StaticVolumeSet(newChart(), 'set', props);
    const valid = () => ({ statefulSetName: 'cache', capacity: Size.gibibytes(1), sources: [PersistentVolumeSource.local({ path: '/mnt/a', node: 'n1' })] });
    test.each([
      ['no props at all', undefined, "test/set: 'props' must be an object of named props, got nothing"],
      ['no StatefulSet name', { capacity: Size.gibibytes(1), sources: valid().sources }, "test/set: 'statefulSetName' must be a string, got nothing"],
      ['a number for the StatefulSet name', { ...valid(), statefulSetName: 5 }, "test/set: 'statefulSetName' must be a string, got 5 (a number)"],
      ['one source instead of a list', { ...valid(), sources: valid().sources[0] },
        "test/set: 'sources' must be a list of volume sources, one per pod, got a PersistentVolumeSource"],
      ['a plain object as a source', { ...valid(), sources: [{ path: '/mnt/a', node: 'n1' }] },
        "test/set: 'sources[0]' must be a PersistentVolumeSource such as PersistentVolumeSource.local({ path, node }), got an object with keys path, node"],
      ['null as a source', { ...valid(), sources: [null] }, /^test\/set: 'sources\[0\]' must be a PersistentVolumeSource such as .*, got null$/],
      ['a number for the capacity', { ...valid(), capacity: 20 }, "test/set: 'capacity' must be a Size such as Size.gibibytes(10), got 20 (a number)"],
      ['a class name for the storage class', { ...valid(), storageClass: 'manual' },
        "test/set: 'storageClass' must be a storage class such as new StorageClass(...) or StorageClass.fromStorageClassName('ssd'), got 'manual' (a string)"],
      ['a string for access modes', { ...valid(), accessModes: 'ReadWriteOnce' }, "test/set: 'accessModes' must be a list of AccessMode values, got 'ReadWriteOnce' (a string)"],
      ['a lower-case reclaim policy', { ...valid(), reclaimPolicy: 'delete' }, "test/set: 'reclaimPolicy' must be one of 'Retain', 'Delete', got 'delete' (a string)"],
      ['a lower-case volume mode', { ...valid(), volumeMode: 'filesystem' }, "test/set: 'volumeMode' must be one of 'Filesystem', 'Block', got 'filesystem' (a string)"],
      ['a number for the namespace', { ...valid(), namespace: 1 }, "test/set: 'namespace' must be a string, got 1 (a number)"],
      ['a misspelt prop', { ...valid(), statefulSetNme: 'cache' },
        "test/set: 'statefulSetNme' is not a known prop; did you mean 'statefulSetName'? valid: accessModes, capacity, claimTemplateName, namespace, reclaimPolicy, sources, statefulSetName, storageClass, volumeMode"],
    ])('%s', (_, props, message) => {
      expect(build(props)).toThrow(typeof message === 'string' ? exactly(message) : message);
    });
  });
});
