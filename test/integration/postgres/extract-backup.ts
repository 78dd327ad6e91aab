/**
 * Builds Postgres instances with pgBackRest backups, and the instances that restore them, and writes
 * what pod `<name>-0` would get into OUTDIR/<variant>/ (as extract.ts does):
 *   patroni.yml, dynamic.yml        the `<name>-patroni` ConfigMap
 *   pgbackrest/pgbackrest.conf ...  the `<name>-pgbackrest` ConfigMap
 *   scripts/*                       the `<name>-scripts` ConfigMap (mode 0555)
 *   pod.env, backup.env             the server's and the backup agent's environment for pod 0
 *
 * Variants: `s3` (an S3-compatible store with its own CA, encrypted) and `claim` (a claim repository).
 * With RESTORE_TIME set, also `s3-restore` and `claim-restore`: new instances restoring those
 * backups to that time.
 *
 * Usage: TS_NODE_PROJECT=test/tsconfig.json ts-node -r tsconfig-paths/register test/integration/postgres/extract-backup.ts OUTDIR
 */
import { chmodSync, mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { Chart, Testing } from 'cdk8s';
import { podEnv } from './pod-env';
import { PgBackRestRepository, Postgres, PostgresRestore, PostgresVersion, S3UriStyle } from '../../../src';

const out = process.argv[2];
if (!out) { throw new Error('usage: extract-backup.ts OUTDIR'); }

const s3 = PgBackRestRepository.s3({
  bucket: 'backups',
  region: 'us-east-1',
  endpoint: 's3.storage.svc',
  port: 9000,
  uriStyle: S3UriStyle.PATH,
  accessKeyId: { secretName: 'backup-s3', key: 'access-key-id' },
  secretAccessKey: { secretName: 'backup-s3', key: 'secret-access-key' },
  caCertificate: { secretName: 'backup-s3', key: 'ca.crt' },
});
const claim = PgBackRestRepository.persistentVolumeClaim({ claimName: 'pg-backups' });
const encryptionKey = { secretName: 'backup-key', key: 'passphrase' };

const VARIANTS: { [name: string]: (chart: Chart) => Postgres } = {
  s3: (chart) => new Postgres(chart, 'orders', { version: PostgresVersion.V15, backup: { repository: s3, encryptionKey } }),
  claim: (chart) => new Postgres(chart, 'ledger', { version: PostgresVersion.V15, backup: { repository: claim, fullRetention: 1 } }),
};
const time = process.env.RESTORE_TIME;
if (time) {
  VARIANTS['s3-restore'] = (chart) => new Postgres(chart, 'orders-restored', {
    version: PostgresVersion.V15,
    restore: PostgresRestore.toTime(time, { repository: s3, stanza: 'orders', encryptionKey }),
    // The restored instance backs up to the same store, under its own stanza.
    backup: { repository: s3, encryptionKey },
  });
  VARIANTS['claim-restore'] = (chart) => new Postgres(chart, 'ledger-restored', {
    version: PostgresVersion.V15,
    restore: PostgresRestore.toTime(time, { repository: claim, stanza: 'ledger' }),
  });
}

for (const [variant, build] of Object.entries(VARIANTS)) {
  const chart = new Chart(Testing.app(), 'shop', { namespace: 'shop' });
  const db = build(chart);
  const objects: any[] = Testing.synth(chart);
  const data = (name: string): { [key: string]: string } => objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name)?.data ?? {};
  const name = db.workload.name;
  const sts = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === name);
  const container = (c: string) => sts.spec.template.spec.containers.find((x: any) => x.name === c);
  const dir = join(out, variant);
  mkdirSync(join(dir, 'scripts'), { recursive: true });
  mkdirSync(join(dir, 'pgbackrest'), { recursive: true });
  for (const [file, text] of Object.entries(data(`${name}-patroni`))) { writeFileSync(join(dir, file), text); }
  for (const [file, text] of Object.entries(data(`${name}-pgbackrest`))) { writeFileSync(join(dir, 'pgbackrest', file), text); }
  for (const [file, text] of Object.entries(data(`${name}-scripts`))) {
    writeFileSync(join(dir, 'scripts', file), text);
    chmodSync(join(dir, 'scripts', file), 0o555);
  }
  const env = (c: string) => podEnv(container(c)?.env ?? [], `${name}-0`).map(([k, v]) => `${k}=${v}\n`).join('');
  writeFileSync(join(dir, 'pod.env'), env('postgres'));
  writeFileSync(join(dir, 'backup.env'), env('backup'));
  console.log(`extract-backup: ${variant}: ${name} -> ${dir}`);
}
