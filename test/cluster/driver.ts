// Checks synthesized manifests against the local control plane started by up.sh (kwok nodes).
//
//   KUBECTL=<bin>/kubectl KUBECONFIG=<state>/kubeconfig \
//     npx ts-node --project test/tsconfig.json test/cluster/driver.ts <state-dir> <example-dist-dir>...
//
// For each example: namespaces (Pod Security "restricted": the example's own, or made here),
// server-side apply without warnings, StatefulSets Ready and spread over zones and nodes with bound
// claims, Service endpoints, PodDisruptionBudget-guarded eviction, and scaling with claim retention.
// On the `single` layout (one node without zone labels, CLUSTER_TEST_LAYOUT=single, for examples
// synthesized with the development placement) the spread checks become: nothing in the pod templates
// requires a node of its own, a zone, or a zone label. Prints PASS/FAIL (and SKIP) lines and, last,
// `N passed, M failed`; exits 1 on any failure.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Yaml } from 'cdk8s';
import { checkSnapshotSchedule, snapshotCronJobs } from './snapshots';
import { staticVolumesFor } from './static-volumes';

const KUBECTL = process.env.KUBECTL ?? 'kubectl';
const FIELD_MANAGER = 'cdk8s-stateful-test';
const WAIT_SECONDS = Number(process.env.CLUSTER_TEST_WAIT_SECONDS ?? 180);
const ZONE = 'topology.kubernetes.io/zone';
const HOSTNAME = 'kubernetes.io/hostname';
const LAYOUT = process.env.CLUSTER_TEST_LAYOUT ?? 'zones';
if (!['zones', 'single'].includes(LAYOUT)) { throw new Error(`CLUSTER_TEST_LAYOUT must be zones or single, got '${LAYOUT}'`); }
const SINGLE = LAYOUT === 'single';
const SINGLE_NODE = 'kwok-single';

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: any };
  spec?: any;
  status?: any;
  [k: string]: any;
}

let passed = 0;
let failed = 0;
let current = '';

