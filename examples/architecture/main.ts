// The architecture of the talk this project grew from, in one app: a stateless web tier that
// connects to PostgreSQL, with Kafka, Cassandra and MongoDB beside it. Each system has its own
// namespace (enforcing the restricted Pod Security profile), and all of them store their data on
// one StorageClass. Each database admits the web pods through its NetworkPolicy and nothing else.
import { App, Chart, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import {
  Cassandra, Kafka, MongoDb, Postgres, PostgresVersion, Provisioner, RestrictedNamespace, RestrictedPodSecurity, StorageClass,
} from 'cdk8s-stateful';

const app = new App();

// Cluster-wide: one class for every database (regional disks survive a zone).
const platform = new Chart(app, 'platform');
const storage = new StorageClass(platform, 'databases', { provisioner: Provisioner.gcePd({ regional: true }) });

/** A chart of its own namespace, which it creates first and which admits only restricted pods. */
const system = (name: string) => {
  const chart = new Chart(app, name, { namespace: name });
  new RestrictedNamespace(chart, 'namespace');
  return chart;
};

// The web pods, as every database's NetworkPolicy sees them: by label, from the `web` namespace.
const webLabels = { 'app.kubernetes.io/name': 'web' };
const webPods = (chart: Chart) => kplus.Pods.select(chart, 'web-pods', {
  labels: webLabels,
  namespaces: kplus.Namespaces.select(chart, 'web-namespace', { names: ['web'] }),
});

const ordersChart = system('orders');
const orders = new Postgres(ordersChart, 'orders', {
  version: PostgresVersion.V17,
  replicas: 3,
  storage: { size: Size.gibibytes(50), storageClass: storage },
  resources: { cpu: kplus.Cpu.millis(1000), memory: Size.gibibytes(4) },
  allowFrom: [webPods(ordersChart)],
});

const eventsChart = system('events');
const events = new Kafka(eventsChart, 'events', {
  brokers: 3,
  storage: { size: Size.gibibytes(100), storageClass: storage },
  allowFrom: [webPods(eventsChart)],
});

const timelineChart = system('timeline');
const timeline = new Cassandra(timelineChart, 'timeline', {
  replicas: 3,
  storage: { size: Size.gibibytes(100), storageClass: storage },
  allowFrom: [webPods(timelineChart)],
});

const catalogChart = system('catalog');
const catalog = new MongoDb(catalogChart, 'catalog', {
  replicas: 3,
  storage: { size: Size.gibibytes(20), storageClass: storage },
  allowFrom: [webPods(catalogChart)],
});

// The stateless web tier: everything it needs to reach the databases comes from `connection`.
// The Postgres password is a Secret in the `orders` namespace; a real app would get a copy in its
// own namespace (External Secrets, Reflector...) under the same name.
const web = system('web');
const tmp = kplus.Volume.fromEmptyDir(web, 'tmp', 'tmp');
const deployment = new kplus.Deployment(web, 'web', {
  metadata: { name: 'web' },
  replicas: 3,
  podMetadata: { labels: webLabels },
  automountServiceAccountToken: false,
  securityContext: { ensureNonRoot: true, user: 101, group: 101 },
  containers: [{
    name: 'web',
    image: 'nginxinc/nginx-unprivileged:1.27.3',
    ports: [{ name: 'http', number: 8080 }],
    envVariables: {
      DATABASE_HOST: kplus.EnvValue.fromValue(orders.connection.host),
      DATABASE_PORT: kplus.EnvValue.fromValue(String(orders.connection.port)),
      DATABASE_NAME: kplus.EnvValue.fromValue(orders.connection.database),
      DATABASE_USER: kplus.EnvValue.fromValue(orders.connection.username),
      DATABASE_PASSWORD: kplus.EnvValue.fromSecretValue({
        secret: kplus.Secret.fromSecretName(web, 'orders-credentials', orders.connection.secretName),
        key: orders.connection.passwordKey,
      }),
      KAFKA_BOOTSTRAP_SERVERS: kplus.EnvValue.fromValue(events.connection.bootstrapServers),
      CASSANDRA_CONTACT_POINTS: kplus.EnvValue.fromValue(timeline.connection.contactPoints.join(',')),
      CASSANDRA_DATACENTER: kplus.EnvValue.fromValue(timeline.connection.datacenter),
      MONGODB_HOSTS: kplus.EnvValue.fromValue(catalog.connection.hosts.join(',')),
      MONGODB_REPLICA_SET: kplus.EnvValue.fromValue(catalog.connection.replicaSetName),
    },
    readiness: kplus.Probe.fromHttpGet('/', { port: 8080 }),
    resources: {
      cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(500) },
      memory: { request: Size.mebibytes(128), limit: Size.mebibytes(128) },
    },
    volumeMounts: [{ volume: tmp, path: '/tmp' }],
  }],
});
deployment.exposeViaService({ name: 'web', ports: [{ port: 80, targetPort: 8080 }] });
RestrictedPodSecurity.applyToWorkload(deployment);
// The web tier's own availability and exposure: one pod per node, one down at a time in a drain,
// and only HTTP in.
deployment.scheduling.spread({ topology: kplus.Topology.HOSTNAME });
new k8s.KubePodDisruptionBudget(web, 'web-budget', {
  metadata: { name: 'web' },
  spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: webLabels } },
});
new kplus.NetworkPolicy(web, 'web-policy', {
  metadata: { name: 'web' },
  selector: kplus.Pods.select(web, 'web-self', { labels: webLabels }),
  ingress: { rules: [{ peer: kplus.Pods.all(web, 'anyone'), ports: [kplus.NetworkPolicyPort.tcp(8080)] }] },
});

app.synth();
