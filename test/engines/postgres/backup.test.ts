import { spawnSync } from 'child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Chart, Duration, Testing } from 'cdk8s';
import { parse } from 'yaml';
import {
  BackupSchedule, PgBackRestRepository, Postgres, PostgresBackupOptions, PostgresProps, PostgresRestore, S3UriStyle, TlsCertificates,
} from '../../../src';
import { testShellcheck } from '../../shellcheck';
import { selects } from '../../util';

process.env.CDK8S_STATEFUL_QUIET = '1';

const s3 = (more: object = {}) => PgBackRestRepository.s3({
  bucket: 'shop-backups',
  region: 'eu-west-1',
  accessKeyId: { secretName: 'backup-s3', key: 'id' },
  secretAccessKey: { secretName: 'backup-s3', key: 'secret' },
  ...more,
});

function synth(props: PostgresProps, id = 'orders') {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'shop' });
  new Postgres(chart, id, props);
  const objects: any[] = Testing.synth(chart);
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
  const sts = objects.find((o) => o.kind === 'StatefulSet');
  const container = (name: string) => sts.spec.template.spec.containers.find((c: any) => c.name === name);
  const patroni = parse(find('ConfigMap', `${id}-patroni`).data['patroni.yml']);
  const dynamic = parse(find('ConfigMap', `${id}-patroni`).data['dynamic.yml']);
  const conf = find('ConfigMap', `${id}-pgbackrest`)?.data ?? {};
  const scripts = find('ConfigMap', `${id}-scripts`).data;
  return { objects, find, sts, container, patroni, dynamic, conf, scripts };
}
const backup = (options: Partial<PostgresBackupOptions> = {}, more: PostgresProps = {}) =>
  synth({ replicas: 3, backup: { repository: s3(), ...options }, ...more });
const refused = (props: unknown) => () => synth(props as PostgresProps);
const envOf = (container: any) => Object.fromEntries((container.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));