function pass(check: string, detail = ''): void {
  passed++;
  console.log(`PASS [${current}] ${check}${detail ? `: ${detail}` : ''}`);
}
function fail(check: string, detail: string): void {
  failed++;
  console.log(`FAIL [${current}] ${check}: ${detail}`);
}
function info(msg: string): void {
  console.log(`     [${current}] ${msg}`);
}
let skipped = 0;
/** A check that cannot apply here, for a reason read from the manifests: said, never counted as passed. */
function skip(check: string, reason: string): void {
  skipped++;
  console.log(`SKIP [${current}] ${check}: ${reason}`);
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

interface Run { status: number; stdout: string; stderr: string }
function kubectl(args: string[], input?: string): Run {
  const r = spawnSync(KUBECTL, args, { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) { throw r.error; }
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}
function getJson(args: string[]): any {
  const out = execFileSync(KUBECTL, [...args, '-o', 'json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(out);
}
function list(kind: string, namespace: string, selector?: string): Obj[] {
  const args = ['get', kind, '-n', namespace];
  if (selector !== undefined) { args.push('-l', selector); }
  return getJson(args).items as Obj[];
}
function tryGet(kind: string, namespace: string, name: string): Obj | undefined {
  const r = kubectl(['get', kind, name, '-n', namespace, '-o', 'json']);
  return r.status === 0 ? JSON.parse(r.stdout) : undefined;
}

/** Polls `probe` until it returns a value that is not undefined, or the timeout passes. */
function waitFor<T>(seconds: number, probe: () => T | undefined): T | undefined {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const v = probe();
    if (v !== undefined) { return v; }
    if (Date.now() > deadline) { return undefined; }
    sleep(500);
  }
}

function selectorString(matchLabels: Record<string, string>): string {
  return Object.entries(matchLabels).map(([k, v]) => `${k}=${v}`).join(',');
}
function matches(selector: any, labels: Record<string, string> = {}): boolean {
  if (!selector) { return false; }
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[k] !== v) { return false; }
  }
  for (const e of (selector.matchExpressions ?? []) as any[]) {
    const has = e.key in labels;
    const val = labels[e.key];
    if (e.operator === 'In' && !(has && e.values.includes(val))) { return false; }
    if (e.operator === 'NotIn' && has && e.values.includes(val)) { return false; }
    if (e.operator === 'Exists' && !has) { return false; }
    if (e.operator === 'DoesNotExist' && has) { return false; }
  }
  return true;
}
function podReady(p: Obj): boolean {
  return !p.metadata.deletionTimestamp &&
    (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
}

const CLUSTER_SCOPED = new Set([
  'Namespace', 'StorageClass', 'PersistentVolume', 'ClusterRole', 'ClusterRoleBinding', 'PriorityClass',
  'CustomResourceDefinition', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'IngressClass',
  'CSIDriver', 'VolumeAttributesClass', 'VolumeSnapshotClass',
]);
function nsOf(o: Obj): string | undefined {
  return CLUSTER_SCOPED.has(o.kind) ? undefined : (o.metadata.namespace ?? 'default');
}

// ---------------------------------------------------------------------------------------------

function applyFile(file: string, label: string): boolean {
  const r = kubectl(['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '--validate=strict', '-f', file]);
  const warnings = r.stderr.split('\n').filter(l => /^\s*Warning:/i.test(l) || /^W\d{4} /.test(l));
  if (r.status !== 0) {
    fail(`apply ${label}`, `kubectl exited ${r.status}: ${r.stderr.trim()}`);
    return false;
  }
  if (warnings.length > 0) {
    fail(`apply ${label}`, `warnings: ${warnings.join(' | ')}`);
    return false;
  }
  const n = r.stdout.trim().split('\n').filter(Boolean).length;
  pass(`apply ${label}`, `${n} objects, no warnings`);
  return true;
}

const POD_SECURITY_MODES = ['enforce', 'warn', 'audit'];

/**
 * The namespaces of an example. Those it ships itself (a RestrictedNamespace) are applied first,
 * from its own manifests and by the field manager that applies everything else, so that applying
 * the whole example later changes nothing and conflicts with nobody; they must be restricted in
 * every mode, or the Pod Security checks of this test would prove nothing. The others are made
 * here, restricted.
 */
function prepareNamespaces(objects: Obj[], namespaces: string[], stateDir: string): boolean {
  const shipped = objects.filter(o => o.kind === 'Namespace');
  const lax = shipped.flatMap(o => POD_SECURITY_MODES
    .filter(mode => o.metadata.labels?.[`pod-security.kubernetes.io/${mode}`] !== 'restricted')
    .map(mode => `${o.metadata.name}: pod-security.kubernetes.io/${mode}=${o.metadata.labels?.[`pod-security.kubernetes.io/${mode}`] ?? '(none)'}`));
  if (lax.length > 0) {
    fail('namespaces', `the example ships namespaces that are not restricted in every mode, so the Pod Security checks would prove nothing: ${lax.join(', ')}`);
    return false;
  }
  if (shipped.length > 0) {
    const file = path.join(stateDir, `${current}-namespaces.yaml`);
    fs.writeFileSync(file, shipped.map(o => JSON.stringify(o)).join('\n---\n'));
    if (!applyFile(file, `namespaces of the example first (${shipped.map(o => o.metadata.name).join(', ')}, restricted)`)) { return false; }
  }
  const own = new Set(shipped.map(o => o.metadata.name));
  return ensureNamespaces(namespaces.filter(ns => !own.has(ns)));
}

function ensureNamespaces(namespaces: string[]): boolean {
  if (namespaces.length === 0) { return true; }
  let ok = true;
  for (const ns of namespaces) {
    const manifest = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: ns,
        labels: {
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'latest',
          'pod-security.kubernetes.io/warn': 'restricted',
          'pod-security.kubernetes.io/audit': 'restricted',
        },
      },
    };
    const r = kubectl(['apply', '--server-side', '--field-manager=cdk8s-stateful-test-namespaces', '-f', '-'], JSON.stringify(manifest));
    if (r.status !== 0) { fail(`namespace ${ns}`, r.stderr.trim()); ok = false; }
  }
  if (ok) { pass('namespaces', `${namespaces.join(', ')} created here with pod-security.kubernetes.io/enforce=restricted`); }
  return ok;
}

function stsReady(ns: string, name: string, replicas: number): Obj | undefined {
  const s = tryGet('statefulset', ns, name);
  if (!s) { return undefined; }
  const st = s.status ?? {};
  const ok = s.spec.replicas === replicas && st.observedGeneration >= s.metadata.generation &&
    st.replicas === replicas && st.readyReplicas === replicas && st.availableReplicas === replicas &&
    st.updatedReplicas === replicas && st.currentRevision === st.updateRevision;
  if (!ok) { return undefined; }
  const pods = stsPods(s);
  return pods.length === replicas && pods.every(podReady) ? s : undefined;
}

const STUCK_SECONDS = Number(process.env.CLUSTER_TEST_STUCK_SECONDS ?? 30);

/** Why a set cannot get ready by waiting longer: pods unschedulable or not creatable for a while. */
function stuck(ns: string, name: string): string | undefined {
  const s = tryGet('statefulset', ns, name);
  if (!s) { return undefined; }
  const now = Date.now();
  for (const p of stsPods(s)) {
    const c = (p.status?.conditions ?? []).find((x: any) => x.type === 'PodScheduled');
    if (c && c.status === 'False' && c.reason === 'Unschedulable' &&
        now - Date.parse(c.lastTransitionTime) > STUCK_SECONDS * 1000) {
      return `${p.metadata.name} unschedulable for ${STUCK_SECONDS}s: ${c.message}`;
    }
  }
  const failedCreate = list('events', ns).find(e => e.reason === 'FailedCreate' &&
    e.involvedObject?.kind === 'StatefulSet' && e.involvedObject?.name === name &&
    now - Date.parse(e.firstTimestamp ?? e.eventTime) > STUCK_SECONDS * 1000);
  return failedCreate ? `pods not created for ${STUCK_SECONDS}s: ${failedCreate.message}` : undefined;
}

/** Waits for the set to be ready with all pods; gives up early when it is stuck. */
function waitReady(ns: string, name: string, replicas: number, extra?: (s: Obj) => boolean): { set?: Obj; why: string } {
  const deadline = Date.now() + WAIT_SECONDS * 1000;
  let lastStuckCheck = Date.now();
  for (;;) {
    const set = stsReady(ns, name, replicas);
    if (set && (!extra || extra(set))) { return { set, why: '' }; }
    if (Date.now() - lastStuckCheck > 5000) {
      lastStuckCheck = Date.now();
      const why = stuck(ns, name);
      if (why) { return { why: `${why}; ${describeNotReady(ns, name)}` }; }
    }
    if (Date.now() > deadline) { return { why: `not ready after ${WAIT_SECONDS}s: ${describeNotReady(ns, name)}` }; }
    sleep(500);
  }
}

/** Pods that the set's selector selects (its own and, wrongly, any other). */
function selectedPods(s: Obj): Obj[] {
  return list('pods', s.metadata.namespace!, selectorString(s.spec.selector.matchLabels ?? {}))
    .filter(p => matches(s.spec.selector, p.metadata.labels));
}
function ownedBy(p: Obj, s: Obj): boolean {
  return (p.metadata.ownerReferences ?? []).some((r: any) => r.kind === 'StatefulSet' && r.name === s.metadata.name);
}
/** The set's own pods that are not terminating. */
function stsPods(s: Obj): Obj[] {
  return selectedPods(s).filter(p => ownedBy(p, s) && !p.metadata.deletionTimestamp);
}

function describeNotReady(ns: string, name: string): string {
  const s = tryGet('statefulset', ns, name);
  if (!s) { return 'StatefulSet not found'; }
  const st = s.status ?? {};
  const parts = [`ready ${st.readyReplicas ?? 0}/${s.spec.replicas}`];
  for (const p of stsPods(s)) {
    const cond = (p.status?.conditions ?? []).filter((c: any) => c.status !== 'True')
      .map((c: any) => `${c.type}=${c.status}${c.message ? ` (${c.message})` : ''}`);
    parts.push(`${p.metadata.name}: ${p.status?.phase ?? '?'} on ${p.spec.nodeName ?? '-'} ${cond.join('; ')}`);
  }
  const events = [...new Set(list('events', ns).filter(e => e.type === 'Warning' && e.involvedObject?.name?.startsWith(name))
    .map(e => `${e.involvedObject?.kind}/${e.involvedObject?.name}: ${e.reason}: ${e.message}`))].slice(-4);
  if (events.length) { parts.push(`warning events: ${events.join(' | ')}`); }
  return parts.join('; ');
}

function nodeZones(): Map<string, string> {
  const m = new Map<string, string>();
  for (const n of getJson(['get', 'nodes']).items as Obj[]) {
    m.set(n.metadata.name, n.metadata.labels?.[ZONE] ?? '');
  }
  return m;
}

/** Zone names the manifests pin pods to (nodeSelector or required node affinity on the zone label). */
function zonesNamedBy(objects: Obj[]): string[] {
  const names = new Set<string>();
  for (const o of objects) {
    const podSpec = o.spec?.template?.spec;
    if (!podSpec) { continue; }
    const z = podSpec.nodeSelector?.[ZONE];
    if (z) { names.add(z); }
    for (const term of podSpec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
      for (const e of term.matchExpressions ?? []) {
        if (e.key === ZONE && e.operator === 'In') { (e.values as string[]).forEach(v => names.add(v)); }
      }
    }
  }
  return [...names].sort();
}

/** Host names the manifests pin pods or volumes to (`kubernetes.io/hostname`). */
function hostnamesNamedBy(objects: Obj[]): string[] {
  const names = new Set<string>();
  const terms = (affinity: any): any[] => affinity?.required?.nodeSelectorTerms ??
    affinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const o of objects) {
    const podSpec = o.spec?.template?.spec;
    const h = podSpec?.nodeSelector?.[HOSTNAME];
    if (h) { names.add(h); }
    for (const term of [...terms(podSpec?.affinity?.nodeAffinity), ...(o.kind === 'PersistentVolume' ? terms(o.spec?.nodeAffinity) : [])]) {
      for (const e of term.matchExpressions ?? []) {
        if (e.key === HOSTNAME && e.operator === 'In') { (e.values as string[]).forEach(v => names.add(v)); }
      }
    }
  }
  return [...names].sort();
}

/**
 * The six simulated nodes are in three zones, two each; label them as the example names zones and
 * hosts (default zone-a|b|c and the node names). Named hosts go to different zones first.
 * The single node has no zone; it takes the first host name the example names, if any.
 */
function nameNodes(objects: Obj[]): boolean {
  if (SINGLE) {
    const pinned = zonesNamedBy(objects);
    if (pinned.length > 0) {
      fail('nodes', `the manifests pin pods to zones (${pinned.join(', ')}), which a node without zone labels cannot take: were they synthesized with CDK8S_STATEFUL_PLACEMENT=development?`);
      return false;
    }
    const host = hostnamesNamedBy(objects)[0] ?? SINGLE_NODE;
    kubectl(['label', 'node', SINGLE_NODE, `${HOSTNAME}=${host}`, '--overwrite']);
    info(`one node without zone labels${host !== SINGLE_NODE ? `, host name ${host}` : ''}`);
    return true;
  }
  const named = zonesNamedBy(objects);
  const hosts = hostnamesNamedBy(objects);
  if (named.length > 3 || hosts.length > 6) {
    fail('nodes', `the manifests pin pods to ${named.length} zones (${named.join(', ')}) and ${hosts.length} hosts (${hosts.join(', ')}); the test cluster has 3 zones of 2 nodes`);
    return false;
  }
  const defaults = ['zone-a', 'zone-b', 'zone-c'];
  const zones = [...named, ...defaults.filter(d => !named.includes(d))].slice(0, 3);
  const nodes = ['a-0', 'b-0', 'c-0', 'a-1', 'b-1', 'c-1'].map(n => `kwok-zone-${n}`);
  nodes.forEach((node, i) => {
    const zone = zones['abc'.indexOf(node.charAt('kwok-zone-'.length))];
    kubectl(['label', 'node', node, `${ZONE}=${zone}`, `${HOSTNAME}=${hosts[i] ?? node}`, '--overwrite']);
  });
  info(`node zones: ${zones.join(', ')} (two nodes each)${hosts.length ? `; host names ${hosts.join(', ')} given to ${nodes.slice(0, hosts.length).join(', ')}` : ''}`);
  return true;
}

/**
 * Zones and nodes the pods of a set may use, from its nodeSelector / required zone affinity. On the
 * single node the pods share it: as many as the set has.
 */
function allowedPlaces(s: Obj): { zones: Set<string>; nodes: number } {
  if (SINGLE) { return { zones: new Set(), nodes: Number.MAX_SAFE_INTEGER }; }
  const zones = new Set(nodeZones().values());
  const pinned = zonesNamedBy([s]);
  const allowed = pinned.length ? new Set([...zones].filter(z => pinned.includes(z))) : zones;
  const nodes = [...nodeZones().values()].filter(z => allowed.has(z)).length;
  return { zones: allowed, nodes };
}

function checkPlacement(s: Obj, replicas: number): void {
  const name = s.metadata.name;
  const pods = stsPods(s);
  const zones = nodeZones();
  const nodes = pods.map(p => p.spec.nodeName as string);
  const perZone = new Map<string, number>();
  for (const n of nodes) { perZone.set(zones.get(n)!, (perZone.get(zones.get(n)!) ?? 0) + 1); }
  const where = [...perZone.entries()].sort().map(([z, c]) => `${z}:${c}`).join(' ');
  if (new Set(nodes).size !== nodes.length) {
    fail(`statefulset ${name} one pod per node`, `pods share nodes: ${nodes.join(', ')}`);
  } else {
    pass(`statefulset ${name} one pod per node`, `${nodes.length} pods on ${nodes.length} nodes`);
  }
  const counts = [...perZone.values()];
  const want = Math.min(replicas, allowedPlaces(s).zones.size);
  if (perZone.size < want || Math.max(...counts) - Math.min(...counts) > 1) {
    fail(`statefulset ${name} spread across zones`, `${where} (want ${want} zones, skew <= 1)`);
  } else {
    pass(`statefulset ${name} spread across zones`, where);
  }
}

/** On the single node: the pods share it, and nothing in their template requires a node of their own or a zone. */
function checkRelaxedPlacement(s: Obj): void {
  const name = s.metadata.name;
  const pod = s.spec.template.spec ?? {};
  const required = [
    ...((pod.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) as any[]).map(t => `required anti-affinity on ${t.topologyKey}`),
    ...((pod.topologySpreadConstraints ?? []) as any[]).filter(c => c.whenUnsatisfiable === 'DoNotSchedule').map(c => `DoNotSchedule spread on ${c.topologyKey}`),
    ...(pod.nodeSelector?.[ZONE] ? [`nodeSelector ${ZONE}=${pod.nodeSelector[ZONE]}`] : []),
  ];
  if (required.length > 0) {
    fail(`statefulset ${name} development placement`, `${required.join('; ')}: not synthesized with CDK8S_STATEFUL_PLACEMENT=development?`);
    return;
  }
  const nodes = [...new Set(stsPods(s).map(p => p.spec.nodeName as string))];
  pass(`statefulset ${name} development placement`, `nothing required of nodes or zones; ${stsPods(s).length} pods on ${nodes.join(', ')}`);
}

/**
 * Host names the pods of a set need, by their own selector or by the volumes reserved for their
 * claims (a local PersistentVolume lives on one named node).
 */
function hostsNeededBy(s: Obj, objects: Obj[]): string[] {
  const claims = new Set(claimNames(s, [...Array(s.spec?.replicas ?? 1).keys()]));
  const ns = s.metadata.namespace ?? 'default';
  const volumes = objects.filter(o => o.kind === 'PersistentVolume' && o.spec?.claimRef &&
    (o.spec.claimRef.namespace ?? 'default') === ns && claims.has(o.spec.claimRef.name));
  return hostnamesNamedBy([s, ...volumes]);
}

function claimNames(s: Obj, ordinals: number[]): string[] {
  const templates = (s.spec.volumeClaimTemplates ?? []) as any[];
  return templates.flatMap(t => ordinals.map(i => `${t.metadata.name}-${s.metadata.name}-${i}`));
}

function checkClaimsBound(s: Obj, ordinals: number[], label: string): void {
  const ns = s.metadata.namespace!;
  const names = claimNames(s, ordinals);
  if (names.length === 0) {
    info(`statefulset ${s.metadata.name} has no volumeClaimTemplates`);
    return;
  }
  const problems = waitFor(60, () => {
    const bad = names.map(n => [n, tryGet('pvc', ns, n)] as const)
      .filter(([, c]) => !c || c.status?.phase !== 'Bound')
      .map(([n, c]) => `${n}: ${c ? c.status?.phase : 'missing'}`);
    return bad.length === 0 ? [] : undefined;
  });
  if (problems) {
    pass(`statefulset ${s.metadata.name} ${label}`, `${names.join(', ')} Bound`);
  } else {
    const bad = names.map(n => [n, tryGet('pvc', ns, n)] as const)
      .filter(([, c]) => !c || c.status?.phase !== 'Bound')
      .map(([n, c]) => `${n}: ${c ? c.status?.phase : 'missing'}`);
    fail(`statefulset ${s.metadata.name} ${label}`, bad.join(', '));
  }
}

const HOLD = 'cdk8s-stateful.test/hold';

/** Removes the test's finalizer from a pod, keeping any others. */
function release(ns: string, pod: string): void {
  const p = tryGet('pod', ns, pod);
  if (!p) { return; }
  const finalizers = ((p.metadata.finalizers ?? []) as string[]).filter(f => f !== HOLD);
  kubectl(['patch', 'pod', pod, '-n', ns, '--type=merge', '-p',
    JSON.stringify({ metadata: { finalizers: finalizers.length ? finalizers : null } })]);
}

function evict(ns: string, pod: string): Run {
  const body = JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod, namespace: ns } });
  return kubectl(['create', '--raw', `/api/v1/namespaces/${ns}/pods/${pod}/eviction`, '-f', '-'], body);
}

