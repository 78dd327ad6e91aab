// A Cassandra ring across three zones: one rack per zone, two nodes per rack, so that with
// NetworkTopologyStrategy and RF=3 every row keeps a quorum when a whole zone is lost.
// A small app Deployment connects through `connection` and is admitted by `allowFrom`.
import { App, Chart, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  Cassandra, CassandraVersion, EbsVolumeType, IssuerKind, Provisioner, RestrictedPodSecurity, StorageClass, TlsCertificates, VolumeSnapshotClass,
} from 'cdk8s-stateful';

const app = new App();
const chart = new Chart(app, 'cassandra', { namespace: 'events' });

const ssd = new StorageClass(chart, 'cassandra-ssd', {
  provisioner: Provisioner.awsEbs({ type: EbsVolumeType.GP3 }),
});

// Snapshots of the EBS volumes, kept when their VolumeSnapshot (or the namespace) is deleted.
const snapshots = new VolumeSnapshotClass(chart, 'cassandra-snapshots', { driver: 'ebs.csi.aws.com' });

// The app's pods, selected by label: admitted to CQL (9042) only, never to gossip (7000).
const appPods = kplus.Pods.select(chart, 'AppPods', { labels: { 'app.kubernetes.io/name': 'events-api' } });

const events = new Cassandra(chart, 'events', {
  version: CassandraVersion.V5_0,
  // The datacenter name goes into keyspace replication ({'eu-west-1': 3}) and the drivers' settings.
  datacenter: 'eu-west-1',
  racks: [
    { name: 'a', zone: 'eu-west-1a' },
    { name: 'b', zone: 'eu-west-1b' },
    { name: 'c', zone: 'eu-west-1c' },
  ],
  replicas: 2,
  // The keyspaces' RF: replicas × racks below 3 is refused. Lowering replicas decommissions the nodes
  // that go (preStop), within the grace period sized for a full 200 GiB volume (8700 s).
  replicationFactor: 3,
  metrics: true, // the JMX exporter javaagent on 9404 in every node
  storage: { size: Size.gibibytes(200), storageClass: ssd },
  resources: { cpu: kplus.Cpu.millis(2000), memory: Size.gibibytes(16) },
  config: {
    concurrent_reads: '64',
    concurrent_writes: '64',
  },
  allowFrom: [appPods],
  // Client and internode TLS with a certificate from the platform's cert-manager ClusterIssuer
  // 'internal-ca' (PKCS#8, as Cassandra needs). Logins are always required: the superuser 'admin'
  // gets a password generated in the cluster, and the default 'cassandra' is disabled.
  tls: { certificates: TlsCertificates.certManager({ issuerName: 'internal-ca', issuerKind: IssuerKind.CLUSTER_ISSUER }) },
  // A CSI snapshot of each of the six volumes every night, the last 14 kept. Each is crash-consistent
  // (commit log and data on one volume); after a restore, run a repair (docs/backups.md).
  volumeSnapshots: { schedule: '17 2 * * *', timeZone: 'Europe/Dublin', keep: 14, snapshotClass: snapshots },
});

const appLabels = { 'app.kubernetes.io/name': 'events-api' };
const tmp = kplus.Volume.fromEmptyDir(chart, 'events-api-tmp', 'tmp');
const deployment = new kplus.Deployment(chart, 'events-api', {
  metadata: { name: 'events-api' },
  replicas: 2,
  podMetadata: { labels: appLabels },
  securityContext: { ensureNonRoot: true, user: 999, group: 999 },
  automountServiceAccountToken: false,
  containers: [{
    name: 'client',
    // Stand-in for an application: cqlsh from the same image writes and reads a row a minute.
    image: `cassandra:${CassandraVersion.V5_0.fullVersion}`,
    command: ['/bin/bash', '-c', [
      'set -eu',
      // The user and password in a private file (never on a command line), TLS verified against the CA.
      'umask 077',
      'printf "[authentication]\\nusername = %s\\npassword = %s\\n[ssl]\\ncertfile = %s\\nvalidate = true\\n" "$CASSANDRA_USERNAME" "$CASSANDRA_PASSWORD" "$CASSANDRA_CA_FILE" > /tmp/cqlshrc',
      'while true; do',
      '  cqlsh --ssl --cqlshrc /tmp/cqlshrc "$CASSANDRA_HOST" "$CASSANDRA_PORT" -e "CREATE KEYSPACE IF NOT EXISTS events WITH replication = {\'class\': \'NetworkTopologyStrategy\', \'$CASSANDRA_LOCAL_DATACENTER\': 3}; CREATE TABLE IF NOT EXISTS events.visits (id timeuuid PRIMARY KEY); CONSISTENCY LOCAL_QUORUM; INSERT INTO events.visits (id) VALUES (now()); SELECT COUNT(*) FROM events.visits;"',
      '  sleep 60',
      'done',
    ].join('\n')],
    // Drivers take CASSANDRA_CONTACT_POINTS (the seeds) and CASSANDRA_LOCAL_DATACENTER; cqlsh needs
    // one host. addConnectionEnv below adds them, the user, the password and the CA.
    envVariables: { HOME: kplus.EnvValue.fromValue('/tmp') },
    resources: {
      cpu: { request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(500) },
      memory: { request: Size.mebibytes(128), limit: Size.mebibytes(256) },
    },
    securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false },
    volumeMounts: [{ volume: tmp, path: '/tmp' }],
  }],
});
events.addConnectionEnv(deployment.containers[0]);
// cdk8s-plus-27 cannot spell seccomp or `drop: [ALL]`: complete the pod to the restricted profile.
RestrictedPodSecurity.applyToWorkload(deployment);
// The app takes no connections, and keeps one pod up through node drains.
new kplus.NetworkPolicy(chart, 'events-api-policy', {
  metadata: { name: 'events-api' },
  selector: appPods,
  ingress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
});
new kplus.k8s.KubePodDisruptionBudget(chart, 'events-api-budget', {
  metadata: { name: 'events-api' },
  spec: { selector: { matchLabels: appLabels }, maxUnavailable: kplus.k8s.IntOrString.fromNumber(1) },
});

app.synth();
