// The orders database of a shop: a primary and two streaming standbys on SSDs, with metrics,
// and the API Deployment that uses it. main.ts synthesizes it; the real-binary test
// (test/integration/postgres) builds the same construct to extract its config and scripts.
import { Chart, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  IssuerKind, PgBackRestRepository, Postgres, PostgresVersion, Provisioner, RestrictedPodSecurity, StorageClass, TlsCertificates,
} from 'cdk8s-stateful';

/** Adds the orders database and its API to `chart`. */
export function addOrders(chart: Chart, version: PostgresVersion = PostgresVersion.V17): Postgres {
  const ssd = new StorageClass(chart, 'ssd', { provisioner: Provisioner.awsEbs() });

  const orders = new Postgres(chart, 'orders', {
    version,
    replicas: 3, // Patroni elects a primary; the two others stream from it and take over if it fails
    storage: { size: Size.gibibytes(20), storageClass: ssd },
    resources: { cpu: kplus.Cpu.millis(1000), memory: Size.gibibytes(2) },
    database: 'orders',
    maxConnections: 200,
    config: { log_min_duration_statement: '500ms' },
    metrics: true,
    // TLS for clients, replication, pg_rewind and Patroni's REST API, with a certificate from the
    // platform's cert-manager ClusterIssuer 'internal-ca'; plaintext clients are refused. The app
    // verifies the server with the CA below.
    tls: { certificates: TlsCertificates.certManager({ issuerName: 'internal-ca', issuerKind: IssuerKind.CLUSTER_ISSUER }) },
    // WAL archived continuously and base backups every night (full on Sundays) to S3: any point in
    // time since the older of the two kept full backups can be restored. The keys are your Secrets.
    backup: {
      repository: PgBackRestRepository.s3({
        bucket: 'shop-db-backups',
        region: 'eu-west-1',
        accessKeyId: { secretName: 'orders-backup-s3', key: 'access-key-id' },
        secretAccessKey: { secretName: 'orders-backup-s3', key: 'secret-access-key' },
      }),
      encryptionKey: { secretName: 'orders-backup-s3', key: 'passphrase' },
    },
    // credentials: Credentials.generated() by default: the Secret orders-credentials is created in the cluster
  });

  const { connection } = orders;
  const tls = connection.tls!;
  const password = kplus.Secret.fromSecretName(chart, 'orders-password', connection.secretName);
  const appLabels = { 'app.kubernetes.io/name': 'orders-api' };
  const api = new kplus.Deployment(chart, 'orders-api', {
    metadata: { name: 'orders-api' },
    replicas: 2,
    podMetadata: { labels: appLabels },
    securityContext: { user: 999, group: 999, ensureNonRoot: true },
    containers: [{
      name: 'api',
      // Stands in for your application: it only needs the connection settings below.
      image: `postgres:${version.fullVersion}`,
      command: ['/bin/sh', '-c', 'while true; do psql -c "SELECT count(*) FROM pg_stat_replication"; sleep 30; done'],
      envVariables: {
        PGHOST: kplus.EnvValue.fromValue(connection.host),
        PGPORT: kplus.EnvValue.fromValue(String(connection.port)),
        PGDATABASE: kplus.EnvValue.fromValue(connection.database),
        PGUSER: kplus.EnvValue.fromValue(connection.username),
        PGPASSWORD: kplus.EnvValue.fromSecretValue({ secret: password, key: connection.passwordKey }),
        READ_ONLY_HOST: kplus.EnvValue.fromValue(connection.readOnlyHost),
        // libpq checks the server's certificate against the CA and its name against PGHOST.
        PGSSLMODE: kplus.EnvValue.fromValue('verify-full'),
        PGSSLROOTCERT: kplus.EnvValue.fromValue(tls.caFile),
      },
      // Only the CA certificate of the database's TLS Secret, where connection.tls.caFile says.
      volumeMounts: [{
        path: tls.caFile.slice(0, tls.caFile.lastIndexOf('/')),
        volume: kplus.Volume.fromSecret(chart, 'orders-ca', kplus.Secret.fromSecretName(chart, 'orders-tls', tls.caSecretName), {
          name: 'orders-ca', items: { [tls.caKey]: { path: 'ca.crt' } },
        }),
        readOnly: true,
      }],
      resources: {
        cpu: { request: kplus.Cpu.millis(50) },
        memory: { request: Size.mebibytes(64), limit: Size.mebibytes(64) },
      },
      securityContext: { user: 999, group: 999, ensureNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
    }],
  });
  // cdk8s-plus-27 cannot spell seccomp or `drop: [ALL]`: complete the pod to the restricted profile.
  RestrictedPodSecurity.applyToWorkload(api);
  // The database's NetworkPolicy admits the instance's own pods, and the app on the client port only.
  orders.allowFrom(api);
  // The app takes no connections itself, and keeps one pod up through node drains.
  const appPods = kplus.Pods.select(chart, 'orders-api-pods', { labels: appLabels });
  new kplus.NetworkPolicy(chart, 'orders-api-policy', {
    metadata: { name: 'orders-api' },
    selector: appPods,
    ingress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
  });
  new kplus.k8s.KubePodDisruptionBudget(chart, 'orders-api-budget', {
    metadata: { name: 'orders-api' },
    spec: { selector: { matchLabels: appLabels }, maxUnavailable: kplus.k8s.IntOrString.fromNumber(1) },
  });
  return orders;
}
