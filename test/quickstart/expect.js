// Asserts the YAML of the README's quickstart (TypeScript or Python): the objects a new user should
// get, wired as the README says, with the placement of the profile it was synthesized with.
// Usage: node expect.js <dist-dir> <production|development>   (run from the repository: `yaml` resolves there)
const fs = require('fs');
const path = require('path');
const YAML = require('yaml');

const [dir, profile] = process.argv.slice(2);
if (!dir || !['production', 'development'].includes(profile)) {
  console.error('usage: expect.js <dist-dir> <production|development>');
  process.exit(2);
}
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.k8s.yaml')).sort();
const objects = files.flatMap((f) => YAML.parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJS()));
let failed = 0;
const check = (ok, what) => { console.log(`${ok ? 'PASS' : 'FAIL'}: ${what}`); if (!ok) { failed++; } };
// The credentials Job is named after its content (a Job's template cannot change in place).
const key = (o) => `${o.kind}/${o.metadata.name}`.replace(/^(Job\/.*-init)-[0-9a-f]{8}$/, '$1');
const find = (kind, name) => objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));

check(files.length === 1 && files[0] === 'data.k8s.yaml', `one file, data.k8s.yaml (${files.join(', ')})`);
const expected = [
  'Namespace/shop', 'StatefulSet/orders', 'Service/orders', 'Service/orders-ro', 'Service/orders-headless',
  'PodDisruptionBudget/orders', 'NetworkPolicy/orders', 'ConfigMap/orders-patroni', 'ConfigMap/orders-scripts',
  'Role/orders-patroni', 'RoleBinding/orders-patroni', 'Job/orders-credentials-init',
];
const have = new Set(objects.map(key));
for (const e of expected) { check(have.has(e), `${e} present`); }

// The Namespace: first (kubectl apply creates it before what is in it), cluster-scoped, restricted.
const ns = objects[0];
check(ns && ns.kind === 'Namespace' && ns.metadata.name === 'shop', `the Namespace comes first (${ns && key(ns)})`);
check(ns && ns.metadata.namespace === undefined, 'the Namespace has no namespace of its own');
const labels = (ns && ns.metadata.labels) || {};
for (const mode of ['enforce', 'warn', 'audit']) {
  check(labels[`pod-security.kubernetes.io/${mode}`] === 'restricted', `pod-security.kubernetes.io/${mode}=restricted`);
}
check(/^v1\.\d+$/.test(labels['pod-security.kubernetes.io/enforce-version'] || ''), `enforce-version pinned (${labels['pod-security.kubernetes.io/enforce-version']})`);
const strays = objects.filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== 'shop').map(key);
check(strays.length === 0, `every other object is in namespace shop${strays.length ? `: not ${strays.join(', ')}` : ''}`);
for (const o of objects.filter((x) => x.kind === 'Secret')) {
  check(!o.data && !o.stringData, `Secret/${o.metadata.name} carries no data`);
}

// The database, placed for the profile.
const sts = find('StatefulSet', 'orders');
const pod = sts ? sts.spec.template.spec : {};
check(sts && sts.spec.replicas === 3, 'orders has 3 replicas');
const anti = (pod.affinity && pod.affinity.podAntiAffinity) || {};
const spread = (pod.topologySpreadConstraints || []).map((c) => `${c.topologyKey}:${c.whenUnsatisfiable}`);
if (profile === 'production') {
  check((anti.requiredDuringSchedulingIgnoredDuringExecution || []).length === 1, 'production: one pod per node is required');
  check(spread.join() === 'topology.kubernetes.io/zone:DoNotSchedule', `production: the zone spread is required (${spread.join()})`);
} else {
  check(!anti.requiredDuringSchedulingIgnoredDuringExecution && (anti.preferredDuringSchedulingIgnoredDuringExecution || []).length === 1,
    'development: one pod per node is only preferred');
  check(spread.join() === 'topology.kubernetes.io/zone:ScheduleAnyway', `development: the zone spread is only preferred (${spread.join()})`);
  check(!pod.nodeSelector, 'development: no node selector');
}

// The app: its connection in one call, admitted by the database on 5432 only.
const api = find('Deployment');
const container = api && api.spec.template.spec.containers[0];
const env = (container && container.env) || [];
const byName = Object.fromEntries(env.map((e) => [e.name, e]));
check(byName.POSTGRES_HOST && byName.POSTGRES_HOST.value === 'orders.shop.svc.cluster.local', 'the app has POSTGRES_HOST');
const ref = byName.POSTGRES_PASSWORD && byName.POSTGRES_PASSWORD.valueFrom && byName.POSTGRES_PASSWORD.valueFrom.secretKeyRef;
check(ref && ref.name === 'orders-credentials', 'the app reads POSTGRES_PASSWORD from the Secret orders-credentials');
check(env.length > 0 && env[env.length - 1].name === 'POSTGRES_URI' && env[env.length - 1].value.includes('$(POSTGRES_PASSWORD)'),
  'POSTGRES_URI comes last and refers to $(POSTGRES_PASSWORD)');
const appLabels = (api && api.spec.template.metadata.labels) || {};
const policy = find('NetworkPolicy', 'orders');
const admitsApp = ((policy && policy.spec.ingress) || []).some((rule) =>
  (rule.from || []).some((peer) => peer.podSelector && Object.entries(peer.podSelector.matchLabels || {}).length > 0 &&
    Object.entries(peer.podSelector.matchLabels).every(([k, v]) => appLabels[k] === v)) &&
  (rule.ports || []).map((p) => p.port).join() === '5432');
check(admitsApp, 'the NetworkPolicy orders admits the app on 5432 only');

console.log(`${objects.length} objects in ${files.join(', ')}: ${failed === 0 ? 'as expected' : `${failed} failed`}`);
process.exit(failed > 0 ? 1 : 0);
