/**
 * Builds the example's Postgres (examples/postgres/orders.ts) with PostgresVersion.V15, the version
 * Debian bookworm ships, synthesizes it, and writes what the pods would get into OUTDIR:
 *   etc/postgresql.conf, etc/pg_hba.conf          the `<name>-config` ConfigMap
 *   scripts/bootstrap.sh, scripts/init-replication.sh   the `<name>-scripts` ConfigMap (mode 0555)
 *   prestop.sh                                    the server container's preStop command
 *   bootstrap.env, server.env                     the containers' literal env values (KEY=VALUE)
 *   image                                         the server image
 *
 * Usage: ts-node --project test/tsconfig.json test/integration/postgres/extract.ts OUTDIR
 */
import { chmodSync, mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { Chart, Testing } from 'cdk8s';
import { addOrders } from '../../../examples/postgres/orders';
import { PostgresVersion } from '../../../src';

const out = process.argv[2];
if (!out) { throw new Error('usage: extract.ts OUTDIR'); }

const app = Testing.app();
const chart = new Chart(app, 'orders', { namespace: 'shop' });
const db = addOrders(chart, PostgresVersion.V15);
const objects: any[] = Testing.synth(chart);

function data(name: string): { [key: string]: string } {
  const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name);
  if (!cm) { throw new Error(`no ConfigMap ${name}`); }
  return cm.data;
}
const name = db.workload.name;
const config = data(`${name}-config`);
const scripts = data(`${name}-scripts`);
const sts = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === name);
const pod = sts.spec.template.spec;
const server = pod.containers.find((c: any) => c.name === 'postgres');
const bootstrap = pod.initContainers.find((c: any) => c.name === 'bootstrap');

mkdirSync(join(out, 'etc'), { recursive: true });
mkdirSync(join(out, 'scripts'), { recursive: true });
for (const [file, text] of Object.entries(config)) { writeFileSync(join(out, 'etc', file), text); }
for (const [file, text] of Object.entries(scripts)) {
  writeFileSync(join(out, 'scripts', file), text);
  chmodSync(join(out, 'scripts', file), 0o555);
}
const preStop: string[] = server.lifecycle.preStop.exec.command;
writeFileSync(join(out, 'prestop.sh'), `#!/bin/sh\n${preStop[preStop.length - 1]}\n`);
chmodSync(join(out, 'prestop.sh'), 0o555);
const literalEnv = (c: any) => c.env.filter((e: any) => e.value !== undefined).map((e: any) => `${e.name}=${e.value}\n`).join('');
writeFileSync(join(out, 'bootstrap.env'), literalEnv(bootstrap));
writeFileSync(join(out, 'server.env'), literalEnv(server));
writeFileSync(join(out, 'image'), `${server.image}\n`);
writeFileSync(join(out, 'args'), `${server.args.join(' ')}\n`);
console.log(`extract: ${name} (${server.image}) -> ${out}`);
