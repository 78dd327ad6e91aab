"""Backup stage: the Postgres example's pgBackRest backups on the real control plane, with real
Patroni, PostgreSQL and pgBackRest, and a restore into a fresh Patroni cluster.

Started by run.sh (beside this file), as root, with the Patroni venv's Python; it reuses the failover
harness (../failover/harness.py: the rendering, the pods' environment, paths rewritten for loopback,
Patroni as the instance's ServiceAccount):

    python backup.py --state <cluster-state-dir> --bin <bin-dir> --manifest <orders.k8s.yaml>
                     --volumes <pre-bound volumes> --restored <restored.k8s.yaml>
                     --restored-volumes <pre-bound volumes> --work <dir> --pg-bin <dir> --venv <dir> --user <user>

1. RBAC of the CronJobs' ServiceAccount (`kubectl auth can-i --as`), and the backup objects applied.
2. The handshake on the real API server: backup-agent.py `agent` beside each of the three real
   members (the pods' ServiceAccount), `request` as the CronJob's ServiceAccount; a real full
   backup into a POSIX repository; a request only non-primary agents see is not taken; a failing
   backup fails the request.
3. Restore: rows written after the backup and archived, then member 0 of a second, rendered instance
   (PostgresRestore.latest from a claim) bootstraps through restore.sh under real Patroni.
Prints PASS/FAIL lines and `N passed, M failed`.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
import traceback

import psycopg2

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'failover'))
import harness as H  # noqa: E402  (the failover harness's machinery)

H.TAG = 'backup'
R = H.R
info, poll, now, Abort = H.info, H.poll, H.now, H.Abort
ROWS = 1000
PREFIX = 'cdk8s-stateful/backup-'


def log(msg):
    print(f'[backup {time.monotonic() - H.T0:7.1f}s] {msg}', file=sys.stderr, flush=True)


def container(r, name):
    return next((c for c in r.pod_spec.get('containers') or [] if c['name'] == name), None)


class Stage:
    def __init__(self, a):
        self.a = a
        os.makedirs(a.work, exist_ok=True)
        self.src = H.Harness(argparse.Namespace(**dict(vars(a), work=os.path.join(a.work, 'source'))))
        self.dst = H.Harness(argparse.Namespace(**dict(vars(a), manifest=a.restored, volumes=a.restored_volumes,
                                                       work=os.path.join(a.work, 'restored'))))
        for h in (self.src, self.dst):
            os.makedirs(h.work, exist_ok=True)
            os.chmod(h.work, 0o755)
        self.kube = self.src.kube
        self.agents = {}
        self.procs = []
        self.logs = []
        self.claim_objects = []
        self.numbers = {}

    # ------------------------------------------------------------------ helpers
    def sa_dir(self, name):
        """A stand-in for /var/run/secrets/kubernetes.io/serviceaccount: a token of `name` from
        `kubectl create token`, the cluster's CA, the namespace."""
        ns = self.src.r.ns
        p = self.kube.kubectl('create', 'token', name, '-n', ns, '--duration=2h')
        if p.returncode != 0:
            R.fail(f'token of ServiceAccount {name}', p.stderr.strip())
            raise Abort()
        d = os.path.join(self.a.work, f'sa-{name}')
        os.makedirs(d, exist_ok=True)
        for file, text in (('token', p.stdout.strip()), ('namespace', ns), ('ca.crt', open(self.kube.ca_file).read())):
            with open(os.path.join(d, file), 'w') as f:
                f.write(text)
            os.chown(os.path.join(d, file), self.src.uid, self.src.gid)
            os.chmod(os.path.join(d, file), 0o400)
        os.chown(d, self.src.uid, self.src.gid)
        os.chmod(d, 0o700)
        return d

    def annotations(self):
        cm = self.kube.try_get(f'/api/v1/namespaces/{self.src.r.ns}/configmaps/{self.handshake}') or {}
        return (cm.get('metadata') or {}).get('annotations') or {}

    def status(self, kind):
        return json.loads(self.annotations().get(f'{PREFIX}status-{kind}') or '{}')

    def pgbackrest_info(self, m):
        """`pgbackrest info` of the stanza, through the wrapper, as the backup container runs it."""
        a = self.agents[m.name]
        p = m.run_as([a['wrapper'], 'target', f'--stanza={self.src.r.name}', 'info', '--output=json'], env=a['env'])
        try:
            return json.loads(p.stdout)[0]
        except (ValueError, IndexError):
            return {'error': (p.stdout + p.stderr).strip()[-400:]}

    # ------------------------------------------------------------------ 1. objects and RBAC
    def objects_and_rbac(self):
        r = self.src.r
        name, ns = r.name, r.ns
        self.handshake = f'{name}-backup'
        backup_objects = [o for o in r.objects if o['metadata'].get('name', '').startswith(f'{name}-backup')
                          and o['kind'] in ('CronJob', 'ConfigMap', 'ServiceAccount', 'Role', 'RoleBinding', 'NetworkPolicy')]
        kinds = sorted({o['kind'] for o in backup_objects})
        missing = []
        for o in backup_objects:
            p = self.kube.kubectl('get', o['kind'], o['metadata']['name'], '-n', ns, '-o', 'name')
            if p.returncode != 0:
                missing.append(f"{o['kind']}/{o['metadata']['name']}")
        want = {'CronJob', 'ConfigMap', 'ServiceAccount', 'Role', 'RoleBinding', 'NetworkPolicy'}
        R.check(not missing and want <= set(kinds), 'objects: the backup objects are in the restricted namespace',
                f'{len(backup_objects)} applied with --validate=strict and found: ' +
                ', '.join(f"{o['kind']}/{o['metadata']['name']}" for o in backup_objects),
                f'missing {missing}; kinds {kinds}, want {sorted(want)}')
        jobs = [o for o in backup_objects if o['kind'] == 'CronJob']
        self.cronjob = jobs[0] if jobs else None
        accounts = sorted({o['spec']['jobTemplate']['spec']['template']['spec'].get('serviceAccountName') for o in jobs})
        R.check(accounts == [f'{name}-backup'], 'objects: the CronJobs run as their own ServiceAccount',
                f"{', '.join(o['metadata']['name'] + ' (' + o['spec']['schedule'] + ')' for o in jobs)} as {accounts[0] if accounts else '-'}",
                f'serviceAccountName {accounts}')
        who = f'system:serviceaccount:{ns}:{name}-backup'
        allowed = [('get', f'configmaps/{self.handshake}'), ('patch', f'configmaps/{self.handshake}')]
        denied = [('patch', f'configmaps/{r.scope}-config'), ('patch', f'configmaps/{r.scope}-leader'),
                  ('get', f'configmaps/{r.scope}-leader'), ('update', f'configmaps/{self.handshake}'),
                  ('delete', f'configmaps/{self.handshake}'), ('list', 'configmaps'), ('watch', 'configmaps'),
                  ('create', 'configmaps'), ('get', 'secrets'), ('get', f'secrets/{name}-credentials'), ('list', 'secrets'),
                  ('create', 'pods'), ('create', 'pods/exec'), ('get', 'pods'), ('patch', 'pods'),
                  ('create', 'jobs.batch'), ('create', 'serviceaccounts/token')]

        def can(verb, resource):
            args = ['auth', 'can-i', verb]
            res, _, sub = resource.partition('/')
            if sub and res in ('pods', 'serviceaccounts'):
                args += [res, f'--subresource={sub}']
            else:
                args.append(resource)
            p = self.kube.kubectl(*args, '-n', ns, f'--as={who}')
            return p.stdout.strip()
        got_yes = [(v, res, can(v, res)) for v, res in allowed]
        got_no = [(v, res, can(v, res)) for v, res in denied]
        bad_yes = [f'{v} {res}: {a}' for v, res, a in got_yes if a != 'yes']
        bad_no = [f'{v} {res}: {a}' for v, res, a in got_no if a != 'no']
        R.check(not bad_yes, f'rbac: {name}-backup can do what the handshake needs',
                f'{len(got_yes)} of {len(got_yes)} yes (kubectl auth can-i --as={who}): ' + ', '.join(f'{v} {res}' for v, res in allowed),
                'not allowed: ' + '; '.join(bad_yes))
        R.check(not bad_no, f'rbac: {name}-backup can do nothing more',
                f'{len(got_no)} of {len(got_no)} no: ' + ', '.join(f'{v} {res}' for v, res, _ in got_no),
                'allowed: ' + '; '.join(bad_no))

    # ------------------------------------------------------------------ source cluster with agents
    def start_source(self):
        h = self.src
        r = h.r
        self.server = r.container
        self.backup_c = container(r, 'backup')
        if not self.backup_c:
            R.fail('rendering', f'the StatefulSet {r.name} has no backup container')
            raise Abort()
        self.repo = h.repository()
        conf_path = '/etc/pgbackrest/conf'
        conf_mount = next((m for m in r.mounts if m['mountPath'] == conf_path), None)
        if not conf_mount:
            R.fail('rendering', f'{conf_path} is not mounted in the server container')
            raise Abort()
        rendered_conf = r.file_at(f'{conf_path}/pgbackrest.conf')
        repo_lines = [ln for ln in rendered_conf.splitlines() if ln.startswith('repo1-')]
        self.repo_dir = None
        h.members = [H.Member(h, i) for i in range(r.replicas)]
        for m in h.members:
            m.prepare()
            conf_dir = m.local(conf_path)
            # The server container's view (archive_command): the repository moved to the directory, its port.
            for view, mounts, d in (('server', r.mounts, conf_dir), ('backup', self.backup_c['volumeMounts'], os.path.join(m.dir, 'backup-conf'))):
                os.makedirs(d, exist_ok=True)
                text = m.rewrite_paths(rendered_conf, mounts)
                text = H.posix_repository(text, self.repo) or text
                self.repo_dir = re.search(r'^repo1-path=(.*)$', text, re.M).group(1)
                text = re.sub(r'^pg1-port=.*$', f'pg1-port={m.pg_port}', text, flags=re.M)
                with open(os.path.join(d, 'pgbackrest.conf'), 'w') as f:
                    f.write(text)
                os.chmod(os.path.join(d, 'pgbackrest.conf'), 0o644)
                os.chmod(d, 0o755)
            # The DCS holds one archive_command for every member, rewritten with the paths of whichever
            # member wrote it last: its wrapper reads the config of the member that runs it.
            m.env['BACKUP_CONFIG_DIR'] = conf_dir
            # The backup container: its own mounts (/tmp is its own emptyDir), env and ServiceAccount.
            for mount in self.backup_c['volumeMounts']:
                d = os.path.join(m.dir, 'volumes', mount['name'])
                if not os.path.exists(d):
                    os.makedirs(d)
                    os.chown(d, h.uid, h.gid)
                    os.chmod(d, 0o750)
        info(f'pgBackRest repository: the rendered {", ".join(ln for ln in repo_lines if not ln.startswith(("repo1-retention", "repo1-cipher")))} '
             f'-> repo1-type=posix, repo1-path={self.repo_dir} (one directory for the three members, as one bucket); '
             f'kept as rendered: {", ".join(ln for ln in repo_lines if ln.startswith(("repo1-retention", "repo1-cipher")))}; '
             'pg1-port -> each member\'s port; the backup container\'s copy with its own mounts (its /tmp)')
        h.superuser_password = h.members[0].pod_env.get('PATRONI_SUPERUSER_PASSWORD', '')
        h.tls_info()
        t = now()
        for m in h.members:
            m.start()
        got = poll(H.WAIT, lambda: h.healthy(), 0.5)
        if not got:
            R.fail('source cluster', f'no leader with {len(h.members) - 1} streaming replicas after {H.WAIT:.0f}s: '
                   f'/cluster {json.dumps(h.cluster_view())}')
            raise Abort()
        leader = got[0]['name']
        cm_leader = poll(30, lambda: h.leader_name() if h.leader_name() == leader else None)
        R.check(cm_leader == leader, 'source cluster: real Patroni bootstrapped the rendered config',
                f'{now() - t:.1f}s to one leader ({leader}, ConfigMap {r.scope}-leader agrees) and {len(got[1])} streaming replicas; '
                'archive_mode on, archive_command through the rendered wrapper',
                f'REST says {leader}, ConfigMap says {h.leader_name()}')
        self.leader = leader
        h.tls_replication_check('source cluster', leader)
        self.pods_sa = self.sa_dir(r.pod_spec.get('serviceAccountName'))
        for m in h.members:
            self.start_agent(m)
        return leader

    def agent_env(self, m, config_dir=None):
        env = {k: m.rewrite_paths(v, self.backup_c['volumeMounts']) for k, v in m.container_env(self.backup_c).items()}
        env.update({
            'PATH': '/usr/bin:/bin', 'HOME': os.path.join(m.dir, 'home'), 'LANG': 'C.UTF-8', 'PYTHONUNBUFFERED': '1',
            'SERVICE_ACCOUNT_DIR': self.pods_sa, 'KUBERNETES_API_URL': self.kube.server,
            # The rendered PATRONI_URL's scheme (https with TLS), the member's loopback port.
            'PATRONI_URL': f'{(env.get("PATRONI_URL") or "http:").split(":", 1)[0]}://127.0.0.1:{m.api_port}',
            'BACKUP_CONFIG_DIR': config_dir or os.path.join(m.dir, 'backup-conf'),
            'BACKUP_POLL_SECONDS': '2',
        })
        return env

    def start_agent(self, m, config_dir=None):
        """backup-agent.py agent, as the backup container runs it (its command, env, mounts)."""
        cmd = [m.rewrite_paths(x, self.backup_c['volumeMounts']) for x in self.backup_c['command']]
        cmd[0] = '/usr/bin/python3' if cmd[0] == 'python3' else cmd[0]
        env = self.agent_env(m, config_dir)
        path = os.path.join(m.dir, f'agent-{len([p for p in self.procs if p[0] == m.name])}.log')
        f = open(path, 'w')
        proc = subprocess.Popen(cmd, env=env, cwd=os.path.join(m.dir, 'home'), stdin=subprocess.DEVNULL, stdout=f,
                                stderr=subprocess.STDOUT, user=self.src.uid, group=self.src.gid, extra_groups=[],
                                start_new_session=True)
        with open(os.path.join(self.a.work, 'pgids'), 'a') as pg:
            pg.write(f'{proc.pid}\n')
        wrapper = m.rewrite_paths('/scripts/pgbackrest.sh', self.backup_c['volumeMounts'])
        self.agents[m.name] = {'proc': proc, 'log': path, 'env': env, 'wrapper': wrapper, 'file': f, 'cmd': cmd}
        self.procs.append((m.name, proc))
        self.logs.append(path)

    def stop_agent(self, m):
        a = self.agents.get(m.name)
        if a and a['proc'].poll() is None:
            os.killpg(a['proc'].pid, signal.SIGTERM)
            try:
                a['proc'].wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(a['proc'].pid, signal.SIGKILL)
                a['proc'].wait()

    def agent_log(self, name):
        try:
            return open(self.agents[name]['log'], errors='replace').read()
        except (OSError, KeyError):
            return ''

    def request(self, kind, wait=None, host='backup-test'):
        """backup-agent.py request <kind>, as the CronJob's container runs it: its command and env from
        the rendered CronJob, the scripts as the ConfigMap holds them, the CronJob's ServiceAccount."""
        job = self.cronjob['spec']['jobTemplate']['spec']['template']['spec']
        c = job['containers'][0]
        scripts = os.path.join(self.a.work, 'cronjob-scripts')
        if not os.path.isdir(scripts):
            os.makedirs(scripts)
            for v in job.get('volumes') or []:
                if 'configMap' in v:
                    for rel, (text, mode) in (self.src.r.configmap_files(v) or {}).items():
                        with open(os.path.join(scripts, rel), 'w') as f:
                            f.write(text)
                        os.chmod(os.path.join(scripts, rel), mode)
            os.chmod(scripts, 0o755)
        cmd = [x.replace('/scripts/', scripts + '/') for x in c['command'][:-1]] + [kind]
        cmd[0] = '/usr/bin/python3' if cmd[0] == 'python3' else cmd[0]
        env = {e['name']: str(e['value']) for e in c.get('env') or [] if 'value' in e}
        env.update({'PATH': '/usr/bin:/bin', 'HOME': scripts, 'HOSTNAME': host, 'PYTHONUNBUFFERED': '1',
                    'SERVICE_ACCOUNT_DIR': self.job_sa, 'KUBERNETES_API_URL': self.kube.server, 'BACKUP_POLL_SECONDS': '2'})
        if wait:
            env['BACKUP_WAIT_SECONDS'] = str(wait)
        t = now()
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, user=self.src.uid, group=self.src.gid,
                           extra_groups=[], timeout=(wait or 900) + 60)
        return p.returncode, (p.stdout + p.stderr).strip(), now() - t

    # ------------------------------------------------------------------ 2. handshake
    def handshake_checks(self):
        h, r = self.src, self.src.r
        self.job_sa = self.sa_dir(f'{r.name}-backup')
        lm = h.member(self.leader)
        replicas = [m for m in h.members if m.name != self.leader]
        # The primary's agent creates the stanza as soon as it sees its member lead.
        stanza = poll(90, lambda: True if re.search(r'stanza-create command end: completed successfully', self.agent_log(self.leader)) else None, 1)
        R.check(stanza is not None, 'agent: the primary\'s agent creates the stanza',
                f'{self.leader}: `pgbackrest stanza-create` completed (Patroni GET /primary 200); '
                f'the agents of {", ".join(m.name for m in replicas)} did nothing',
                f'no completed stanza-create in the log of {self.leader}\'s agent: {self.agent_log(self.leader)[-600:]}')

        code, out, t = self.request('full', host=f'{r.name}-backup-full-manual-1')
        st = self.status('full')
        info_ = self.pgbackrest_info(lm)
        backups = info_.get('backup') or []
        full = [b for b in backups if b.get('type') == 'full']
        label = full[-1]['label'] if full else '-'
        size = (full[-1].get('info') or {}).get('size') if full else None
        took = (full[-1]['timestamp']['stop'] - full[-1]['timestamp']['start']) if full else None
        self.numbers['full backup (request to exit)'] = f'{t:.1f}s'
        R.check(code == 0 and st.get('state') == 'succeeded' and st.get('member') == self.leader and len(full) == 1,
                f'handshake: `backup-agent.py request full` as {r.name}-backup',
                f'exit 0 after {t:.1f}s; taken by {st.get("member")} (the primary); pgbackrest info: {len(full)} full backup '
                f'{label} ({size} bytes of database, {took}s in pgBackRest), status "{info_.get("status", {}).get("message")}"',
                f'exit {code}: {out[-500:]}; status {st}; info {json.dumps(info_)[:400]}')
        taken_by_replicas = [m.name for m in replicas if re.search(r'running |backup .*: (succeeded|failed)', self.agent_log(m.name))]
        R.check(not taken_by_replicas, 'handshake: only the primary\'s agent acts',
                f'the agents of {", ".join(m.name for m in replicas)} ran no pgbackrest command '
                f'({sum(len(self.agent_log(m.name).splitlines()) for m in replicas)} log lines)',
                f'pgbackrest commands in the logs of {taken_by_replicas}')

        # A request that only the replicas' agents see: none may take it.
        self.stop_agent(lm)
        code, out, t = self.request('incr', wait=24, host=f'{r.name}-backup-incr-manual-1')
        st = self.status('incr')
        wanted = self.annotations().get(f'{PREFIX}request-incr')
        R.check(code == 1 and not st and 'never taken' in out,
                'handshake: a request is not taken by the agent of a non-primary member',
                f'with only the agents of {", ".join(m.name for m in replicas)} running, `request incr` exited 1 after {t:.1f}s '
                f'("{out.splitlines()[-1][21:160] if out else ""}"); no status-incr written',
                f'exit {code}, status-incr {st}: {out[-400:]}')

        # The request stays in the ConfigMap: the primary's agent, back, takes it (a late backup, not a lost one).
        self.start_agent(lm)
        late = poll(120, lambda: (lambda s: s if s.get('request') == wanted and s.get('state') in ('succeeded', 'failed') else None)(self.status('incr')), 1)
        info(f'the timed-out incr request {wanted} was taken when the primary\'s agent came back: '
             f'{late.get("state") if late else "not within 120s"} on {late.get("member") if late else "-"} '
             '(a Job that gave up still gets its backup later)')

        # A failing backup: the agent's wrapper reads a broken config (a repository it cannot write).
        self.stop_agent(lm)
        broken = os.path.join(lm.dir, 'broken-conf')
        os.makedirs(broken, exist_ok=True)
        denied = os.path.join(self.a.work, 'root-only')
        os.makedirs(denied, exist_ok=True)
        os.chmod(denied, 0o700)
        text = open(os.path.join(lm.dir, 'backup-conf', 'pgbackrest.conf')).read()
        with open(os.path.join(broken, 'pgbackrest.conf'), 'w') as f:
            f.write(re.sub(r'^repo1-path=.*$', f'repo1-path={denied}/repository', text, flags=re.M))
        os.chmod(broken, 0o755)
        self.start_agent(lm, config_dir=broken)
        code, out, t = self.request('diff', host=f'{r.name}-backup-diff-manual-1')
        st = self.status('diff')
        error = next((ln.strip() for ln in out.splitlines() if 'ERROR' in ln), '')
        R.check(code == 1 and st.get('state') == 'failed' and st.get('member') == self.leader and error,
                'handshake: a failing backup fails the request',
                f'repository not writable: `request diff` exited 1 after {t:.1f}s with the agent\'s message: {error[:200]}',
                f'exit {code}, status {st}: {out[-500:]}')
        self.stop_agent(lm)
        self.start_agent(lm)
        lines = [ln for path in self.logs for ln in open(path, errors='replace').read().splitlines()]
        forbidden = [ln for ln in lines if H.FORBIDDEN.search(ln)]
        R.check(not forbidden, 'rbac: the agents need nothing more than the pods\' Role',
                f'no 403 in {len(lines)} lines of the {len(self.logs)} agents\' logs '
                f'(ServiceAccount {r.pod_spec.get("serviceAccountName")}, Role {r.name}-patroni)',
                ' || '.join(forbidden[:3]))

    # ------------------------------------------------------------------ 3. restore
    def connect(self, h, m, db, password):
        tls = {'sslmode': 'verify-full', 'sslrootcert': h.tls_ca} if h.r.tls else {}
        return psycopg2.connect(host='127.0.0.1', port=m.pg_port, dbname=db, user=h.superuser, password=password,
                                connect_timeout=5, application_name='backup-stage', **tls)

    def write_rows(self):
        h, r = self.src, self.src.r
        self.db = r.container_env_value('POSTGRES_DB') or 'postgres'
        lm = h.member(self.leader)
        conn = self.connect(h, lm, self.db, h.superuser_password)
        conn.autocommit = True
        with conn.cursor() as c:
            c.execute('CREATE TABLE restore_probe (id int PRIMARY KEY, note text, at timestamptz DEFAULT clock_timestamp())')
            for start in range(1, ROWS + 1, 100):
                c.execute('INSERT INTO restore_probe (id, note) SELECT i, md5(i::text) FROM generate_series(%s, %s) i',
                          (start, min(start + 99, ROWS)))
            c.execute('SELECT count(*), pg_walfile_name(pg_current_wal_lsn()) FROM restore_probe')
            count, _ = c.fetchone()
            c.execute('SELECT pg_walfile_name(pg_switch_wal())')
            wal = c.fetchone()[0]
        conn.close()
        t = now()

        def archived():
            row = lm.query('SELECT last_archived_wal, failed_count, archived_count FROM pg_stat_archiver')[0]
            return row if row[0] and row[0] >= wal else None
        row = poll(120, archived, 0.5)
        self.numbers['archive after pg_switch_wal'] = f'{now() - t:.1f}s'
        R.check(count == ROWS and row is not None, 'archive: rows written after the backup reach the repository',
                f'{count} rows in {self.db}.restore_probe on {self.leader}, then pg_switch_wal: {wal} archived after '
                f'{now() - t:.1f}s through the rendered archive_command (pg_stat_archiver: last {row[0] if row else "-"}, '
                f'{row[2] if row else "-"} archived, {row[1] if row else "-"} failed attempts in all)',
                f'{count} rows; {wal} not archived in 120s: pg_stat_archiver '
                f'{lm.query("SELECT last_archived_wal, last_failed_wal, failed_count FROM pg_stat_archiver")}')
        self.source_sysid = lm.query('SELECT system_identifier FROM pg_control_system()')[0][0]
        self.source_tli = lm.query('SELECT timeline_id FROM pg_control_checkpoint()')[0][0]

    def claim(self):
        """The restore's claim, bound to a volume (there is no provisioner): the repository directory."""
        r = self.dst.r
        sts = r.sts['spec']['template']['spec']
        names = sorted({v['persistentVolumeClaim']['claimName'] for v in sts.get('volumes') or [] if 'persistentVolumeClaim' in v})
        objs = []
        for n in names:
            pv = f'backup-test-{r.ns}-{n}'
            objs += [
                {'apiVersion': 'v1', 'kind': 'PersistentVolume', 'metadata': {'name': pv},
                 'spec': {'capacity': {'storage': '1Gi'}, 'accessModes': ['ReadWriteMany'], 'persistentVolumeReclaimPolicy': 'Retain',
                          'storageClassName': '', 'hostPath': {'path': self.repo, 'type': 'Directory'},
                          'claimRef': {'namespace': r.ns, 'name': n}}},
                {'apiVersion': 'v1', 'kind': 'PersistentVolumeClaim', 'metadata': {'name': n, 'namespace': r.ns},
                 'spec': {'accessModes': ['ReadWriteMany'], 'storageClassName': '', 'volumeName': pv,
                          'resources': {'requests': {'storage': '1Gi'}}}}]
        body = json.dumps({'apiVersion': 'v1', 'kind': 'List', 'items': objs})
        p = self.kube.kubectl('apply', '--server-side', f'--field-manager={H.FIELD_MANAGER}', '-f', '-', input=body)
        self.claim_objects = objs
        if p.returncode != 0:
            R.fail('restore: claim', p.stderr.strip())
            raise Abort()
        return names

    def restore(self):
        d, s = self.dst, self.src
        d.r = H.Rendering(self.a.restored)
        r = d.r
        d.superuser = s.superuser
        bootstrap = r.config.get('bootstrap') or {}
        method = bootstrap.get('method')
        info(f'{H.shown(self.a.restored)}: {r.ns}/{r.name} rendered with PostgresRestore.latest from a claim; '
             f'bootstrap.method {method}: {json.dumps(bootstrap.get(method) if method else None)}')
        claims = self.claim()
        # The Secrets the restore shares with the source (the repository's passphrase) keep their values.
        refs = r.secret_refs
        known = {k: v for k, v in s.secrets.items()}
        r.secret_refs = lambda: {k: v for k, v in refs().items() if k not in known}
        d.secrets.update({k: v for k, v in known.items() if k in refs()})
        d.apply()
        d.pods_ready()
        d.service_account_kubeconfig()
        m = H.Member(d, 0)
        d.members = [m]
        # The claim volume is the repository directory the source's members archived and backed up into.
        for mount in r.mounts:
            v = r.volumes.get(mount['name']) or {}
            if (v.get('persistentVolumeClaim') or {}).get('claimName') in claims:
                os.makedirs(os.path.join(m.dir, 'volumes'), exist_ok=True)
                os.symlink(self.repo, os.path.join(m.dir, 'volumes', mount['name']))
        m.prepare()
        d.superuser_password = m.pod_env.get('PATRONI_SUPERUSER_PASSWORD', '')
        d.tls_info()
        same = d.superuser_password == s.superuser_password
        t = now()
        m.start()

        def led():
            if m.proc.poll() is not None:
                return ('exited', None)
            st, body = m.rest('patroni', 1.5)
            if st == 200 and body and body.get('role') in ('primary', 'master') and body.get('state') == 'running' \
                    and d.leader_name() == m.name:
                return ('ok', body)
            return None
        res = poll(H.WAIT + 60, led, 0.5)
        t_restore = now() - t
        self.numbers['restore (Patroni start to leader)'] = f'{t_restore:.1f}s'
        text = m.log_since_start()
        if not res or res[0] != 'ok':
            R.fail('restore: Patroni bootstraps the new cluster from the backup',
                   f'{"Patroni exited" if res else f"no leader after {H.WAIT + 60:.0f}s"}; /patroni {m.rest("patroni")[1]}; '
                   f'leader ConfigMap {d.leader_cm()}; log: ' + ' | '.join(text.splitlines()[-12:])[-1500:])
            raise Abort()
        ran = re.search(r'restore: stanza (\S+) into', text)
        initdb = 'The files belonging to this database system' in text
        R.check(ran is not None and not initdb,
                'restore: Patroni runs the custom bootstrap',
                f'bootstrap.method {method}: `{bootstrap.get(method, {}).get("command")}` ran (restore.sh: stanza '
                f'{ran.group(1) if ran else "-"}), no initdb',
                'no "restore: stanza" line from restore.sh in the Patroni log: ' + ' | '.join(text.splitlines()[-10:])[-800:])
        sysid = m.query('SELECT system_identifier FROM pg_control_system()')[0][0]
        tli = m.query('SELECT timeline_id FROM pg_control_checkpoint()')[0][0]
        recovery = m.query('SELECT pg_is_in_recovery()')[0][0]
        R.check(not recovery and sysid == self.source_sysid and tli > self.source_tli and d.leader_name() == m.name,
                'restore: replayed, promoted, Patroni\'s leader',
                f'{t_restore:.1f}s from Patroni\'s start to leader of {r.scope} (ConfigMap {r.scope}-leader: {d.leader_name()}, '
                f'REST role {res[1].get("role")}); out of recovery on timeline {tli} (source {self.source_tli}), '
                f'system identifier {sysid} (the source\'s)',
                f'in recovery {recovery}, timeline {tli} (source {self.source_tli}), sysid {sysid} vs {self.source_sysid}, '
                f'leader {d.leader_name()}')
        try:
            conn = self.connect(d, m, self.db, d.superuser_password)
            with conn.cursor() as c:
                c.execute('SELECT count(*), count(DISTINCT id), min(id), max(id) FROM restore_probe')
                count, distinct, lo, hi = c.fetchone()
            conn.close()
            err = None
        except Exception as e:  # noqa: BLE001
            count = distinct = lo = hi = None
            err = str(e).strip()
        R.check(count == ROWS and distinct == ROWS, 'restore: every row written after the backup is there',
                f'{count} of {ROWS} rows in {self.db}.restore_probe (ids {lo}..{hi}), read over TCP'
                f'{" with TLS (sslmode=verify-full against its own CA)" if d.r.tls else ""} as {d.superuser} with the '
                f'new instance\'s own password ({"the same as" if same else "not"} the source\'s: Patroni set it after the restore)',
                f'rows {count} (distinct {distinct}); {err or ""}')
        db_ok = m.query('SELECT 1 FROM pg_database WHERE datname = %s', (self.db,))
        post = re.search(r'post-bootstrap: .*', text)
        R.check(bool(db_ok) and post is not None, 'restore: post_bootstrap on the restored cluster',
                f'database {self.db} there; the rendered post_bootstrap ran: "{post.group(0) if post else ""}"',
                f'database {self.db} {"there" if db_ok else "missing"}; post_bootstrap output: {post.group(0) if post else "none"}')
        d.rbac_check()

    # ------------------------------------------------------------------ teardown
    def teardown(self, failed):
        for name in list(self.agents):
            try:
                self.stop_agent(self.src.member(name))
            except Exception:  # noqa: BLE001
                pass
        for m in self.dst.members:
            m.stop(timeout=15)
        if failed:
            for name in self.agents:
                log(f'--- last lines of {name}\'s agent log')
                for ln in self.agent_log(name).splitlines()[-15:]:
                    print('    ' + ln, file=sys.stderr)
            for m in self.dst.members:
                print(f'--- last lines of {m.name}\'s Patroni log', file=sys.stderr)
                for ln in m.log_since_start().splitlines()[-30:]:
                    print('    ' + ln, file=sys.stderr)
        if self.dst.members and not H.KEEP:
            self.dst.kube.kubectl('delete', 'statefulset', self.dst.r.name, '-n', self.dst.r.ns, '--ignore-not-found', '--wait=false')
        self.src.teardown(failed)  # the source's members, the namespace (the restored instance's objects too), volumes
        if H.KEEP:
            return
        if self.a.restored_volumes and os.path.exists(self.a.restored_volumes) and os.path.getsize(self.a.restored_volumes):
            self.kube.kubectl('delete', '-f', self.a.restored_volumes, '--wait=true', '--timeout=60s', '--ignore-not-found')
        for o in self.claim_objects:
            if o['kind'] == 'PersistentVolume':
                self.kube.kubectl('delete', 'pv', o['metadata']['name'], '--ignore-not-found', '--wait=false')

    def run(self):
        h = self.src
        h.r = H.Rendering(self.a.manifest)
        r = h.r
        h.superuser = ((r.config.get('postgresql') or {}).get('authentication') or {}).get('superuser', {}).get('username', 'postgres')
        h.sync = H.is_on(r.dcs.get('synchronous_mode'))
        info(f'{H.shown(self.a.manifest)}: {r.ns}/{r.name}, {r.replicas} members; pgBackRest '
             f'{subprocess.run(["pgbackrest", "version"], capture_output=True, text=True).stdout.strip()}, PostgreSQL from {self.a.pg_bin}')
        failed = True
        try:
            h.apply()
            h.pods_ready()
            h.service_account_kubeconfig()
            self.objects_and_rbac()
            self.start_source()
            self.handshake_checks()
            self.write_rows()
            self.restore()
            failed = R.failed > 0
        except Abort:
            pass
        except Exception:  # noqa: BLE001
            R.fail('backup stage', 'unexpected error: ' + traceback.format_exc().strip().replace('\n', ' | '))
        finally:
            if self.numbers:
                info('numbers: ' + '; '.join(f'{k} {v}' for k, v in self.numbers.items()))
            self.teardown(failed)


def main():
    ap = argparse.ArgumentParser()
    for opt in ('state', 'bin', 'manifest', 'volumes', 'restored', 'restored-volumes', 'work', 'pg-bin', 'pg-version', 'venv', 'user'):
        ap.add_argument(f'--{opt}', required=opt not in ('volumes', 'restored-volumes', 'pg-version'), default='')
    a = ap.parse_args()

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f'signal {signum}')
    signal.signal(signal.SIGTERM, on_signal)
    try:
        Stage(a).run()
    except KeyboardInterrupt as e:
        R.fail('backup stage', f'interrupted ({e})')
    print(f'{R.passed} passed, {R.failed} failed', flush=True)
    sys.exit(0 if R.failed == 0 and R.passed > 0 else 1)


if __name__ == '__main__':
    main()
