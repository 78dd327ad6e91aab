# shellcheck shell=bash
# Sourced by the Postgres checks (test/integration/postgres/run.sh, test/cluster/failover/run.sh):
# installs what is missing and sets
#   PG_BIN      PostgreSQL 15's binaries (Debian's postgresql-15)
#   PG_USER     who runs Patroni and PostgreSQL (which refuse root): `postgres` when run as root
#   PATRONI_VENV  a venv with patroni-requirements.txt (pinned), made from Debian's /usr/bin/python3,
#               where PG_USER can read it
# Call postgres_setup; it returns non-zero with a message on stderr when something cannot be had.
# Env: CDK8S_STATEFUL_CACHE (default ~/.cache/cdk8s-stateful).

PG_MAJOR=15
PG_BIN="/usr/lib/postgresql/$PG_MAJOR/bin"
_postgres_setup_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

postgres_setup() {
  local python=/usr/bin/python3 cache="${CDK8S_STATEFUL_CACHE:-$HOME/.cache/cdk8s-stateful}" need=()
  [[ -x $PG_BIN/postgres && -x $PG_BIN/pg_rewind && -x $PG_BIN/pg_basebackup ]] || need+=("postgresql-$PG_MAJOR")
  [[ -x $python ]] || need+=(python3)
  { [[ -x $python ]] && "$python" -c 'import ensurepip, venv' 2>/dev/null; } || need+=(python3-venv)
  if [[ ${#need[@]} -gt 0 ]]; then
    if [[ $(id -u) != 0 ]]; then echo "needs ${need[*]} (apt-get install, as root)" >&2; return 1; fi
    echo "postgres setup: installing ${need[*]}" >&2
    apt-get update -qq >/dev/null || { echo "apt-get update failed" >&2; return 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null ||
      { echo "apt-get install ${need[*]} failed" >&2; return 1; }
  fi

  if [[ $(id -u) == 0 ]]; then
    PG_USER=postgres
    id "$PG_USER" >/dev/null 2>&1 || useradd --system --create-home "$PG_USER" ||
      { echo "cannot create the user $PG_USER" >&2; return 1; }
  else
    PG_USER="$(id -un)"
  fi

  # The venv goes where PG_USER can read it: the cache, unless it is under a home that user cannot
  # enter (root's is 0700), then /opt/cdk8s-stateful. Its name changes with the pins and the Python.
  local requirements="$_postgres_setup_dir/patroni-requirements.txt" key root
  key="$(cat "$requirements" <("$python" -VV) | sha256sum | cut -c1-16)"
  mkdir -p "$cache"
  root="$cache"
  if [[ $(id -u) == 0 ]] && ! runuser -u "$PG_USER" -- test -x "$cache"; then root=/opt/cdk8s-stateful; fi
  PATRONI_VENV="$root/patroni-venv-$key"
  if [[ ! -f $PATRONI_VENV/.complete ]]; then
    echo "postgres setup: installing Patroni ($requirements) into $PATRONI_VENV" >&2
    # One installer at a time (the integration and cluster stages may share the cache).
    (
      command -v flock >/dev/null && { exec 9>"$cache/.patroni.lock"; flock 9; }
      [[ -f $PATRONI_VENV/.complete ]] && exit 0
      rm -rf "$PATRONI_VENV"
      mkdir -p "$root" && chmod 755 "$root" &&
        "$python" -m venv "$PATRONI_VENV" &&
        "$PATRONI_VENV/bin/pip" install --disable-pip-version-check --no-input -q --no-deps -r "$requirements" &&
        "$PATRONI_VENV/bin/pip" check >/dev/null &&
        chmod -R a+rX "$PATRONI_VENV" &&
        touch "$PATRONI_VENV/.complete"
    ) || { echo "could not install Patroni into $PATRONI_VENV" >&2; return 1; }
  fi
  "$PATRONI_VENV/bin/patroni" --version >/dev/null 2>&1 || { echo "$PATRONI_VENV/bin/patroni does not run" >&2; return 1; }
  if [[ $(id -u) == 0 ]]; then
    runuser -u "$PG_USER" -- "$PATRONI_VENV/bin/python" -c 'import patroni, psycopg2' ||
      { echo "the user $PG_USER cannot use $PATRONI_VENV" >&2; return 1; }
  fi
}

# Runs a command as PG_USER (runuser when root).
as_pg_user() {
  if [[ $(id -u) == 0 ]]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi
}
