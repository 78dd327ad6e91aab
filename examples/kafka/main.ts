// The event bus of a shop: three brokers and three dedicated KRaft controllers on SSDs, and a
// billing consumer Deployment that reads from it through `connection`.
import { ApiObject, App, Chart, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  Kafka, KafkaVersion, NetworkPeer, Provisioner, RestrictedPodSecurity, StorageClass, TlsCertificates, VolumeSnapshotClass,
} from 'cdk8s-stateful';

const app = new App();
const chart = new Chart(app, 'events', { namespace: 'shop' });

const ssd = new StorageClass(chart, 'ssd', { provisioner: Provisioner.awsEbs() });

// A CA of the event bus's own, with cert-manager: a self-signed Issuer signs the CA certificate
// 'events-ca', and the Issuer 'events-ca' signs the brokers' and controllers' certificate with it.
const certManager = (id: string, kind: string, name: string, spec: object) =>
  new ApiObject(chart, id, { apiVersion: 'cert-manager.io/v1', kind, metadata: { name }, spec });
certManager('selfsigned', 'Issuer', 'selfsigned', { selfSigned: {} });
certManager('events-ca-cert', 'Certificate', 'events-ca', {
  isCA: true,
  commonName: 'events-ca',
  secretName: 'events-ca',
  duration: '87600h', // ten years; the brokers' certificate lives 90 days and is renewed by cert-manager
  privateKey: { algorithm: 'ECDSA', size: 256 },
  issuerRef: { name: 'selfsigned', kind: 'Issuer', group: 'cert-manager.io' },
});
certManager('events-ca-issuer', 'Issuer', 'events-ca', { ca: { secretName: 'events-ca' } });

const version = KafkaVersion.V4_4;
const events = new Kafka(chart, 'events', {
  version,
  brokers: 3, // events-0..2: node ids 0..2, each advertises events-<i>.events-headless.shop.svc.cluster.local:9092
  controllers: 3, // events-controller-0..2: node ids 1000..1002, the KRaft quorum (odd: survives one loss)
  storage: { size: Size.gibibytes(100), storageClass: ssd },
  resources: { cpu: kplus.Cpu.millis(1000), memory: Size.gibibytes(4) }, // a 2 GiB heap, the rest page cache
  controllerStorage: { size: Size.gibibytes(5), storageClass: ssd },
  config: {
    'auto.create.topics.enable': 'false',
    'log.retention.hours': '168',
    'num.partitions': '6',
  },
  // clusterId: derived from namespace and name, the same on every synth; pin it to adopt existing volumes
  metrics: true, // the JMX exporter javaagent on 9404 in every broker and controller
  // TLS on every listener (clients, brokers, controllers), with a PKCS#8 key as Kafka needs.
  tls: { certificates: TlsCertificates.certManager({ issuerName: 'events-ca' }) },
  // Every 6 hours a CSI snapshot of the brokers' and controllers' volumes, a day's worth kept, with a
  // class that already exists in the cluster. Replication is what protects topics; these snapshots
  // are for losing the whole cluster (docs/backups.md).
  volumeSnapshots: { schedule: '41 */6 * * *', keep: 4, snapshotClass: VolumeSnapshotClass.fromVolumeSnapshotClassName('ebs-csi-snapshots') },
});
// Prometheus (in the monitoring namespace) may scrape 9404; nobody else may.
events.allowMetricsFrom(NetworkPeer.pods({ labels: { 'app.kubernetes.io/name': 'prometheus' }, namespace: 'monitoring' }));

const appLabels = { 'app.kubernetes.io/name': 'billing' };
const tmp = kplus.Volume.fromEmptyDir(chart, 'billing-tmp', 'tmp');
const billing = new kplus.Deployment(chart, 'billing', {
  metadata: { name: 'billing' },
  replicas: 2,
  podMetadata: { labels: appLabels },
  securityContext: { user: 1000, group: 1000, ensureNonRoot: true },
  containers: [{
    name: 'consumer',
    // Stands in for your application: it needs only the connection's variables (addConnectionEnv
    // below): the bootstrap servers and the SASL settings, the password from the generated Secret.
    image: `apache/kafka:${version.fullVersion}`,
    command: ['/bin/sh', '-c', [
      'printf \'security.protocol=%s\\nsasl.mechanism=%s\\nsasl.jaas.config=%s\\n\'',
      '"$KAFKA_SECURITY_PROTOCOL" "$KAFKA_SASL_MECHANISM" "$KAFKA_SASL_JAAS_CONFIG" > /tmp/client.properties &&',
      'exec /opt/kafka/bin/kafka-console-consumer.sh',
      '--bootstrap-server "$KAFKA_BOOTSTRAP_SERVERS" --consumer.config /tmp/client.properties',
      '--topic orders --group billing',
    ].join(' ')],
    envVariables: {
      KAFKA_HEAP_OPTS: kplus.EnvValue.fromValue('-Xmx128m'),
      LOG_DIR: kplus.EnvValue.fromValue('/tmp'),
    },
    resources: {
      cpu: { request: kplus.Cpu.millis(100) },
      memory: { request: Size.mebibytes(256), limit: Size.mebibytes(256) },
    },
    securityContext: { user: 1000, group: 1000, ensureNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
    volumeMounts: [{ volume: tmp, path: '/tmp' }],
  }],
});
events.addConnectionEnv(billing.containers[0]);
// cdk8s-plus-27 cannot spell seccomp or `drop: [ALL]`: complete the pod to the restricted profile.
RestrictedPodSecurity.applyToWorkload(billing);
// The brokers' NetworkPolicy admits the instance's own pods and, on 9092 only, the consumer.
events.allowFrom(billing);

// The consumer takes no connections itself, and keeps one pod up through node drains.
const appPods = kplus.Pods.select(chart, 'billing-pods', { labels: appLabels });
new kplus.NetworkPolicy(chart, 'billing-policy', {
  metadata: { name: 'billing' },
  selector: appPods,
  ingress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
});
new kplus.k8s.KubePodDisruptionBudget(chart, 'billing-budget', {
  metadata: { name: 'billing' },
  spec: { selector: { matchLabels: appLabels }, maxUnavailable: kplus.k8s.IntOrString.fromNumber(1) },
});

app.synth();
