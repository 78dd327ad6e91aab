// The logicalBackup prop of MySql and MongoDb: the dump CronJob, its claim, its script's ConfigMap,
// the NetworkPolicies on both sides, and every rule of the options. What the script does is
// asserted in logical-backup-script.test.ts, which runs the very text against stand-ins.
import { Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { AccessMode, Credentials, DumpStorage, LogicalBackupOptions, MongoDb, MySql, Provisioner, StorageClass, VolumeLocality } from '../../src';
import { newChart, only, selects } from '../util';

process.env.CDK8S_STATEFUL_QUIET = '1';

interface EngineCase {
  readonly engine: string;
  readonly port: number;
  readonly defaultStorage: string;
  readonly passwordEnv: string;
  readonly make: (scope: Construct, id: string, props: any) => MySql | MongoDb;
}

const ENGINES: EngineCase[] = [
  { engine: 'mysql', port: 3306, defaultStorage: '20Gi', passwordEnv: 'MYSQL_ROOT_PASSWORD', make: (s, id, p) => new MySql(s, id, p) },
  { engine: 'mongodb', port: 27017, defaultStorage: '10Gi', passwordEnv: 'MONGODB_ROOT_PASSWORD', make: (s, id, p) => new MongoDb(s, id, p) },
];

function build(engine: EngineCase, props: any = {}, chart: Chart = newChart()) {
  const db = engine.make(chart, 'db', props);
  const objects: any[] = Testing.synth(chart);
  const cronJob = objects.find((o) => o.kind === 'CronJob');
  const pod = cronJob?.spec.jobTemplate.spec.template.spec;
  const env = (name: string) => pod.containers[0].env.find((e: any) => e.name === name);
  return { db, objects, cronJob, pod, env };
}

function errorOf(engine: EngineCase, logicalBackup: unknown, props: any = {}): string {
  try {
    build(engine, { ...props, logicalBackup });
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
}

describe.each(ENGINES)('$engine logicalBackup', (engine) => {
  test('without the prop there is no CronJob, no claim of dumps and no extra rule in the NetworkPolicy', () => {
    const { db, objects } = build(engine);
    expect(objects.filter((o) => ['CronJob', 'PersistentVolumeClaim'].includes(o.kind))).toEqual([]);
    expect(objects.filter((o) => o.metadata.name.includes('dump'))).toEqual([]);
    expect(db.logicalBackupJob).toBeUndefined();
    const policy = only(objects, 'NetworkPolicy', 'db');
    expect(policy.spec.ingress).toHaveLength(1);
  });

  test('{} turns it on with the defaults: daily at 03:00, 7 kept, a claim the size of a data volume, the engine image', () => {
    const { db, objects, cronJob, pod, env } = build(engine, { logicalBackup: {} });
    expect(cronJob.metadata.name).toBe('db-dump');
    expect(cronJob.spec.schedule).toBe('0 3 * * *');
    expect(cronJob.spec.timeZone).toBeUndefined();
    expect(cronJob.spec.concurrencyPolicy).toBe('Forbid');
    expect(cronJob.spec.jobTemplate.spec.activeDeadlineSeconds).toBe(6 * 3600);
    expect(env('DUMP_KEEP').value).toBe('7');
    expect(env('DUMP_DIR').value).toBe('/backups/db');
    expect(env('DUMP_PREFIX').value).toBe('db');
    expect(pod.containers[0].image).toBe(db.image);
    expect(pod.containers[0].command).toEqual(['/bin/bash', '/scripts/dump.sh']);
    expect(pod.containers[0].resources).toEqual({ requests: { cpu: '100m', memory: '512Mi' }, limits: { memory: '512Mi' } });
    const claim = only(objects, 'PersistentVolumeClaim', 'db-dumps');
    expect(claim.spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: engine.defaultStorage } } });
    expect(pod.volumes.find((v: any) => v.name === 'dumps').persistentVolumeClaim.claimName).toBe('db-dumps');
    expect(pod.containers[0].volumeMounts.find((m: any) => m.name === 'dumps').mountPath).toBe('/backups');
    expect(db.logicalBackupJob).toMatchObject({ claimName: 'db-dumps', directory: '/backups/db' });
    expect(db.logicalBackupJob!.cronJob.name).toBe('db-dump');
    // The script is the one ConfigMap entry the pod runs.
    const script = only(objects, 'ConfigMap', 'db-dump');
    expect(Object.keys(script.data)).toEqual(['dump.sh']);
    expect(pod.volumes.find((v: any) => v.name === 'script').configMap).toEqual({ name: 'db-dump', defaultMode: 0o555 });
  });

  test('the claim follows the data volume\'s size when the dump storage names none', () => {
    const { objects } = build(engine, { storage: { size: Size.gibibytes(75) }, logicalBackup: {} });
    expect(only(objects, 'PersistentVolumeClaim', 'db-dumps').spec.resources.requests.storage).toBe('75Gi');
  });

  test('the dump pod is restricted: non-root as the engine\'s uid, read-only root, every capability dropped, no API token', () => {
    const { pod } = build(engine, { logicalBackup: {} });
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999, fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.containers[0].securityContext).toEqual({
      allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBeUndefined();
    expect(pod.restartPolicy).toBe('Never');
    // Writable places are emptyDirs; the password file's is in memory.
    expect(pod.volumes.find((v: any) => v.name === 'secrets').emptyDir).toEqual({ medium: 'Memory', sizeLimit: '1Mi' });
    expect(pod.containers[0].volumeMounts.map((m: any) => m.mountPath).sort()).toEqual(['/backups', '/scripts', '/tmp', '/var/run/dump']);
  });

  test('the password comes from the instance\'s Secret, never a value in the YAML', () => {
    const { objects, env } = build(engine, { credentials: Credentials.fromSecret('vault-db', { password: 'root-pw' }), logicalBackup: {} });
    expect(env(engine.passwordEnv)).toEqual({ name: engine.passwordEnv, valueFrom: { secretKeyRef: { name: 'vault-db', key: 'root-pw' } } });
    const everyEnv = objects.flatMap((o) => (o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template.spec.containers[0].env : []));
    expect(everyEnv.filter((e: any) => /PASSWORD/.test(e.name) && e.value !== undefined)).toEqual([]);
  });

  test('the instance admits the dump pods on its client port only; the dump pods admit no one; no selector of the instance counts them', () => {
    const { objects, cronJob, db } = build(engine, { logicalBackup: {} });
    const podLabels = cronJob.spec.jobTemplate.spec.template.metadata.labels;
    expect(db.logicalBackupJob!.podLabels).toEqual(podLabels);
    const policy = only(objects, 'NetworkPolicy', 'db');
    const rules = policy.spec.ingress.filter((r: any) => r.from.some((f: any) => selects(f.podSelector.matchLabels, podLabels)));
    expect(rules).toHaveLength(1);
    expect(rules[0].ports).toEqual([{ port: engine.port, protocol: 'TCP' }]);
    const own = only(objects, 'NetworkPolicy', 'db-dump');
    expect(selects(own.spec.podSelector.matchLabels, podLabels)).toBe(true);
    expect(own.spec).toMatchObject({ policyTypes: ['Ingress'], ingress: [] });
    for (const o of objects) {
      const selector = o.kind === 'Service' ? o.spec.selector : o.spec?.selector?.matchLabels;
      if (selector && o.metadata.name !== 'db-dump') { expect([o.kind, o.metadata.name, selects(selector, podLabels)]).toEqual([o.kind, o.metadata.name, false]); }
    }
  });

  test('every option reaches the CronJob', () => {
    const ssd = StorageClass.fromStorageClassName('ssd');
    const options: LogicalBackupOptions = {
      schedule: '15 */6 * * *',
      timeZone: 'Europe/Paris',
      keep: 14,
      storage: DumpStorage.newClaim({ size: Size.gibibytes(100), storageClass: ssd }),
      image: 'registry.example.com/db-tools:1.2.3',
      resources: { cpu: kplus.Cpu.millis(500), cpuLimit: kplus.Cpu.millis(2000), memory: Size.gibibytes(1) },
      timeout: Duration.hours(2),
    };
    const { objects, cronJob, pod, env } = build(engine, { logicalBackup: options });
    expect(cronJob.spec.schedule).toBe('15 */6 * * *');
    expect(cronJob.spec.timeZone).toBe('Europe/Paris');
    expect(env('DUMP_KEEP').value).toBe('14');
    expect(only(objects, 'PersistentVolumeClaim', 'db-dumps').spec).toEqual({
      accessModes: ['ReadWriteOnce'], storageClassName: 'ssd', resources: { requests: { storage: '100Gi' } },
    });
    expect(pod.containers[0].image).toBe('registry.example.com/db-tools:1.2.3');
    expect(pod.containers[0].resources).toEqual({ requests: { cpu: '500m', memory: '1024Mi' }, limits: { cpu: '2000m', memory: '1024Mi' } });
    expect(cronJob.spec.jobTemplate.spec.activeDeadlineSeconds).toBe(7200);
  });

  test('DumpStorage.fromClaimName writes into that claim and creates none', () => {
    const { objects, pod, db } = build(engine, { logicalBackup: { storage: DumpStorage.fromClaimName('team-backups') } });
    expect(objects.filter((o) => o.kind === 'PersistentVolumeClaim')).toEqual([]);
    expect(pod.volumes.find((v: any) => v.name === 'dumps').persistentVolumeClaim.claimName).toBe('team-backups');
    expect(db.logicalBackupJob!.claimName).toBe('team-backups');
  });

  test('two synths are identical', () => {
    const yaml = () => JSON.stringify(build(engine, { logicalBackup: { keep: 3, timeZone: 'UTC' } }).objects);
    expect(yaml()).toBe(yaml());
  });

  test.each<[string, unknown, string]>([
    ['keep 0', { keep: 0 }, "test/db: 'logicalBackup.keep' must be a whole number of dumps from 1 to 10000 (the dump just written is always kept, so 0 cannot be honoured), got 0"],
    ['keep 2.5', { keep: 2.5 }, "test/db: 'logicalBackup.keep' must be a whole number of dumps from 1 to 10000 (the dump just written is always kept, so 0 cannot be honoured), got 2.5"],
    ['keep as a string (JavaScript, Python)', { keep: '3' }, "test/db: 'logicalBackup.keep' must be a number, got '3' (a string)"],
    ['a misspelt option', { kepe: 3 }, "test/db: 'logicalBackup.kepe' is not a known prop of 'logicalBackup'; did you mean 'keep'? valid: image, keep, resources, schedule, storage, timeZone, timeout"],
    ['a schedule of four fields', { schedule: '0 3 * *' }, "test/db: 'logicalBackup.schedule' must be a cron schedule of five fields"],
    ['a schedule with an hour of 24', { schedule: '0 24 * * *' }, "its hour field '24' has '24' where it takes 0-23, got '0 24 * * *'"],
    ['a time zone inside the schedule', { schedule: 'TZ=UTC 0 3 * * *' }, "Kubernetes refuses a time zone inside the schedule: use the 'timeZone' prop"],
    ['a time zone that is no IANA name', { timeZone: 'Paris time' }, "test/db: 'logicalBackup.timeZone' must be an IANA time zone name such as 'UTC' or 'Europe/Paris', got 'Paris time'"],
    ['storage as a string', { storage: 'db-dumps' },
      "test/db: 'logicalBackup.storage' must be a DumpStorage such as DumpStorage.newClaim({ size: Size.gibibytes(50) }) or DumpStorage.fromClaimName(name), got 'db-dumps' (a string)"],
    ['a claim of size zero', { storage: DumpStorage.newClaim({ size: Size.gibibytes(0) }) }, "test/db: 'logicalBackup.storage.size' must be a positive size such as Size.gibibytes(10), got '0 KiB'"],
    ['a claim size as a number', { storage: DumpStorage.newClaim({ size: 50 as any }) }, "test/db: 'logicalBackup.storage.size' must be a Size such as Size.gibibytes(50), got 50 (a number)"],
    ['a storage class as a string', { storage: DumpStorage.newClaim({ storageClass: 'ssd' as any }) },
      "test/db: 'logicalBackup.storage.storageClass' must be a storage class such as new StorageClass(...) or StorageClass.fromStorageClassName('ssd'), got 'ssd' (a string)"],
    ['a claim name that Kubernetes refuses', { storage: DumpStorage.fromClaimName('Team_Backups') },
      "test/db: 'logicalBackup.storage.claimName' must be a DNS subdomain (lower-case letters, digits, '-' and '.') of at most 253 characters, got 'Team_Backups'"],
    ['an image without a tag', { image: 'db-tools' }, "test/db: 'logicalBackup.image' must pin a version tag (not 'latest') or a digest, e.g. 'db-tools:<version>' or 'db-tools@sha256:<digest>', got 'db-tools'"],
    ['a timeout under a minute', { timeout: Duration.seconds(30) },
      "test/db: 'logicalBackup.timeout' must be whole seconds from 60 s to 604800 s: how long one dump may run before it is stopped and counted as failed, got '30 s'"],
    ['a timeout in minutes as a number', { timeout: 90 }, "test/db: 'logicalBackup.timeout' must be a Duration such as Duration.hours(6), got 90 (a number)"],
    ['memory that is not whole MiB', { resources: { memory: Size.kibibytes(1500) } }, "test/db: 'logicalBackup.resources.memory' must be a whole number of mebibytes"],
    ['a schedule string as the whole option', 'daily', "test/db: 'logicalBackup' must be an object of named props, got 'daily' (a string)"],
  ])('refused at synth: %s', (_, options, message) => {
    expect(errorOf(engine, options)).toContain(message);
  });

  test('a storage class that cannot serve ReadWriteOnce is refused with what it serves', () => {
    const nfs = StorageClass.fromStorageClassName('nfs', { accessModes: [AccessMode.READ_WRITE_MANY], supportsExpansion: false, locality: VolumeLocality.CLUSTER });
    expect(errorOf(engine, { storage: DumpStorage.newClaim({ storageClass: nfs }) }))
      .toBe("test/db: 'logicalBackup.storage.storageClass' asks for ReadWriteOnce, which storage class 'nfs' cannot serve; valid: ReadWriteMany");
  });

  test('a StorageClass construct of the app is accepted', () => {
    const chart = newChart();
    const ssd = new StorageClass(chart, 'ssd', { provisioner: Provisioner.awsEbs() });
    const { objects } = build(engine, { logicalBackup: { storage: DumpStorage.newClaim({ storageClass: ssd }) } }, chart);
    expect(only(objects, 'PersistentVolumeClaim', 'db-dumps').spec.storageClassName).toBe(ssd.storageClassName);
  });

  test('a name that leaves no room for the CronJob\'s is refused, naming the limit', () => {
    expect(errorOf(engine, {}, { name: 'a'.repeat(48) }))
      .toBe(`test/db: 'name' must be at most 47 characters with logicalBackup: it names the CronJob '${'a'.repeat(48)}-dump', whose name may have at most 52 (Kubernetes appends 11 for its Jobs), got '${'a'.repeat(48)}'`);
    expect(errorOf(engine, {}, { name: 'a'.repeat(47) })).toBe('no error');
  });
});

