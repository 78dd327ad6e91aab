import { SnapshotDeletionPolicy, VolumeSnapshotClass } from '../../src/storage';
import { exactly, newChart, only, synth, warningsOf } from '../util';

process.env.CDK8S_STATEFUL_QUIET = '1';

describe('VolumeSnapshotClass', () => {
  test('defaults for backups: Retain, no namespace, the driver as given', () => {
    // GIVEN a chart with a namespace
    const chart = newChart('shop');
    // WHEN
    const vsc = new VolumeSnapshotClass(chart, 'ebs-snapshots', { driver: 'ebs.csi.aws.com' });
    // THEN
    const obj = only(synth(chart), 'VolumeSnapshotClass');
    expect(obj).toEqual({
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshotClass',
      metadata: { name: 'ebs-snapshots' },
      driver: 'ebs.csi.aws.com',
      deletionPolicy: 'Retain',
    });
    expect(vsc.volumeSnapshotClassName).toBe('ebs-snapshots');
    expect(vsc.deletionPolicy).toBe(SnapshotDeletionPolicy.RETAIN);
    expect(warningsOf(vsc)).toEqual([]);
  });

  test('name, parameters, the default-class annotation; Delete warns', () => {
    const chart = newChart();
    const vsc = new VolumeSnapshotClass(chart, 'x', {
      name: 'gce-snapshots',
      driver: 'pd.csi.storage.gke.io',
      deletionPolicy: SnapshotDeletionPolicy.DELETE,
      isDefault: true,
      parameters: { 'storage-locations': 'europe-west1', 'csi.storage.k8s.io/snapshotter-secret-name': 'creds' },
    });
    const obj = only(synth(chart), 'VolumeSnapshotClass');
    expect(obj.metadata).toEqual({ name: 'gce-snapshots', annotations: { 'snapshot.storage.kubernetes.io/is-default-class': 'true' } });
    expect(obj.deletionPolicy).toBe('Delete');
    expect(obj.parameters).toEqual({ 'storage-locations': 'europe-west1', 'csi.storage.k8s.io/snapshotter-secret-name': 'creds' });
    expect(warningsOf(vsc)).toEqual([expect.stringMatching(/deletionPolicy 'Delete' destroys the disk snapshot with its VolumeSnapshot, and every snapshot of a namespace with the namespace/)]);
  });

  test('fromVolumeSnapshotClassName names an existing class', () => {
    expect(VolumeSnapshotClass.fromVolumeSnapshotClassName('csi-aws-vsc').volumeSnapshotClassName).toBe('csi-aws-vsc');
    expect(() => VolumeSnapshotClass.fromVolumeSnapshotClassName('CSI AWS'))
      .toThrow(/^VolumeSnapshotClass.fromVolumeSnapshotClassName: 'name' must be a DNS subdomain/);
    expect(() => VolumeSnapshotClass.fromVolumeSnapshotClassName(7 as any))
      .toThrow(/^VolumeSnapshotClass.fromVolumeSnapshotClassName: 'name' must be a string, got 7/);
  });

  test.each([
    ['a driver that is no CSI driver name', { driver: 'EBS CSI' }, /^test\/vsc: 'driver' must be a CSI driver name such as 'ebs.csi.aws.com'/],
    ['no driver (JavaScript)', {}, /^test\/vsc: 'driver' must be a string, got nothing/],
    ['a deletion policy Kubernetes does not know', { driver: 'd.example.com', deletionPolicy: 'Keep' }, exactly("test/vsc: 'deletionPolicy' must be one of 'Retain', 'Delete', got 'Keep' (a string)")],
    ['parameters with a number (Python)', { driver: 'd.example.com', parameters: { iops: 3 } }, /^test\/vsc: 'parameters.iops' must be a string, got 3/],
    ['a misspelt snapshotter key', { driver: 'd.example.com', parameters: { 'csi.storage.k8s.io/snapshotter-secret': 's' } },
      exactly("test/vsc: 'parameters.csi.storage.k8s.io/snapshotter-secret' is not a key the snapshotter knows: csi.storage.k8s.io/snapshotter-secret-name, csi.storage.k8s.io/snapshotter-secret-namespace, csi.storage.k8s.io/snapshotter-list-secret-name, csi.storage.k8s.io/snapshotter-list-secret-namespace")],
    ['a misspelt prop', { driver: 'd.example.com', deletePolicy: 'Retain' }, exactly("test/vsc: 'deletePolicy' is not a known prop; valid: deletionPolicy, driver, isDefault, name, parameters")],
    ['isDefault as a string', { driver: 'd.example.com', isDefault: 'yes' }, /^test\/vsc: 'isDefault' must be true or false, got 'yes'/],
  ])('%s is refused', (_what, props, message) => {
    expect(() => new VolumeSnapshotClass(newChart(), 'vsc', props as any)).toThrow(message);
  });

  test('two classes with one name are refused at synth', () => {
    const chart = newChart();
    new VolumeSnapshotClass(chart, 'a', { name: 'snaps', driver: 'd.example.com' });
    new VolumeSnapshotClass(chart, 'b', { name: 'snaps', driver: 'd.example.com' });
    expect(() => synth(chart)).toThrow(/two VolumeSnapshotClass objects are named 'snaps': test\/a\/Resource and test\/b\/Resource/);
  });
});
