"""Failover harness: the rendered Patroni Postgres on a real control plane, with real Patroni and PostgreSQL.

Started by run.sh (beside this file), as root, with the Patroni venv's Python:

    python harness.py --state <cluster-state-dir> --bin <bin-dir> --manifest <orders.k8s.yaml>
                      --volumes <pre-bound-volumes.yaml> --work <work-dir> --pg-bin <postgres bin dir>
                      --venv <patroni venv> --user <user to run Patroni as>

The rendered objects are applied (namespace with Pod Security "restricted", pre-bound volumes,
server-side apply); kwok makes the StatefulSet's pods Running and Ready without running them. Then
one real Patroni (with a real PostgreSQL) runs per pod on 127.0.0.1, as that pod would: the pod's name
as PATRONI_NAME, the rendered patroni.yml with only paths and addresses rewritten for loopback, the
pod's environment (passwords from the Secret through the same variables), and the instance's
ServiceAccount token (not admin), so the rendered Role is what Patroni gets. Checks: bootstrap, kill -9
of the leader under a writer, rejoin without a re-clone, a Kubernetes API outage longer than ttl
(failsafe mode), a planned switchover with patronictl. With the rendering's `tls`: the TLS Secret's files made
with openssl (a CA, a certificate per member for the rendered Certificate's names), the rendered start.sh,
the REST API over HTTPS, replication, pg_rewind and the harness's own clients with verify-full, a plaintext
client refused. Prints PASS/FAIL lines and `N passed, M failed`.
"""
import argparse
import json
import os
import pwd
import re
import secrets
import select
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request
from datetime import datetime, timezone

import psycopg2
import psycopg2.extensions
import yaml

TAG = 'failover'
SYNC_ROLES = ('sync_standby', 'quorum_standby')  # /cluster roles of synchronous standbys (quorum: synchronous_mode quorum)
# An API refusal in a log line: Kubernetes says "Forbidden" in the status body; the code as "(403)",
# "status 403", "HTTP 403" or "code": 403 (not the milliseconds of a log timestamp like ",403 INFO").
FORBIDDEN = re.compile(r'forbidden|\(403\)|(?:HTTP|status|code)\W{0,3}403\b', re.I)
FIELD_MANAGER = 'cdk8s-stateful-test'
WAIT = float(os.environ.get('CLUSTER_TEST_WAIT_SECONDS', '180'))
KEEP = os.environ.get('CLUSTER_TEST_KEEP') == '1'
T0 = time.monotonic()


# ------------------------------------------------------------------------------------------ output

class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def ok(self, check, detail=''):
        self.passed += 1
        print(f'PASS [{TAG}] {check}{": " + detail if detail else ""}', flush=True)

    def fail(self, check, detail):
        self.failed += 1
        print(f'FAIL [{TAG}] {check}: {detail}', flush=True)

    def check(self, cond, check, detail_ok, detail_fail=None):
        if cond:
            self.ok(check, detail_ok)
        else:
            self.fail(check, detail_fail if detail_fail is not None else detail_ok)
        return cond


R = Report()


def info(msg):
    print(f'     [{TAG}] {msg}', flush=True)


def log(msg):
    """Progress on stderr, with the time since the start."""
    print(f'[failover {time.monotonic() - T0:7.1f}s] {msg}', file=sys.stderr, flush=True)


def now():
    return time.monotonic()


def poll(seconds, probe, interval=0.2):
    """Calls probe until it returns something other than None, or the time is up (then None)."""
    deadline = now() + seconds
    while True:
        v = probe()
        if v is not None:
            return v
        if now() > deadline:
            return None
        time.sleep(interval)


class Abort(Exception):
    """A failure after which the later checks make no sense (already reported)."""


# ------------------------------------------------------------------------------------- Kubernetes

class Kube:
    """Admin access: kubectl for apply/create/delete, and a small HTTPS client for polling."""

    def __init__(self, kubeconfig, kubectl):
        self.kubeconfig = kubeconfig
        self.kubectl_bin = kubectl
        cfg = yaml.safe_load(open(kubeconfig))
        ctx = next(c['context'] for c in cfg['contexts'] if c['name'] == cfg['current-context'])
        cluster = next(c['cluster'] for c in cfg['clusters'] if c['name'] == ctx['cluster'])
        user = next(u['user'] for u in cfg['users'] if u['name'] == ctx['user'])
        self.server = cluster['server'].rstrip('/')
        self.ca_file = cluster['certificate-authority']
        self.ssl = ssl.create_default_context(cafile=self.ca_file)
        self.ssl.load_cert_chain(user['client-certificate'], user['client-key'])

    def kubectl(self, *args, input=None, timeout=180):
        env = dict(os.environ, KUBECONFIG=self.kubeconfig)
        return subprocess.run([self.kubectl_bin, *args], input=input, capture_output=True, text=True,
                              env=env, timeout=timeout)

    def get(self, path, timeout=5):
        """GET an API path: the object, or None when it does not exist (404)."""
        req = urllib.request.Request(self.server + path, headers={'Accept': 'application/json'})
        try:
            with urllib.request.urlopen(req, context=self.ssl, timeout=timeout) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return None
            raise

    def try_get(self, path, timeout=5):
        try:
            return self.get(path, timeout)
        except Exception:  # noqa: BLE001 (polling: a failed read is "not yet")
            return None


# ---------------------------------------------------------------------------------------- helpers

