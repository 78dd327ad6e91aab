// Synthesizes a real Kafka construct and writes what its pods run into a directory, so that run.sh
// runs exactly what the library renders:
//   OUT/start.sh, prestop.sh, drain.sh the scripts ConfigMap
//   OUT/<set>/server.properties       the set's config ConfigMap (set: broker, controller)
//   OUT/broker/broker.properties      combined mode: the template of the brokers-only ordinals
//   OUT/drain-args                    with DRAIN: the drain Job's command, one word a line
//   OUT/<set>/jmx-exporter.yaml       the JMX exporter's rules, from the same ConfigMap (metrics: true)
//   OUT/<set>/env                     the container's literal environment
// Usage: node -r ts-node/register/transpile-only render.ts OUT_DIR VERSION [CONTROLLERS] [BROKERS] [DRAIN]
//   (namespace db, name kafka, BROKERS brokers (3); CONTROLLERS > 0 adds dedicated controllers;
//   DRAIN: drainBrokers, comma-separated ordinals)
import * as fs from 'fs';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { Kafka, KafkaVersion } from '../../../src';

const [outDir, fullVersion, controllersArg, brokersArg, drainArg] = process.argv.slice(2);
if (!outDir || !fullVersion) {
  throw new Error('usage: render.ts OUT_DIR VERSION [CONTROLLERS]');
}
const controllers = Number(controllersArg ?? '0');
const app = Testing.app();
const chart = new Chart(app, 'it', { namespace: 'db' });
const major = fullVersion.split('.').slice(0, 2).join('.');
new Kafka(chart, 'kafka', {
  brokers: Number(brokersArg ?? '3'),
  drainBrokers: drainArg ? drainArg.split(',').map(Number) : undefined,
  controllers: controllers > 0 ? controllers : undefined,
  version: KafkaVersion.of(fullVersion, major),
  metrics: true,
});
const objects: any[] = Testing.synth(chart);

const byName = (kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) { throw new Error(`no ${kind} ${name} in the synthesized output`); }
  return found;
};
const writeSet = (set: string, statefulSet: string) => {
  const dir = path.join(outDir, set);
  fs.mkdirSync(dir, { recursive: true });
  const config = byName('ConfigMap', `${statefulSet}-config`).data;
  fs.writeFileSync(path.join(dir, 'server.properties'), config['server.properties']);
  fs.writeFileSync(path.join(dir, 'jmx-exporter.yaml'), config['jmx-exporter.yaml']);
  if (config['broker.properties'] !== undefined) { fs.writeFileSync(path.join(dir, 'broker.properties'), config['broker.properties']); }
  const container = byName('StatefulSet', statefulSet).spec.template.spec.containers[0];
  const env = (container.env as any[])
    .filter((e) => e.value !== undefined)
    .map((e) => `${e.name}=${JSON.stringify(e.value)}`);
  fs.writeFileSync(path.join(dir, 'env'), env.join('\n') + '\n');
};

fs.mkdirSync(outDir, { recursive: true });
for (const script of ['start.sh', 'prestop.sh', 'drain.sh']) {
  fs.writeFileSync(path.join(outDir, script), byName('ConfigMap', 'kafka-scripts').data[script], { mode: 0o755 });
}
const job = objects.find((o) => o.kind === 'Job' && o.metadata.name.startsWith('kafka-drain-'));
if (job) {
  fs.writeFileSync(path.join(outDir, 'drain-args'), job.spec.template.spec.containers[0].command.join('\n') + '\n');
}
writeSet('broker', 'kafka');
if (controllers > 0) {
  writeSet('controller', 'kafka-controller');
}
