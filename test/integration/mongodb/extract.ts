/*
 * Writes what the MongoDB pods run, taken from the real synthesized output of the example
 * (examples/mongodb/catalog.ts), into OUT_DIR so that run.sh checks exactly that text:
 *   <configmap>/<key>              every entry of the scripts ConfigMaps (setup.sh, agent.sh, replica-set.js)
 *   <configmap>/<key>              the config ConfigMaps (mongod.conf, replica-set.json)
 *   eval/<set>-<container>-<probe>.js   every `mongosh --eval` snippet of the probes
 *   eval/<deployment>-<container>.sh    shell commands of `bash -c` containers
 *   eval/<set>-<container>-<probe>.argv.json   the whole command of every mongosh probe
 * plus a replica set with tls (`vault`: two members and an arbiter, a cert-manager certificate,
 * metrics and a logical backup), so that the TLS rendering is checked the same way.
 * Usage: TS_NODE_PROJECT=test/tsconfig.json ts-node --transpile-only -r tsconfig-paths/register extract.ts OUT_DIR
 */
import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { Chart, Testing } from 'cdk8s';
import { addCatalog } from '../../../examples/mongodb/catalog';
import { MongoDb, TlsCertificates } from '../../../src';

const out = process.argv[2];
if (!out) { throw new Error('usage: extract.ts OUT_DIR'); }
process.env.CDK8S_STATEFUL_QUIET = '1';

const app = Testing.app();
const chart = new Chart(app, 'catalog', { namespace: 'shop' });
addCatalog(chart);
new MongoDb(chart, 'vault', {
  replicas: 2,
  arbiter: true,
  metrics: true,
  logicalBackup: {},
  tls: { certificates: TlsCertificates.certManager({ issuerName: 'shop-ca' }) },
});
const objects: any[] = Testing.synth(chart);

let count = 0;
const write = (path: string, text: string) => {
  mkdirSync(join(out, path, '..'), { recursive: true });
  writeFileSync(join(out, path), text);
  count += 1;
};

for (const o of objects.filter((x) => x.kind === 'ConfigMap')) {
  for (const [key, value] of Object.entries<string>(o.data ?? {})) {
    write(join(o.metadata.name, key), value);
  }
}
for (const o of objects.filter((x) => x.kind === 'StatefulSet' || x.kind === 'Deployment')) {
  const spec = o.spec.template.spec;
  for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
      const command: string[] | undefined = c[probe]?.exec?.command;
      if (command?.[0] === 'mongosh') {
        write(join('eval', `${o.metadata.name}-${c.name}-${probe}.js`), command[command.indexOf('--eval') + 1] + '\n');
        write(join('eval', `${o.metadata.name}-${c.name}-${probe}.argv.json`), JSON.stringify(command) + '\n');
      }
    }
    const command: string[] = c.command ?? [];
    if (command[0] === '/bin/bash' && command[1] === '-c') {
      write(join('eval', `${o.metadata.name}-${c.name}.sh`), `#!/bin/bash\n${command[2]}\n`);
    }
  }
}
console.log(`extracted ${count} file(s) into ${out}`);