function checkEviction(s: Obj, pdbs: Obj[], replicas: number): void {
  const ns = s.metadata.namespace!;
  const name = s.metadata.name;
  const podLabels = s.spec.template.metadata?.labels ?? {};
  const pdb = pdbs.find(p => (p.metadata.namespace ?? 'default') === ns && matches(p.spec.selector, podLabels));
  if (!pdb) {
    fail(`statefulset ${name} eviction`, 'no PodDisruptionBudget selects its pods');
    return;
  }
  // The disruption controller must have seen all pods healthy.
  const started = Date.now();
  const status = waitFor(60, () => {
    const p = tryGet('pdb', ns, pdb.metadata.name);
    const st = p?.status;
    const syncFailed = (st?.conditions ?? []).some((c: any) => c.reason === 'SyncFailed');
    if (syncFailed && Date.now() - started > 10000) { return null; } // the controller cannot count the pods
    return st && st.observedGeneration >= p!.metadata.generation && st.currentHealthy === st.expectedPods &&
      st.disruptionsAllowed > 0 ? st : undefined;
  });
  if (!status) {
    const st = tryGet('pdb', ns, pdb.metadata.name)?.status;
    fail(`statefulset ${name} eviction`, `PodDisruptionBudget ${pdb.metadata.name} allows no disruption with all pods healthy: ` +
      `disruptionsAllowed=${st?.disruptionsAllowed} currentHealthy=${st?.currentHealthy} expectedPods=${st?.expectedPods} ` +
      (st?.conditions ?? []).map((c: any) => `${c.type}=${c.status} ${c.reason}: ${c.message}`).join('; '));
    return;
  }
  const allowed: number = status.disruptionsAllowed;
  if (allowed >= replicas) {
    fail(`statefulset ${name} eviction`, `PodDisruptionBudget ${pdb.metadata.name} allows ${allowed} disruptions of ${replicas} pods`);
    return;
  }
  // Evict `allowed` pods (each succeeds), then one more: refused with 429. kwok replaces an evicted
  // pod with a ready one within a second, so a finalizer of the test holds each evicted pod in
  // Terminating (gone, not ready, not yet replaced) until the refusal has been seen.
  const order = [...Array(replicas).keys()].map(i => `${name}-${i}`);
  const held: string[] = [];
  try {
    for (const pod of order.slice(0, allowed)) {
      const h = kubectl(['patch', 'pod', pod, '-n', ns, '-p', JSON.stringify({ metadata: { finalizers: [HOLD] } })]);
      if (h.status !== 0) { fail(`statefulset ${name} eviction`, `cannot hold ${pod}: ${h.stderr.trim()}`); return; }
      held.push(pod);
      const r = evict(ns, pod);
      if (r.status !== 0) {
        fail(`statefulset ${name} eviction`, `evicting ${pod} (PDB allowed ${allowed}) was refused: ${r.stderr.trim()}`);
        return;
      }
    }
    pass(`statefulset ${name} eviction`, `evicted ${held.join(', ')} (PDB ${pdb.metadata.name} allowed ${allowed})`);
    const next = order[allowed];
    const r = evict(ns, next);
    if (r.status === 0) {
      fail(`statefulset ${name} eviction blocked by PDB`, `evicting ${next} while ${held.join(', ')} was gone succeeded`);
    } else if (/TooManyRequests|429|disruption budget/i.test(r.stderr)) {
      pass(`statefulset ${name} eviction blocked by PDB`, `${next} refused while ${held.join(', ')} terminating: ${r.stderr.trim().replace(/\s+/g, ' ').slice(0, 140)}`);
    } else {
      fail(`statefulset ${name} eviction blocked by PDB`, `evicting ${next} failed for another reason: ${r.stderr.trim()}`);
    }
  } finally {
    for (const pod of held) { release(ns, pod); }
  }
  const recovered = waitReady(ns, name, replicas);
  if (!recovered.set) {
    fail(`statefulset ${name} recovers after eviction`, recovered.why);
  } else {
    pass(`statefulset ${name} recovers after eviction`, `${replicas}/${replicas} ready`);
  }
}

