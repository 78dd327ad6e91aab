// Synthesizes a real Kafka construct and writes what its pods run into a directory:
// server.properties (the ConfigMap template), start.sh (the scripts ConfigMap) and env (the
// container's literal environment), so that run.sh runs exactly what the library renders.
// Usage: node -r ts-node/register/transpile-only render.ts OUT_DIR VERSION [--yaml]
import * as fs from 'fs';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import * as yaml from 'yaml';
import { Kafka, KafkaVersion } from '../../../src';

const [outDir, fullVersion, flag] = process.argv.slice(2);
if (!outDir || !fullVersion) {
  throw new Error('usage: render.ts OUT_DIR VERSION [--yaml]');
}
const app = Testing.app();
const chart = new Chart(app, 'it', { namespace: 'db' });
const major = fullVersion.split('.').slice(0, 2).join('.');
new Kafka(chart, 'kafka', { brokers: 3, version: KafkaVersion.of(fullVersion, major) });
const objects: any[] = Testing.synth(chart);

const byName = (kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) { throw new Error(`no ${kind} ${name} in the synthesized output`); }
  return found;
};
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'server.properties'), byName('ConfigMap', 'kafka-config').data['server.properties']);
fs.writeFileSync(path.join(outDir, 'start.sh'), byName('ConfigMap', 'kafka-scripts').data['start.sh'], { mode: 0o755 });
const container = byName('StatefulSet', 'kafka').spec.template.spec.containers[0];
const env = (container.env as any[])
  .filter((e) => e.value !== undefined)
  .map((e) => `${e.name}=${JSON.stringify(e.value)}`);
fs.writeFileSync(path.join(outDir, 'env'), env.join('\n') + '\n');
if (flag === '--yaml') {
  fs.writeFileSync(path.join(outDir, 'kafka.k8s.yaml'), objects.map((o) => yaml.stringify(o)).join('---\n'));
}
