/**
 * Renders, with the library, the instance that restores a backed-up Postgres of a synthesized
 * example: `PostgresRestore.latest({ repository: claim, stanza: <source name>, encryptionKey })` in
 * the source's namespace, with the source's version, replicas, storage class and database, TLS from
 * the source's issuer when the source has a cert-manager Certificate, and no `backup` of its own. The source's name, namespace, version and encryption key (the Secret key of its
 * PGBACKREST_REPO1_CIPHER_PASS) are read from its manifest.
 *
 *   npx ts-node --project test/tsconfig.json test/cluster/backup/restore-instance.ts \
 *     <out.k8s.yaml> <source.k8s.yaml> <restored name> <claim name>
 */
import * as fs from 'fs';
import { App, Chart, Size, Yaml } from 'cdk8s';
import {
  IssuerKind, PgBackRestRepository, Postgres, PostgresRestore, PostgresVersion, Provisioner, StorageClass, TlsCertificates,
} from '../../../src';

const [out, source, name, claimName] = process.argv.slice(2);
if (!out || !source || !name || !claimName) {
  throw new Error('usage: restore-instance.ts <out.k8s.yaml> <source.k8s.yaml> <restored name> <claim name>');
}

const objects: any[] = Yaml.load(source).filter((o: any) => o && o.kind);
// patroni, or (with TLS) start.sh with patroni.yml as an argument.
const runsPatroni = (c: any) => (c.command ?? []).some((a: string) => a === 'patroni' || a.endsWith('/patroni.yml'));
const sts = objects.find((o) => o.kind === 'StatefulSet' && (o.spec.template.spec.containers ?? []).some(runsPatroni));
if (!sts) { throw new Error(`${source}: no StatefulSet runs patroni`); }
const server = sts.spec.template.spec.containers.find(runsPatroni);
const env = (n: string) => (server.env ?? []).find((e: any) => e.name === n);
const cipher = env('PGBACKREST_REPO1_CIPHER_PASS')?.valueFrom?.secretKeyRef;
const major = String(sts.metadata.labels?.['app.kubernetes.io/version'] ?? '17').split('.')[0];
const version = (PostgresVersion as any)[`V${major}`] as PostgresVersion | undefined;
if (!version) { throw new Error(`${source}: no PostgresVersion.V${major}`); }
const template = (sts.spec.volumeClaimTemplates ?? [])[0];
const className: string | undefined = template?.spec?.storageClassName;
const storageClass = objects.find((o) => o.kind === 'StorageClass' && o.metadata.name === className);
const issuer = objects.find((o) => o.kind === 'Certificate' && o.metadata.name === sts.metadata.name)?.spec?.issuerRef;

const app = new App({ outdir: '/tmp' });
const chart = new Chart(app, 'restore', { namespace: sts.metadata.namespace });
new Postgres(chart, name, {
  version,
  replicas: sts.spec.replicas ?? 1,
  storage: {
    size: Size.gibibytes(1),
    // The source's class again (the same object, so applying it changes nothing).
    storageClass: storageClass ? new StorageClass(chart, 'class', { name: className, provisioner: Provisioner.awsEbs() }) : undefined,
  },
  database: env('POSTGRES_DB')?.value,
  tls: issuer ? {
    certificates: TlsCertificates.certManager({
      issuerName: issuer.name, issuerKind: issuer.kind === 'ClusterIssuer' ? IssuerKind.CLUSTER_ISSUER : IssuerKind.ISSUER,
    }),
  } : undefined,
  restore: PostgresRestore.latest({
    repository: PgBackRestRepository.persistentVolumeClaim({ claimName }),
    stanza: sts.metadata.name,
    encryptionKey: cipher ? { secretName: cipher.name, key: cipher.key } : undefined,
  }),
});
fs.writeFileSync(out, app.synthYaml());
console.log(`restore-instance: ${sts.metadata.namespace}/${name} restores stanza ${sts.metadata.name} from claim ${claimName}` +
  `${cipher ? ` (encrypted: ${cipher.name}/${cipher.key})` : ''}${issuer ? `, TLS from ${issuer.kind} ${issuer.name}` : ''} -> ${out}`);