function checkScaling(s: Obj, replicas: number): void {
  const ns = s.metadata.namespace!;
  const name = s.metadata.name;
  const room = allowedPlaces(s).nodes; // one pod per node
  const up = Math.min(replicas + 2, room);
  if (up <= replicas) {
    info(`statefulset ${name}: not scaled: its pods may use ${room} nodes (one per node) and it has ${replicas}`);
    return;
  }
  const added = [...Array(up - replicas).keys()].map(i => replicas + i);
  const scale = (n: number) => kubectl(['scale', 'statefulset', name, '-n', ns, `--replicas=${n}`]);
  let r = scale(up);
  if (r.status !== 0) { fail(`statefulset ${name} scale ${replicas}->${up}`, r.stderr.trim()); return; }
  const { set: ready, why } = waitReady(ns, name, up);
  if (!ready) {
    fail(`statefulset ${name} scale ${replicas}->${up}`, why);
  } else {
    pass(`statefulset ${name} scale ${replicas}->${up}`, `pods ${added.map(i => `${name}-${i}`).join(', ')} ready`);
    checkClaimsBound(ready, added, `claims of pods ${added.join(', ')} bound`);
    if (!SINGLE) { checkPlacement(ready, up); }
  }
  r = scale(replicas);
  if (r.status !== 0) { fail(`statefulset ${name} scale ${up}->${replicas}`, r.stderr.trim()); return; }
  const down = waitReady(ns, name, replicas, st => stsPods(st).length === replicas);
  if (!down.set) {
    fail(`statefulset ${name} scale ${up}->${replicas}`, down.why);
    return;
  }
  pass(`statefulset ${name} scale ${up}->${replicas}`, `${replicas}/${replicas} ready`);
  const kept = claimNames(s, added);
  if (kept.length === 0) { return; }
  sleep(2000); // give the StatefulSet controller's claim clean-up a chance to act, if it (wrongly) would
  const missing = kept.filter(n => {
    const c = tryGet('pvc', ns, n);
    return !c || c.metadata.deletionTimestamp;
  });
  if (missing.length) {
    fail(`statefulset ${name} claims retained on scale-down`, `deleted: ${missing.join(', ')}`);
  } else {
    pass(`statefulset ${name} claims retained on scale-down`, kept.join(', '));
  }
}