describe('where each engine dumps from', () => {
  const hosts = (env: (name: string) => any) => [env('DUMP_REPLICAS').value, env('DUMP_FALLBACK').value];

  test('MySQL: the replicas by pod name, newest ordinal first, never the source; then the source\'s Service', () => {
    const { env } = build(ENGINES[0], { replicas: 3, primary: 1, logicalBackup: {} });
    expect(hosts(env)).toEqual(['db-2.db-headless.db.svc.cluster.local db-0.db-headless.db.svc.cluster.local', 'db.db.svc.cluster.local']);
  });

  test('MySQL, one server: no replica to try, the source', () => {
    const { env } = build(ENGINES[0], { logicalBackup: {} });
    expect(hosts(env)).toEqual(['', 'db.db.svc.cluster.local']);
  });

  test('MongoDB: every data-bearing member (the script asks which is a secondary), then the replica set as a whole', () => {
    const { env } = build(ENGINES[1], { replicas: 2, arbiter: true, replicaSetName: 'rs0', logicalBackup: {} });
    expect(hosts(env)).toEqual([
      'db-0.db-headless.db.svc.cluster.local:27017 db-1.db-headless.db.svc.cluster.local:27017',
      'db-0.db-headless.db.svc.cluster.local:27017,db-1.db-headless.db.svc.cluster.local:27017/?replicaSet=rs0&authSource=admin',
    ]);
  });
});
