/**
 * Builds the example's Postgres (examples/postgres/orders.ts) and variants of it, synthesizes them,
 * and writes what pod `<name>-0` would get into OUTDIR/<variant>/:
 *   patroni.yml, dynamic.yml   the `<name>-patroni` ConfigMap
 *   scripts/*                  the `<name>-scripts` ConfigMap (mode 0555)
 *   pod.env                    the server container's environment as the kubelet resolves it for
 *                              pod 0 (field refs; Secret keys replaced by test values), KEY=VALUE
 *   command                    the server container's command, one argument a line
 * and, for a variant with `tls`:
 *   tls-names                  the cert-manager Certificate's DNS names and IP addresses, one a line
 *   tls-key                    its private key algorithm and size (RSA 2048, ECDSA 256, ...)
 *   connection.uri             the connection URI apps get (the password as $(POSTGRES_PASSWORD))
 *
 * Usage: TS_NODE_PROJECT=test/tsconfig.json ts-node -r tsconfig-paths/register test/integration/postgres/extract.ts OUTDIR
 */
import { chmodSync, mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { Chart, Duration, Size, Testing } from 'cdk8s';
import { podEnv } from './pod-env';
import { addOrders } from '../../../examples/postgres/orders';
import { Postgres, PostgresVersion, SynchronousReplication, TlsCertificates } from '../../../src';

const out = process.argv[2];
if (!out) { throw new Error('usage: extract.ts OUTDIR'); }

const VARIANTS: { [name: string]: (chart: Chart) => Postgres } = {
  // The example as it ships (with TLS from a cert-manager ClusterIssuer), on the version Debian bookworm has.
  'example': (chart) => addOrders(chart, PostgresVersion.V15),
  // With TLS from a cert-manager Issuer: run.sh makes the certificate it describes with openssl.
  'asynchronous-fast': (chart) => new Postgres(chart, 'fast', {
    version: PostgresVersion.V15,
    replicas: 2,
    tls: { certificates: TlsCertificates.certManager({ issuerName: 'ca-issuer' }) },
    synchronousReplication: SynchronousReplication.ASYNCHRONOUS,
    failover: {
      leaderLeaseTtl: Duration.seconds(20),
      loopWait: Duration.seconds(2),
      retryTimeout: Duration.seconds(5),
      maximumLagOnFailover: Size.mebibytes(16),
    },
    resources: { memory: Size.mebibytes(512) },
  }),
  'strict-single-database': (chart) => new Postgres(chart, 'ledger', {
    version: PostgresVersion.V15,
    replicas: 2,
    synchronousReplication: SynchronousReplication.STRICT,
    database: 'ledger',
    config: { synchronous_commit: 'remote_apply', log_min_duration_statement: '1s' },
  }),
};

for (const [variant, build] of Object.entries(VARIANTS)) {
  const chart = new Chart(Testing.app(), 'orders', { namespace: 'shop' });
  const db = build(chart);
  const objects: any[] = Testing.synth(chart);
  const data = (name: string): { [key: string]: string } => {
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name);
    if (!cm) { throw new Error(`${variant}: no ConfigMap ${name}`); }
    return cm.data;
  };
  const name = db.workload.name;
  const sts = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === name);
  const server = sts.spec.template.spec.containers.find((c: any) => c.name === 'postgres');
  const dir = join(out, variant);
  mkdirSync(join(dir, 'scripts'), { recursive: true });
  for (const [file, text] of Object.entries(data(`${name}-patroni`))) { writeFileSync(join(dir, file), text); }
  for (const [file, text] of Object.entries(data(`${name}-scripts`))) {
    writeFileSync(join(dir, 'scripts', file), text);
    chmodSync(join(dir, 'scripts', file), 0o555);
  }
  writeFileSync(join(dir, 'pod.env'), podEnv(server.env, `${name}-0`).map(([k, v]) => `${k}=${v}\n`).join(''));
  writeFileSync(join(dir, 'command'), server.command.map((a: string) => `${a}\n`).join(''));
  const certificate = objects.find((o) => o.kind === 'Certificate');
  if (certificate) {
    writeFileSync(join(dir, 'tls-names'), [...certificate.spec.dnsNames, ...certificate.spec.ipAddresses].map((n: string) => `${n}\n`).join(''));
    writeFileSync(join(dir, 'tls-key'), `${certificate.spec.privateKey.algorithm} ${certificate.spec.privateKey.size}\n`);
    writeFileSync(join(dir, 'connection.uri'), `${db.connection.uri}\n`);
  }
  console.log(`extract: ${variant}: ${name} (${server.image}) -> ${dir}`);
}