function checkServices(services: Obj[]): void {
  for (const svc of services) {
    const ns = svc.metadata.namespace ?? 'default';
    const name = svc.metadata.name;
    const sel = svc.spec?.selector as Record<string, string> | undefined;
    if (svc.spec?.type === 'ExternalName' || !sel || Object.keys(sel).length === 0) {
      info(`service ${name} has no selector: endpoints not checked`);
      continue;
    }
    // A label that software in the pods sets at run time (Patroni's `role`) is on no pod here: kwok
    // runs no containers. The failover harness checks those Services with real Patroni.
    const pods = list('pods', ns);
    const runtime = Object.keys(sel).filter((key) => !pods.some((p) => key in (p.metadata.labels ?? {})));
    if (runtime.length > 0) {
      info(`service ${name} selects ${runtime.join(', ')}, which the pods get at run time: endpoints not checked here`);
      continue;
    }
    const expected = () => list('pods', ns, selectorString(sel))
      // as the EndpointSlice controller does: terminating and finished pods are no endpoints
      .filter(p => !p.metadata.deletionTimestamp && p.status?.podIP && !['Succeeded', 'Failed'].includes(p.status?.phase) &&
        (svc.spec.publishNotReadyAddresses || podReady(p)))
      .map(p => p.metadata.name).sort();
    const actual = () => list('endpointslices', ns, `kubernetes.io/service-name=${name}`)
      .flatMap(es => (es.endpoints ?? []) as any[])
      .filter(e => svc.spec.publishNotReadyAddresses || e.conditions?.ready !== false)
      .map(e => e.targetRef?.name as string).sort();
    const started = Date.now();
    const ok = waitFor(30, () => {
      const want = expected();
      const got = actual();
      if (want.length === 0 && Date.now() - started > 10000) { return null; } // no pods to reach: give up
      return want.length > 0 && JSON.stringify(want) === JSON.stringify(got) ? got : undefined;
    });
    if (ok) {
      pass(`service ${name} endpoints`, ok.join(', '));
    } else {
      fail(`service ${name} endpoints`, `pods [${expected().join(', ')}], endpoints [${actual().join(', ')}]`);
    }
  }
}

