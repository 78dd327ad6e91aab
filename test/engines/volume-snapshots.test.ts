import { execFileSync } from 'child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Chart, Duration } from 'cdk8s';
import { VolumeSnapshotClass, VolumeSnapshotSchedule } from '../../src';
import { testShellcheck } from '../shellcheck';
import { appYaml, exactly, newChart, only, synth } from '../util';

process.env.CDK8S_STATEFUL_QUIET = '1';

function schedule(props: any = {}) {
  const chart = newChart('shop');
  const s = new VolumeSnapshotSchedule(chart, 'snaps', { name: 'web-snapshots', instance: 'web', claims: ['data-web-0', 'data-web-1'], ...props });
  return { chart, schedule: s, objects: synth(chart) };
}
const envOf = (cronJob: any) => Object.fromEntries(cronJob.spec.jobTemplate.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));

describe('VolumeSnapshotSchedule', () => {
  test('a CronJob whose account may only create, list and delete VolumeSnapshots, and takes no connections', () => {
    const { objects } = schedule();
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ServiceAccount/web-snapshots', 'Role/web-snapshots', 'RoleBinding/web-snapshots', 'NetworkPolicy/web-snapshots', 'CronJob/web-snapshots',
    ]);
    expect(only(objects, 'Role').rules).toEqual([
      { apiGroups: ['snapshot.storage.k8s.io'], resources: ['volumesnapshots'], verbs: ['create', 'list', 'delete'] },
    ]);
    expect(only(objects, 'RoleBinding').subjects).toEqual([{ kind: 'ServiceAccount', name: 'web-snapshots' }]);
    const cronJob = only(objects, 'CronJob');
    const labels = cronJob.spec.jobTemplate.spec.template.metadata.labels;
    // Its own labels, never the database's: no Service or budget of the instance counts this pod.
    expect(labels).toEqual({
      'app.kubernetes.io/name': 'volume-snapshots',
      'app.kubernetes.io/component': 'backup',
      'app.kubernetes.io/instance': 'web',
      'app.kubernetes.io/managed-by': 'cdk8s-stateful',
    });
    const policy = only(objects, 'NetworkPolicy');
    expect(policy.spec).toEqual({ podSelector: { matchLabels: labels }, policyTypes: ['Ingress'], ingress: [] });
  });

  test('defaults: daily at 03:17, keep 7, 30 minutes to be ready, one attempt, restricted pod, no class named', () => {
    const cronJob = only(schedule().objects, 'CronJob');
    expect(cronJob.spec).toMatchObject({ schedule: '17 3 * * *', concurrencyPolicy: 'Forbid' });
    expect(cronJob.spec.timeZone).toBeUndefined();
    expect(cronJob.spec.jobTemplate.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 1800 + 600 });
    const pod = cronJob.spec.jobTemplate.spec.template.spec;
    expect(pod).toMatchObject({ serviceAccountName: 'web-snapshots', automountServiceAccountToken: true, restartPolicy: 'Never' });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 100, runAsGroup: 101, seccompProfile: { type: 'RuntimeDefault' } });
    const container = pod.containers[0];
    expect(container.image).toBe('curlimages/curl:8.11.1');
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    const env = envOf(cronJob);
    expect(env).toMatchObject({ CLAIMS: 'data-web-0 data-web-1', SCHEDULE: 'web-snapshots', KEEP: '7', READY_TIMEOUT: '1800' });
    expect(JSON.parse(env.SNAPSHOT_TEMPLATE)).toEqual({
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshot',
      metadata: {
        name: '@NAME@',
        labels: {
          'app.kubernetes.io/instance': 'web',
          'app.kubernetes.io/managed-by': 'cdk8s-stateful',
          'cdk8s-stateful/schedule': 'web-snapshots',
          'cdk8s-stateful/claim': '@CLAIM@',
        },
      },
      spec: { source: { persistentVolumeClaimName: '@CLAIM@' } },
    });
  });

  test('every option reaches the CronJob', () => {
    const chart = newChart();
    const vsc = new VolumeSnapshotClass(chart, 'vsc', { name: 'ebs-snapshots', driver: 'ebs.csi.aws.com' });
    const s = new VolumeSnapshotSchedule(chart, 'snaps', {
      name: 'web-snapshots',
      instance: 'web',
      schedule: '0 */6 * * *',
      timeZone: 'Europe/Paris',
      keep: 28,
      snapshotClass: vsc,
      readyTimeout: Duration.hours(2),
      image: 'registry.example.com/curl:8.11.1',
    });
    s.addClaims('data-web-0');
    const cronJob = only(synth(chart), 'CronJob');
    expect(cronJob.spec).toMatchObject({ schedule: '0 */6 * * *', timeZone: 'Europe/Paris' });
    expect(cronJob.spec.jobTemplate.spec.activeDeadlineSeconds).toBe(7200 + 600);
    expect(cronJob.spec.jobTemplate.spec.template.spec.containers[0].image).toBe('registry.example.com/curl:8.11.1');
    const env = envOf(cronJob);
    expect(env).toMatchObject({ CLAIMS: 'data-web-0', KEEP: '28', READY_TIMEOUT: '7200' });
    expect(JSON.parse(env.SNAPSHOT_TEMPLATE).spec.volumeSnapshotClassName).toBe('ebs-snapshots');
    expect(s.keep).toBe(28);
    expect(s.snapshotLabels['cdk8s-stateful/schedule']).toBe('web-snapshots');
    // A class by name, too.
    const named = only(schedule({ snapshotClass: VolumeSnapshotClass.fromVolumeSnapshotClassName('csi-aws-vsc') }).objects, 'CronJob');
    expect(JSON.parse(envOf(named).SNAPSHOT_TEMPLATE).spec.volumeSnapshotClassName).toBe('csi-aws-vsc');
  });

  test('claims added after construction are snapshotted too', () => {
    const chart = newChart();
    const s = new VolumeSnapshotSchedule(chart, 'snaps', { name: 'web-snapshots', instance: 'web' });
    s.addClaims('data-web-0');
    s.addClaims('data-web-1', 'logs-web-0');
    expect(envOf(only(synth(chart), 'CronJob')).CLAIMS).toBe('data-web-0 data-web-1 logs-web-0');
  });

  test('synth is deterministic', () => {
    const yaml = () => appYaml((app) => {
      new VolumeSnapshotSchedule(new Chart(app, 'test', { namespace: 'db' }), 's', { name: 'a', instance: 'a', claims: ['data-a-0'] });
    });
    expect(yaml()).toEqual(yaml());
  });

  test.each([
    ['keep of zero', { keep: 0 }, exactly("test/snaps: 'keep' must be a positive integer, got 0")],
    ['keep of 2.5', { keep: 2.5 }, exactly("test/snaps: 'keep' must be a positive integer, got 2.5")],
    ['keep too large', { keep: 1001 }, exactly("test/snaps: 'keep' must be at most 1000: the snapshots of every run are kept per claim, got 1001")],
    ['keep as a string (Python, JavaScript)', { keep: '7' }, /^test\/snaps: 'keep' must be a number, got '7' \(a string\)/],
    ['a schedule that cannot parse', { schedule: '0 25 * * *' }, /^test\/snaps: 'schedule' must be a cron schedule .*its hour field '25' has '25' where it takes 0-23, got '0 25 \* \* \*'/],
    ['a time zone inside the schedule', { schedule: 'CRON_TZ=UTC 0 3 * * *' }, /^test\/snaps: 'schedule' .*use the 'timeZone' prop/],
    ['a time zone that is no IANA name', { timeZone: 'UTC+2 hours' }, /^test\/snaps: 'timeZone' must be an IANA time zone name/],
    ['a ready timeout under a minute', { readyTimeout: Duration.seconds(30) }, /^test\/snaps: 'readyTimeout' must be whole seconds from 60 s to 86400 s: how long a run waits/],
    ['a ready timeout as a number', { readyTimeout: 600 }, /^test\/snaps: 'readyTimeout' must be a Duration such as Duration.minutes\(30\), got 600/],
    ['a snapshot class as a string', { snapshotClass: 'csi-aws-vsc' },
      exactly("test/snaps: 'snapshotClass' must be a snapshot class such as new VolumeSnapshotClass(...) or VolumeSnapshotClass.fromVolumeSnapshotClassName('csi-snapshots'), got 'csi-aws-vsc' (a string)")],
    ['an unpinned image', { image: 'curlimages/curl' }, /^test\/snaps: 'image' must pin a version tag \(not 'latest'\) or a digest/],
    ['a misspelt option', { retention: 7 }, /^test\/snaps: 'retention' is not a known prop; valid: .*keep/],
    ['a name too long for its Jobs', { name: 'a'.repeat(53) }, /^test\/snaps: 'name' must be a DNS label .*at most 52/],
    ['a claim name that is no label value', { claims: ['Data_0'] }, /^test\/snaps: 'claims' must be a DNS label/],
    ['a claim twice', { claims: ['data-web-0', 'data-web-0'] }, exactly("test/snaps: 'claims' must name each claim once, got 'data-web-0'")],
  ])('%s is refused', (_what, props, message) => {
    expect(() => schedule(props)).toThrow(message);
  });

  test('no claim at all is refused at synth', () => {
    const chart = newChart();
    new VolumeSnapshotSchedule(chart, 'snaps', { name: 'web-snapshots', instance: 'web' });
    expect(() => synth(chart)).toThrow(/test\/snaps: 'claims' must name at least one claim to snapshot/);
  });

  describe('the script, run against a stand-in API (curl replaced)', () => {
    const cronJob = only(schedule().objects, 'CronJob');
    const script: string = cronJob.spec.jobTemplate.spec.template.spec.containers[0].command[2];
    const template: string = envOf(cronJob).SNAPSHOT_TEMPLATE;
    const labelsOf = (claim: string, scheduleName = 'web-snapshots') => ({
      'app.kubernetes.io/instance': 'web', 'cdk8s-stateful/schedule': scheduleName, 'cdk8s-stateful/claim': claim,
    });

    function run(options: { keep?: number; existing?: Array<[string, boolean, string?]>; env?: { [k: string]: string } } = {}) {
      const dir = mkdtempSync(join(tmpdir(), 'snapshots-'));
      const bin = join(dir, 'bin');
      mkdirSync(bin);
      symlinkSync(join(__dirname, 'snapshots', 'fake-curl.js'), join(bin, 'curl'));
      writeFileSync(join(dir, 'namespace'), 'shop');
      writeFileSync(join(dir, 'token'), 'secret-token');
      writeFileSync(join(dir, 'ca.crt'), '');
      mkdirSync(join(dir, 'store'));
      for (const [name, ready, scheduleName] of options.existing ?? []) {
        const claim = name.replace(/-[0-9]{8}-[0-9]{6}$|-manual$/, '');
        writeFileSync(join(dir, 'store', `${name}.json`), JSON.stringify({ labels: labelsOf(claim, scheduleName), ready }));
      }
      const env = {
        PATH: `${bin}:${process.env.PATH}`,
        SERVICE_ACCOUNT_DIR: dir,
        TMPDIR: dir,
        FAKE_DIR: dir,
        API_SERVER: 'https://api.test',
        CLAIMS: 'data-web-0 data-web-1',
        SCHEDULE: 'web-snapshots',
        KEEP: String(options.keep ?? 3),
        READY_TIMEOUT: '2',
        POLL_SECONDS: '1',
        SNAPSHOT_TEMPLATE: template,
        ...options.env,
      };
      let output = '';
      let status = 0;
      try {
        output = execFileSync('/bin/sh', ['-c', script], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (e: any) {
        status = e.status; output = `${e.stdout}${e.stderr}`;
      }
      const calls = readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n');
      const left = readdirSync(join(dir, 'store')).map((f) => f.replace(/\.json$/, '')).sort();
      const posted = readdirSync(dir).filter((f) => f.startsWith('posted-')).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
      return { status, output, calls, left, posted };
    }
    const old = (claim: string, days: number[], ready = true): Array<[string, boolean]> =>
      days.map((d) => [`${claim}-202001${String(d).padStart(2, '0')}-031700`, ready]);

    test('a snapshot of every claim, named by claim and one UTC timestamp, labelled; the token never on a command line', () => {
      const r = run();
      expect(r.status).toBe(0);
      expect(r.posted).toHaveLength(2);
      const stamps = new Set(r.posted.map((p) => p.metadata.name.slice(-15)));
      expect(stamps.size).toBe(1);
      expect([...stamps][0]).toMatch(/^[0-9]{8}-[0-9]{6}$/);
      for (const [i, p] of r.posted.entries()) {
        expect(p.metadata.name).toBe(`data-web-${i}-${[...stamps][0]}`);
        expect(p.metadata.labels).toEqual({ ...labelsOf(`data-web-${i}`), 'app.kubernetes.io/managed-by': 'cdk8s-stateful' });
        expect(p.spec.source).toEqual({ persistentVolumeClaimName: `data-web-${i}` });
      }
      expect(r.calls.join('\n')).not.toMatch(/secret-token|Bearer/);
      // Its own user agent, for the API server's audit log.
      expect(r.calls.every((c) => c.includes('-A cdk8s-stateful-snapshots'))).toBe(true);
      expect(r.calls[0]).toMatch(/^POST https:\/\/api.test\/apis\/snapshot.storage.k8s.io\/v1\/namespaces\/shop\/volumesnapshots /);
      expect(r.output).toMatch(/created VolumeSnapshot data-web-0-[0-9-]+ of claim data-web-0/);
      expect(r.output).toMatch(/VolumeSnapshot data-web-1-[0-9-]+ is ready to use/);
    });

    test('once the new ones are ready, only this schedule\'s snapshots beyond keep go, oldest first, per claim', () => {
      const r = run({
        keep: 3,
        existing: [
          ...old('data-web-0', [1, 2, 3, 4, 5]),
          ...old('data-web-1', [9]),
          // Another schedule's, and one a person made with this schedule's labels but not its name pattern.
          ['data-web-0-20200101-000000', true, 'other-snapshots'],
          ['data-web-0-manual', true],
        ],
      });
      expect(r.status).toBe(0);
      const kept0 = r.left.filter((n) => n.startsWith('data-web-0-'));
      expect(kept0).toEqual(expect.arrayContaining(['data-web-0-20200104-031700', 'data-web-0-20200105-031700', 'data-web-0-20200101-000000', 'data-web-0-manual']));
      expect(kept0).not.toEqual(expect.arrayContaining(['data-web-0-20200103-031700']));
      expect(kept0).toHaveLength(5);
      expect(r.left.filter((n) => n.startsWith('data-web-1-'))).toHaveLength(2);
      expect(r.calls.filter((c) => c.startsWith('DELETE')).map((c) => c.split(' ')[1].split('/').pop()))
        .toEqual(['data-web-0-20200103-031700', 'data-web-0-20200102-031700', 'data-web-0-20200101-031700']);
      expect(r.output).toContain('deleted VolumeSnapshot data-web-0-20200101-031700: 3 newer ones of claim data-web-0 are ready');
      // Readiness is read with list (by name), never get: the Role has no get.
      expect(r.calls.filter((c) => c.startsWith('GET')).every((c) => /\?(fieldSelector|labelSelector)=/.test(c))).toBe(true);
    });

    test('snapshots that never became ready do not count towards keep, and go once keep newer ones are ready', () => {
      const r = run({ keep: 2, existing: [...old('data-web-0', [1, 2]), ...old('data-web-0', [3, 4], false)] });
      expect(r.status).toBe(0);
      // Kept: the new one and day 2 (ready), and the unready days 3 and 4 that are newer than day 2.
      expect(r.left.filter((n) => n.startsWith('data-web-0-2020'))).toEqual(['data-web-0-20200102-031700', 'data-web-0-20200103-031700', 'data-web-0-20200104-031700']);
    });

    test('a snapshot not ready in time fails the run and keeps every older one', () => {
      const r = run({ keep: 1, existing: old('data-web-0', [1, 2, 3]), env: { FAKE_READY: 'never' } });
      expect(r.status).toBe(1);
      expect(r.output).toMatch(/VolumeSnapshot data-web-0-[0-9-]+ is not ready to use after 2s: the older snapshots of data-web-0 are kept/);
      expect(r.calls.filter((c) => c.startsWith('DELETE'))).toEqual([]);
      expect(r.left.filter((n) => n.startsWith('data-web-0-2020'))).toHaveLength(3);
    });

    test('a create that fails fails the run; the other claims are still snapshotted and pruned', () => {
      const r = run({ keep: 1, existing: [...old('data-web-0', [1, 2]), ...old('data-web-1', [1, 2])], env: { FAKE_FAIL_CLAIM: 'data-web-0' } });
      expect(r.status).toBe(1);
      expect(r.output).toMatch(/creating VolumeSnapshot data-web-0-[0-9-]+ of claim data-web-0: HTTP 403/);
      expect(r.left.filter((n) => n.startsWith('data-web-0-'))).toHaveLength(2);
      expect(r.left.filter((n) => n.startsWith('data-web-1-'))).toHaveLength(1);
    });
  });

  describe('shellcheck', () => {
    testShellcheck('the snapshot script passes shellcheck as POSIX sh',
      () => ({ 'snapshot.sh': only(schedule().objects, 'CronJob').spec.jobTemplate.spec.template.spec.containers[0].command[2] }), 'sh');
  });
});