def free_ports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(('127.0.0.1', 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def http_json(url, timeout=2.0, context=None):
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        try:
            return e.code, json.load(e)
        except Exception:  # noqa: BLE001
            return e.code, None
    except Exception:  # noqa: BLE001 (refused, timed out: the member is not answering)
        return None, None


def expand_k8s(value, env):
    """$(VAR) references as the kubelet expands them ($$ escapes; unknown references stay)."""
    def sub(m):
        if m.group(0) == '$$':
            return '$'
        return env.get(m.group(1), m.group(0))
    return re.sub(r'\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)', sub, value)


def birth(path):
    """(inode, birth time) of a path: a re-created directory differs in one of them."""
    st = os.stat(path)
    b = subprocess.run(['stat', '-c', '%W', path], capture_output=True, text=True).stdout.strip()
    return st.st_ino, b


def is_on(value):
    """A Patroni boolean (synchronous_mode may also be 'quorum')."""
    return value not in (None, False, 'off', 'false', 'False', 0)


OBJECT_STORES = ('s3', 'gcs', 'azure')


def posix_repository(conf, root):
    """pgbackrest.conf with an object-store repository (S3, GCS, Azure: out of reach here, no network)
    moved to a POSIX directory under root (its rendered repo1-path inside it); retention and encryption
    (repo1-retention-*, repo1-cipher-*) as rendered. None when conf has no object-store repository
    (a claim repository is a mounted volume, rewritten like every other path)."""
    if not re.search(r'^repo1-type=(' + '|'.join(OBJECT_STORES) + r')\s*$', conf, re.M):
        return None
    path = next((ln.split('=', 1)[1].strip() for ln in conf.splitlines() if ln.startswith('repo1-path=')), '/')
    out, done = [], False
    for line in conf.splitlines():
        key = line.split('=', 1)[0].strip()
        if key.startswith('repo1-') and not key.startswith(('repo1-retention', 'repo1-cipher')):
            if not done:
                out += ['repo1-type=posix', 'repo1-path=' + os.path.join(root, path.strip('/')).rstrip('/')]
                done = True
            continue
        out.append(line)
    return '\n'.join(out) + '\n'


def shown(path):
    """A path as printed: relative to the working directory when it is inside it."""
    rel = os.path.relpath(path)
    return path if rel.startswith('..') else rel


def fmt_s(x):
    return 'n/a' if x is None else f'{x:.1f}s'


# --------------------------------------------------------------------------------------- rendering

class Rendering:
    """What the harness consumes from the rendered manifests (the contract), checked as it is read."""

    def __init__(self, manifest):
        self.objects = [o for o in yaml.safe_load_all(open(manifest)) if o and o.get('kind')]
        sets = [o for o in self.objects if o['kind'] == 'StatefulSet' and self._patroni_container(o)]
        if not sets:
            R.fail('rendering', f'no StatefulSet in {manifest} runs patroni: the Patroni rendering is not there '
                                '(commit it, then `npm run synth`)')
            raise Abort()
        self.sts = sets[0]
        self.name = self.sts['metadata']['name']
        self.ns = self.sts['metadata'].get('namespace', 'default')
        self.replicas = self.sts['spec'].get('replicas', 1)
        self.pod_spec = self.sts['spec']['template']['spec']
        self.container = self._patroni_container(self.sts)
        cmd = list(self.container.get('command') or []) + list(self.container.get('args') or [])
        self.command = cmd
        self.config_path = next((a for a in cmd[1:] if a.endswith(('.yml', '.yaml'))), None)
        if not self.config_path:
            R.fail('rendering', f'the container runs {cmd}: no configuration file argument')
            raise Abort()
        self.mounts = self.container.get('volumeMounts') or []
        self.volumes = {v['name']: v for v in self.pod_spec.get('volumes') or []}
        for t in self.sts['spec'].get('volumeClaimTemplates') or []:
            self.volumes[t['metadata']['name']] = {'name': t['metadata']['name'], 'persistentVolumeClaim': {}}
        # With TLS the container runs a start script (start.sh: tls_watch, then `exec patroni`) from a
        # mounted ConfigMap instead of patroni itself.
        self.start_script = None
        if os.path.basename(cmd[0]) != 'patroni':
            script = next((a for a in cmd[1:] if a.endswith('.sh')), None)
            text = self.file_at(script) if script else None
            if text is None or not re.search(r'^\s*exec patroni\b', text, re.M):
                R.fail('rendering', f'the container runs {cmd}: neither patroni nor a mounted script that execs it')
                raise Abort()
            self.start_script = script
        self.config_text = self.file_at(self.config_path)
        if self.config_text is None:
            R.fail('rendering', f'{self.config_path} is not a file of a ConfigMap mounted in container '
                                f'{self.container["name"]}')
            raise Abort()
        self.config = yaml.safe_load(self.config_text)
        self.scope = str(self.config.get('scope'))
        k = self.config.get('kubernetes') or {}
        self.role_label = k.get('role_label', 'role')
        self.leader_value = k.get('leader_label_value', 'primary')
        self.follower_value = k.get('follower_label_value', 'replica')
        dcs = (self.config.get('bootstrap') or {}).get('dcs') or {}
        self.dcs = dcs
        self.services = [o for o in self.objects if o['kind'] == 'Service' and o['metadata'].get('namespace', 'default') == self.ns]
        # TLS: the Secret volume that holds the certificate Patroni's REST API serves (restapi.certfile),
        # and the cert-manager Certificate that would fill it.
        certfile = (self.config.get('restapi') or {}).get('certfile')
        self.tls = None
        if certfile:
            m = self.mount_for(certfile)
            v = self.volumes.get(m['name']) if m else None
            if not v or 'secret' not in v:
                R.fail('rendering', f'restapi.certfile {certfile} is on no Secret volume of container {self.container["name"]}')
                raise Abort()
            secret = v['secret']['secretName']
            cert = next((o for o in self.objects if o['kind'] == 'Certificate' and o['spec'].get('secretName') == secret), None)
            self.tls = {'volume': m['name'], 'mount': m['mountPath'], 'secret': secret, 'mode': v['secret'].get('defaultMode', 0o644),
                        'certificate': cert, 'ca': (self.config.get('ctl') or {}).get('cacert')}

    @staticmethod
    def _patroni_container(sts):
        for c in sts['spec']['template']['spec'].get('containers') or []:
            cmd = list(c.get('command') or []) + list(c.get('args') or [])
            if cmd and os.path.basename(cmd[0]) == 'patroni':
                return c
            # start.sh <data directory> <patroni.yml>: Patroni's config as an argument of a script
            if cmd and any(a.endswith('.sh') for a in cmd) and any(os.path.basename(a) in ('patroni.yml', 'patroni.yaml') for a in cmd):
                return c
        return None

    def configmap(self, name):
        return next((o for o in self.objects if o['kind'] == 'ConfigMap' and o['metadata']['name'] == name
                     and o['metadata'].get('namespace', 'default') == self.ns), None)

    def mount_for(self, path):
        """The container's volume mount that holds path (longest mount path first)."""
        best = None
        for m in self.mounts:
            mp = m['mountPath'].rstrip('/') or '/'
            if path == mp or path.startswith(mp + '/'):
                if best is None or len(mp) > len(best['mountPath'].rstrip('/')):
                    best = m
        return best

    def configmap_files(self, volume):
        """{relative path: (text, mode)} of a configMap volume."""
        cmv = volume['configMap']
        cm = self.configmap(cmv['name'])
        if cm is None:
            return None
        data = cm.get('data') or {}
        mode = cmv.get('defaultMode', 0o644)
        if cmv.get('items'):
            return {it['path']: (data.get(it['key'], ''), it.get('mode', mode)) for it in cmv['items'] if it['key'] in data}
        return {k: (v, mode) for k, v in data.items()}

    def file_at(self, path):
        m = self.mount_for(path)
        if not m:
            return None
        v = self.volumes.get(m['name'])
        if not v or 'configMap' not in v:
            return None
        rel = path[len(m['mountPath'].rstrip('/')) + 1:]
        if m.get('subPath'):
            rel = m['subPath'] if rel == '' else f"{m['subPath']}/{rel}"
        files = self.configmap_files(v) or {}
        return files.get(rel, (None,))[0]

    def container_env_value(self, name):
        return next((e.get('value') for e in self.container.get('env') or [] if e['name'] == name), None)

    def secret_refs(self):
        """{secret name: set of keys} the container's env references."""
        refs = {}
        for e in self.container.get('env') or []:
            ref = (e.get('valueFrom') or {}).get('secretKeyRef')
            if ref:
                refs.setdefault(ref['name'], set()).add(ref['key'])
        return refs


# ------------------------------------------------------------------------------------------ member

class Member:
    def __init__(self, h, ordinal):
        self.h = h
        self.name = f'{h.r.name}-{ordinal}'
        self.dir = os.path.join(h.work, self.name)
        self.pg_port, self.api_port = free_ports(2)
        self.proc = None
        self.log_path = os.path.join(self.dir, 'patroni.log')
        self.log_file = None
        self.env = None
        self.config_file = None
        self.data_dir = None
        self.path_issues = []
        self.rewrites = []
        self.hooks = []

    # --- local paths for the container's mounts
    def local(self, path):
        """The loopback stand-in of a container path: <dir>/<volume>/<rest>; None when no mount holds it."""
        m = self.h.r.mount_for(path)
        if not m:
            return None
        rest = path[len(m['mountPath'].rstrip('/')):]
        return os.path.join(self.dir, 'volumes', m['name']) + rest

    def rewrite_paths(self, text, mounts=None):
        """Every container path under a mount, inside a string, to its local stand-in (one pass, so a
        local path is never rewritten again), also a shell default such as `${DIR:-/etc/x}`. mounts:
        another container's volumeMounts (default: the Patroni container's)."""
        mounts = {m['mountPath'].rstrip('/'): os.path.join(self.dir, 'volumes', m['name'])
                  for m in (self.h.r.mounts if mounts is None else mounts)}
        if not mounts:
            return text
        alternatives = '|'.join(re.escape(mp) for mp in sorted(mounts, key=len, reverse=True))
        return re.sub(r'(?<![\w./])(' + alternatives + r')(?=/|$|[\s,:;}\'"])', lambda m: mounts[m.group(1)], text)

    def prepare(self):
        r = self.h.r
        uid, gid = self.h.uid, self.h.gid
        os.makedirs(self.dir, exist_ok=True)
        os.chown(self.dir, uid, gid)
        home = os.path.join(self.dir, 'home')
        os.makedirs(home, exist_ok=True)
        os.chown(home, uid, gid)
        for m in r.mounts:
            v = r.volumes.get(m['name'], {})
            d = os.path.join(self.dir, 'volumes', m['name'])
            os.makedirs(d, exist_ok=True)
            if 'configMap' in v:
                for rel, (text, mode) in (r.configmap_files(v) or {}).items():
                    p = os.path.join(d, rel)
                    os.makedirs(os.path.dirname(p), exist_ok=True)
                    text = self.rewrite_paths(text)  # scripts' container paths too (e.g. defaults)
                    moved = posix_repository(text, self.h.repository())
                    if moved is not None:
                        self.rewrites.append(f'{m["mountPath"]}/{rel}: the object-store repository -> repo1-type=posix '
                                             f'under {self.h.repository()}')
                        text = moved
                    with open(p, 'w') as f:
                        f.write(text)
                    os.chmod(p, mode)
                os.chmod(d, 0o755)
            elif 'secret' in v and r.tls and v['secret']['secretName'] == r.tls['secret']:
                # As the kubelet mounts a Secret: files of root, group the pod's fsGroup, the rendered mode.
                for key, src in self.h.tls_files(self).items():
                    p = os.path.join(d, key)
                    shutil.copyfile(src, p)
                    os.chown(p, 0, gid)
                    os.chmod(p, r.tls['mode'])
                os.chmod(d, 0o755)
            else:  # emptyDir, PVC: writable by the pod's user
                os.chown(d, uid, gid)
                os.chmod(d, 0o700 if 'persistentVolumeClaim' in v else 0o750)
        os.chown(os.path.join(self.dir, 'volumes'), 0, 0)

        # The rendered config, paths and addresses rewritten for loopback.
        cfg = yaml.safe_load(r.config_text)
        cfg.setdefault('restapi', {})
        cfg.setdefault('postgresql', {})
        self.rewrites.append(f"restapi.listen {cfg['restapi'].get('listen')} -> 127.0.0.1:{self.api_port}")
        cfg['restapi']['listen'] = f'127.0.0.1:{self.api_port}'
        self.rewrites.append(f"postgresql.listen {cfg['postgresql'].get('listen')} -> 127.0.0.1:{self.pg_port}")
        cfg['postgresql']['listen'] = f'127.0.0.1:{self.pg_port}'
        rendered_connect = {section: cfg[section].get('connect_address') for section in ('restapi', 'postgresql')}
        for section, port in (('restapi', self.api_port), ('postgresql', self.pg_port)):
            if cfg[section].get('connect_address'):
                cfg[section]['connect_address'] = f'127.0.0.1:{port}'
        if cfg['postgresql'].get('bin_dir'):
            self.rewrites.append(f"postgresql.bin_dir {cfg['postgresql']['bin_dir']} -> {self.h.pg_bin} "
                                 f"(the local PostgreSQL)")
            cfg['postgresql']['bin_dir'] = self.h.pg_bin

        # Paths Patroni or PostgreSQL write to must be on a writable volume (readOnlyRootFilesystem).
        pg = cfg['postgresql']
        written = {'postgresql.data_dir': pg.get('data_dir'), 'postgresql.pgpass': pg.get('pgpass'),
                   'postgresql.config_dir': pg.get('config_dir')}
        sockets = (pg.get('parameters') or {}).get('unix_socket_directories')
        for i, d in enumerate(str(sockets).split(',') if sockets else []):
            written[f'postgresql.parameters.unix_socket_directories[{i}]'] = d.strip()
        ro_root = (self.h.r.container.get('securityContext') or {}).get('readOnlyRootFilesystem')
        for key, p in written.items():
            if not p:
                continue
            m = r.mount_for(p)
            if not m:
                if ro_root:
                    self.path_issues.append(f'{key} {p} is on no volume, and the root filesystem is read-only')
            elif m.get('readOnly'):
                self.path_issues.append(f'{key} {p} is on the read-only mount {m["mountPath"]}')
        for key in ('post_bootstrap', 'post_init'):
            cmd = (cfg.get('bootstrap') or {}).get(key) or (pg.get(key) if key == 'post_init' else None)
            if cmd:
                script = shlex.split(cmd)[0]
                if script.startswith('/') and r.file_at(script) is None:
                    self.path_issues.append(f'bootstrap.{key} {script} is no file of a mounted ConfigMap')

        def walk(x):
            if isinstance(x, dict):
                return {k: walk(v) for k, v in x.items()}
            if isinstance(x, list):
                return [walk(v) for v in x]
            if isinstance(x, str):
                return self.rewrite_paths(x)
            return x
        cfg = walk(cfg)
        self.data_dir = cfg['postgresql'].get('data_dir')
        self.config_file = self.local(r.config_path)
        with open(self.config_file, 'w') as f:
            yaml.safe_dump(cfg, f, sort_keys=False)
        os.chmod(self.config_file, 0o644)
        # For --validate-config: the same, but with the connect addresses as rendered (pod DNS names):
        # Patroni's validator refuses 127.0.0.1 there (other members could not reach it), which is
        # only an artifact of running on loopback.
        validate = dict(cfg, restapi=dict(cfg['restapi']), postgresql=dict(cfg['postgresql']))
        for section, address in rendered_connect.items():
            if address:
                validate[section]['connect_address'] = address
            else:
                validate[section].pop('connect_address', None)
        os.makedirs(os.path.join(self.dir, 'validate'), exist_ok=True)
        self.validate_file = os.path.join(self.dir, 'validate', os.path.basename(self.config_file))
        with open(self.validate_file, 'w') as f:
            yaml.safe_dump(validate, f, sort_keys=False)
        os.chmod(self.validate_file, 0o644)

        # The pod's environment, as the kubelet would give it.
        env = self.container_env(r.container)
        rendered_env = dict(env)
        for name, port in (('PATRONI_RESTAPI_CONNECT_ADDRESS', self.api_port),
                           ('PATRONI_POSTGRESQL_CONNECT_ADDRESS', self.pg_port),
                           ('PATRONI_RESTAPI_LISTEN', self.api_port),
                           ('PATRONI_POSTGRESQL_LISTEN', self.pg_port)):
            if name in env:
                self.rewrites.append(f'{name} {env[name]} -> 127.0.0.1:{port}')
                env[name] = f'127.0.0.1:{port}'
        for k in list(env):
            env[k] = self.rewrite_paths(env[k])
        self.pod_env = dict(env)
        env.update({
            'KUBECONFIG': self.h.sa_kubeconfig,
            'PATRONI_KUBERNETES_CONTEXT': self.h.sa_context,
            'PATH': f'{self.h.pg_bin}:{self.h.venv}/bin:/usr/bin:/bin',
            'HOME': home,
            'LANG': 'C.UTF-8',
            'LC_ALL': 'C.UTF-8',
            'PYTHONUNBUFFERED': '1',
        })
        self.env = env
        self.validate_env = dict(env)
        for name in ('PATRONI_RESTAPI_CONNECT_ADDRESS', 'PATRONI_POSTGRESQL_CONNECT_ADDRESS'):
            if name in rendered_env:
                self.validate_env[name] = rendered_env[name]

    def container_env(self, container):
        """A container's environment as the kubelet gives it to this pod: values ($(VAR) expanded),
        fieldRefs, the harness's Secrets and the rendered ConfigMaps."""
        r = self.h.r
        env = {}
        for e in container.get('env') or []:
            name = e['name']
            if 'value' in e:
                env[name] = expand_k8s(str(e['value']), env)
                continue
            vf = e.get('valueFrom') or {}
            if 'fieldRef' in vf:
                fp = vf['fieldRef']['fieldPath']
                env[name] = {'metadata.name': self.name, 'metadata.namespace': r.ns,
                             'status.podIP': '127.0.0.1', 'status.hostIP': '127.0.0.1',
                             'spec.serviceAccountName': r.pod_spec.get('serviceAccountName', 'default'),
                             }.get(fp, '')
                if fp == 'status.podIP' and container is r.container:
                    self.rewrites.append(f'{name} (status.podIP) -> 127.0.0.1')
            elif 'secretKeyRef' in vf:
                ref = vf['secretKeyRef']
                env[name] = self.h.secrets.get(ref['name'], {}).get(ref['key'], '')
            elif 'configMapKeyRef' in vf:
                ref = vf['configMapKeyRef']
                env[name] = ((r.configmap(ref['name']) or {}).get('data') or {}).get(ref['key'], '')
            elif 'resourceFieldRef' in vf:
                env[name] = '0'
        return env

    # --- processes
    def spawn(self, args, log_file):
        return subprocess.Popen(args, env=self.env, cwd=os.path.join(self.dir, 'home'), stdin=subprocess.DEVNULL,
                                stdout=log_file, stderr=subprocess.STDOUT, user=self.h.uid, group=self.h.gid,
                                extra_groups=[], start_new_session=True)

    def run_as(self, args, timeout=60, env=None):
        return subprocess.run(args, env=env or self.env, cwd=os.path.join(self.dir, 'home'), capture_output=True, text=True,
                              user=self.h.uid, group=self.h.gid, extra_groups=[], timeout=timeout)

    def start(self):
        """Starts Patroni as the container would, and its postStart hook (if rendered) beside it, as
        the kubelet would."""
        self.log_file = open(self.log_path, 'a')
        self.log_offset = os.path.getsize(self.log_path)
        self.proc = self.spawn(self.command(), self.log_file)
        pids = [self.proc.pid]
        hook = (((self.h.r.container.get('lifecycle') or {}).get('postStart') or {}).get('exec') or {}).get('command')
        if hook:
            n = len(self.hooks)
            out, err = (os.path.join(self.dir, f'poststart-{n}.{x}') for x in ('out', 'err'))
            fo, fe = open(out, 'w'), open(err, 'w')
            proc = subprocess.Popen([self.rewrite_paths(a) for a in hook], env=self.env, cwd=os.path.join(self.dir, 'home'),
                                    stdin=subprocess.DEVNULL, stdout=fo, stderr=fe, user=self.h.uid, group=self.h.gid,
                                    extra_groups=[], start_new_session=True)
            self.hooks.append({'proc': proc, 'out': out, 'err': err, 'cmd': ' '.join(hook), 'files': (fo, fe)})
            pids.append(proc.pid)
        with open(os.path.join(self.h.work, 'pgids'), 'a') as f:
            f.write(''.join(f'{pid}\n' for pid in pids))

    def command(self):
        """The container's command with its paths rewritten: patroni (the venv's) directly, or the rendered
        start script, which execs the patroni on PATH (the venv's), so that its pid is Patroni's."""
        r = self.h.r
        cmd = [self.rewrite_paths(a) for a in r.command]
        if r.start_script is None:
            cmd[0] = os.path.join(self.h.venv, 'bin', 'patroni')
        return cmd

    def postmaster_pid(self):
        try:
            with open(os.path.join(self.data_dir, 'postmaster.pid')) as f:
                pid = int(f.readline().strip())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def kill9(self):
        """kill -9 of Patroni's process group and of PostgreSQL's (Patroni starts the postmaster in a
        session of its own): what a container's death does to every process in it."""
        groups = []
        pm = self.postmaster_pid()
        if self.proc:  # also after Patroni exited: start.sh's tls_watch runs on in its group
            groups.append(self.proc.pid)
        if pm:
            try:
                groups.append(os.getpgid(pm))
            except OSError:
                pass
        for g in groups:
            try:
                os.killpg(g, signal.SIGKILL)
            except OSError:
                pass
        if self.proc:
            self.proc.wait(timeout=10)
        for hk in self.hooks:
            if hk['proc'].poll() is None:
                try:
                    os.killpg(hk['proc'].pid, signal.SIGKILL)
                except OSError:
                    pass
        if pm:
            poll(10, lambda: True if not os.path.exists(f'/proc/{pm}') else None, 0.05)
        return groups

    def terminate(self):
        for proc in [self.proc] + [hk['proc'] for hk in self.hooks]:
            if proc and proc.poll() is None:
                try:
                    os.kill(proc.pid, signal.SIGTERM)
                except OSError:
                    pass

    def stop(self, timeout=20):
        """Patroni stops PostgreSQL on SIGTERM; whatever is left is killed."""
        self.terminate()
        if self.proc and self.proc.poll() is None:
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill9()

    def log_since_start(self):
        try:
            with open(self.log_path, errors='replace') as f:
                f.seek(self.log_offset)
                return f.read()
        except OSError:
            return ''

    # --- Patroni's REST API and PostgreSQL
    def rest(self, path, timeout=2.0):
        return http_json(f'{self.h.api_scheme()}://127.0.0.1:{self.api_port}/{path}', timeout, self.h.api_context())

    def dsn(self, timeout=2, sslmode=None):
        return (f"host=127.0.0.1 port={self.pg_port} dbname=postgres user={self.h.superuser} "
                f"password={self.h.superuser_password} connect_timeout={timeout} application_name=failover-harness"
                + self.h.libpq_tls(sslmode))

    def query(self, sql, args=None, timeout=5):
        conn = psycopg2.connect(self.dsn(timeout))
        try:
            conn.autocommit = True
            with conn.cursor() as c:
                c.execute(sql, args)
                return c.fetchall() if c.description else None
        finally:
            conn.close()


# ------------------------------------------------------------------------------------------ writer

def _wait_async(conn, deadline):
    while True:
        state = conn.poll()
        if state == psycopg2.extensions.POLL_OK:
            return
        left = deadline - now()
        if left <= 0:
            raise TimeoutError('no answer in time')
        if state == psycopg2.extensions.POLL_READ:
            select.select([conn.fileno()], [], [], left)
        elif state == psycopg2.extensions.POLL_WRITE:
            select.select([], [conn.fileno()], [], left)


class Writer(threading.Thread):
    """Inserts numbered rows, one per transaction, into whichever member is writable (trying the
    members in turn, as a client behind the read-write Service would end up doing). An id counts as
    acknowledged only when its COMMIT returned OK without a warning that the wait for synchronous
    replication was cancelled. No statement timeout or cancel is ever used (a cancelled sync-rep wait
    returns OK with such a warning); a statement that hangs is abandoned by closing the socket."""

    TABLE = 'failover_probe'

    def __init__(self, members, stmt_timeout=20.0, pause=0.02):
        super().__init__(daemon=True)
        self.members = members
        self.stmt_timeout = stmt_timeout
        self.pause = pause
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.acked = []        # (id, monotonic time, member)
        self.unknown = []      # (id, time, member, error): outcome not known to the client
        self.unsafe = []       # (id, time, member, warning): committed locally, replication not confirmed
        self.next_id = 1
        self.conn = None
        self.member = None
        self.idx = 0
        self.errors = 0

    def _connect(self, m):
        deadline = now() + 2
        conn = psycopg2.connect(m.dsn(2), async_=1)
        try:
            _wait_async(conn, deadline)
            c = conn.cursor()
            c.execute('SELECT pg_is_in_recovery()')
            _wait_async(conn, deadline)
            if c.fetchone()[0]:
                conn.close()
                return None
            return conn
        except Exception:
            conn.close()
            raise

    def _find_writable(self):
        n = len(self.members)
        for k in range(n):
            m = self.members[(self.idx + k) % n]
            try:
                conn = self._connect(m)
            except Exception:  # noqa: BLE001 (down, refusing, starting: try the next one)
                continue
            if conn:
                self.idx = (self.idx + k) % n
                return conn, m
        return None, None

    def run(self):
        while not self.stop_event.is_set():
            if self.conn is None:
                self.conn, self.member = self._find_writable()
                if self.conn is None:
                    time.sleep(0.1)
                    continue
            i = self.next_id
            self.next_id += 1
            try:
                c = self.conn.cursor()
                c.execute(f'INSERT INTO {self.TABLE} (id, member) VALUES (%s, %s)', (i, self.member.name))
                _wait_async(self.conn, now() + self.stmt_timeout)
            except Exception as e:  # noqa: BLE001
                with self.lock:
                    self.unknown.append((i, now(), self.member.name, str(e).strip().splitlines()[0][:160] if str(e).strip() else type(e).__name__))
                    self.errors += 1
                try:
                    self.conn.close()
                except Exception:  # noqa: BLE001
                    pass
                self.conn = None
                continue
            warn = [n for n in self.conn.notices if 'synchronous replication' in n or 'might not have been replicated' in n]
            del self.conn.notices[:]
            with self.lock:
                if warn:
                    self.unsafe.append((i, now(), self.member.name, warn[0].strip()))
                else:
                    self.acked.append((i, now(), self.member.name))
            time.sleep(self.pause)
        if self.conn is not None:
            self.conn.close()

    def snapshot(self):
        with self.lock:
            return list(self.acked)

    def first_ack_after(self, t, not_on=None, on=None):
        with self.lock:
            for a in self.acked:
                if a[1] > t and (not_on is None or a[2] != not_on) and (on is None or a[2] == on):
                    return a
        return None



# ----------------------------------------------------------------------------------------- kubelet

class Kubelet(threading.Thread):
    """What a kubelet would do with the rendered probes, since kwok runs no containers: runs each pod's
    readinessProbe and livenessProbe (httpGet/tcpSocket, with their period, timeout and thresholds)
    against the member's loopback ports, and writes the pod's Ready condition (status subresource) as
    a kubelet would: NotReady until the readiness probe passes, NotReady again after failureThreshold
    failures. A liveness probe failing failureThreshold times in a row is recorded (a kubelet would
    restart the container). While the API server is stopped, statuses are kept and written after."""

    def __init__(self, h):
        super().__init__(daemon=True)
        self.h = h
        c = h.r.container
        self.readiness = c.get('readinessProbe')
        self.liveness = c.get('livenessProbe')
        self.stop_event = threading.Event()
        self.api_down = threading.Event()
        self.lock = threading.Lock()
        self.state = {}
        self.written = {}
        self.transitions = []      # (time, pod, ready)
        self.liveness_kills = []   # (time, pod)
        self.expected_down = set()
        self.unsupported = []
        for kind, probe in (('readiness', self.readiness), ('liveness', self.liveness)):
            if probe and not (probe.get('httpGet') or probe.get('tcpSocket')):
                self.unsupported.append(f'{kind}Probe {list(probe)}')

    def describe(self):
        def d(p):
            if not p:
                return 'none'
            how = p.get('httpGet') or p.get('tcpSocket') or {}
            return (f"{'GET ' + how.get('path', '/') if p.get('httpGet') else 'TCP'} :{how.get('port')} every "
                    f"{p.get('periodSeconds', 10)}s, timeout {p.get('timeoutSeconds', 1)}s, failureThreshold {p.get('failureThreshold', 3)}")
        return f'readiness {d(self.readiness)}; liveness {d(self.liveness)}'

    def _port(self, m, port):
        named = {p.get('name'): p.get('containerPort') for p in self.h.r.container.get('ports') or []}
        port = named.get(port, port)
        listen = {int(str((self.h.r.config.get('restapi') or {}).get('listen', ':8008')).rsplit(':', 1)[1]): m.api_port,
                  int(str((self.h.r.config.get('postgresql') or {}).get('listen', ':5432')).rsplit(':', 1)[1]): m.pg_port}
        return listen.get(int(port))

    def _probe(self, m, probe):
        timeout = probe.get('timeoutSeconds', 1)
        if probe.get('httpGet'):
            g = probe['httpGet']
            port = self._port(m, g.get('port'))
            if port is None:
                return False
            scheme = g.get('scheme', 'HTTP').lower()
            # A kubelet does not verify the certificate of an HTTPS probe.
            context = ssl._create_unverified_context() if scheme == 'https' else None  # noqa: S323
            try:
                with urllib.request.urlopen(f'{scheme}://127.0.0.1:{port}{g.get("path", "/")}', timeout=timeout,
                                            context=context) as r:
                    return 200 <= r.status < 400
            except urllib.error.HTTPError as e:
                return 200 <= e.code < 400
            except Exception:  # noqa: BLE001
                return False
        if probe.get('tcpSocket'):
            port = self._port(m, probe['tcpSocket'].get('port'))
            try:
                socket.create_connection(('127.0.0.1', port), timeout=timeout).close()
                return True
            except OSError:
                return False
        return True

    def ready(self, name):
        with self.lock:
            return self.state.get(name, {}).get('ready', False)

    def run(self):
        t = now()
        for m in self.h.members:
            self.state[m.name] = {'ready': False, 'rf': 0, 'rs': 0, 'lf': 0,
                                  'next_r': t + (self.readiness or {}).get('initialDelaySeconds', 0),
                                  'next_l': t + (self.liveness or {}).get('initialDelaySeconds', 0)}
        while not self.stop_event.is_set():
            t = now()
            for m in self.h.members:
                st = self.state[m.name]
                if self.readiness and t >= st['next_r']:
                    st['next_r'] = t + self.readiness.get('periodSeconds', 10)
                    ok = self._probe(m, self.readiness)
                    st['rs'], st['rf'] = (st['rs'] + 1, 0) if ok else (0, st['rf'] + 1)
                    with self.lock:
                        if not st['ready'] and st['rs'] >= self.readiness.get('successThreshold', 1):
                            st['ready'] = True
                            self.transitions.append((now(), m.name, True))
                        elif st['ready'] and st['rf'] >= self.readiness.get('failureThreshold', 3):
                            st['ready'] = False
                            self.transitions.append((now(), m.name, False))
                elif not self.readiness and not st['ready']:
                    st['ready'] = True
                if self.liveness and t >= st['next_l']:
                    st['next_l'] = t + self.liveness.get('periodSeconds', 10)
                    ok = self._probe(m, self.liveness)
                    st['lf'] = 0 if ok else st['lf'] + 1
                    if st['lf'] >= self.liveness.get('failureThreshold', 3):
                        st['lf'] = 0
                        if m.name not in self.expected_down:
                            with self.lock:
                                self.liveness_kills.append((now(), m.name))
            if not self.api_down.is_set():
                self.sync()
            self.stop_event.wait(0.2)

    def sync(self, force=False):
        """Writes each pod's Ready condition where it differs from what was last written (or, with
        force, from what the API server has: after the outage the node controller may have changed it)."""
        changed = []
        if force:
            self.written = {}
            for p in self.h.pods():
                ready = next((c.get('status') for c in p['status'].get('conditions') or [] if c['type'] == 'Ready'), None)
                self.written[p['metadata']['name']] = ready == 'True'
                if p['metadata']['name'] in self.state and (ready == 'True') != self.state[p['metadata']['name']]['ready']:
                    changed.append(f"{p['metadata']['name']} (Ready={ready})")
        for name, st in list(self.state.items()):
            want = st['ready']
            if self.written.get(name) == want:
                continue
            stamp = datetime.now(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
            value = 'True' if want else 'False'
            patch = {'status': {'conditions': [{'type': 'Ready', 'status': value, 'lastTransitionTime': stamp},
                                               {'type': 'ContainersReady', 'status': value, 'lastTransitionTime': stamp}]}}
            p = self.h.kube.kubectl('patch', 'pod', name, '-n', self.h.r.ns, '--subresource=status', '--type=strategic',
                                    '--request-timeout=5s', '-p', json.dumps(patch), timeout=10)
            if p.returncode == 0:
                self.written[name] = want
        return changed

# ----------------------------------------------------------------------------------------- harness

class Harness:
    def __init__(self, a):
        self.a = a
        self.work = a.work
        self.pg_bin = a.pg_bin
        self.venv = a.venv
        pw = pwd.getpwnam(a.user)
        self.uid, self.gid = pw.pw_uid, pw.pw_gid
        self.kube = Kube(os.path.join(a.state, 'kubeconfig'), os.path.join(a.bin, 'kubectl'))
        self.members = []
        self.writer = None
        self.apiserver_pid = None
        self.apiserver_stopped = False
        self.secrets = {}
        self.namespace_created = False
        self.patronictl_outputs = []
        self.sync = False
        self.kubelet = None
        self.numbers = {}
        self.tls_ca = None
        self._api_context = None

    # ------------------------------------------------------------------ setup
    def repository(self):
        """The local POSIX directory that stands in for a rendered object-store pgBackRest repository."""
        d = os.path.join(self.work, 'pgbackrest-repository')
        if not os.path.isdir(d):
            os.makedirs(d)
            os.chown(d, self.uid, self.gid)
            os.chmod(d, 0o750)
        return d

    # ------------------------------------------------------------------ TLS
    def tls_files(self, member):
        """The files of the TLS Secret for one member ({key: path}): a CA of the harness's (made once) and a
        certificate of the member's own (its own key), for the names and IP addresses of the rendered
        cert-manager Certificate, with its key algorithm, size and encoding; signed with openssl."""
        r = self.r
        d = os.path.join(self.work, 'tls')
        if self.tls_ca is None:
            os.makedirs(d, exist_ok=True)
            os.chmod(d, 0o700)
            self.tls_ca = os.path.join(d, 'ca.crt')
            self._openssl('req', '-x509', '-new', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
                          '-keyout', os.path.join(d, 'ca.key'), '-out', self.tls_ca, '-days', '2', '-subj', '/CN=cdk8s-stateful-harness-ca')
        spec = (r.tls['certificate'] or {}).get('spec') or {}
        names = list(spec.get('dnsNames') or [])
        ips = list(spec.get('ipAddresses') or [])
        if not names and not ips:  # TlsCertificates.fromSecret: what the library's Certificate would name
            dom = f'{r.name}-headless.{r.ns}.svc'
            names = [n for s_ in r.services for n in (s_['metadata']['name'], f"{s_['metadata']['name']}.{r.ns}.svc")] + \
                [f'*.{dom}', f'*.{dom}.cluster.local', 'localhost']
            ips = ['127.0.0.1']
        self.tls_names = (names, ips)
        key = spec.get('privateKey') or {}
        algorithm, size, encoding = key.get('algorithm', 'RSA'), key.get('size'), key.get('encoding', 'PKCS1')
        self.tls_key = f'{algorithm} {size or "default"} {encoding}'
        newkey = ['-newkey', f'rsa:{size or 2048}'] if algorithm == 'RSA' else \
            ['-newkey', 'ec', '-pkeyopt', f'ec_paramgen_curve:P-{size or 256}'] if algorithm == 'ECDSA' else ['-newkey', 'ed25519']
        out = os.path.join(d, member.name)
        os.makedirs(out, exist_ok=True)
        files = {k: os.path.join(out, k) for k in ('tls.crt', 'tls.key', 'ca.crt')}
        self._openssl('req', '-new', '-nodes', *newkey, '-keyout', files['tls.key'], '-subj', f'/CN={spec.get("commonName", r.name)}',
                      '-out', os.path.join(out, 'req.csr'))
        if encoding == 'PKCS1' and algorithm in ('RSA', 'ECDSA'):  # "BEGIN RSA/EC PRIVATE KEY", as cert-manager writes it
            self._openssl('rsa' if algorithm == 'RSA' else 'ec', '-in', files['tls.key'], '-out', files['tls.key'],
                          *(['-traditional'] if algorithm == 'RSA' else []))
        sans = ','.join([f'DNS:{n}' for n in names] + [f'IP:{i}' for i in ips])
        ext = os.path.join(out, 'ext.cnf')
        with open(ext, 'w') as f:
            f.write(f'subjectAltName={sans}\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n')
        self._openssl('x509', '-req', '-in', os.path.join(out, 'req.csr'), '-CA', self.tls_ca, '-CAkey', os.path.join(d, 'ca.key'),
                      '-set_serial', '0x' + secrets.token_hex(8), '-days', '1', '-extfile', ext, '-out', files['tls.crt'])
        shutil.copyfile(self.tls_ca, files['ca.crt'])
        return files

    @staticmethod
    def _openssl(*args):
        p = subprocess.run(['openssl', *args], capture_output=True, text=True)
        if p.returncode != 0:
            R.fail('certificates', f'openssl {" ".join(args[:2])} exited {p.returncode}: {p.stderr.strip()[-300:]}')
            raise Abort()

    def api_scheme(self):
        return 'https' if self.r.tls else 'http'

    def api_context(self):
        """Patroni's REST API over HTTPS, the certificate verified against the CA (and 127.0.0.1 against its IP SAN)."""
        if self.r.tls and self._api_context is None:
            self._api_context = ssl.create_default_context(cafile=self.tls_ca)
        return self._api_context

    def libpq_tls(self, sslmode=None):
        """libpq's TLS options: verify-full against the CA with TLS (the host 127.0.0.1 is in the certificate)."""
        if not self.r.tls:
            return f' sslmode={sslmode}' if sslmode else ''
        return f' sslmode={sslmode or "verify-full"} sslrootcert={self.tls_ca}'

    def tls_info(self):
        if not self.r.tls:
            info('no TLS in the rendering (restapi.certfile unset): the TLS checks do not run')
            return
        names, ips = self.tls_names
        cert = self.r.tls['certificate']
        info(f'TLS: the Secret {self.r.tls["secret"]} (volume {self.r.tls["volume"]} at {self.r.tls["mount"]}) made by the harness with '
             f'openssl: a CA and one certificate per member (its own key, {self.tls_key}) for the '
             f'{len(names)} DNS names and {len(ips)} IP address(es) of the rendered Certificate'
             f'{" " + cert["metadata"]["name"] if cert else ""} ({", ".join(names[:2] + names[-3:] + ips)}, ...); '
             f'files root:{self.gid}, mode {self.r.tls["mode"]:04o}, as the kubelet mounts a Secret. Standbys and '
             'pg_rewind reach 127.0.0.1 (the rewritten connect addresses): verify-full checks it against the IP SAN')

    def tls_replication_check(self, label, leader):
        """With TLS: every standby's walreceiver uses the connection Patroni wrote (sslmode verify-full, the CA),
        and every walsender on the leader is on a TLS connection (pg_stat_ssl)."""
        if not self.r.tls:
            return
        standbys = [m for m in self.members if m.name != leader]
        bad, modes = [], []
        for m in standbys:
            rows = m.query('SELECT status, conninfo FROM pg_stat_wal_receiver')
            conninfo = rows[0][1] if rows else ''
            opts = dict(kv.split('=', 1) for kv in conninfo.split() if '=' in kv)
            ca = self.container_paths(opts.get('sslrootcert', ''))
            modes.append(f'{m.name}: {rows[0][0] if rows else "no walreceiver"}, sslmode={opts.get("sslmode")}, sslrootcert={ca}, '
                         f'host={opts.get("host")}')
            if not rows or rows[0][0] != 'streaming' or opts.get('sslmode') != 'verify-full' or ca != self.r.tls['ca']:
                bad.append(f'{m.name}: {rows}')
        senders = self.member(leader).query(
            'SELECT r.application_name, s.ssl, s.version, s.cipher FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid) '
            'ORDER BY 1')
        on_tls = [row for row in senders if row[1]]
        self.numbers[f'{label}: walsenders over TLS'] = f'{len(on_tls)}/{len(senders)}'
        R.check(not bad and len(senders) == len(standbys) and len(on_tls) == len(senders), f'{label}: replication over TLS',
                f'{len(standbys)} of {len(standbys)} standbys\' walreceivers (pg_stat_wal_receiver.conninfo, as Patroni wrote it) '
                f'{"; ".join(modes)}; on the leader {leader} {len(on_tls)} of {len(senders)} walsenders over TLS '
                f'(pg_stat_ssl: {", ".join(sorted({f"{r_[2]} {r_[3]}" for r_ in on_tls}))})',
                f'walreceivers: {"; ".join(modes)}; bad: {bad}; walsenders on {leader}: {senders}')

    def plaintext_check(self, leader):
        """With TLS (and no allowPlaintext): the leader refuses a libpq client without TLS, and Patroni's
        REST API answers no plain HTTP."""
        if not self.r.tls:
            return
        m = self.member(leader)
        try:
            psycopg2.connect(m.dsn(3, sslmode='disable')).close()
            refused = None
        except psycopg2.OperationalError as e:
            refused = str(e).strip().splitlines()[-1]
        st, _ = http_json(f'http://127.0.0.1:{m.api_port}/patroni', 3)
        hba = [ln for ln in (m.query("SELECT type, database, user_name, address, auth_method FROM pg_hba_file_rules "
                                     "WHERE type = 'hostnossl'") or [])]
        R.check(refused is not None and 'no encryption' in refused and st is None, 'tls: plaintext refused',
                f'libpq sslmode=disable to the leader {leader}: "{refused}" (pg_hba: {len(hba)} hostnossl reject row(s)); '
                f'plain HTTP to its REST API: no answer (HTTPS only)',
                f'sslmode=disable: {"connected" if refused is None else refused}; plain HTTP to the REST API: status {st}')

    def apply(self):
        r = self.r
        manifest = {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': r.ns, 'labels': {
            'pod-security.kubernetes.io/enforce': 'restricted',
            'pod-security.kubernetes.io/enforce-version': 'latest',
            'pod-security.kubernetes.io/warn': 'restricted',
            'pod-security.kubernetes.io/audit': 'restricted'}}}
        p = self.kube.kubectl('apply', '--server-side', '--field-manager=cdk8s-stateful-test-namespaces', '-f', '-',
                              input=json.dumps(manifest))
        self.namespace_created = True
        if p.returncode != 0:
            R.fail('namespace', p.stderr.strip())
            raise Abort()
        # The credentials Secret: the rendered Job makes it in a real cluster; kwok runs no Job.
        for name, keys in r.secret_refs().items():
            values = {k: secrets.token_urlsafe(24).replace('-', 'x').replace('_', 'y') for k in sorted(keys)}
            body = {'apiVersion': 'v1', 'kind': 'Secret', 'type': 'Opaque',
                    'metadata': {'name': name, 'namespace': r.ns}, 'stringData': values}
            p = self.kube.kubectl('apply', '--server-side', f'--field-manager={FIELD_MANAGER}', '-f', '-', input=json.dumps(body))
            if p.returncode != 0:
                R.fail('credentials secret', p.stderr.strip())
                raise Abort()
            self.secrets[name] = values
        info(f'namespace {r.ns} (Pod Security restricted); Secret(s) {", ".join(self.secrets)} created by the harness '
             f'with random values (keys {", ".join(sorted(k for v in self.secrets.values() for k in v))}): '
             'the rendered generator Job does not run under kwok')
        files = ([('pre-bound PersistentVolumes', self.a.volumes)] if self.a.volumes and os.path.getsize(self.a.volumes) else []) + \
            [(shown(self.a.manifest), self.a.manifest)]
        for label, f in files:
            p = self.kube.kubectl('apply', '--server-side', f'--field-manager={FIELD_MANAGER}', '--validate=strict', '-f', f)
            warnings = [ln for ln in p.stderr.splitlines() if re.match(r'^\s*Warning:', ln, re.I) or re.match(r'^W\d{4} ', ln)]
            if p.returncode != 0:
                R.fail(f'apply {label}', f'kubectl exited {p.returncode}: {p.stderr.strip()}')
                raise Abort()
            if warnings:
                R.fail(f'apply {label}', 'warnings: ' + ' | '.join(warnings))
            else:
                R.ok(f'apply {label}', f'{len(p.stdout.strip().splitlines())} objects, server-side, no warnings')

    def pods_ready(self):
        r = self.r
        sel = ','.join(f'{k}={v}' for k, v in r.sts['spec']['selector']['matchLabels'].items())

        def probe():
            pods = (self.kube.try_get(f'/api/v1/namespaces/{r.ns}/pods?labelSelector={sel}') or {}).get('items', [])
            ready = [p for p in pods if p['status'].get('podIP') and any(
                c['type'] == 'Ready' and c['status'] == 'True' for c in p['status'].get('conditions') or [])]
            return ready if len(ready) == r.replicas else None
        t = now()
        pods = poll(WAIT, probe, 0.5)
        if not pods:
            R.fail('pods', f'the StatefulSet {r.name} has no {r.replicas} Ready pods after {WAIT:.0f}s')
            raise Abort()
        info(f'{r.replicas} pods Ready under kwok in {now() - t:.1f}s. kwok runs no containers: under kwok a pod stays '
             'Running and Ready when the processes standing in for it die, so the leader is always checked through '
             f'Patroni\'s own state (the ConfigMap {r.scope}-leader and the REST API), never through pod readiness')

    def service_account_kubeconfig(self):
        r = self.r
        sa = r.pod_spec.get('serviceAccountName') or 'default'
        automount = r.pod_spec.get('automountServiceAccountToken')
        if automount is None:
            sa_obj = next((o for o in r.objects if o['kind'] == 'ServiceAccount' and o['metadata']['name'] == sa), {})
            automount = sa_obj.get('automountServiceAccountToken', True)
        R.check(automount is True, 'rendering: pod gets the ServiceAccount token',
                f'serviceAccountName {sa}, automountServiceAccountToken true (Patroni reads it in the pod)',
                f'serviceAccountName {sa}, but the token is not mounted (automountServiceAccountToken false): '
                'Patroni in the pod cannot authenticate to the Kubernetes API')
        p = self.kube.kubectl('create', 'token', sa, '-n', r.ns, '--duration=2h')
        if p.returncode != 0:
            R.fail('service account token', p.stderr.strip())
            raise Abort()
        token = p.stdout.strip()
        d = os.path.join(self.work, 'serviceaccount')
        os.makedirs(d, exist_ok=True)
        ca = os.path.join(d, 'ca.crt')
        shutil.copyfile(self.kube.ca_file, ca)
        os.chmod(ca, 0o644)
        self.sa_context = f'{r.ns}-{sa}'
        cfg = {'apiVersion': 'v1', 'kind': 'Config',
               'clusters': [{'name': 'test', 'cluster': {'server': self.kube.server, 'certificate-authority': ca}}],
               'users': [{'name': f'system:serviceaccount:{r.ns}:{sa}', 'user': {'token': token}}],
               'contexts': [{'name': self.sa_context, 'context': {
                   'cluster': 'test', 'user': f'system:serviceaccount:{r.ns}:{sa}', 'namespace': r.ns}}],
               'current-context': self.sa_context}
        self.sa_kubeconfig = os.path.join(d, 'kubeconfig')
        with open(self.sa_kubeconfig, 'w') as f:
            yaml.safe_dump(cfg, f)
        os.chown(self.sa_kubeconfig, self.uid, self.gid)
        os.chmod(self.sa_kubeconfig, 0o600)
        os.chmod(d, 0o755)
        roles = [o['metadata']['name'] for o in r.objects if o['kind'] == 'RoleBinding' and any(
            s.get('kind') == 'ServiceAccount' and s.get('name') == sa for s in o.get('subjects') or [])]
        rules = []
        for o in r.objects:
            if o['kind'] == 'Role' and any(rb for rb in r.objects if rb['kind'] == 'RoleBinding' and rb['metadata']['name'] in roles
                                           and rb['roleRef']['name'] == o['metadata']['name']):
                for rule in o.get('rules') or []:
                    rules.append(f"{'/'.join(rule.get('resources', []))}: {','.join(rule.get('verbs', []))}")
        info(f'Patroni authenticates as ServiceAccount {r.ns}/{sa} (token from `kubectl create token`, context '
             f'{self.sa_context} via PATRONI_KUBERNETES_CONTEXT), not as admin; its Role rules: {"; ".join(rules) or "none"}')

    # ------------------------------------------------------------------ cluster state
    def leader_cm(self, timeout=5):
        cm = self.kube.try_get(f'/api/v1/namespaces/{self.r.ns}/configmaps/{self.r.scope}-leader', timeout)
        return ((cm or {}).get('metadata') or {}).get('annotations') or {}

    def leader_name(self):
        return self.leader_cm().get('leader') or None

    def member(self, name):
        return next(m for m in self.members if m.name == name)

    def cluster_view(self, exclude=()):
        """Patroni's /cluster from the first member that answers."""
        for m in self.members:
            if m.name in exclude:
                continue
            st, body = m.rest('cluster', 1.5)
            if st == 200 and body:
                return body
        return None

    def healthy(self, expect_leader=None, exclude=(), replicas=None):
        """(leader, {replica: member}) when the cluster has one leader and every other member is
        streaming on the leader's timeline; else None."""
        view = self.cluster_view(exclude)
        if not view:
            return None
        ms = view.get('members') or []
        leaders = [m for m in ms if m.get('role') in ('leader', 'standby_leader')]
        if len(leaders) != 1:
            return None
        leader = leaders[0]
        if expect_leader and leader['name'] != expect_leader:
            return None
        if leader.get('state') != 'running':
            return None
        others = [m for m in ms if m is not leader]
        want = replicas if replicas is not None else len(self.members) - 1 - len(exclude)
        streaming = [m for m in others if m.get('state') == 'streaming' and m.get('timeline') == leader.get('timeline')]
        if len(streaming) != want:
            return None
        # In synchronous mode, steady state includes a synchronous standby recorded in the <scope>-sync
        # ConfigMap (/cluster shows it as role sync_standby): only it may be promoted, and a leader that
        # dies before it is recorded leaves no candidate (Patroni then waits for the old leader).
        if self.sync and want > 0 and not any(m.get('role') in SYNC_ROLES for m in streaming):
            return None
        return leader, {m['name']: m for m in streaming}

    def pods(self):
        r = self.r
        sel = ','.join(f'{k}={v}' for k, v in r.sts['spec']['selector']['matchLabels'].items())
        return (self.kube.try_get(f'/api/v1/namespaces/{r.ns}/pods?labelSelector={sel}') or {}).get('items', [])

    def pod_labels(self):
        return {p['metadata']['name']: (p['metadata'].get('labels') or {}).get(self.r.role_label) for p in self.pods()}

    def endpoints(self, service):
        slices = (self.kube.try_get(f'/apis/discovery.k8s.io/v1/namespaces/{self.r.ns}/endpointslices'
                                    f'?labelSelector=kubernetes.io/service-name={service}') or {}).get('items', [])
        return sorted((e.get('targetRef') or {}).get('name') for s in slices for e in s.get('endpoints') or []
                      if (e.get('conditions') or {}).get('ready') is not False)

    def role_services(self):
        """(service, role value) for the Services that select on Patroni's role label."""
        out = []
        for s in self.r.services:
            sel = (s.get('spec') or {}).get('selector') or {}
            if self.r.role_label in sel:
                out.append((s['metadata']['name'], sel[self.r.role_label]))
        return out

    def check_routing(self, label, leader, down=(), wait=60):
        """The pods' role labels and the role Services' endpoints follow the leader. A member that is
        down keeps whatever label it had (only its own Patroni writes it); its failing readiness probe
        must keep it out of every Service."""
        r = self.r
        names = [m.name for m in self.members]
        want_labels = {n: (r.leader_value if n == leader else r.follower_value) for n in names if n not in down}

        def labels_ok():
            got = self.pod_labels()
            return got if all(got.get(n) == v for n, v in want_labels.items()) else None
        got = poll(wait, labels_ok, 0.5)
        stale = {n: v for n, v in self.pod_labels().items() if n in down}
        R.check(got is not None, f'{label}: pod role labels',
                ', '.join(f'{n}={v}' for n, v in sorted(want_labels.items())) +
                ''.join(f'; {n} (down) still has {r.role_label}={v}' for n, v in stale.items()),
                f'want {want_labels}, pods have {self.pod_labels()}')
        for svc, value in self.role_services():
            want = sorted(n for n, v in want_labels.items() if v == value)
            got = poll(wait, lambda: (lambda e: e if e == want else None)(self.endpoints(svc)), 0.5)
            note = ''
            if any(v == value for v in stale.values()):
                note = f'; not the down {", ".join(n for n, v in stale.items() if v == value)} with its stale label (its readiness probe fails)'
            R.check(got is not None, f'{label}: Service {svc} endpoints',
                    f'[{", ".join(want)}] (selects {r.role_label}={value}){note}',
                    f'want [{", ".join(want)}], EndpointSlices have [{", ".join(self.endpoints(svc))}]')

    # ------------------------------------------------------------------ phases
    def start_members(self):
        r = self.r
        first = self.members[0]
        info('per pod, rewritten for loopback only: ' + '; '.join(first.rewrites) +
             f'; paths under the mounts {", ".join(mm["mountPath"] for mm in r.mounts)} -> {self.work}/<pod>/volumes/<volume>')
        issues = sorted({i for m in self.members for i in m.path_issues})
        R.check(not issues, 'rendering: paths on writable volumes',
                'data_dir, pgpass and socket directory on writable mounts; scripts in mounted ConfigMaps',
                '; '.join(issues))
        for m in self.members:
            p = m.run_as([os.path.join(self.venv, 'bin', 'patroni'), '--validate-config', m.validate_file], env=m.validate_env)
            out = (p.stdout + p.stderr).strip().replace('\n', ' | ')
            R.check(p.returncode == 0, f'patroni --validate-config {m.name}',
                    f'exit 0 (paths and listen addresses rewritten, connect addresses as rendered: '
                    f'{m.validate_env.get("PATRONI_POSTGRESQL_CONNECT_ADDRESS", "-")})' + (f': {out[:300]}' if out else ''),
                    f'exit {p.returncode}: {out[:600]}')
        t = now()
        for m in self.members:
            m.start()
        log(f'started Patroni for {", ".join(m.name for m in self.members)}')
        def probe():
            dead = [m.name for m in self.members if m.proc.poll() is not None]
            if dead:
                return ('exited', dead)
            h = self.healthy()
            return ('ok', h) if h else None
        res = poll(WAIT, probe, 0.5)
        if res and res[0] == 'exited':
            R.fail('bootstrap', f'Patroni exited: {", ".join(res[1])} (log tails below)')
            raise Abort()
        got = res[1] if res else None
        if not got:
            R.fail('bootstrap', f'no leader with {len(self.members) - 1} streaming replicas after {WAIT:.0f}s: '
                   f'/cluster {json.dumps(self.cluster_view())}')
            raise Abort()
        t_boot = now() - t
        self.numbers['bootstrap'] = f'{t_boot:.1f}s'
        leader, replicas = got
        cm_leader = poll(30, lambda: self.leader_name() if self.leader_name() == leader['name'] else None)
        alive = [m for m in self.members if m.proc.poll() is None]
        replica_roles = ', '.join(f'{n} {v["role"]}' for n, v in sorted(replicas.items()))
        R.check(cm_leader == leader['name'] and len(alive) == len(self.members), 'bootstrap',
                f'{t_boot:.1f}s from start to one leader ({leader["name"]}, ConfigMap {r.scope}-leader and REST /cluster agree) '
                f'and {len(replicas)} streaming replicas ({replica_roles}), '
                f'timeline {leader.get("timeline")}',
                f'REST /cluster says {leader["name"]}, ConfigMap says {self.leader_name()}; alive {[m.name for m in alive]}')
        self.check_routing('bootstrap', leader['name'])
        self.check_hooks('bootstrap')
        self.tls_replication_check('bootstrap', leader['name'])
        self.plaintext_check(leader['name'])
        db = r.container_env_value('POSTGRES_DB')
        if db and db != 'postgres':
            rows = self.member(leader['name']).query('SELECT 1 FROM pg_database WHERE datname = %s', (db,))
            R.check(bool(rows), 'bootstrap: post_bootstrap script', f'database {db} (POSTGRES_DB) exists',
                    f'no database {db} (POSTGRES_DB) after bootstrap: did post_bootstrap run?')
        return leader['name']

    def check_hooks(self, label):
        """The postStart hooks started since the last check: exit status and output."""
        hooks = [(m, hk) for m in self.members for hk in m.hooks if not hk.get('checked')]
        if not hooks:
            return
        done = poll(150, lambda: True if all(hk['proc'].poll() is not None for _, hk in hooks) else None, 0.5)
        outs, bad, noise = [], [], []
        for m, hk in hooks:
            hk['checked'] = True
            for f in hk['files']:
                f.flush()
            out = open(hk['out'], errors='replace').read().strip()
            err = open(hk['err'], errors='replace').read().strip()
            last = out.splitlines()[-1] if out else ''
            rc = hk['proc'].poll()
            outs.append(f'{m.name}: exit {rc}: {last[:140] or "(nothing on stdout)"}')
            if rc != 0 or FORBIDDEN.search(out + err) or re.search(r'\bcould not\b|\berror\b|\bfail(ed|ure|s)?\b', last, re.I) or (not out and err):
                bad.append(f'{m.name}: exit {rc}: stdout {out[-200:]!r}, stderr {err[-300:]!r}')
            noise += [ln.strip() for ln in err.splitlines() if re.search(r'error|could not', ln, re.I)]
        R.check(done is not None and not bad, f'{label}: postStart hook `{hooks[0][1]["cmd"]}`', '; '.join(outs),
                ' || '.join(bad or outs) + ('' if done else ' (still running after 150s)'))
        if noise:
            distinct = sorted({n.split(' - ')[-1][:140] for n in noise})
            info(f'{label}: on stderr the postStart hooks also printed {len(noise)} error line(s) on their way: ' + ' | '.join(distinct[:3]))

    def dcs_settings(self):
        """ttl, loop_wait, retry_timeout, synchronous_mode, failsafe_mode: rendered, and what Patroni uses
        (the <scope>-config ConfigMap)."""
        live = self.live_config()
        defaults = {'ttl': 30, 'loop_wait': 10, 'retry_timeout': 10, 'synchronous_mode': False, 'failsafe_mode': False}
        s = {}
        for k, d in defaults.items():
            rendered = self.r.dcs.get(k)
            s[k] = live.get(k, rendered if rendered is not None else d)
            if rendered is not None and live and live.get(k) != rendered:
                info(f'{k}: rendered {rendered}, but Patroni uses {live.get(k)}')
        info('DCS settings (rendered bootstrap.dcs; Patroni\'s live config agrees): ' +
             ', '.join(f'{k}={s[k]}' + ('' if self.r.dcs.get(k) is not None else ' (Patroni default)') for k in defaults))
        dynamic_path = os.path.join(os.path.dirname(self.r.config_path), 'dynamic.yml')
        dynamic = self.r.file_at(dynamic_path)
        if dynamic is not None:
            want = yaml.safe_load(dynamic)
            R.check(live == want, 'dynamic configuration applied',
                    f'the live {self.r.scope}-config equals the rendered {dynamic_path} (local paths read as the container\'s)',
                    f'live {json.dumps(live, sort_keys=True)} != rendered {json.dumps(want, sort_keys=True)}')
        return s

    def start_writer(self, leader):
        self.member(leader).query(f'CREATE TABLE IF NOT EXISTS {Writer.TABLE} '
                                  '(id bigint PRIMARY KEY, member text, at timestamptz DEFAULT clock_timestamp())')
        self.writer = Writer(self.members)
        self.writer.start()
        n = poll(30, lambda: len(self.writer.acked) if len(self.writer.acked) >= 50 else None, 0.1)
        if not n:
            R.fail('writer', f'fewer than 50 commits in 30s on {leader}: errors {self.writer.unknown[-3:]}')
            raise Abort()

    def ids_on(self, name):
        return {row[0] for row in self.member(name).query(f'SELECT id FROM {Writer.TABLE}', timeout=10)}

    def loss_check(self, label, leader, sync):
        acked = self.writer.snapshot()
        present = self.ids_on(leader)
        ids = {a[0] for a in acked}
        lost = sorted(ids - present)
        unk = [u[0] for u in self.writer.unknown]
        unsafe = [u for u in self.writer.unsafe]
        detail = (f'acked {len(ids)}, present on {leader} {len(ids & present)}, lost {len(lost)}'
                  f'{" (" + ", ".join(map(str, lost[:10])) + ")" if lost else ""}; '
                  f'{len(unk)} write(s) failed with an unknown outcome so far (not acked; {len(set(unk) & present)} of them committed)')
        if unsafe:
            detail += f'; {len(unsafe)} COMMIT(s) returned a sync-replication warning (not counted as acked): {unsafe[0][3][:120]}'
        self.numbers[f'{label} acked/present/lost'] = f'{len(ids)}/{len(ids & present)}/{len(lost)}'
        if sync:
            R.check(not lost, f'{label}: no acknowledged write lost (synchronous_mode)', detail)
        else:
            info(f'{label}: synchronous_mode is off: measured loss: {detail}')
            R.ok(f'{label}: writes counted (asynchronous replication)', detail)
        return len(lost)

    def failover(self, leader, s):
        bound = s['ttl'] + s['loop_wait']
        if not poll(60, lambda: self.healthy(expect_leader=leader), 0.5):
            R.fail('failover', f'no steady state to start from: /cluster {json.dumps(self.cluster_view())}')
            raise Abort()
        view = self.cluster_view() or {}
        sync_standbys = [m['name'] for m in view.get('members', []) if m.get('role') in SYNC_ROLES]
        acked_before = len(self.writer.acked)
        old = self.member(leader)
        old.identity = birth(old.data_dir)
        self.kubelet.expected_down.add(leader)
        t_kill = now()
        groups = old.kill9()
        log(f'kill -9 of {leader}: process groups {groups}')
        info(f'kill -9 of the leader {leader}: Patroni\'s and PostgreSQL\'s process groups ({", ".join(map(str, groups))}) '
             f'with {acked_before} commits acknowledged; sync standby at that moment: {", ".join(sync_standbys) or "none"}')

        state = {}

        def probe():
            if 'cm' not in state:
                ln = self.leader_name()
                if ln and ln != leader:
                    state['cm'] = (now(), ln)
            if 'write' not in state:
                a = self.writer.first_ack_after(t_kill, not_on=leader)
                if a:
                    state['write'] = (a[1], a[2])
            return True if 'cm' in state and 'write' in state else None
        poll(bound + 60, probe, 0.1)
        if 'cm' not in state:
            R.fail('failover', f'no new leader in the ConfigMap {self.r.scope}-leader {bound + 60}s after the kill '
                   f'(still {self.leader_name()})')
            raise Abort()
        t_cm = state['cm'][0] - t_kill
        new = state['cm'][1]
        t_w = state['write'][0] - t_kill if 'write' in state else None
        total = max(t_cm, t_w) if t_w is not None else None
        self.numbers['failover'] = f'{fmt_s(total)} (bound {bound}s)'
        R.check(total is not None and total <= bound and state['write'][1] == new, 'failover',
                f'new leader {new} holds {self.r.scope}-leader {t_cm:.1f}s after kill -9 of {leader}, first write acked on it '
                f'at {fmt_s(t_w)}: {fmt_s(total)} <= ttl + loop_wait = {bound}s',
                f'leader ConfigMap {new} after {t_cm:.1f}s, first write after {fmt_s(t_w)} '
                f'on {state.get("write", (0, "-"))[1]} (bound ttl + loop_wait = {bound}s)')
        if sync_standbys:
            R.check(new in sync_standbys, 'failover: the synchronous standby was promoted',
                    f'{new} was the sync standby', f'{new} was promoted, the sync standby was {sync_standbys}')
        # every acknowledged write (written before the kill) is on the new leader
        poll(10, lambda: True if len(self.writer.acked) > acked_before + 20 else None, 0.1)
        self.loss_check('failover', new, self.sync)
        not_ready = next((t for t, n, ok in self.kubelet.transitions if n == leader and not ok and t > t_kill), None)
        info(f'the dead {leader}\'s pod is NotReady {fmt_s(not_ready - t_kill if not_ready else None)} after the kill '
             '(readiness probe, played by the harness)')
        self.check_routing('after failover', new, down={leader})
        return new, total

    def rejoin(self, old, leader):
        m = self.member(old)
        before = m.identity
        drift = self.drift_config(leader) if m.hooks else None
        self.kubelet.expected_down.discard(old)
        t = now()
        m.start()
        got = poll(WAIT, lambda: (lambda h: h if h and old in h[1] else None)(self.healthy(expect_leader=leader)), 0.5)
        if not got:
            R.fail('rejoin', f'{old} is not streaming from {leader} {WAIT:.0f}s after its restart: '
                   f'/cluster {json.dumps(self.cluster_view())}')
            return None
        t_rejoin = now() - t
        self.numbers['rejoin'] = f'{t_rejoin:.1f}s'
        lead, reps = got
        after = birth(m.data_dir)
        log_text = m.log_since_start()
        reclone = [ln for ln in log_text.splitlines() if re.search(r'basebackup|bootstrap from leader|Removing data directory|remove_data_directory', ln, re.I)]
        rewind = [ln for ln in log_text.splitlines() if re.search(r'rewind', ln, re.I)]
        rewind_summary = ('pg_rewind ran' if any(re.search(r'running pg_rewind|pg_rewind exited|rewind.*success', ln, re.I) for ln in rewind)
                          else 'no pg_rewind needed' if rewind == [] else 'Patroni on rewind: ' + rewind[-1].split(': ', 1)[-1][:120])
        receiver = m.query('SELECT status, received_tli FROM pg_stat_wal_receiver')
        R.check(before == after and not reclone and receiver and receiver[0][0] == 'streaming'
                and receiver[0][1] == lead.get('timeline'), 'rejoin without re-clone',
                f'{old} streams from {leader} on timeline {lead.get("timeline")} (pg_stat_wal_receiver: {receiver[0][0] if receiver else "-"}, '
                f'tli {receiver[0][1] if receiver else "-"}) {t_rejoin:.1f}s after its restart; same data directory '
                f'(inode {after[0]}, birth {after[1]}), no basebackup in its log; {rewind_summary}',
                f'data directory before {before}, after {after}; re-clone lines: {reclone[:3]}; '
                f'wal receiver {receiver}; leader timeline {lead.get("timeline")}')
        for ln in rewind[-4:]:
            info(f'{old} log: {ln.strip()[:200]}')
        if self.r.tls:
            ran = [re.search(r'running pg_rewind from (.*)$', ln) for ln in rewind]
            # Patroni logs `running pg_rewind from <leader>`, then `running pg_rewind from <dsn>` (the options it passes)
            dsn = next((x.group(1).strip() for x in reversed(ran) if x and '=' in x.group(1)), '')
            opts = dict(kv.split('=', 1) for kv in dsn.split() if '=' in kv)
            codes = re.findall(r'pg_rewind exit code=(\S+)', log_text)
            R.check(dsn and opts.get('sslmode') == 'verify-full' and codes[-1:] == ['0'], 'rejoin: pg_rewind over TLS',
                    f'Patroni ran pg_rewind from {leader} with sslmode={opts.get("sslmode")} sslrootcert='
                    f'{self.container_paths(opts.get("sslrootcert", ""))} host={opts.get("host")}, exit code 0; '
                    f'the leader\'s pg_hba rejects connections without TLS',
                    f'pg_rewind: {"did not run (nothing to show)" if not dsn else f"dsn {dsn}, exit codes {codes}"}')
        self.tls_replication_check('after failover and rejoin', leader)
        self.check_routing('after rejoin', leader)
        self.check_hooks('rejoin')
        if drift:
            key, rendered, edited, want = drift
            live = poll(30, lambda: (lambda c: c if c == want else None)(self.live_config()), 0.5)
            R.check(live is not None, 'rejoin: postStart hook restores the rendered dynamic configuration',
                    f'`patronictl edit-config --set {key}={edited}` before the restart; after it {key} is {rendered} again '
                    '(the live config equals dynamic.yml)',
                    f'live config after the restart: {json.dumps(self.live_config(), sort_keys=True)}')
        return t_rejoin

    def live_config(self):
        cm = self.kube.try_get(f'/api/v1/namespaces/{self.r.ns}/configmaps/{self.r.scope}-config') or {}
        return self.container_paths(json.loads(((cm.get('metadata') or {}).get('annotations') or {}).get('config') or '{}'))

    def container_paths(self, value):
        """A value of the cluster's configuration with every member's local stand-in paths mapped back
        to the container paths: the DCS holds what one member's rewritten config wrote there (such as
        the archive_command's /scripts/... of the pgBackRest backups)."""
        text = json.dumps(value)
        local = {os.path.join(m.dir, 'volumes', mount['name']): mount['mountPath'].rstrip('/')
                 for m in self.members for mount in self.r.mounts}
        for path in sorted(local, key=len, reverse=True):
            text = text.replace(json.dumps(path)[1:-1], json.dumps(local[path])[1:-1])
        return json.loads(text)

    def drift_config(self, leader):
        """As an operator might: change the cluster's dynamic configuration with patronictl (as pod
        `leader`), so that the restarted pod's postStart hook has something to restore."""
        dynamic = self.r.file_at(os.path.join(os.path.dirname(self.r.config_path), 'dynamic.yml'))
        if dynamic is None:
            return None
        want = yaml.safe_load(dynamic)
        key = 'maximum_lag_on_failover'
        rendered = want.get(key, 1048576)
        edited = int(rendered) * 2
        lm = self.member(leader)
        for _ in range(10):  # "aborted due to concurrent changes" while Patroni writes the config's history
            p = lm.run_as([os.path.join(self.venv, 'bin', 'patronictl'), '-c', lm.config_file, 'edit-config',
                           '--force', '--quiet', '--set', f'{key}={edited}'])
            self.patronictl_outputs.append(p.stdout + p.stderr)
            if p.returncode == 0:
                break
            time.sleep(1)
        if p.returncode != 0 or self.live_config().get(key) != edited:
            R.fail('patronictl edit-config', f'exit {p.returncode}: {(p.stdout + p.stderr).strip()[-300:]}; live {key} '
                   f'{self.live_config().get(key)}')
            return None
        return key, rendered, edited, want

    def outage(self, leader, s):
        duration = s['ttl'] + 20
        pids = open(os.path.join(self.a.state, 'pids')).read().split('\n')
        pid = next((int(ln.split()[0]) for ln in pids if ln.strip().endswith(' kube-apiserver')), None)
        if not pid:
            R.fail('api outage', f'no kube-apiserver pid in {self.a.state}/pids')
            return None
        self.apiserver_pid = pid
        leader_m = self.member(leader)
        before = len(self.writer.acked)
        self.kubelet.api_down.set()
        offsets = {m.name: os.path.getsize(m.log_path) for m in self.members}
        timeline_before = (leader_m.rest('patroni')[1] or {}).get('timeline')
        kills_before = len(self.kubelet.liveness_kills)
        flips_before = len(self.kubelet.transitions)
        t_stop = now()
        wall_stop = datetime.now(timezone.utc)
        os.kill(pid, signal.SIGSTOP)
        self.apiserver_stopped = True
        log(f'kube-apiserver ({pid}) stopped (SIGSTOP) for {duration}s')
        roles = []
        while now() - t_stop < duration:
            st, body = leader_m.rest('patroni', 1.0)
            roles.append((now() - t_stop, (body or {}).get('role'), (body or {}).get('state')))
            time.sleep(1.0)
        os.kill(pid, signal.SIGCONT)
        self.apiserver_stopped = False
        t_cont = now()
        wall_cont = datetime.now(timezone.utc)
        log('kube-apiserver continued (SIGCONT)')
        acks = [a for a in self.writer.snapshot() if t_stop <= a[1] <= t_cont]
        times = [t_stop] + [a[1] for a in acks] + [t_cont]
        max_gap = max(b - a for a, b in zip(times, times[1:]))
        members_written = sorted({a[2] for a in acks})
        demoted = [f'{t:.0f}s {role}/{state}' for t, role, state in roles if role != 'primary']
        kills = [f'{n} at {t - t_stop:.0f}s' for t, n in self.kubelet.liveness_kills[kills_before:]]
        flips = [f'{n} {"Ready" if ok else "NotReady"} at {t - t_stop:.0f}s' for t, n, ok in self.kubelet.transitions[flips_before:]
                 if t <= t_cont]
        if any(n == leader and not ok for t, n, ok in self.kubelet.transitions[flips_before:] if t <= t_cont):
            info(f'NOTE: the primary {leader}\'s readiness probe (GET /readiness) failed during the hang while it kept '
                 'accepting writes: a kubelet that can still reach the API server (Patroni alone cut off) would take it '
                 'out of the read-write Service')
        R.check(not kills, 'api outage: liveness probes pass', 'no liveness probe failed failureThreshold times in a row '
                'during the hang (a kubelet would not restart any member)' + (f'; readiness changes: {", ".join(flips)}' if flips else
                                                                             '; readiness unchanged'),
                f'a kubelet would have restarted: {", ".join(kills)} (liveness failing during the hang)'
                + (f'; readiness changes: {", ".join(flips)}' if flips else ''))
        R.check(len(acks) > 0 and max_gap <= s['loop_wait'] and members_written == [leader], 'api outage: primary stays writable (failsafe_mode)',
                f'kube-apiserver hung (SIGSTOP) {duration}s = ttl + 20; {len(acks)} commits acked on {leader} during it, '
                f'max gap between commits {max_gap:.2f}s; Patroni role of {leader} stayed primary'
                + ('' if not demoted else f' except {demoted[:3]}'),
                f'{len(acks)} commits acked during the {duration}s hang on {members_written}, max gap {max_gap:.1f}s '
                f'(limit loop_wait {s["loop_wait"]}s); {leader} Patroni role samples not primary: {demoted[:6]}; '
                f'failsafe_mode={s["failsafe_mode"]}')

        def recovered():
            ann = self.leader_cm(timeout=3)
            renew = ann.get('renewTime')
            if not renew or not ann.get('leader'):
                return None
            try:
                rt = datetime.fromisoformat(renew.replace('Z', '+00:00'))
            except ValueError:
                return None
            if rt <= wall_cont:
                return None
            h = self.healthy()
            return (ann['leader'], h) if h else None
        got = poll(WAIT, recovered, 0.25)
        t_rec = now() - t_cont
        after = [a for a in self.writer.snapshot() if a[1] > t_cont]
        times2 = [t_cont] + [a[1] for a in after if a[1] <= now()]
        gap_after = max((b - a for a, b in zip(times2, times2[1:])), default=None)
        if not got:
            R.fail('api outage: recovery', f'no renewed leader ConfigMap with all members streaming {WAIT:.0f}s after SIGCONT; '
                   f'leader annotations {self.leader_cm()}, /cluster {json.dumps(self.cluster_view())}')
            return None
        new_leader = got[0]
        self.numbers['api outage'] = (f'{duration}s, {len(acks)} commits during it, max gap {max_gap:.2f}s, recovery '
                                      f'{t_rec:.1f}s, longest gap after it {fmt_s(gap_after)}')
        timeline_after = (self.member(new_leader).rest('patroni')[1] or {}).get('timeline')
        demotions = []
        for m in self.members:
            with open(m.log_path, errors='replace') as f:
                f.seek(offsets[m.name])
                demotions += [f'{m.name}: {ln.strip()[:160]}' for ln in f.read().splitlines()
                              if re.search(r'Demoting self|Could not take out TTL lock|demoted self', ln)]
        if demotions or timeline_after != timeline_before:
            info(f'NOTE: when the API server came back, the leader was demoted and promoted again: timeline '
                 f'{timeline_before} -> {timeline_after}, leader {leader} -> {new_leader}; longest gap between commits '
                 f'{fmt_s(gap_after)}; Patroni logged: ' + ' | '.join(demotions[:4]))
        else:
            info(f'the leader {leader} kept its lock when the API server came back (timeline {timeline_after})')
        R.ok('api outage: recovery',
             f'{t_rec:.1f}s after SIGCONT Patroni renewed {self.r.scope}-leader (leader {new_leader}) and '
             f'{len(got[1][1])} replicas stream; longest gap between commits from SIGCONT until then {fmt_s(gap_after)}; '
             f'{len(self.writer.acked) - before} commits acked from the stop until then')
        info(f'outage window: {wall_stop.strftime("%H:%M:%S")}..{wall_cont.strftime("%H:%M:%S")} UTC')
        self.restore_readiness()
        self.check_routing('after api outage', new_leader)
        self.loss_check('api outage', new_leader, self.sync)
        return new_leader, len(acks), max_gap, t_rec, gap_after

    def restore_readiness(self):
        """After the API server hang, kube-controller-manager may find kwok's node leases stale, mark the
        nodes NotReady and their pods Ready=False; kwok makes the nodes Ready again but, running no
        kubelet, never writes the pods' status again. The harness's kubelet writes it back from its
        probes, as a kubelet's status sync would."""
        def nodes_ready():
            nodes = (self.kube.try_get('/api/v1/nodes') or {}).get('items')
            if not nodes:
                return None
            return True if all(any(c['type'] == 'Ready' and c['status'] == 'True' for c in n['status'].get('conditions') or [])
                               for n in nodes) else None
        poll(60, nodes_ready, 0.5)
        changed = self.kubelet.sync(force=True)
        self.kubelet.api_down.clear()
        if changed:
            info('after the hang kube-controller-manager had marked pod(s) not Ready (stale kwok node leases): '
                 f'{", ".join(changed)}; the harness\'s kubelet wrote their probed readiness back')

    def switchover(self, leader, s):
        view = self.cluster_view() or {}
        sync = [m['name'] for m in view.get('members', []) if m.get('role') in SYNC_ROLES]
        others = [m['name'] for m in view.get('members', []) if m['name'] != leader]
        candidate = sync[0] if sync else sorted(others)[0]
        lm = self.member(leader)
        cmd = [os.path.join(self.venv, 'bin', 'patronictl'), '-c', lm.config_file, 'switchover',
               '--leader', leader, '--candidate', candidate, '--force']
        shown = f'patronictl -c {self.r.config_path} switchover --leader {leader} --candidate {candidate} --force'
        info(f'switchover: `{shown}` (as pod {leader}: its config, environment and the ServiceAccount kubeconfig); '
             f'candidate {candidate}' + (' is the synchronous standby (Patroni refuses another one in synchronous mode)' if sync else ''))
        t = now()
        p = lm.run_as(cmd, timeout=120)
        t_cmd = now() - t
        out = (p.stdout + p.stderr).strip()
        self.patronictl_outputs.append(out)
        if p.returncode != 0:
            R.fail('switchover', f'patronictl exited {p.returncode} after {t_cmd:.1f}s: {out[-600:]}')
            return None
        state = {}

        def probe():
            if 'cm' not in state and self.leader_name() == candidate:
                state['cm'] = now()
            if 'write' not in state:
                a = self.writer.first_ack_after(t, on=candidate)
                if a:
                    state['write'] = a[1]
            return True if len(state) == 2 else None
        poll(60, probe, 0.1)
        if len(state) != 2:
            R.fail('switchover', f'leader {self.leader_name()} (want {candidate}), write on {candidate}: {"write" in state}; '
                   f'patronictl said: {out[-400:]}')
            return None
        total = max(state['cm'], state['write']) - t
        self.numbers['switchover'] = f'{total:.1f}s'
        R.ok('switchover', f'{candidate} is the leader {state["cm"] - t:.1f}s after `patronictl switchover` started '
                           f'(the command returned after {t_cmd:.1f}s), first write acked on it at {state["write"] - t:.1f}s: {total:.1f}s')
        got = poll(WAIT, lambda: self.healthy(expect_leader=candidate), 0.5)
        R.check(got is not None, 'switchover: former leader streams',
                f'{leader} streams from {candidate} on timeline {got[0].get("timeline") if got else "-"}',
                f'/cluster {json.dumps(self.cluster_view())}')
        self.check_routing('after switchover', candidate)
        self.tls_replication_check('after switchover', candidate)
        self.loss_check('switchover', candidate, self.sync)
        return candidate, total

    def final(self, leader):
        self.writer.stop_event.set()
        self.writer.join(timeout=30)
        acked = {a[0] for a in self.writer.acked}
        present = self.ids_on(leader)
        lost = sorted(acked - present)

        def caught_up():
            try:
                counts = {m.name: len(self.ids_on(m.name)) for m in self.members}
            except Exception:  # noqa: BLE001
                return None
            return counts if len(set(counts.values())) == 1 else None
        counts = poll(60, caught_up, 1.0)
        R.check(not lost and counts is not None, 'data after all phases',
                f'{len(acked)} acknowledged commits in total, all on the leader {leader}; every member has '
                f'{next(iter(counts.values())) if counts else "-"} rows',
                f'lost {len(lost)} of {len(acked)} acked ({lost[:10]}); row counts {counts or "differ after 60s"}')
        kills = [f'{n} at {t - T0:.0f}s' for t, n in self.kubelet.liveness_kills]
        R.check(not kills, 'liveness probes', 'no running member failed its liveness probe failureThreshold times in a row',
                f'a kubelet would have restarted: {", ".join(kills)}')
        parameters = (self.r.dcs.get('postgresql') or {}).get('parameters') or {}
        if is_on(parameters.get('archive_mode')):
            row = self.member(leader).query('SELECT archived_count, failed_count, last_failed_wal FROM pg_stat_archiver')[0]
            info(f'archive_mode is on, archive_command `{parameters.get("archive_command")}`: its repository, moved to a '
                 'local directory, has no stanza (no backup agent runs here), so archive-push and the standbys\' '
                 f'archive-get fail at once: {row[0]} archived, {row[1]} failed attempts on {leader} (last {row[2]}); '
                 'backup/run.sh archives for real')
        self.rbac_check()

    def rbac_check(self):
        lines = []
        total = 0
        for m in self.members:
            try:
                with open(m.log_path, errors='replace') as f:
                    text = f.read()
            except OSError:
                continue
            total += len(text.splitlines())
            lines += [f'{m.name}: {ln.strip()}' for ln in text.splitlines() if FORBIDDEN.search(ln)]
        for m in self.members:
            for hk in m.hooks:
                for path in (hk['out'], hk['err']):
                    try:
                        lines += [f'{m.name} postStart: {ln.strip()}' for ln in open(path, errors='replace') if FORBIDDEN.search(ln)]
                    except OSError:
                        pass
        for out in self.patronictl_outputs:
            lines += [f'patronictl: {ln.strip()}' for ln in out.splitlines() if FORBIDDEN.search(ln)]
        denied = sorted({f'{v} {r}' for ln in lines for v, r in re.findall(r'cannot (\w+) resource \\*"?([\w./-]+)', ln)})
        if denied:
            lines = [f'denied: {", ".join(denied)}'] + [ln for ln in lines if 'cannot' in ln][:1] + lines
        R.check(not lines, 'rbac: the rendered Role is enough',
                f'no 403/Forbidden in {total} lines of Patroni logs (ServiceAccount token, not admin), in the postStart '
                'hooks\' output (patronictl) nor in the switchover\'s patronictl output',
                f'{len(lines)} line(s), e.g.: ' + ' || '.join(ln[:400] for ln in lines[:4]))

    # ------------------------------------------------------------------ teardown
    def teardown(self, failed):
        if self.kubelet:
            self.kubelet.stop_event.set()
            self.kubelet.api_down.set()
        if self.apiserver_pid:
            try:
                os.kill(self.apiserver_pid, signal.SIGCONT)
            except OSError:
                pass
        if self.writer:
            self.writer.stop_event.set()
            self.writer.join(timeout=30)
        for m in self.members:  # all at once: no member takes over from another one stopping
            m.terminate()
        for m in self.members:
            try:
                m.stop(timeout=15)
            except Exception as e:  # noqa: BLE001
                log(f'stopping {m.name}: {e}')
        leftovers = [m.name for m in self.members if m.postmaster_pid() or (m.proc and m.proc.poll() is None)]
        if leftovers:
            log(f'still running after stop: {leftovers}')
        if failed:
            for m in self.members:
                try:
                    with open(m.log_path, errors='replace') as f:
                        tail = f.read().splitlines()[-25:]
                except OSError:
                    continue
                print(f'--- last lines of {m.name}\'s Patroni log', file=sys.stderr)
                for ln in tail:
                    print('    ' + ln, file=sys.stderr)
        if KEEP:
            info(f'CLUSTER_TEST_KEEP=1: objects in namespace {self.r.ns} kept, work directory {self.work}')
            return
        if self.namespace_created:
            self.kube.kubectl('delete', 'namespace', self.r.ns, '--wait=true', '--timeout=120s', '--ignore-not-found')
        if self.a.volumes and os.path.exists(self.a.volumes) and os.path.getsize(self.a.volumes):
            self.kube.kubectl('delete', '-f', self.a.volumes, '--wait=true', '--timeout=60s', '--ignore-not-found')
        for o in self.r.objects:
            if o['kind'] in ('StorageClass', 'PersistentVolume', 'ClusterRole', 'ClusterRoleBinding', 'PriorityClass'):
                self.kube.kubectl('delete', o['kind'], o['metadata']['name'], '--ignore-not-found', '--wait=false')

    # ------------------------------------------------------------------ main
    def run(self):
        self.r = Rendering(self.a.manifest)
        r = self.r
        self.sync = is_on(r.dcs.get('synchronous_mode'))
        self.superuser = ((r.config.get('postgresql') or {}).get('authentication') or {}).get('superuser', {}).get('username', 'postgres')
        info(f'{shown(self.a.manifest)}: StatefulSet {r.ns}/{r.name} ({r.replicas} pods) runs '
             f'`{" ".join(r.command)}`; Patroni config from {r.config_path} (scope {r.scope}); '
             f'PostgreSQL {self.a.pg_version} from {self.pg_bin} stands in for the image {r.container.get("image")}')
        try:
            self.apply()
            self.pods_ready()
            self.service_account_kubeconfig()
            self.members = [Member(self, i) for i in range(r.replicas)]
            for m in self.members:
                m.prepare()
            self.superuser_password = self.members[0].pod_env.get('PATRONI_SUPERUSER_PASSWORD', '')
            self.tls_info()
            self.kubelet = Kubelet(self)
            info(f'the harness plays the kubelet for the rendered probes ({self.kubelet.describe()}) against each '
                 'member\'s loopback ports, writing the pods\' Ready condition as a kubelet would')
            if self.kubelet.unsupported:
                R.fail('kubelet probes', 'probes the harness cannot run: ' + ', '.join(self.kubelet.unsupported))
            self.kubelet.start()
            leader = self.start_members()
            s = self.dcs_settings()
            self.sync = is_on(s['synchronous_mode'])
            self.start_writer(leader)
            new, t_fail = self.failover(leader, s)
            t_rejoin = self.rejoin(leader, new)
            if t_rejoin is None:
                raise Abort()
            res = self.outage(new, s)
            if res is None:
                raise Abort()
            leader2 = res[0]
            res = self.switchover(leader2, s)
            final_leader = res[0] if res else (self.leader_name() or leader2)
            self.final(final_leader)
        except Abort:
            if self.members:
                self.rbac_check()
        except Exception:  # noqa: BLE001
            R.fail('harness', 'unexpected error: ' + traceback.format_exc().strip().replace('\n', ' | '))
            if self.members:
                self.rbac_check()
        finally:
            if self.numbers:
                info('numbers: ' + '; '.join(f'{k} {v}' for k, v in self.numbers.items()))
            self.teardown(R.failed > 0)


def main():
    ap = argparse.ArgumentParser()
    for opt in ('state', 'bin', 'manifest', 'volumes', 'work', 'pg-bin', 'pg-version', 'venv', 'user'):
        ap.add_argument(f'--{opt}', required=opt not in ('volumes', 'pg-version'), default='')
    a = ap.parse_args()

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f'signal {signum}')
    signal.signal(signal.SIGTERM, on_signal)
    h = Harness(a)
    try:
        h.run()
    except KeyboardInterrupt as e:
        R.fail('harness', f'interrupted ({e})')
    except Abort:
        pass
    print(f'{R.passed} passed, {R.failed} failed', flush=True)
    sys.exit(0 if R.failed == 0 and R.passed > 0 else 1)


if __name__ == '__main__':
    main()
