// Writes what the pods of a real Cassandra construct get from their ConfigMaps (cassandra.yaml,
// rackdc properties, scripts) and the server container's environment into a directory, so that
// run.sh tests exactly what the pods run.
//   usage: ts-node render.ts <out-dir> [<full-version> <major-version> [<rack>,<rack>... [<replicas>]]]
// With racks, each rack gets `replicas` nodes (default 1) and the seeds are the racks' first pods.
// The ring declares replicationFactor 2 (the keyspace run.sh writes to). It has TLS from a Secret
// (ring-tls) and the default authentication; RENDER_TLS=no renders it without TLS (Cassandra 4.0
// refuses TLS). The connection (user, Secret, TLS) goes to connection.json.
import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { Chart, Testing } from 'cdk8s';
import { Cassandra, CassandraVersion, TlsCertificates } from '../../../src';

// One or two nodes are what a loopback test can afford: the construct's warning about them is expected.
process.env.CDK8S_STATEFUL_QUIET = '1';
const [out, full, major, racks, replicas] = process.argv.slice(2);
if (!out) { throw new Error('usage: render.ts <out-dir> [<full-version> <major-version> [<rack>,... [<replicas>]]]'); }
const version = full ? CassandraVersion.of(full, major) : CassandraVersion.V5_0;

const chart = new Chart(Testing.app(), 'it', { namespace: 'db' });
const ring = new Cassandra(chart, 'ring', {
  version,
  replicas: replicas ? Number(replicas) : 1,
  replicationFactor: racks ? 2 : undefined,
  racks: racks ? racks.split(',').map((name, i) => ({ name, zone: `zone-${i}` })) : undefined,
  config: { concurrent_reads: '16' },
  metrics: true,
  tls: process.env.RENDER_TLS === 'no' ? undefined : { certificates: TlsCertificates.fromSecret('ring-tls') },
});
const objects: any[] = Testing.synth(chart);
for (const kind of ['config', 'scripts']) {
  const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === `ring-${kind}`);
  if (!cm) { throw new Error(`no ConfigMap ring-${kind}`); }
  mkdirSync(join(out, kind), { recursive: true });
  for (const [file, text] of Object.entries<string>(cm.data)) {
    writeFileSync(join(out, kind, file), text, { mode: kind === 'scripts' ? 0o755 : 0o644 });
  }
}
// The seeds' DNS names, one a line, in order: run.sh maps each to a loopback address.
writeFileSync(join(out, 'seeds'), ring.seeds.join('\n') + '\n');
const sts = objects.find((o) => o.kind === 'StatefulSet');
const main = sts.spec.template.spec.containers[0];
const env = main.env.filter((e: any) => e.value !== undefined).map((e: any) => `${e.name}=${e.value}`);
writeFileSync(join(out, 'server.env'), env.join('\n') + '\n');
// The preStop hook and the only rule its Role grants, per StatefulSet.
writeFileSync(join(out, 'pre-stop'), JSON.stringify({
  command: main.lifecycle.preStop.exec.command,
  grace: sts.spec.template.spec.terminationGracePeriodSeconds,
  token: sts.spec.template.spec.automountServiceAccountToken,
  roles: objects.filter((o) => o.kind === 'Role').map((o) => ({ name: o.metadata.name, rules: o.rules })),
}) + '\n');
writeFileSync(join(out, 'connection.json'), JSON.stringify({ connection: ring.connection, env: ring.connectionEnv() }) + '\n');
console.log(`rendered ${version.fullVersion} into ${out}`);