function cleanUp(objects: Obj[], namespaces: string[], volumesFile: string | undefined): void {
  for (const ns of namespaces) {
    kubectl(['delete', 'namespace', ns, '--wait=true', '--timeout=120s', '--ignore-not-found']);
  }
  if (volumesFile) { kubectl(['delete', '-f', volumesFile, '--wait=true', '--timeout=60s', '--ignore-not-found']); }
  for (const o of objects.filter(x => CLUSTER_SCOPED.has(x.kind) && x.kind !== 'Namespace')) {
    kubectl(['delete', o.kind, o.metadata.name, '--ignore-not-found', '--wait=false']);
  }
}

/** A Certificate the API server stored unchanged, whose Secret the pods of its instance mount. */
function checkCertificate(cert: Obj, objects: Obj[]): void {
  const ns = cert.metadata.namespace ?? 'default';
  const name = `certificate ${cert.metadata.name}`;
  const stored = tryGet('certificate.cert-manager.io', ns, cert.metadata.name);
  if (!stored) { fail(name, 'not found after apply'); return; }
  const same = JSON.stringify(stored.spec.dnsNames) === JSON.stringify(cert.spec.dnsNames)
    && stored.spec.secretName === cert.spec.secretName
    && JSON.stringify(stored.spec.privateKey) === JSON.stringify(cert.spec.privateKey);
  if (!same) {
    fail(`${name} stored as written`, `the API server kept dnsNames ${JSON.stringify(stored.spec.dnsNames)}, privateKey ${JSON.stringify(stored.spec.privateKey)}`);
    return;
  }
  pass(`${name} stored as written`, `${cert.spec.dnsNames.length} DNS names, key ${cert.spec.privateKey?.algorithm}/${cert.spec.privateKey?.encoding}, issuer ${cert.spec.issuerRef.kind} ${cert.spec.issuerRef.name}`);
  const instance = cert.metadata.labels?.['app.kubernetes.io/instance'];
  const sets = objects.filter(o => o.kind === 'StatefulSet' && o.metadata.labels?.['app.kubernetes.io/instance'] === instance);
  const without = sets.filter(s => !(s.spec.template.spec.volumes ?? []).some((v: any) => v.secret?.secretName === cert.spec.secretName));
  if (sets.length === 0 || without.length > 0) {
    fail(`${name}: its Secret is mounted`, sets.length === 0 ? `no StatefulSet of instance ${instance}` : `not by ${without.map(s => s.metadata.name).join(', ')}`);
  } else {
    pass(`${name}: its Secret is mounted`, `${cert.spec.secretName} in ${sets.map(s => s.metadata.name).join(', ')}`);
  }
}

