#!/usr/bin/env node
// A stand-in for curl, as the snapshot script calls it, serving the VolumeSnapshot API from files:
// $FAKE_DIR/store/<name>.json holds { labels, ready }. Every call is logged to $FAKE_DIR/calls.
// FAKE_READY=never leaves new snapshots not ready; FAKE_FAIL_CLAIM=<claim> answers 403 to its create.
// Answers are pretty-printed, as the API server prints them for curl's own user agent.
const fs = require('fs');
const path = require('path');
const dir = process.env.FAKE_DIR;
const store = path.join(dir, 'store');
fs.mkdirSync(store, { recursive: true });
const args = process.argv.slice(2);
let out; let method = 'GET'; let data; let url;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '-o') { out = args[++i]; } else if (a === '-X') { method = args[++i]; } else if (a === '--data') { data = args[++i]; }
  else if (a === '-w' || a === '--cacert' || a === '-H' || a === '-A') { i++; } else if (!a.startsWith('-')) { url = a; }
}
fs.appendFileSync(path.join(dir, 'calls'), `${method} ${url} ${process.argv.slice(2).join(' ')}\n`);
const u = new URL(url);
const base = u.pathname.match(/^\/apis\/snapshot\.storage\.k8s\.io\/v1\/namespaces\/([^/]+)\/volumesnapshots(?:\/([^/]+))?$/);
const reply = (code, body) => { fs.writeFileSync(out, JSON.stringify(body ?? {}, null, 2)); process.stdout.write(String(code)); process.exit(0); };
if (!base) { reply(404); }
const read = (name) => JSON.parse(fs.readFileSync(path.join(store, `${name}.json`), 'utf8'));
const item = (name) => {
  const s = read(name);
  return { apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshot', metadata: { name, namespace: base[1], labels: s.labels },
    spec: { source: { persistentVolumeClaimName: s.labels['cdk8s-stateful/claim'] } }, status: { readyToUse: s.ready } };
};
const names = () => fs.readdirSync(store).map((f) => f.replace(/\.json$/, '')).sort();
if (method === 'POST') {
  const body = JSON.parse(fs.readFileSync(data.replace(/^@/, ''), 'utf8'));
  fs.writeFileSync(path.join(dir, `posted-${body.metadata.name}`), JSON.stringify(body));
  if (body.spec.source.persistentVolumeClaimName === process.env.FAKE_FAIL_CLAIM) { reply(403, { message: 'forbidden' }); }
  if (fs.existsSync(path.join(store, `${body.metadata.name}.json`))) { reply(409); }
  fs.writeFileSync(path.join(store, `${body.metadata.name}.json`), JSON.stringify({ labels: body.metadata.labels, ready: process.env.FAKE_READY !== 'never' }));
  reply(201, item(body.metadata.name));
}
if (method === 'DELETE') {
  const file = path.join(store, `${base[2]}.json`);
  if (!fs.existsSync(file)) { reply(404); }
  fs.unlinkSync(file);
  reply(200);
}
// GET: a list, by label selector or by name (field selector); a single object is never read (no 'get' in the Role).
if (base[2]) { reply(403, { message: 'get is not granted' }); }
const labels = (u.searchParams.get('labelSelector') ?? '').split(',').filter(Boolean).map((kv) => kv.split('='));
const field = u.searchParams.get('fieldSelector');
const items = names().filter((n) => (field ? field === `metadata.name=${n}` : true))
  .map(item).filter((i) => labels.every(([k, v]) => i.metadata.labels?.[k] === v));
reply(200, { apiVersion: 'snapshot.storage.k8s.io/v1', kind: 'VolumeSnapshotList', items });
