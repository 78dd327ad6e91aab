// The volume snapshot check of an example (driver.ts calls it after the apply): the CronJob's
// ServiceAccount may create VolumeSnapshots and nothing more (kubectl auth can-i as that account),
// and the CronJob's own script, run here with curl as that account against the real API server,
// creates a snapshot per claim and prunes beyond keep. No snapshot controller runs here: the check
// plays it by setting status.readyToUse through the status subresource with admin rights, after
// first running the script without it (the not-ready path: a failed run, nothing deleted). Last,
// a restore claim (a claim's spec plus a VolumeSnapshot dataSource) over an existing claim is refused
// and leaves it unchanged, and a new one is accepted.
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: any };
  spec?: any;
  [k: string]: any;
}

export interface Reporter {
  pass(check: string, detail?: string): void;
  fail(check: string, detail: string): void;
  info(msg: string): void;
}

const KUBECTL = process.env.KUBECTL ?? 'kubectl';
const GROUP = 'volumesnapshots.snapshot.storage.k8s.io';
const SCHEDULE_LABEL = 'cdk8s-stateful/schedule';

function kubectl(args: string[], input?: string): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(KUBECTL, args, { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) { throw r.error; }
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}
const json = (args: string[]): any => JSON.parse(kubectl([...args, '-o', 'json']).stdout);

/** The snapshot CronJobs of an example: those the library's VolumeSnapshotSchedule made. */
export function snapshotCronJobs(objects: Obj[]): Obj[] {
  return objects.filter(o => o.kind === 'CronJob' && o.spec?.jobTemplate?.spec?.template?.metadata?.labels?.['app.kubernetes.io/name'] === 'volume-snapshots');
}

