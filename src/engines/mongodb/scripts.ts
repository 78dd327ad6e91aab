/*
 * Scripts the MongoDB pods run, as template strings so that they ship in the JS package.
 * They are checked by test/integration/mongodb/run.sh (node --check, shellcheck) and the agent's
 * logic by test/engines/mongodb-agent.test.ts, which runs this very text against a fake set.
 */
import { DB_PATH, KEYFILE_PATH, KEYFILE_SECRET_DIR, REPLICA_SET_FILE, CONFIG_DIR, SCRIPTS_DIR } from './config';

/** Init container: the keyfile copy mongod accepts, and the data directory. */
export const SETUP_SCRIPT = `#!/bin/bash
# Prepares the pod before mongod starts. Runs as the mongodb user (999).
set -euo pipefail

# mongod refuses a keyfile that its group or others can read, and a Secret volume under fsGroup is
# 0440 whatever its defaultMode: keep a private 0400 copy, owned by this user, in memory.
rm -f "${KEYFILE_PATH}"
install -m 0400 "${KEYFILE_SECRET_DIR}/keyfile" "${KEYFILE_PATH}"

# The data lives in a subdirectory: a new volume's root holds lost+found.
mkdir -p "${DB_PATH}"
echo "keyfile ready at ${KEYFILE_PATH}, data directory ${DB_PATH}"
`;

/** Sidecar: keeps this pod in its replica set, retrying quickly until it is, then checking now and then. */
export const AGENT_SCRIPT = `#!/bin/bash
# Runs the replica-set agent (replica-set.js) until this member is part of its set, then re-checks
# every RECHECK_SECONDS. Exit codes of the agent: 0 = member and nothing to do, other = retry soon.
set -uo pipefail
trap 'exit 0' TERM INT

retry="\${RETRY_SECONDS:-5}"
recheck="\${RECHECK_SECONDS:-300}"
while true; do
  if mongosh --quiet --norc --nodb --file "${SCRIPTS_DIR}/replica-set.js"; then
    pause="$recheck"
  else
    pause="$retry"
  fi
  sleep "$pause" &
  wait $!
done
`;

/**
 * The replica-set agent, run by mongosh --nodb in every pod's sidecar. Idempotent: it only ever
 * acts on what it reads from the servers, so running it again (after a restart, on a schedule) is safe.
 *
 * - This mongod has a replica-set config: nothing to initiate; if it is the primary, it makes sure the
 *   root user exists (through the localhost exception, which only works while there is no user).
 * - It has none (rs.status() says NotYetInitialized): if any other member belongs to the set, the set
 *   exists and this pod joins it (asks the primary to add it, unless it is already in the config, in
 *   which case the primary's heartbeats bring it in). Only when no other member answers as part of the
 *   set, and only on the data-bearing pod of ordinal 0, does it run replSetInitiate with all members.
 *   A pod 0 whose volume was lost, while the others still run, therefore joins them.
 */