function runExample(dir: string, stateDir: string): void {
  current = /^dist(-[a-z0-9]+)*$/.test(path.basename(dir)) ? path.basename(path.dirname(dir)) : path.basename(dir);
  const files = fs.readdirSync(dir).filter(f => f.endsWith('.k8s.yaml')).sort().map(f => path.join(dir, f));
  if (files.length === 0) { fail('manifests', `no *.k8s.yaml in ${dir}`); return; }
  const objects = files.flatMap(f => (Yaml.load(f) as Obj[]).filter(o => o && o.kind));
  const namespaces = [...new Set([
    ...objects.map(nsOf).filter((n): n is string => !!n),
    ...objects.filter(o => o.kind === 'Namespace').map(o => o.metadata.name),
  ])].sort();
  info(`${files.length} file(s), ${objects.length} objects, namespaces: ${namespaces.join(', ')}`);

  // 1. namespaces, static volumes, server-side apply
  let volumesFile: string | undefined;
  try {
    if (!nameNodes(objects) || !prepareNamespaces(objects, namespaces, stateDir)) { return; }
    const volumes = staticVolumesFor(objects);
    if (volumes) {
      volumesFile = path.join(stateDir, `${current}-volumes.yaml`);
      fs.writeFileSync(volumesFile, volumes);
      applyFile(volumesFile, 'pre-bound PersistentVolumes (StaticVolumeSet)');
    }
    for (const f of files) {
      applyFile(f, path.relative(process.cwd(), f));
    }

    // 2. StatefulSets ready, placement, claims
    const sets = objects.filter(o => o.kind === 'StatefulSet');
    const readySets: Array<[Obj, number]> = [];
    for (const s0 of sets) {
      const ns = s0.metadata.namespace ?? 'default';
      const replicas = s0.spec?.replicas ?? 1;
      const hosts = SINGLE ? hostsNeededBy(s0, objects) : [];
      if (hosts.length > 1) {
        skip(`statefulset ${s0.metadata.name}`, `its pods need ${hosts.length} named nodes (${hosts.join(', ')}), by their node selector or the volumes reserved for their claims; one node cannot give them, whatever the placement`);
        continue;
      }
      const { set: s, why } = waitReady(ns, s0.metadata.name, replicas);
      if (!s) { fail(`statefulset ${s0.metadata.name} ready`, why); continue; }
      pass(`statefulset ${s0.metadata.name} ready`, `${replicas}/${replicas}`);
      const strangers = selectedPods(s).filter(p => !ownedBy(p, s)).map(p => p.metadata.name);
      if (strangers.length) {
        fail(`statefulset ${s0.metadata.name} selector selects only its pods`, `also selects ${strangers.join(', ')} ` +
          '(a PodDisruptionBudget or Service with this selector counts them too: a Job pod makes the PDB fail with "does not implement the scale subresource")');
      } else {
        pass(`statefulset ${s0.metadata.name} selector selects only its pods`);
      }
      if (SINGLE) { checkRelaxedPlacement(s); } else if (replicas > 1) { checkPlacement(s, replicas); }
      checkClaimsBound(s, [...Array(replicas).keys()], 'claims bound');
      readySets.push([s, replicas]);
    }

    // 5. Services reach their pods
    checkServices(objects.filter(o => o.kind === 'Service'));

    // 6. Volume snapshots: the CronJob's rights, its script against this API server, a restore claim
    for (const cronJob of snapshotCronJobs(objects)) {
      checkSnapshotSchedule(cronJob, stateDir, { pass, fail, info });
    }

    // 7. cert-manager Certificates: accepted as written (strict apply above, CRDs from cert-manager's
    // module), and their Secret is the one the instance's pods mount at /etc/tls.
    const certificates = objects.filter(o => o.kind === 'Certificate' && o.apiVersion === 'cert-manager.io/v1');
    for (const cert of certificates.filter(o => o.metadata.labels?.['app.kubernetes.io/managed-by'] === 'cdk8s-stateful')) {
      checkCertificate(cert, objects);
    }

    // 3. eviction under the PodDisruptionBudget, 4. scaling with claim retention
    const pdbs = objects.filter(o => o.kind === 'PodDisruptionBudget');
    for (const [s, replicas] of readySets.filter(([, r]) => r > 1)) {
      checkEviction(s, pdbs, replicas);
      checkScaling(s, replicas);
    }
  } catch (e) {
    fail('driver', `unexpected error: ${(e as Error).stack ?? e}`);
  } finally {
    if (process.env.CLUSTER_TEST_KEEP !== '1') { cleanUp(objects, namespaces, volumesFile); }
  }
}

function main(): void {
  const [stateDir, ...dirs] = process.argv.slice(2);
  if (!stateDir || dirs.length === 0) {
    console.error('usage: driver.ts <state-dir> <dist-dir>...');
    process.exit(2);
  }
  for (const d of dirs) {
    runExample(d, stateDir);
    current = '';
  }
  // The last line stays `N passed, M failed` (run.sh adds it up with the failover harness's).
  if (skipped > 0) { console.log(`${skipped} skipped: see the SKIP lines`); }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

main();