export function checkSnapshotSchedule(cronJob: Obj, stateDir: string, r: Reporter): void {
  const ns = cronJob.metadata.namespace ?? 'default';
  const pod = cronJob.spec.jobTemplate.spec.template.spec;
  const sa = pod.serviceAccountName as string;
  const container = pod.containers[0];
  const env: Record<string, string> = Object.fromEntries((container.env ?? []).map((e: any) => [e.name, e.value]));
  const script = container.command[2] as string;
  const claims = env.CLAIMS.split(' ');
  const label = `snapshots ${cronJob.metadata.name}`;

  // 1. What the account may do: exactly create, list and delete VolumeSnapshots in its namespace.
  const as = `system:serviceaccount:${ns}:${sa}`;
  const canI = (verb: string, resource: string, namespace?: string) =>
    kubectl(['auth', 'can-i', verb, resource, `--as=${as}`, ...(namespace ? ['-n', namespace] : [])]).stdout.trim() === 'yes';
  const allowed: Array<[string, string]> = [['create', GROUP], ['list', GROUP], ['delete', GROUP]];
  const refused: Array<[string, string, string?]> = [
    ['get', GROUP], ['update', GROUP], ['patch', GROUP], ['deletecollection', GROUP], ['update', `${GROUP}/status`],
    ['create', GROUP, 'default'], ['list', GROUP, 'default'], ['delete', GROUP, 'kube-system'],
    ['get', 'secrets'], ['list', 'secrets'], ['create', 'pods'], ['create', 'pods/exec'], ['get', 'pods'],
    ['patch', 'persistentvolumeclaims'], ['delete', 'persistentvolumeclaims'], ['create', 'persistentvolumeclaims'],
    ['create', 'volumesnapshotcontents.snapshot.storage.k8s.io'], ['delete', 'volumesnapshotcontents.snapshot.storage.k8s.io'],
    ['create', 'volumesnapshotclasses.snapshot.storage.k8s.io'], ['create', 'jobs.batch'], ['patch', 'cronjobs.batch'],
    ['create', 'roles.rbac.authorization.k8s.io'], ['create', 'rolebindings.rbac.authorization.k8s.io'],
  ];
  const wrongYes = refused.filter(([v, res, n]) => canI(v, res, n ?? ns)).map(([v, res, n]) => `${v} ${res}${n ? ` in ${n}` : ''}`);
  const wrongNo = allowed.filter(([v, res]) => !canI(v, res, ns)).map(([v, res]) => `${v} ${res}`);
  if (wrongYes.length || wrongNo.length) {
    r.fail(`${label} rights`, `${as}: ${wrongNo.length ? `cannot ${wrongNo.join(', ')}` : ''}${wrongYes.length ? ` can ${wrongYes.join(', ')}` : ''}`);
  } else {
    r.pass(`${label} rights`, `${sa} can create, list, delete volumesnapshots in ${ns}; cannot ${refused.length} other things (get them, patch, status, other namespaces, secrets, pods, exec, claims, contents, classes, jobs, RBAC)`);
  }

  // 2. The script as the Job would run it: the account's token, the cluster's CA, real curl.
  const work = fs.mkdtempSync(path.join(stateDir, `snap-${ns}-`));
  const saDir = path.join(work, 'sa');
  fs.mkdirSync(saDir);
  const token = kubectl(['create', 'token', sa, '-n', ns, '--duration=20m']);
  if (token.status !== 0) { r.fail(`${label} token`, token.stderr.trim()); return; }
  fs.writeFileSync(path.join(saDir, 'token'), token.stdout.trim());
  fs.writeFileSync(path.join(saDir, 'namespace'), ns);
  fs.copyFileSync(path.join(stateDir, 'pki', 'ca.crt'), path.join(saDir, 'ca.crt'));
  const server = kubectl(['config', 'view', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server}']).stdout.trim();
  const keep = 2;
  const runScript = (readyTimeout: number) => {
    const tmp = fs.mkdtempSync(path.join(work, 'tmp-'));
    const t0 = Date.now();
    const res = spawnSync('/bin/sh', ['-c', script], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        ...env,
        KEEP: String(keep),
        READY_TIMEOUT: String(readyTimeout),
        POLL_SECONDS: '1',
        SERVICE_ACCOUNT_DIR: saDir,
        API_SERVER: server,
        TMPDIR: tmp,
      },
    });
    return { status: res.status ?? 1, output: `${res.stdout}${res.stderr}`, seconds: (Date.now() - t0) / 1000 };
  };
  const snapshots = () => (json(['get', GROUP, '-n', ns, '-l', `${SCHEDULE_LABEL}=${env.SCHEDULE}`]).items as Obj[]);
  const byClaim = () => {
    const m = new Map<string, string[]>();
    for (const s of snapshots()) {
      const c = s.metadata.labels?.['cdk8s-stateful/claim'] ?? '?';
      m.set(c, [...(m.get(c) ?? []), s.metadata.name].sort());
    }
    return m;
  };

  // A snapshot of another schedule (or a person), of the first claim: never touched.
  const foreign = `${claims[0]}-19700101-000000`;
  kubectl(['create', '-n', ns, '-f', '-'], JSON.stringify({
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshot',
    metadata: { name: foreign, labels: { [SCHEDULE_LABEL]: 'someone-else', 'cdk8s-stateful/claim': claims[0] } },
    spec: { source: { persistentVolumeClaimName: claims[0] } },
  }));

  // 2a. No controller: the snapshots never become ready; the run fails and deletes nothing.
  const notReady = runScript(3);
  const after0 = byClaim();
  const created0 = claims.every(c => (after0.get(c) ?? []).length === 1);
  if (notReady.status === 1 && created0 && /is not ready to use after 3s: the older snapshots of .* are kept/.test(notReady.output)) {
    r.pass(`${label} not ready in time`, `${claims.length} VolumeSnapshots created as ${sa}, run failed after ${notReady.seconds.toFixed(1)}s (exit 1), nothing deleted`);
  } else {
    r.fail(`${label} not ready in time`, `exit ${notReady.status}, snapshots ${JSON.stringify([...after0])}: ${notReady.output.slice(-800)}`);
  }

  // 2b. The controller, played: every snapshot of the namespace is marked ready as it appears.
  const controller = spawn('/bin/sh', ['-c', `while :; do
    for s in $("${KUBECTL}" get ${GROUP} -n ${ns} --no-headers -o custom-columns=N:.metadata.name,R:.status.readyToUse | awk '$2 != "true" {print $1}'); do
      "${KUBECTL}" patch ${GROUP} "$s" -n ${ns} --subresource=status --type=merge -p '{"status":{"readyToUse":true}}' >/dev/null 2>&1
    done
    sleep 0.5
  done`], { stdio: 'ignore', env: process.env });
  try {
    const runs: Array<{ status: number; output: string; seconds: number; left: Map<string, string[]> }> = [];
    for (let i = 0; i < 3; i++) {
      // Names carry the run's second: runs a second apart never collide.
      spawnSync('sleep', ['1.1']);
      const res = runScript(30);
      runs.push({ ...res, left: byClaim() });
    }
    const last = runs[runs.length - 1].left;
    const allOk = runs.every(x => x.status === 0);
    const keptRight = claims.every(c => (last.get(c) ?? []).length === keep);
    const foreignKept = kubectl(['get', GROUP, foreign, '-n', ns]).status === 0;
    // The newest `keep` of each claim are the last two runs' (the names sort by their timestamp).
    const newest = claims.every(c => {
      const names = last.get(c) ?? [];
      return runs.slice(-keep).every(x => names.some(n => x.output.includes(`created VolumeSnapshot ${n} `)));
    });
    if (allOk && keptRight && foreignKept && newest) {
      r.pass(`${label} retention`, `3 runs as ${sa} with keep=${keep}: ${claims.length} claims x ${keep} newest left, ${3 + 1 - keep} older run(s) pruned per claim, the other schedule's snapshot kept; runs took ${runs.map(x => `${x.seconds.toFixed(1)}s`).join(', ')}`);
    } else {
      r.fail(`${label} retention`, `exit codes ${runs.map(x => x.status).join(',')}, left ${JSON.stringify([...last])}, foreign kept ${foreignKept}: ${runs.map(x => x.output).join('\n').slice(-1500)}`);
    }
  } finally {
    controller.kill('SIGKILL');
  }

  // 3. Restore: a claim with a snapshot dataSource over an existing claim is refused, the claim unchanged;
  //    a new one is accepted (and stays Pending: no provisioner).
  const existing = json(['get', 'pvc', claims[0], '-n', ns]);
  const source = byClaim().get(claims[0])?.[0];
  const restoreClaim = (name: string) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: ns, labels: existing.metadata.labels, annotations: { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false', 'kustomize.toolkit.fluxcd.io/prune': 'disabled' } },
    spec: {
      accessModes: existing.spec.accessModes,
      storageClassName: existing.spec.storageClassName,
      volumeMode: existing.spec.volumeMode,
      resources: { requests: existing.spec.resources.requests },
      dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: source },
    },
  });
  const over = kubectl(['apply', '--server-side', '--field-manager=cdk8s-stateful-test', '--validate=strict', '-f', '-'], JSON.stringify(restoreClaim(claims[0])));
  const after = json(['get', 'pvc', claims[0], '-n', ns]);
  const unchanged = after.metadata.uid === existing.metadata.uid && !after.spec.dataSource && after.status.phase === existing.status.phase;
  const fresh = kubectl(['apply', '--server-side', '--field-manager=cdk8s-stateful-test', '--validate=strict', '-f', '-'], JSON.stringify(restoreClaim(`restore-check-${claims[0]}`.slice(0, 63))));
  if (over.status !== 0 && /immutable|Forbidden/i.test(over.stderr) && unchanged && fresh.status === 0 && !/warning/i.test(fresh.stderr)) {
    r.pass(`${label} restore claim`, `over the existing ${claims[0]}: refused (${over.stderr.trim().split('\n')[0].slice(0, 160)}), the claim unchanged; a new claim from ${source} accepted`);
  } else {
    r.fail(`${label} restore claim`, `over existing: exit ${over.status} ${over.stderr.trim()}; unchanged ${unchanged}; new: exit ${fresh.status} ${fresh.stderr.trim()}`);
  }
}
