/**
 * The scripts of pgBackRest backups and restores, written into the `<name>-scripts` ConfigMap. The
 * integration stage (test/integration/postgres) runs them with real pgBackRest and PostgreSQL, and
 * the cluster stage runs the agent's handshake against a real API server.
 */

/** The ConfigMap annotations of the handshake between the CronJobs and the primary's agent. */
export const BACKUP_ANNOTATION_PREFIX = 'cdk8s-stateful/backup-';

/**
 * Every pgbackrest call of the pods goes through this wrapper. `target` is this instance's own
 * repository (archive and backups), `source` the repository a restore reads: its Secret values come
 * as `RESTORE_PGBACKREST_*` and replace, for that one command, this instance's `PGBACKREST_*`, so two
 * repositories with their own credentials and passphrases never mix.
 */
export const PGBACKREST_SCRIPT = `#!/bin/sh
# usage: pgbackrest.sh target|source <pgbackrest arguments>
set -eu
dir="\${BACKUP_CONFIG_DIR:-/etc/pgbackrest/conf}"
case "\${1:-}" in
  target) shift; exec pgbackrest --config="$dir/pgbackrest.conf" "$@" ;;
  source)
    shift
    for var in $(env | sed -n 's/^\\(PGBACKREST_[A-Z0-9_]*\\)=.*/\\1/p'); do unset "$var"; done
    for var in $(env | sed -n 's/^RESTORE_\\(PGBACKREST_[A-Z0-9_]*\\)=.*/\\1/p'); do
      eval "export $var=\\"\\$RESTORE_$var\\""
    done
    exec pgbackrest --config="$dir/restore.conf" "$@" ;;
  *) echo "usage: pgbackrest.sh target|source <pgbackrest arguments>" >&2; exit 2 ;;
esac
`;

/**
 * Patroni's custom bootstrap (\`bootstrap.method: pgbackrest\`): restores the source repository's
 * backup into the empty data directory and leaves the recovery settings that replay WAL up to the
 * target and then promote. pgBackRest refuses a data directory that is not empty, so this can
 * never write over data.
 */
export const RESTORE_SCRIPT = `#!/bin/sh
# usage: restore.sh <data directory>
# From the pod: RESTORE_STANZA; RESTORE_TYPE (default: to the end of the archive, time, immediate),
# RESTORE_TARGET (the time) and RESTORE_SET (the backup to start from).
set -eu
data="\${1:?usage: restore.sh <data directory>}"
: "\${RESTORE_STANZA:?}"
wrapper="\${BACKUP_WRAPPER:-/scripts/pgbackrest.sh}"
type="\${RESTORE_TYPE:-default}"
set -- --stanza="$RESTORE_STANZA" --pg1-path="$data" --type="$type"
# Promote at the target; without one, recovery replays the whole archive and then promotes by itself.
[ "$type" = default ] || set -- "$@" --target-action=promote
[ -z "\${RESTORE_TARGET:-}" ] || set -- "$@" --target="$RESTORE_TARGET"
[ -z "\${RESTORE_SET:-}" ] || set -- "$@" --set="$RESTORE_SET"
mkdir -p "$data"
chmod 0700 "$data"
echo "restore: stanza $RESTORE_STANZA into $data: type $type\${RESTORE_TARGET:+, target $RESTORE_TARGET}\${RESTORE_SET:+, backup $RESTORE_SET}"
# The recovery reads the source's archive through the wrapper, with the source's credentials.
"$wrapper" source "$@" --recovery-option="restore_command=$wrapper source --stanza=$RESTORE_STANZA archive-get %f \\"%p\\"" restore
echo "restore: files restored; PostgreSQL replays WAL to the target and promotes"
`;

/**
 * The backup agent (Python 3, standard library only: the image's Patroni runs on it).
 *
 * `agent` runs beside PostgreSQL in every pod. On the primary only (Patroni's GET /primary), it
 * creates the stanza once, then polls the `<name>-backup` ConfigMap for requests
 * (`cdk8s-stateful/backup-request-<type>`), runs them one at a time, and writes the outcome to
 * `cdk8s-stateful/backup-status-<type>`. `request <type>` is the CronJob's side: it asks, waits for
 * the outcome and exits with it, so a failed backup is a failed Job. `run <type>` is one backup now.
 */
