// The product catalog of a shop on a 3-member MongoDB replica set, a small session store with an
// arbiter, and the API Deployment that uses the catalog. main.ts synthesizes it; the script checks
// (test/integration/mongodb) build the same constructs to extract the scripts the pods run.
import { Chart, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { DumpStorage, IssuerKind, MongoDb, MongoDbVersion, Provisioner, RestrictedPodSecurity, StorageClass, TlsCertificates } from 'cdk8s-stateful';

/** Adds the catalog replica set, its API and a session store to `chart`. */
export function addCatalog(chart: Chart, version: MongoDbVersion = MongoDbVersion.V8_0): { catalog: MongoDb; sessions: MongoDb } {
  const ssd = new StorageClass(chart, 'ssd', { name: 'mongodb-ssd', provisioner: Provisioner.awsEbs() });

  const catalog = new MongoDb(chart, 'catalog', {
    version,
    replicas: 3, // three voting members: any one can fail, MongoDB elects a new primary by itself
    metrics: true, // mongodb_exporter on 9216 next to each member
    storage: { size: Size.gibibytes(50), storageClass: ssd },
    resources: { cpu: kplus.Cpu.millis(1000), memory: Size.gibibytes(4) }, // 1.5 GB WiredTiger cache
    config: { 'operationProfiling.mode': 'slowOp', 'operationProfiling.slowOpThresholdMs': '200' },
    // mongodump --oplog from a secondary every night at 02:30 Paris time into the claim catalog-dumps;
    // the newest 14 are kept (restore: docs/engines/mongodb.md).
    logicalBackup: {
      schedule: '30 2 * * *',
      timeZone: 'Europe/Paris',
      keep: 14,
      storage: DumpStorage.newClaim({ size: Size.gibibytes(100), storageClass: ssd }),
    },
    // TLS between the members and for every client (requireTLS), with a certificate from the platform's
    // cert-manager ClusterIssuer 'internal-ca'; cert-manager renews it and the members reload it.
    tls: { certificates: TlsCertificates.certManager({ issuerName: 'internal-ca', issuerKind: IssuerKind.CLUSTER_ISSUER }) },
    // credentials: Credentials.generated() by default: the Secret catalog-credentials (password, keyfile)
    // is created in the cluster on first install and never appears in this YAML.
  });

  // Two data members and an arbiter: three voters, two copies of the data.
  const sessions = new MongoDb(chart, 'sessions', {
    version,
    replicas: 2,
    arbiter: true,
    replicaSetName: 'sessions-rs',
    storage: { size: Size.gibibytes(5), storageClass: ssd },
    resources: { cpu: kplus.Cpu.millis(250), memory: Size.gibibytes(1) },
  });

  const tmp = kplus.Volume.fromEmptyDir(chart, 'catalog-api-tmp', 'tmp', { sizeLimit: Size.mebibytes(64) });
  const api = new kplus.Deployment(chart, 'catalog-api', {
    replicas: 2,
    securityContext: { user: 999, group: 999, ensureNonRoot: true },
    containers: [{
      name: 'api',
      // Stands in for your application: it only needs MONGODB_URI (the driver finds the primary itself).
      image: `mongo:${version.fullVersion}`,
      command: ['/bin/bash', '-c', 'while true; do mongosh "$MONGODB_URI" --quiet --eval "db.hello().primary"; sleep 30; done'],
      envVariables: { HOME: kplus.EnvValue.fromValue('/tmp') },
      resources: {
        cpu: { request: kplus.Cpu.millis(50) },
        memory: { request: Size.mebibytes(256), limit: Size.mebibytes(256) },
      },
      volumeMounts: [{ volume: tmp, path: '/tmp' }],
      securityContext: { user: 999, group: 999, ensureNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
    }],
  });
  // MONGODB_HOST, MONGODB_PASSWORD (from the Secret), MONGODB_URI with tls=true and the CA file, and
  // the CA certificate (only it, not the servers' key) mounted where the URI says.
  catalog.addConnectionEnv(api.containers[0]);
  // cdk8s-plus-27 cannot spell seccomp or `drop: [ALL]`: complete the pod to the restricted profile.
  RestrictedPodSecurity.applyToWorkload(api);
  // The API's own availability: one pod per node, at most one down at a time, and nothing may connect to it.
  api.scheduling.spread({ topology: kplus.Topology.HOSTNAME });
  new k8s.KubePodDisruptionBudget(chart, 'catalog-api-budget', {
    metadata: { name: 'catalog-api' },
    spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: api.matchLabels } },
  });
  new kplus.NetworkPolicy(chart, 'catalog-api-policy', {
    metadata: { name: 'catalog-api' },
    selector: api,
    ingress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
  });
  // The database's NetworkPolicy admits the instance's own pods, and the app on the client port only.
  catalog.allowFrom(api);
  return { catalog, sessions };
}