export const AGENT_JS = `// Replica-set agent (mongosh --nodb). Exit code 0: this member is in its set; other: try again later.
/* global Mongo, process, require, print, quit */
const settings = JSON.parse(require('fs').readFileSync(process.env.REPLICA_SET_FILE || '${CONFIG_DIR}/${REPLICA_SET_FILE}', 'utf8'));
const self = process.env.MEMBER_HOST;
const role = process.env.MEMBER_ROLE || 'data';
const user = settings.rootUser;
const password = process.env.MONGODB_ROOT_PASSWORD || '';
const local = 'localhost:' + settings.port;
const ordinal = Number((process.env.POD_NAME || '').split('-').pop());

const OK = 0;
const RETRY = 3;
const FATAL = 4;
const NOT_YET_INITIALIZED = 94;
const UNAUTHORIZED = 13;
const AUTHENTICATION_FAILED = 18;
const USER_EXISTS = 51003;
const MAX_VOTERS = 7;

function log(message) {
  print('[replica-set agent ' + self + '] ' + message);
}

// One command on one server; never throws: failures come back as { ok: 0, code, codeName, errmsg }.
function run(host, auth, command) {
  try {
    const credentials = auth ? encodeURIComponent(user) + ':' + encodeURIComponent(password) + '@' : '';
    const options = (auth ? 'authSource=admin&' : '') + 'directConnection=true&serverSelectionTimeoutMS=5000&connectTimeoutMS=5000';
    const db = new Mongo('mongodb://' + credentials + host + '/?' + options).getDB('admin');
    const result = db.runCommand(command);
    return result && typeof result === 'object' ? result : { ok: 0, errmsg: 'no reply' };
  } catch (e) {
    return { ok: 0, code: e.code, codeName: e.codeName, errmsg: String((e && e.message) || e) };
  }
}

// rs.status() of this mongod: as root, or through the localhost exception while no user exists.
function localStatus() {
  const asRoot = run(local, true, { replSetGetStatus: 1 });
  if (asRoot.ok || asRoot.code === NOT_YET_INITIALIZED) {
    return asRoot;
  }
  return run(local, false, { replSetGetStatus: 1 });
}

function ensureRootUser() {
  if (run(local, true, { connectionStatus: 1 }).ok) {
    return OK;
  }
  const created = run(local, false, {
    createUser: user,
    pwd: password,
    roles: [{ role: 'root', db: 'admin' }],
    writeConcern: { w: 'majority', wtimeout: 60000 },
  });
  if (created.ok) {
    log('created the root user ' + user);
    return OK;
  }
  if (created.code === USER_EXISTS) {
    return OK;
  }
  if (created.code === UNAUTHORIZED) {
    log('users exist but ' + user + ' cannot log in with the password of the Secret: was the Secret replaced? ' + created.errmsg);
    return FATAL;
  }
  log('could not create the root user yet: ' + created.errmsg);
  return RETRY;
}

// Other members that answer as part of this set, with the primary they know of.
function liveSet() {
  const peers = settings.members.concat(settings.arbiter ? [settings.arbiter] : []).filter((h) => h !== self);
  let found = false;
  let primary;
  for (const peer of peers) {
    const hello = run(peer, false, { hello: 1 });
    if (hello.ok && hello.setName === settings.name) {
      found = true;
      if (hello.isWritablePrimary) {
        primary = peer;
      } else if (!primary && hello.primary) {
        primary = hello.primary;
      }
    }
  }
  return { found: found, primary: primary };
}

function join(primary) {
  const reply = run(primary, true, { replSetGetConfig: 1 });
  if (!reply.ok) {
    log('cannot read the set config from ' + primary + ': ' + reply.errmsg);
    return RETRY;
  }
  const config = reply.config;
  if (config.members.some((m) => m.host === self)) {
    log('already in the set config: waiting for the primary to bring this member in');
    return RETRY;
  }
  const ids = config.members.map((m) => m._id);
  let id = role === 'data' && Number.isInteger(ordinal) && ids.indexOf(ordinal) < 0 ? ordinal : Math.max.apply(null, ids.concat([-1])) + 1;
  while (ids.indexOf(id) >= 0) { id += 1; }
  const member = { _id: id, host: self };
  if (role === 'arbiter') {
    member.arbiterOnly = true;
  }
  const voters = config.members.filter((m) => m.votes === undefined || m.votes > 0).length;
  if (voters >= MAX_VOTERS && role !== 'arbiter') {
    member.votes = 0;
    member.priority = 0;
  }
  config.version += 1;
  config.members.push(member);
  const added = run(primary, true, { replSetReconfig: config, maxTimeMS: 60000 });
  if (!added.ok) {
    log('rs.add(' + self + ') on ' + primary + ' failed: ' + added.errmsg);
    return RETRY;
  }
  log('added to the set by ' + primary + ' as member ' + id + (member.arbiterOnly ? ' (arbiter)' : ''));
  return RETRY;
}

function initiate() {
  const members = settings.members.map((host, i) => ({ _id: i, host: host }));
  if (settings.arbiter) {
    members.push({ _id: settings.members.length, host: settings.arbiter, arbiterOnly: true });
  }
  const reply = run(local, false, { replSetInitiate: { _id: settings.name, members: members } });
  if (reply.ok) {
    log('initiated replica set ' + settings.name + ' with ' + members.map((m) => m.host).join(', '));
  } else {
    log('rs.initiate not accepted yet (every member must be up): ' + reply.errmsg);
  }
  return RETRY;
}

function main() {
  if (!self || !settings.name) {
    log('MEMBER_HOST and the replica-set file are required');
    return FATAL;
  }
  const status = localStatus();
  if (status.ok) {
    if (status.set !== settings.name) {
      log('this mongod belongs to replica set ' + status.set + ', not ' + settings.name + ': refusing to touch it');
      return FATAL;
    }
    // rs.status().myState: 1 PRIMARY, 2 SECONDARY, 7 ARBITER.
    if (status.myState === 1) {
      return ensureRootUser();
    }
    return status.myState === 2 || status.myState === 7 ? OK : RETRY;
  }
  if (status.code === UNAUTHORIZED) {
    log('rs.status() refused: this mongod has users, and ' + user + ' cannot log in with the password of the Secret (was the Secret replaced?)');
    return RETRY;
  }
  if (status.code !== NOT_YET_INITIALIZED) {
    log('rs.status() failed: ' + status.errmsg);
    return RETRY;
  }
  // No replica-set config on this volume. Never start a new set while another member runs one.
  const set = liveSet();
  if (set.found) {
    if (!set.primary) {
      log('the set has no primary right now: waiting');
      return RETRY;
    }
    return join(set.primary);
  }
  if (role === 'data' && ordinal === 0) {
    return initiate();
  }
  log('waiting for ' + settings.members[0] + ' to initiate the set');
  return RETRY;
}

quit(main());
`;

