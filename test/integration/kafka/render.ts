// Synthesizes a real Kafka construct and writes what its pods run into a directory, so that run.sh
// runs exactly what the library renders:
//   OUT/start.sh, prestop.sh, drain.sh the scripts ConfigMap
//   OUT/<set>/server.properties       the set's config ConfigMap (set: broker, controller)
//   OUT/broker/broker.properties      combined mode: the template of the brokers-only ordinals
//   OUT/drain-args                    with DRAIN: the drain Job's command, one word a line
//   OUT/<set>/jmx-exporter.yaml       the JMX exporter's rules, from the same ConfigMap (metrics: true)
//   OUT/<set>/env                     the container's literal environment
//   OUT/<set>/secret-env              the variables it takes from the credentials Secret: NAME=key, one a line
//   OUT/drain-env, drain-secret-env   with DRAIN: the same for the drain Job's container
//   OUT/cert-names                    with KAFKA_IT_TLS=1: the DNS names and IP addresses of the cert-manager
//                                     Certificate the same construct writes (certManager instead of a Secret)
// Usage: node -r ts-node/register/transpile-only render.ts OUT_DIR VERSION [CONTROLLERS] [BROKERS] [DRAIN]
//   (namespace db, name kafka, BROKERS brokers (3); CONTROLLERS > 0 adds dedicated controllers;
//   DRAIN: drainBrokers, comma-separated ordinals). KAFKA_IT_TLS=1: `tls` from the Secret kafka-tls.
import * as fs from 'fs';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { Kafka, KafkaProps, KafkaVersion, TlsCertificates } from '../../../src';

const [outDir, fullVersion, controllersArg, brokersArg, drainArg] = process.argv.slice(2);
if (!outDir || !fullVersion) {
  throw new Error('usage: render.ts OUT_DIR VERSION [CONTROLLERS]');
}
const controllers = Number(controllersArg ?? '0');
const tls = process.env.KAFKA_IT_TLS === '1';
const major = fullVersion.split('.').slice(0, 2).join('.');
const props = (certificates: TlsCertificates): KafkaProps => ({
  brokers: Number(brokersArg ?? '3'),
  drainBrokers: drainArg ? drainArg.split(',').map(Number) : undefined,
  controllers: controllers > 0 ? controllers : undefined,
  version: KafkaVersion.of(fullVersion, major),
  metrics: true,
  tls: tls ? { certificates } : undefined,
});
const synth = (certificates: TlsCertificates): any[] => {
  const chart = new Chart(Testing.app(), 'it', { namespace: 'db' });
  new Kafka(chart, 'kafka', props(certificates));
  return Testing.synth(chart);
};
const objects = synth(TlsCertificates.fromSecret('kafka-tls'));

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
  writeEnv(dir, '', container);
};
/** The literal variables as sh assignments, and those from the credentials Secret as NAME=key. */
const writeEnv = (dir: string, prefix: string, container: any) => {
  const env = (container.env as any[])
    .filter((e) => e.value !== undefined)
    .map((e) => `${e.name}=${JSON.stringify(e.value)}`);
  fs.writeFileSync(path.join(dir, `${prefix}env`), env.join('\n') + '\n');
  const secret = (container.env as any[])
    .filter((e) => e.valueFrom?.secretKeyRef?.name === 'kafka-credentials')
    .map((e) => `${e.name}=${e.valueFrom.secretKeyRef.key}`);
  fs.writeFileSync(path.join(dir, `${prefix}secret-env`), secret.join('\n') + '\n');
};

fs.mkdirSync(outDir, { recursive: true });
for (const script of ['start.sh', 'prestop.sh', 'drain.sh']) {
  fs.writeFileSync(path.join(outDir, script), byName('ConfigMap', 'kafka-scripts').data[script], { mode: 0o755 });
}
const job = objects.find((o) => o.kind === 'Job' && o.metadata.name.startsWith('kafka-drain-'));
if (job) {
  fs.writeFileSync(path.join(outDir, 'drain-args'), job.spec.template.spec.containers[0].command.join('\n') + '\n');
  writeEnv(outDir, 'drain-', job.spec.template.spec.containers[0]);
}
if (tls) {
  const certificate = synth(TlsCertificates.certManager({ issuerName: 'ca' })).find((o) => o.kind === 'Certificate');
  fs.writeFileSync(path.join(outDir, 'cert-names'), [...certificate.spec.dnsNames.map((n: string) => `DNS:${n}`),
    ...certificate.spec.ipAddresses.map((n: string) => `IP:${n}`)].join('\n') + '\n');
}
writeSet('broker', 'kafka');
if (controllers > 0) {
  writeSet('controller', 'kafka-controller');
}