describe('Postgres backups with pgBackRest', () => {
  test('without the prop: no pgBackRest objects, no archiving, and archive overrides stay the user\'s', () => {
    const { objects, container, dynamic } = synth({ config: { archive_mode: 'on', archive_command: '/bin/true' } });
    expect(objects.filter((o) => o.kind === 'CronJob')).toEqual([]);
    expect(container('backup')).toBeUndefined();
    expect(dynamic.postgresql.parameters.archive_command).toBe('/bin/true');
  });

  test('pgbackrest.conf: the repository, retention and encryption, and no secret', () => {
    const { conf } = backup({ encryptionKey: { secretName: 'backup-key', key: 'passphrase' }, fullRetention: 3, differentialRetention: 7 });
    const text: string = conf['pgbackrest.conf'];
    expect(text).toContain('repo1-type=s3\nrepo1-path=/pgbackrest\nrepo1-s3-bucket=shop-backups\nrepo1-s3-endpoint=s3.eu-west-1.amazonaws.com\nrepo1-s3-region=eu-west-1\nrepo1-s3-uri-style=host\n');
    expect(text).toContain('repo1-retention-full-type=count\nrepo1-retention-full=3\nrepo1-retention-diff=7\nrepo1-cipher-type=aes-256-cbc\n');
    expect(text).toContain('[orders]\npg1-path=/var/lib/postgresql/data/pgdata\npg1-port=5432\npg1-socket-path=/var/run/postgresql\npg1-user=postgres\n');
    // Logs go to the console and locks to /tmp: the root filesystem is read-only.
    expect(text).toContain('lock-path=/tmp/pgbackrest');
    expect(text).toContain('log-level-file=off');
    expect(text.split('\n').filter((l) => !l.startsWith('#')).join('\n')).not.toMatch(/key=|cipher-pass|secret/i);
    expect(conf['restore.conf']).toBeUndefined();
  });

  test('archiving: archive_command through the wrapper, the timeout as the RPO, archive-get for standbys', () => {
    const { dynamic, patroni } = backup({ archiveTimeout: Duration.seconds(30) });
    expect(dynamic.postgresql.parameters).toMatchObject({
      archive_mode: 'on',
      archive_command: '/scripts/pgbackrest.sh target --stanza=orders archive-push %p',
      archive_timeout: '30s',
    });
    expect(patroni.postgresql.recovery_conf).toEqual({ restore_command: 'timeout 30 /scripts/pgbackrest.sh target --stanza=orders archive-get %f "%p"' });
    expect(patroni.bootstrap.method).toBeUndefined();
  });

  test('the server and the agent get the repository secrets from Secrets, never as values', () => {
    const { container, objects } = backup({ encryptionKey: { secretName: 'backup-key', key: 'passphrase' } });
    for (const name of ['postgres', 'backup']) {
      const env = envOf(container(name));
      expect(env.PGBACKREST_REPO1_S3_KEY).toEqual({ secretKeyRef: { name: 'backup-s3', key: 'id' } });
      expect(env.PGBACKREST_REPO1_S3_KEY_SECRET).toEqual({ secretKeyRef: { name: 'backup-s3', key: 'secret' } });
      expect(env.PGBACKREST_REPO1_CIPHER_PASS).toEqual({ secretKeyRef: { name: 'backup-key', key: 'passphrase' } });
    }
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
  });

  test('the agent: beside the server, with the data, the socket and the config; it needs no port', () => {
    const { container } = backup();
    const agent = container('backup');
    expect(agent.command).toEqual(['python3', '/scripts/backup-agent.py', 'agent']);
    expect(agent.ports).toBeUndefined();
    expect(agent.volumeMounts.map((m: any) => m.mountPath)).toEqual(expect.arrayContaining([
      '/var/lib/postgresql/data', '/var/run/postgresql', '/etc/pgbackrest/conf', '/scripts', '/tmp',
    ]));
    expect(envOf(agent)).toMatchObject({ BACKUP_CONFIGMAP: 'orders-backup', BACKUP_STANZA: 'orders', PATRONI_NAME: { fieldRef: { fieldPath: 'metadata.name' } } });
    expect(agent.securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsNonRoot: true, allowPrivilegeEscalation: false });
  });

  test('the agent asks Patroni over HTTPS when the REST API has TLS (test/cluster/backup runs it against real Patroni)', () => {
    expect(envOf(backup().container('backup')).PATRONI_URL).toBeUndefined();
    const tls = { certificates: TlsCertificates.fromSecret('orders-tls') };
    expect(envOf(backup({}, { tls }).container('backup')).PATRONI_URL).toBe('https://127.0.0.1:8008');
    expect(backup({}, { tls }).scripts['backup-agent.py']).toContain('if PATRONI.startswith("https:"):');
  });

  test('default schedules: full on Sundays, differential the other days, one run at a time, no retry', () => {
    const { objects } = backup();
    const jobs = objects.filter((o) => o.kind === 'CronJob');
    expect(jobs.map((j) => [j.metadata.name, j.spec.schedule])).toEqual([
      ['orders-backup-full', '0 1 * * 0'], ['orders-backup-diff', '0 1 * * 1-6'],
    ]);
    for (const job of jobs) {
      expect(job.spec.concurrencyPolicy).toBe('Forbid');
      expect(job.spec.jobTemplate.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 6 * 3600 });
      const pod = job.spec.jobTemplate.spec.template.spec;
      expect(pod.serviceAccountName).toBe('orders-backup');
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.containers[0].securityContext).toMatchObject({ readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(pod.containers[0].command.slice(-2)).toEqual(['request', job.metadata.name.split('-').pop()]);
    }
  });

  test('custom schedules and time zone', () => {
    const { objects } = backup({
      schedules: [BackupSchedule.full('@daily'), BackupSchedule.incremental('0 */4 * * *')], timeZone: 'Europe/Paris', timeout: Duration.hours(2),
    });
    const jobs = objects.filter((o) => o.kind === 'CronJob');
    expect(jobs.map((j) => [j.metadata.name, j.spec.schedule, j.spec.timeZone])).toEqual([
      ['orders-backup-full', '@daily', 'Europe/Paris'], ['orders-backup-incr', '0 */4 * * *', 'Europe/Paris'],
    ]);
    expect(jobs[0].spec.jobTemplate.spec.activeDeadlineSeconds).toBe(7200);
    expect(jobs[0].spec.jobTemplate.spec.template.spec.containers[0].env).toContainEqual({ name: 'BACKUP_WAIT_SECONDS', value: '7140' });
  });

  test('the CronJobs\' account may read and annotate the handshake ConfigMap, nothing else', () => {
    const { find, objects, sts } = backup();
    expect(find('ConfigMap', 'orders-backup').data).toBeUndefined();
    expect(find('Role', 'orders-backup').rules).toEqual([
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['orders-backup'], verbs: ['get', 'patch'] },
    ]);
    expect(find('RoleBinding', 'orders-backup').subjects).toEqual([{ kind: 'ServiceAccount', name: 'orders-backup' }]);
    // The Job pods are not database members: no Service, budget or policy of the database selects them.
    const jobLabels = objects.find((o) => o.kind === 'CronJob').spec.jobTemplate.spec.template.metadata.labels;
    expect(selects(sts.spec.selector.matchLabels, jobLabels)).toBe(false);
    expect(find('NetworkPolicy', 'orders-backup').spec).toEqual({ podSelector: { matchLabels: jobLabels }, policyTypes: ['Ingress'], ingress: [] });
  });

  test('an S3-compatible store with its own CA: endpoint, port, path style, the CA mounted from a Secret', () => {
    const { conf, container, sts } = synth({
      backup: { repository: s3({ endpoint: 'minio.storage.svc', port: 9000, uriStyle: S3UriStyle.PATH, path: '/pg/', caCertificate: { secretName: 'minio-ca', key: 'ca.crt' } }) },
    });
    expect(conf['pgbackrest.conf']).toContain('repo1-path=/pg\nrepo1-s3-bucket=shop-backups\nrepo1-s3-endpoint=minio.storage.svc\nrepo1-s3-region=eu-west-1\nrepo1-s3-uri-style=path\nrepo1-storage-port=9000\nrepo1-storage-ca-file=/etc/pgbackrest/repo-ca/ca.crt\n');
    expect(container('postgres').volumeMounts).toContainEqual({ name: 'repo-ca', mountPath: '/etc/pgbackrest/repo-ca', readOnly: true });
    expect(sts.spec.template.spec.volumes).toContainEqual({ name: 'repo-ca', secret: { secretName: 'minio-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }], defaultMode: 0o440 } });
  });

  test('GCS with a key file or the pod identity; Azure with a shared key or a SAS token', () => {
    const keyed = synth({ backup: { repository: PgBackRestRepository.gcs({ bucket: 'pg-backups', serviceAccountKey: { secretName: 'gcs', key: 'key.json' } }) } });
    expect(keyed.conf['pgbackrest.conf']).toContain('repo1-type=gcs\nrepo1-path=/pgbackrest\nrepo1-gcs-bucket=pg-backups\nrepo1-gcs-key-type=service\nrepo1-gcs-key=/etc/pgbackrest/repo-gcs/key.json\n');
    const identity = synth({ backup: { repository: PgBackRestRepository.gcs({ bucket: 'pg-backups' }) } });
    expect(identity.conf['pgbackrest.conf']).toContain('repo1-gcs-key-type=auto\n');
    const azure = synth({ backup: { repository: PgBackRestRepository.azure({ account: 'shopdata', container: 'pgbackups', key: { secretName: 'az', key: 'sas' }, sharedAccessSignature: true }) } });
    expect(azure.conf['pgbackrest.conf']).toContain('repo1-type=azure\nrepo1-path=/pgbackrest\nrepo1-azure-account=shopdata\nrepo1-azure-container=pgbackups\nrepo1-azure-key-type=sas\n');
    expect(envOf(azure.container('postgres')).PGBACKREST_REPO1_AZURE_KEY).toEqual({ secretKeyRef: { name: 'az', key: 'sas' } });
  });

  test('a claim repository is mounted by every pod on purpose (the primary moves)', () => {
    const { conf, sts, container } = synth({ replicas: 3, backup: { repository: PgBackRestRepository.persistentVolumeClaim({ claimName: 'pg-backups' }) } });
    expect(conf['pgbackrest.conf']).toContain('repo1-type=posix\nrepo1-path=/var/lib/pgbackrest-repo/pgbackrest\n');
    expect(sts.spec.template.spec.volumes).toContainEqual({ name: 'repo-claim', persistentVolumeClaim: { claimName: 'pg-backups', readOnly: false } });
    expect(container('backup').volumeMounts).toContainEqual({ name: 'repo-claim', mountPath: '/var/lib/pgbackrest-repo', readOnly: false });
  });

  test('synth is deterministic', () => {
    const props = () => ({ replicas: 2, backup: { repository: s3(), encryptionKey: { secretName: 'k', key: 'p' } } });
    expect(JSON.stringify(synth(props()).objects)).toBe(JSON.stringify(synth(props()).objects));
  });

  describe('rules', () => {
    test.each([
      ['no repository', { backup: {} }, "test/orders: 'backup.repository' is required: PgBackRestRepository.s3(), .gcs(), .azure() or .persistentVolumeClaim()"],
      ['a plain object as the repository', { backup: { repository: { bucket: 'x' } } }, "test/orders: 'backup.repository' must be a PgBackRestRepository such as PgBackRestRepository.s3({...})"],
      ['a misspelt option', { backup: { repository: s3(), shedules: [] } }, "test/orders: 'backup.shedules' is not a known prop of 'backup'; did you mean 'schedules'?"],
      ['no full schedule', { backup: { repository: s3(), schedules: [BackupSchedule.differential('@daily')] } }, "'backup.schedules' must include BackupSchedule.full(...)"],
      ['two full schedules', { backup: { repository: s3(), schedules: [BackupSchedule.full('@daily'), BackupSchedule.full('@weekly')] } }, "'backup.schedules[1]' repeats a full schedule"],
      ['a schedule that cannot parse', { backup: { repository: s3(), schedules: [BackupSchedule.full('0 25 * * *')] } }, "'backup.schedules[0]' must be a cron schedule of five fields (minute hour day-of-month month day-of-week, e.g. '0 1 * * *') or one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or @every <duration> (such as @every 6h): its hour field '25' has '25' where it takes 0-23, got '0 25 * * *'"],
      ['a plain object as a schedule', { backup: { repository: s3(), schedules: [{ type: 'full', cron: '@daily' }] } }, "'backup.schedules[0]' must be a BackupSchedule"],
      ['retention of zero', { backup: { repository: s3(), fullRetention: 0 } }, "test/orders: 'backup.fullRetention' must be a positive integer, got 0"],
      ['differential retention of 1.5', { backup: { repository: s3(), differentialRetention: 1.5 } }, "'backup.differentialRetention' must be a positive integer, got 1.5"],
      ['a time zone with a space', { backup: { repository: s3(), timeZone: 'Europe Paris' } }, "'backup.timeZone' must be an IANA time zone name"],
      ['half a second of archive timeout', { backup: { repository: s3(), archiveTimeout: Duration.millis(500) } }, "'backup.archiveTimeout' must be whole seconds from 1 s to 3600 s"],
      ['a retention given as a string (JavaScript)', { backup: { repository: s3(), fullRetention: '2' } }, "'backup.fullRetention' must be a number, got '2' (a string)"],
      ['an archive override with backups', { backup: { repository: s3() }, config: { archive_command: '/bin/true' } }, "test/orders: 'config.archive_command' is managed by the 'backup' prop"],
      ['an encryption key without its key', { backup: { repository: s3(), encryptionKey: { secretName: 'k' } } }, "'backup.encryptionKey' needs both secretName and key"],
    ])('%s is refused', (_, props, message) => {
      expect(refused(props)).toThrow(message);
    });

    test.each([
      ['a bucket name with capitals', { bucket: 'Shop' }, "'backup.repository.bucket' must be an S3 bucket name"],
      ['a region with a space', { region: 'eu west' }, "'backup.repository.region' must be a region name such as 'eu-west-1'"],
      ['an endpoint with a scheme', { endpoint: 'https://minio' }, "'backup.repository.endpoint' must be a host name or IP address, without scheme, port or path"],
      ['a path going up', { path: '/pg/../etc' }, "'backup.repository.path' must be an absolute path"],
      ['a relative path', { path: 'pg' }, "'backup.repository.path' must be an absolute path"],
      ['port 0', { port: 0 }, "'backup.repository.port' must be a port number"],
      ['a uri style that does not exist', { uriStyle: 'virtual' }, "'backup.repository.uriStyle' must be one of 'host', 'path'"],
      ['an access key with a bad Secret name', { accessKeyId: { secretName: 'Bad_Name', key: 'id' } }, "'backup.repository.accessKeyId.secretName'"],
      ['a misspelt S3 option', { regoin: 'x' }, "'backup.repository.regoin' is not a known prop"],
    ])('S3: %s is refused', (_, more, message) => {
      expect(refused({ backup: { repository: s3(more) } })).toThrow(message);
    });

    test('a claim repository without a claim, and bad GCS and Azure names, are refused', () => {
      expect(refused({ backup: { repository: PgBackRestRepository.persistentVolumeClaim({} as any) } })).toThrow("'backup.repository.claimName' is required");
      expect(refused({ backup: { repository: PgBackRestRepository.gcs({ bucket: 'A' }) } })).toThrow("'backup.repository.bucket' must be a Cloud Storage bucket name");
      expect(refused({ backup: { repository: PgBackRestRepository.azure({ account: 'Shop-Data', container: 'pg', key: { secretName: 'a', key: 'k' } }) } })).toThrow("'backup.repository.account' must be a storage account name");
    });

    test('a name whose backup CronJobs would be too long is refused, naming the prop that derives them', () => {
      const chart = new Chart(Testing.app(), 'test');
      const name = 'a'.repeat(41);
      expect(() => new Postgres(chart, 'pg', { name, backup: { repository: s3() } }))
        .toThrow(`test/pg: 'name' must be a DNS label that starts with a letter (lower-case letters, digits and '-'; it names Services) of at most 40 characters; it names the CronJob '${name}-backup-full' (from 'backup')`);
      expect(() => new Postgres(new Chart(Testing.app(), 'test'), 'pg', { name })).not.toThrow();
    });

    test('a backup timeout under 5 minutes is refused: the Job gives up a minute before it', () => {
      expect(refused({ backup: { repository: s3(), timeout: Duration.minutes(2) } })).toThrow("'backup.timeout' must be whole seconds from 300 s to 604800 s");
    });

    test('the agent is told the timeout, so it stops a stuck backup', () => {
      const { container } = backup({ timeout: Duration.hours(2) });
      expect(envOf(container('backup')).BACKUP_TIMEOUT_SECONDS).toBe('7200');
    });

    test('an invalid prop produces no YAML: the error comes from the constructor', () => {
      const chart = new Chart(Testing.app(), 'test');
      expect(() => new Postgres(chart, 'orders', { backup: { repository: s3(), fullRetention: 0 } })).toThrow('fullRetention');
    });
  });
});

describe('Postgres restore from pgBackRest', () => {
  const source = PgBackRestRepository.persistentVolumeClaim({ claimName: 'old-backups' });

  test('latest: Patroni bootstraps with restore.sh instead of initdb, keeping the recovery settings pgBackRest writes', () => {
    const { patroni, container, conf, scripts } = synth({ restore: PostgresRestore.latest({ repository: source, stanza: 'orders-old' }) });
    expect(patroni.bootstrap.method).toBe('pgbackrest');
    expect(patroni.bootstrap.pgbackrest).toEqual({ command: '/scripts/restore.sh /var/lib/postgresql/data/pgdata', keep_existing_recovery_conf: true, no_params: true });
    // post_bootstrap still runs after a restore: it creates the database when the backup has none.
    expect(patroni.bootstrap.post_bootstrap).toBe('/scripts/post-bootstrap.sh');
    expect(envOf(container('postgres'))).toMatchObject({ RESTORE_STANZA: 'orders-old', RESTORE_TYPE: 'default' });
    expect(envOf(container('postgres')).RESTORE_TARGET).toBeUndefined();
    expect(conf['restore.conf']).toContain('repo1-type=posix\nrepo1-path=/var/lib/pgbackrest-source/pgbackrest\n');
    expect(conf['restore.conf']).toContain('[orders-old]\npg1-path=/var/lib/postgresql/data/pgdata');
    expect(conf['pgbackrest.conf']).toBeUndefined();
    expect(Object.keys(scripts).sort()).toEqual(['apply-config.sh', 'pgbackrest.sh', 'post-bootstrap.sh', 'restore.sh']);
    // Without backups, no agent and no CronJobs.
    expect(container('backup')).toBeUndefined();
  });

  test('to a time, or from one backup; the source\'s secrets come as RESTORE_PGBACKREST_*', () => {
    const encrypted = { repository: s3(), stanza: 'orders', encryptionKey: { secretName: 'old-key', key: 'passphrase' } };
    const time = synth({ restore: PostgresRestore.toTime('2026-11-30 14:05:00+00', encrypted) }, 'orders-copy');
    expect(envOf(time.container('postgres'))).toMatchObject({
      RESTORE_TYPE: 'time',
      RESTORE_TARGET: '2026-11-30 14:05:00+00',
      RESTORE_PGBACKREST_REPO1_S3_KEY: { secretKeyRef: { name: 'backup-s3', key: 'id' } },
      RESTORE_PGBACKREST_REPO1_CIPHER_PASS: { secretKeyRef: { name: 'old-key', key: 'passphrase' } },
    });
    expect(envOf(time.container('postgres')).PGBACKREST_REPO1_S3_KEY).toBeUndefined();
    expect(time.conf['restore.conf']).toContain('repo1-cipher-type=aes-256-cbc');
    const label = synth({ restore: PostgresRestore.fromBackup('20261130-010002F_20261201-010003D', encrypted) }, 'orders-copy');
    expect(envOf(label.container('postgres'))).toMatchObject({ RESTORE_TYPE: 'immediate', RESTORE_SET: '20261130-010002F_20261201-010003D' });
  });

  test.each([
    ['a time without its zone', PostgresRestore.toTime('2026-11-30 14:05:00', { repository: source, stanza: 'a' }), 'PostgresRestore.toTime needs a timestamp with its zone'],
    ['the 30th of February', PostgresRestore.toTime('2026-02-30 14:05:00+00', { repository: source, stanza: 'a' }), 'PostgresRestore.toTime needs a timestamp'],
    ['a label that is not pgBackRest\'s', PostgresRestore.fromBackup('last-sunday', { repository: source, stanza: 'a' }), 'PostgresRestore.fromBackup needs a pgBackRest backup label'],
    ['a stanza that is not an instance name', PostgresRestore.latest({ repository: source, stanza: 'Orders' }), "'restore.stanza' must be the name of the instance"],
    ['a plain object', { repository: source, stanza: 'a' }, "'restore' must be a PostgresRestore such as PostgresRestore.latest({...})"],
  ])('%s is refused', (_, restore, message) => {
    expect(refused({ restore })).toThrow(message);
  });

  test('a restore from pgBackRest and from volume snapshots together is refused', () => {
    expect(refused({ restore: PostgresRestore.latest({ repository: source, stanza: 'old' }), restoreFromVolumeSnapshots: { timestamp: '20261130-031700' } }))
      .toThrow("test/orders: 'restore' cannot be combined with restoreFromVolumeSnapshots");
  });

  test('restoring into the backups it restores from is refused; another instance name is fine', () => {
    const repository = s3();
    const props = () => ({ backup: { repository }, restore: PostgresRestore.latest({ repository, stanza: 'orders' }) });
    expect(() => synth(props(), 'orders')).toThrow("test/orders: 'restore.stanza' is this instance's own stanza in its own backup repository");
    expect(() => synth(props(), 'orders-copy')).not.toThrow();
  });
});

describe('backup scripts', () => {
  const { scripts } = synth({ backup: { repository: s3() }, restore: PostgresRestore.latest({ repository: s3({ bucket: 'other-bucket' }), stanza: 'old' }) }, 'copy');
  testShellcheck('pgbackrest.sh and restore.sh pass shellcheck', () => ({ 'pgbackrest.sh': scripts['pgbackrest.sh'], 'restore.sh': scripts['restore.sh'] }), 'sh');

  test('the wrapper gives a restore source its own credentials only, and this instance\'s to the target', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgbr-'));
    try {
      // A stand-in pgbackrest that prints its arguments and the PGBACKREST_ variables it sees.
      writeFileSync(join(dir, 'pgbackrest'), '#!/bin/sh\necho "args: $*"\nenv | grep "^PGBACKREST_" | sort\n');
      chmodSync(join(dir, 'pgbackrest'), 0o755);
      writeFileSync(join(dir, 'pgbackrest.sh'), scripts['pgbackrest.sh']);
      const run = (...args: string[]) => spawnSync('sh', [join(dir, 'pgbackrest.sh'), ...args], {
        encoding: 'utf8',
        env: {
          PATH: `${dir}:/usr/bin:/bin`,
          BACKUP_CONFIG_DIR: '/conf',
          PGBACKREST_REPO1_S3_KEY: 'mine',
          PGBACKREST_REPO1_CIPHER_PASS: 'my-pass',
          RESTORE_PGBACKREST_REPO1_S3_KEY: 'theirs',
        },
      });
      const target = run('target', '--stanza=copy', 'archive-push', '/x');
      expect(target.stdout).toBe('args: --config=/conf/pgbackrest.conf --stanza=copy archive-push /x\nPGBACKREST_REPO1_CIPHER_PASS=my-pass\nPGBACKREST_REPO1_S3_KEY=mine\n');
      const source = run('source', '--stanza=old', 'archive-get', '1', '"%p"');
      // No cipher pass of this instance leaks into the source's commands.
      expect(source.stdout).toBe('args: --config=/conf/restore.conf --stanza=old archive-get 1 "%p"\nPGBACKREST_REPO1_S3_KEY=theirs\n');
      expect(run('other').status).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('restore.sh passes the type, target and backup to pgBackRest, with the source wrapper as restore_command', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgbr-'));
    try {
      writeFileSync(join(dir, 'wrapper'), '#!/bin/sh\nfor a in "$@"; do echo "[$a]"; done\n');
      chmodSync(join(dir, 'wrapper'), 0o755);
      writeFileSync(join(dir, 'restore.sh'), scripts['restore.sh']);
      const result = spawnSync('sh', [join(dir, 'restore.sh'), join(dir, 'pgdata')], {
        encoding: 'utf8',
        env: { PATH: '/usr/bin:/bin', BACKUP_WRAPPER: join(dir, 'wrapper'), RESTORE_STANZA: 'old', RESTORE_TYPE: 'time', RESTORE_TARGET: '2026-11-30 14:05:00+00' },
      });
      expect(result.status).toBe(0);
      const args = result.stdout.split('\n').filter((l) => l.startsWith('['));
      expect(args).toEqual([
        '[source]', '[--stanza=old]', `[--pg1-path=${join(dir, 'pgdata')}]`, '[--type=time]', '[--target-action=promote]',
        '[--target=2026-11-30 14:05:00+00]', `[--recovery-option=restore_command=${join(dir, 'wrapper')} source --stanza=old archive-get %f "%p"]`, '[restore]',
      ]);
      expect(spawnSync('stat', ['-c', '%a', join(dir, 'pgdata')], { encoding: 'utf8' }).stdout.trim()).toBe('700');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the agent is valid Python and refuses a usage it does not know', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgbr-'));
    try {
      writeFileSync(join(dir, 'agent.py'), scripts['backup-agent.py']);
      expect(spawnSync('python3', ['-m', 'py_compile', join(dir, 'agent.py')], { encoding: 'utf8' }).status).toBe(0);
      const wrong = spawnSync('python3', [join(dir, 'agent.py'), 'request', 'weekly'], { encoding: 'utf8' });
      expect(wrong.status).toBe(2);
      expect(wrong.stderr).toContain('usage: backup-agent.py agent | request <full|diff|incr> | run <full|diff|incr>');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
