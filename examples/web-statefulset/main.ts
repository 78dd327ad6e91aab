// The seed's StatefulSet example, done safely: a web server with a claim per pod,
// spread over nodes and zones, behind a headless and a client Service.
import { App, Chart, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Provisioner, StatefulWorkload, StorageClass } from 'cdk8s-stateful';

const app = new App();
const chart = new Chart(app, 'web', { namespace: 'web' });

const ssd = new StorageClass(chart, 'fast-ssd', {
  provisioner: Provisioner.gcePd(),
});

const cache = kplus.Volume.fromEmptyDir(chart, 'nginx-cache', 'cache');
const run = kplus.Volume.fromEmptyDir(chart, 'nginx-run', 'run');

new StatefulWorkload(chart, 'web', {
  replicas: 2,
  appName: 'nginx',
  identity: { user: 101, group: 101 },
  containers: [{
    name: 'nginx',
    image: 'nginxinc/nginx-unprivileged:1.27.3',
    ports: [{ name: 'http', number: 8080 }],
    resources: {
      cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(500) },
      memory: { request: Size.mebibytes(64), limit: Size.mebibytes(128) },
    },
    readiness: kplus.Probe.fromHttpGet('/', { port: 8080 }),
    volumeMounts: [
      { volume: cache, path: '/var/cache/nginx' },
      { volume: run, path: '/tmp' },
    ],
  }],
  volumeClaims: [{ name: 'www', size: Size.gibibytes(1), storageClass: ssd, mountPath: '/usr/share/nginx/html' }],
});

app.synth();