/** Startup and liveness: mongod answers (ping needs no authentication). */
export const PING_JS = 'db.adminCommand("ping")';

/** Readiness: this member is PRIMARY or SECONDARY (or the ARBITER); hello needs no authentication. */
export const READY_JS = 'const h = db.hello(); if (!(h.isWritablePrimary || h.secondary || h.arbiterOnly)) { quit(1); }';

/** The mongodump options of a logical backup, besides the connection: one gzipped archive on stdout, with the oplog written meanwhile. */
export const MONGODUMP_OPTIONS = ['--archive', '--gzip', '--oplog'];

/**
 * The MongoDB part of the dump script (see renderDumpScript). The dump reads from one member:
 * mongodump with a replica-set URI and a secondary read preference may read the collections from
 * one secondary and the oplog from another, and an oplog that starts after the collections' copy
 * cannot make them consistent. So the script asks each member in $DUMP_REPLICAS whether it is a
 * secondary (`hello` needs no login) and dumps from the first that is, over a direct connection;
 * with none, it dumps from the primary through the replica-set URI in $DUMP_FALLBACK.
 */
export function dumpScript(): string {
  return `suffix=.archive.gz
conf="$secrets/mongodump.yaml"
# mongodump's --config file: the password, never on a command line. YAML single quotes: ' doubled.
write_credentials() {
  local p=\${MONGODB_ROOT_PASSWORD:?}
  printf "password: '%s'\\n" "\${p//\\'/\\'\\'}" > "$conf"
}

is_replica() {
  mongosh --quiet --norc "mongodb://$1/?directConnection=true&serverSelectionTimeoutMS=10000" \\
    --eval 'quit(db.hello().secondary === true ? 0 : 1)' >/dev/null 2>&1
}

dump() {
  local uri
  if [ "$1" = "$DUMP_FALLBACK" ]; then
    uri="mongodb://root@$1"
  else
    uri="mongodb://root@$1/?directConnection=true&readPreference=secondaryPreferred&authSource=admin"
  fi
  mongodump --config="$conf" --uri="$uri" ${MONGODUMP_OPTIONS.join(' ')}
}
`;
}