export const BACKUP_AGENT_SCRIPT = `#!/usr/bin/env python3
"""pgBackRest backups on the current primary, requested through a ConfigMap (see usage)."""
import datetime
import json
import os
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

SA = os.environ.get("SERVICE_ACCOUNT_DIR", "/var/run/secrets/kubernetes.io/serviceaccount")
API = os.environ.get("KUBERNETES_API_URL", "https://kubernetes.default.svc")
PATRONI = os.environ.get("PATRONI_URL", "http://127.0.0.1:8008")
WRAPPER = os.environ.get("BACKUP_WRAPPER", "/scripts/pgbackrest.sh")
PREFIX = "${BACKUP_ANNOTATION_PREFIX}"
TYPES = ("full", "diff", "incr")
USAGE = "usage: backup-agent.py agent | request <full|diff|incr> | run <full|diff|incr>"


def log(message):
    print(datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), message, flush=True)


def read(name):
    with open(os.path.join(SA, name), encoding="utf-8") as f:
        return f.read().strip()


def configmap(method, body=None):
    """GET or merge-PATCH the one ConfigMap of the handshake; the token is read each time (it rotates)."""
    url = "%s/api/v1/namespaces/%s/configmaps/%s" % (API, read("namespace"), os.environ["BACKUP_CONFIGMAP"])
    request = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode())
    request.add_header("Authorization", "Bearer " + read("token"))
    request.add_header("Accept", "application/json")
    if body is not None:
        request.add_header("Content-Type", "application/merge-patch+json")
    context = ssl.create_default_context(cafile=os.path.join(SA, "ca.crt"))
    with urllib.request.urlopen(request, context=context, timeout=15) as response:
        return json.load(response)


def annotations():
    return configmap("GET")["metadata"].get("annotations") or {}


def annotate(values):
    configmap("PATCH", {"metadata": {"annotations": values}})


def is_primary():
    # With TLS the REST API speaks HTTPS only. On loopback, inside the pod, encryption is all there is
    # to have: the sidecar has no CA (the Secret also holds the server's key).
    context = None
    if PATRONI.startswith("https:"):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(PATRONI + "/primary", timeout=5, context=context) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def pgbackrest(*args):
    """Runs pgbackrest on this instance's repository; returns its exit code and last lines."""
    command = [WRAPPER, "target", "--stanza=" + os.environ["BACKUP_STANZA"]] + list(args)
    log("running " + " ".join(command[1:]))
    limit = int(os.environ.get("BACKUP_TIMEOUT_SECONDS", "21600"))
    try:
        process = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 universal_newlines=True, check=False, timeout=limit)
        code, output = process.returncode, process.stdout
    except subprocess.TimeoutExpired as expired:
        # run() has killed it; a stuck backup must not keep the agent from the next request.
        code, output = 124, (expired.output or "") + "\\nstopped after %d s (backup.timeout)\\n" % limit
    sys.stdout.write(output)
    sys.stdout.flush()
    return code, "\\n".join(output.strip().splitlines()[-5:])[-1000:]


def run(kind):
    """One backup: the stanza first (idempotent), then the backup, which also expires old ones."""
    code, tail = pgbackrest("stanza-create")
    if code != 0:
        return code, tail
    return pgbackrest("--type=" + kind, "backup")


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def agent():
    member = os.environ.get("PATRONI_NAME", os.uname().nodename)
    interval = int(os.environ.get("BACKUP_POLL_SECONDS", "10"))
    stanza_ready = False
    log("agent of %s: backups run here while this member is the primary" % member)
    while True:
        try:
            if not is_primary():
                stanza_ready = False
            else:
                # Archiving works only once the stanza exists: create it as soon as this member leads.
                if not stanza_ready:
                    stanza_ready = pgbackrest("stanza-create")[0] == 0
                notes = annotations()
                for kind in TYPES:
                    wanted = notes.get(PREFIX + "request-" + kind)
                    status = json.loads(notes.get(PREFIX + "status-" + kind) or "{}")
                    if not wanted or (status.get("request") == wanted and (status.get("state") != "running" or status.get("member") == member)):
                        continue
                    # A request not yet taken, or taken by a member that is no longer the primary.
                    started = now()
                    annotate({PREFIX + "status-" + kind: json.dumps({"request": wanted, "state": "running", "member": member, "started": started})})
                    code, tail = run(kind)
                    outcome = {"request": wanted, "state": "succeeded" if code == 0 else "failed", "member": member,
                               "started": started, "finished": now(), "exitCode": code, "message": tail}
                    annotate({PREFIX + "status-" + kind: json.dumps(outcome)})
                    log("%s backup %s: %s" % (kind, wanted, outcome["state"]))
        except Exception as error:  # pylint: disable=broad-except
            # The API or Patroni may be away for a while; the next round tries again.
            log("agent: %s" % error)
        time.sleep(interval)


def request(kind):
    """The CronJob's side: ask for a backup, wait for its outcome, exit with it."""
    wanted = "%s-%s" % (os.environ.get("HOSTNAME", "request"), datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ"))
    deadline = time.monotonic() + int(os.environ.get("BACKUP_WAIT_SECONDS", "21600"))
    interval = int(os.environ.get("BACKUP_POLL_SECONDS", "10"))
    annotate({PREFIX + "request-" + kind: wanted})
    log("requested %s backup %s" % (kind, wanted))
    taken = False
    while time.monotonic() < deadline:
        time.sleep(interval)
        try:
            status = json.loads(annotations().get(PREFIX + "status-" + kind) or "{}")
        except Exception as error:  # pylint: disable=broad-except
            log("reading the status: %s" % error)
            continue
        if status.get("request") != wanted:
            continue
        if not taken:
            taken = True
            log("taken by %s" % status.get("member"))
        if status.get("state") in ("succeeded", "failed"):
            log("%s backup %s %s on %s:\\n%s" % (kind, wanted, status["state"], status.get("member"), status.get("message", "")))
            return 0 if status["state"] == "succeeded" else 1
    log("%s backup %s: no outcome in time (%s); is there a primary, and does its backup container run?" % (kind, wanted, "running" if taken else "never taken"))
    return 1


def main(argv):
    if len(argv) == 2 and argv[1] == "agent":
        agent()
    if len(argv) == 3 and argv[2] in TYPES and argv[1] in ("request", "run"):
        if argv[1] == "request":
            return request(argv[2])
        return run(argv[2])[0]
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
`;
