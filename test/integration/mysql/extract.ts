// Synthesizes MySql instances with the real construct and writes what their pods run: every
// script of the `<name>-scripts` ConfigMap, the rendered my.cnf and, where the case has a logical
// backup, the dump CronJob's dump.sh; one folder per case.
// Usage: node -r ts-node/register/transpile-only test/integration/mysql/extract.ts OUT_DIR
import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { Chart, Testing } from 'cdk8s';
import { MySql, MySqlProps, MySqlVersion, TlsCertificates } from '../../../src';

const out = process.argv[2];
if (!out) { throw new Error('usage: extract.ts OUT_DIR'); }

const cases: { [name: string]: MySqlProps } = {
  'v8-4-single': { version: MySqlVersion.V8_4 },
  'v8-4-three': { version: MySqlVersion.V8_4, replicas: 3, metrics: true, logicalBackup: {} },
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  'v8-0-three': { version: MySqlVersion.V8_0, replicas: 3, primary: 1 },
  'v8-0-25-two': { version: MySqlVersion.of('8.0.25', '8.0'), replicas: 2 },
  'v9-7-two': { version: MySqlVersion.V9_7, replicas: 2 },
  'v8-4-tls': { version: MySqlVersion.V8_4, replicas: 3, metrics: true, logicalBackup: {}, tls: { certificates: TlsCertificates.fromSecret('db-certs') } },
};

for (const [name, props] of Object.entries(cases)) {
  const app = Testing.app();
  const chart = new Chart(app, 'test', { namespace: 'db' });
  new MySql(chart, 'db', props);
  const objects = Testing.synth(chart);
  const dir = join(out, name);
  mkdirSync(dir, { recursive: true });
  const scripts = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'db-scripts');
  const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'db-config');
  for (const [file, text] of Object.entries(scripts.data as { [k: string]: string })) {
    writeFileSync(join(dir, file), text);
  }
  writeFileSync(join(dir, 'my.cnf'), config.data['my.cnf']);
  if (config.data['exporter.cnf']) { writeFileSync(join(dir, 'exporter.cnf'), config.data['exporter.cnf']); }
  // The logical backup's script, where the case has one.
  const dump = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'db-dump');
  if (dump) { writeFileSync(join(dir, 'dump.sh'), dump.data['dump.sh']); }
  console.log(`${name}: ${Object.keys(scripts.data).join(' ')} my.cnf${dump ? ' dump.sh' : ''}`);
}
