// A MySQL source with two read-only replicas on SSD volumes, with metrics and a nightly dump, and a small app that
// reads and writes through the construct's `connection`.
import { App, Chart, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  Credentials, DumpStorage, IssuerKind, MySql, MySqlVersion, Provisioner, RestrictedPodSecurity, StorageClass, TlsCertificates,
} from 'cdk8s-stateful';

const app = new App();
const chart = new Chart(app, 'mysql', { namespace: 'shop' });

const ssd = new StorageClass(chart, 'mysql-ssd', {
  provisioner: Provisioner.awsEbs(),
});

// The app's pods carry this label; the database's NetworkPolicy admits them.
const appLabels = { 'app.kubernetes.io/name': 'catalog' };
const appPods = kplus.Pods.select(chart, 'CatalogPods', { labels: appLabels });

const catalog = new MySql(chart, 'catalog-db', {
  version: MySqlVersion.V8_4,
  replicas: 3, // one source (catalog-db-0) and two replicas
  storage: { size: Size.gibibytes(50), storageClass: ssd },
  resources: { cpu: kplus.Cpu.millis(1000), memory: Size.gibibytes(4) },
  maxConnections: 300,
  config: { long_query_time: '2' },
  // Passwords generated in the cluster on first install, kept in the Secret `catalog-db-credentials`.
  credentials: Credentials.generated(),
  metrics: true,
  allowFrom: [appPods],
  // TLS for clients and replication, with a certificate from the platform's cert-manager ClusterIssuer
  // 'internal-ca'; plaintext clients are refused. The app verifies the server with the CA below.
  tls: { certificates: TlsCertificates.certManager({ issuerName: 'internal-ca', issuerKind: IssuerKind.CLUSTER_ISSUER }) },
  // mysqldump --single-transaction from a replica every night at 03:00 UTC into the claim
  // catalog-db-dumps; the newest 7 are kept (restore: docs/engines/mysql.md).
  logicalBackup: {
    timeZone: 'UTC',
    storage: DumpStorage.newClaim({ size: Size.gibibytes(50), storageClass: ssd }),
  },
});

const conn = catalog.connection;
const secret = kplus.Secret.fromSecretName(chart, 'DbSecret', conn.secretName);
const deployment = new kplus.Deployment(chart, 'catalog', {
  metadata: { name: 'catalog' },
  replicas: 2,
  podMetadata: { labels: appLabels },
  securityContext: { ensureNonRoot: true, user: 999, group: 999 },
  automountServiceAccountToken: false,
  containers: [{
    name: 'client',
    image: `mysql:${MySqlVersion.V8_4.fullVersion}`,
    // Stand-in for an application: one write to the source and one read from the replicas a minute.
    command: ['/bin/bash', '-c', [
      'set -eu',
      'while true; do',
      '  mysql --defaults-extra-file=<(printf "[client]\\npassword=\\"%s\\"\\n" "$DB_PASSWORD") --ssl-mode=VERIFY_IDENTITY --ssl-ca="$DB_CA_FILE" -h "$DB_HOST" -P "$DB_PORT" -u "$DB_USER" -e "CREATE DATABASE IF NOT EXISTS catalog; CREATE TABLE IF NOT EXISTS catalog.visits (at TIMESTAMP); INSERT INTO catalog.visits VALUES (NOW())"',
      '  mysql --defaults-extra-file=<(printf "[client]\\npassword=\\"%s\\"\\n" "$DB_PASSWORD") --ssl-mode=VERIFY_IDENTITY --ssl-ca="$DB_CA_FILE" -h "$DB_RO_HOST" -P "$DB_PORT" -u "$DB_USER" -e "SELECT COUNT(*) FROM catalog.visits"',
      '  sleep 60',
      'done',
    ].join('\n')],
    envVariables: {
      DB_HOST: kplus.EnvValue.fromValue(conn.host),
      DB_RO_HOST: kplus.EnvValue.fromValue(conn.readOnlyHost),
      DB_PORT: kplus.EnvValue.fromValue(String(conn.port)),
      DB_USER: kplus.EnvValue.fromValue(conn.username),
      DB_PASSWORD: kplus.EnvValue.fromSecretValue({ secret, key: conn.passwordKey }),
      DB_CA_FILE: kplus.EnvValue.fromValue(conn.tls!.caFile),
    },
    // Only the CA certificate of the database's TLS Secret, where conn.tls.caFile says.
    volumeMounts: [{
      path: conn.tls!.caFile.slice(0, conn.tls!.caFile.lastIndexOf('/')),
      volume: kplus.Volume.fromSecret(chart, 'DbCa', kplus.Secret.fromSecretName(chart, 'DbTls', conn.tls!.caSecretName), {
        name: 'db-ca', items: { [conn.tls!.caKey]: { path: 'ca.crt' } },
      }),
      readOnly: true,
    }],
    resources: {
      cpu: { request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(200) },
      memory: { request: Size.mebibytes(64), limit: Size.mebibytes(128) },
    },
    securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false },
  }],
});
// cdk8s-plus-27 cannot spell seccomp or `drop: [ALL]`: complete the pod to the restricted profile.
RestrictedPodSecurity.applyToWorkload(deployment);
// The app takes no connections, and keeps one pod up through node drains.
new kplus.NetworkPolicy(chart, 'catalog-policy', {
  metadata: { name: 'catalog' },
  selector: appPods,
  ingress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
});
new kplus.k8s.KubePodDisruptionBudget(chart, 'catalog-budget', {
  metadata: { name: 'catalog' },
  spec: { selector: { matchLabels: appLabels }, maxUnavailable: kplus.k8s.IntOrString.fromNumber(1) },
});

app.synth();
