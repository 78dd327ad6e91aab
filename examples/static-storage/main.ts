// The seed's storage flow for a cluster without a provisioner, made hard to get wrong:
//   1. provision a disk (by hand, outside Kubernetes),
//   2. create a PersistentVolume for it (retained, never recycled),
//   3. create a claim that can only bind that volume,
//   4. mount the claim in a pod.
// Then the same for a replicated set: one pre-bound volume per pod, never a shared claim.
import { App, Chart, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  PersistentVolume, PersistentVolumeSource, Provisioner, StatefulWorkload, StaticVolumeSet, StorageClass,
} from 'cdk8s-stateful';

const app = new App();
const chart = new Chart(app, 'static-storage', { namespace: 'legacy' });

// A class with no provisioner: claims wait for a pod, then bind a hand-made volume on its node.
const manual = new StorageClass(chart, 'manual', { provisioner: Provisioner.none() });

// 2. The seed's pv0003, on NFS, but retained instead of recycled.
const pv = new PersistentVolume(chart, 'pv0003', {
  source: PersistentVolumeSource.nfs({ server: 'nfs.legacy.example.com', path: '/exports/pv0003' }),
  capacity: Size.gibibytes(8),
  storageClass: manual,
  claim: { name: 'myclaim', namespace: 'legacy' },
});

// 3. The seed's claim, reserved for that volume.
const claim = new kplus.PersistentVolumeClaim(chart, 'myclaim', {
  metadata: { name: 'myclaim' },
  storage: Size.gibibytes(8),
  accessModes: [kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE],
  storageClassName: manual.storageClassName,
  volume: kplus.PersistentVolume.fromPersistentVolumeName(chart, 'pv0003-ref', pv.persistentVolumeName),
});

// 4. One pod mounts it: a single replica, so the ReadWriteOnce claim is not shared.
const tmp = kplus.Volume.fromEmptyDir(chart, 'tmp', 'tmp');
new StatefulWorkload(chart, 'mypod', {
  replicas: 1,
  appName: 'mysql',
  identity: { user: 999, group: 999 },
  containers: [{
    name: 'mydatabase',
    image: 'mysql:8.4.3',
    ports: [{ name: 'mysql', number: 3306 }],
    envVariables: { MYSQL_RANDOM_ROOT_PASSWORD: kplus.EnvValue.fromValue('yes') },
    readiness: kplus.Probe.fromCommand(['mysqladmin', 'ping', '--protocol=socket']),
    resources: {
      cpu: { request: kplus.Cpu.millis(500) },
      memory: { request: Size.gibibytes(1), limit: Size.gibibytes(1) },
    },
    volumeMounts: [
      { volume: kplus.Volume.fromPersistentVolumeClaim(chart, 'mypd', claim, { name: 'mypd' }), path: '/var/lib/mysql', subPath: 'mysql' },
      { volume: tmp, path: '/tmp' },
      { volume: tmp, path: '/var/run/mysqld', subPath: 'run' },
    ],
  }],
});

// A replicated set on local disks: volume i is reserved for pod i's claim `data-cache-<i>`.
new StaticVolumeSet(chart, 'cache-disks', {
  statefulSetName: 'cache',
  capacity: Size.gibibytes(20),
  storageClass: manual,
  sources: ['node-a', 'node-b', 'node-c'].map((node) => PersistentVolumeSource.local({ path: '/mnt/disks/cache', node })),
});
const cacheTmp = kplus.Volume.fromEmptyDir(chart, 'cache-tmp', 'tmp');
new StatefulWorkload(chart, 'cache', {
  replicas: 3,
  appName: 'redis',
  identity: { user: 999, group: 999 },
  containers: [{
    name: 'redis',
    image: 'redis:7.4.1',
    args: ['--appendonly', 'yes', '--dir', '/data/redis'],
    ports: [{ name: 'redis', number: 6379 }],
    resources: {
      cpu: { request: kplus.Cpu.millis(250) },
      memory: { request: Size.mebibytes(512), limit: Size.mebibytes(512) },
    },
    readiness: kplus.Probe.fromCommand(['redis-cli', 'ping']),
    volumeMounts: [{ volume: cacheTmp, path: '/tmp' }],
  }],
  volumeClaims: [{ name: 'data', size: Size.gibibytes(20), storageClass: manual, mountPath: '/data' }],
});

app.synth();
