// Asserts the consumer app's YAML: the objects an npm user should get, and no password in it.
// Usage: node expect.js <dist-dir>   (run from the repository so that `yaml` resolves)
const fs = require('fs');
const path = require('path');
const YAML = require('yaml');

const dir = process.argv[2];
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.k8s.yaml'));
const objects = files.flatMap((f) => YAML.parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJS()));
// The credentials Job is named after its content (a Job's template cannot change in place).
const have = new Set(objects.map((o) => `${o.kind}/${o.metadata.name}`.replace(/^(Job\/.*-init)-[0-9a-f]{8}$/, '$1')));

const expected = [
  'StorageClass/ssd',
  'StatefulSet/orders', 'Service/orders', 'Service/orders-ro', 'Service/orders-headless',
  'PodDisruptionBudget/orders', 'NetworkPolicy/orders', 'ConfigMap/orders-patroni', 'Job/orders-credentials-init',
  'Role/orders-patroni', 'RoleBinding/orders-patroni', // Patroni's leader lock, through a namespaced Role
  'StatefulSet/events', 'Service/events', 'Service/events-headless', 'PodDisruptionBudget/events',
  'NetworkPolicy/events', 'ConfigMap/events-config',
  'Deployment/api',
];
let failed = 0;
const check = (ok, what) => { console.log(`${ok ? 'PASS' : 'FAIL'}: ${what}`); if (!ok) { failed++; } };

for (const e of expected) { check(have.has(e), `${e} present`); }
for (const o of objects) {
  if (o.kind === 'Secret') { check(!o.data && !o.stringData, `Secret/${o.metadata.name} carries no data`); }
}
const ordersSts = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'orders');
check(ordersSts && ordersSts.spec.replicas === 3, 'orders has 3 replicas');
check(ordersSts && ordersSts.spec.volumeClaimTemplates[0].spec.storageClassName === 'ssd', 'orders claims use the ssd class');
const api = objects.find((o) => o.kind === 'Deployment');
const env = Object.fromEntries(api.spec.template.spec.containers[0].env.map((e) => [e.name, e]));
check(env.PGHOST.value === 'orders.shop.svc.cluster.local', `api reads PGHOST from connection (${env.PGHOST.value})`);
check(env.PGPASSWORD.valueFrom.secretKeyRef.name === 'orders-credentials', 'api reads the password from the Secret');
check(env.KAFKA_BOOTSTRAP_SERVERS.value.startsWith('events'), `api reads the Kafka bootstrap servers (${env.KAFKA_BOOTSTRAP_SERVERS.value})`);
console.log(`${objects.length} objects in ${files.join(', ')}`);
process.exit(failed > 0 ? 1 : 0);
