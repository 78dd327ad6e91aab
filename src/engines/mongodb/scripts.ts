/*
 * Scripts the MongoDB pods run, as template strings so that they ship in the JS package.
 * They are checked by test/integration/mongodb/run.sh (node --check, shellcheck) and the agent's
 * logic by test/engines/mongodb-agent.test.ts, which runs this very text against a fake set.
 */
import { DB_PATH, KEYFILE_PATH, KEYFILE_SECRET_DIR, REPLICA_SET_FILE, CONFIG_DIR, SCRIPTS_DIR, TLS_PEM_FILE, MONGODB_PORT } from './config';
import { TLS_CA_FILE, TLS_PEM_BUNDLE_FUNCTION, TLS_WATCH_FUNCTION } from '../tls-kit';


/** Options of every mongosh that talks to this pod's own mongod with tls: verified, by the name the certificate has for loopback. */
export const MONGOSH_TLS_OPTIONS = ['--tls', '--tlsCAFile', TLS_CA_FILE, '--host', 'localhost'];

/** File name of ROTATE_JS in the scripts ConfigMap. */
export const ROTATE_FILE = 'rotate-certificates.js';

/**
 * Asks this mongod to load the renewed certificate and CA (MongoDB 5.0+): as root on a data
 * member; on the arbiter, which has no users, through the localhost exception. Password from the
 * environment, never on a command line.
 */
export const ROTATE_JS = `const tls = 'tls=true&tlsCAFile=' + encodeURIComponent('${TLS_CA_FILE}') + '&directConnection=true&serverSelectionTimeoutMS=5000';
const rotate = (auth) => new Mongo('mongodb://' + auth + 'localhost:${MONGODB_PORT}/?' + (auth ? 'authSource=admin&' : '') + tls).getDB('admin').runCommand({ rotateCertificates: 1 });
let reply;
try { reply = rotate(encodeURIComponent('root') + ':' + encodeURIComponent(process.env.MONGODB_ROOT_PASSWORD || '') + '@'); } catch (e) { reply = { ok: 0, errmsg: String(e) }; }
if (!reply.ok) { try { reply = rotate(''); } catch (e) { reply = { ok: 0, errmsg: String(e) }; } }
if (!reply.ok) { print('rotateCertificates failed: ' + reply.errmsg); quit(1); }
print('rotateCertificates: the renewed certificate is in use');`;

/** Init container: the keyfile copy mongod accepts, the data directory and, with tls, the PEM file. */
export function setupScript(tls: boolean): string {
  return `#!/bin/bash
# Prepares the pod before mongod starts. Runs as the mongodb user (999).
set -euo pipefail

# mongod refuses a keyfile that its group or others can read, and a Secret volume under fsGroup is
# 0440 whatever its defaultMode: keep a private 0400 copy, owned by this user, in memory.
rm -f "${KEYFILE_PATH}"
install -m 0400 "${KEYFILE_SECRET_DIR}/keyfile" "${KEYFILE_PATH}"

# The data lives in a subdirectory: a new volume's root holds lost+found.
mkdir -p "${DB_PATH}"
echo "keyfile ready at ${KEYFILE_PATH}, data directory ${DB_PATH}"
${tls ? `
${TLS_PEM_BUNDLE_FUNCTION}
tls_pem_bundle "${TLS_PEM_FILE}"
echo "certificate and key composed into ${TLS_PEM_FILE}"
` : ''}`;
}

/** The setup script without tls. */
export const SETUP_SCRIPT = setupScript(false);

/** Sidecar: keeps this pod in its replica set, retrying quickly until it is, then checking now and then. */
export function agentScript(tls: boolean): string {
  return `#!/bin/bash
# Runs the replica-set agent (replica-set.js) until this member is part of its set, then re-checks
# every RECHECK_SECONDS. Exit codes of the agent: 0 = member and nothing to do, 5 = work pending
# that must wait (a member to remove still answers): again after SOON_SECONDS, other = retry soon.
set -uo pipefail
trap 'exit 0' TERM INT
${tls ? `
# A renewed certificate (cert-manager, or a changed Secret): composed again, then loaded by
# mongod without a restart (rotateCertificates). Open connections keep the old one.
${TLS_PEM_BUNDLE_FUNCTION}
${TLS_WATCH_FUNCTION}
reload_tls() {
  tls_pem_bundle "${TLS_PEM_FILE}" && mongosh --quiet --norc --nodb --file "${SCRIPTS_DIR}/${ROTATE_FILE}"
}
tls_watch reload_tls
` : ''}
retry="\${RETRY_SECONDS:-5}"
soon="\${SOON_SECONDS:-30}"
recheck="\${RECHECK_SECONDS:-300}"
while true; do
  mongosh --quiet --norc --nodb --file "${SCRIPTS_DIR}/replica-set.js"
  case $? in
    0) pause="$recheck" ;;
    5) pause="$soon" ;;
    *) pause="$retry" ;;
  esac
  sleep "$pause" &
  wait $!
done
`;
}

/** The agent loop without tls. */
export const AGENT_SCRIPT = agentScript(false);

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
// Work is pending that this run could not do yet (a member to remove still answers): look again soon.
const SOON = 5;
const NOT_YET_INITIALIZED = 94;
const INVALID_REPLICA_SET_CONFIG = 93;
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
    const tls = settings.tls ? 'tls=true&tlsCAFile=' + encodeURIComponent(settings.tls.caFile) + '&' : '';
    const options = (auth ? 'authSource=admin&' : '') + tls + 'directConnection=true&serverSelectionTimeoutMS=5000&connectTimeoutMS=5000';
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
  if (asRoot.ok || asRoot.code === NOT_YET_INITIALIZED || asRoot.code === INVALID_REPLICA_SET_CONFIG) {
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

function isVoter(member) {
  return member.votes === undefined || member.votes > 0;
}

// The member rs.add would add for this host: its ordinal as _id when free, an arbiter as arbiterOnly,
// and no vote once the set has MAX_VOTERS voters.
function newMember(config, host, memberRole) {
  const ids = config.members.map((m) => m._id);
  const own = host.indexOf(settings.own.prefix) === 0 ? Number(host.slice(settings.own.prefix.length).split('.')[0]) : NaN;
  let id = memberRole === 'data' && Number.isInteger(own) && ids.indexOf(own) < 0 ? own : Math.max.apply(null, ids.concat([-1])) + 1;
  while (ids.indexOf(id) >= 0) { id += 1; }
  const member = { _id: id, host: host };
  if (memberRole === 'arbiter') {
    member.arbiterOnly = true;
  }
  if (config.members.filter(isVoter).length >= MAX_VOTERS && memberRole !== 'arbiter') {
    member.votes = 0;
    member.priority = 0;
  }
  return member;
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
  const member = newMember(config, self, role);
  config.version += 1;
  config.members.push(member);
  const added = run(primary, true, { replSetReconfig: config, maxTimeMS: 60000 });
  if (!added.ok) {
    log('rs.add(' + self + ') on ' + primary + ' failed: ' + added.errmsg);
    return RETRY;
  }
  log('added to the set by ' + primary + ' as member ' + member._id + (member.arbiterOnly ? ' (arbiter)' : ''));
  return RETRY;
}

// Whether host is one of this instance's own pods (a data pod by ordinal, or the arbiter), which
// the agent may remove; members added by hand are left alone.
function isOwn(host) {
  const own = settings.own;
  if (host === own.arbiterHost) {
    return true;
  }
  if (host.indexOf(own.prefix) !== 0 || host.length <= own.prefix.length + own.suffix.length || host.slice(-own.suffix.length) !== own.suffix) {
    return false;
  }
  return /^(0|[1-9][0-9]*)$/.test(host.slice(own.prefix.length, host.length - own.suffix.length));
}

/*
 * On the primary: makes the set's membership what the ConfigMap renders, one change per reconfig.
 *  - A member of this instance that is not rendered any more (ordinal at or above replicas, or the
 *    arbiter once arbiter is off) is removed once it is down: its pod is gone. While it still
 *    answers (its pod is stopping, or the ConfigMap on this node is older than on its), it stays.
 *  - This primary itself not rendered any more: it steps down, and the next primary removes it.
 *  - A rendered member missing from the config that answers is added (new pods also add themselves).
 *  - A data member without a vote gets one while the voters are even and fewer than MAX_VOTERS.
 * MongoDB accepts one voter added or removed per reconfig, committed by a majority of the new
 * config's voters: so at most one voter changes per run, only when a majority of the voters left
 * are up, and when the voters are even the change that makes them odd again comes first.
 */
function reconcile(status) {
  const reply = run(local, true, { replSetGetConfig: 1 });
  if (!reply.ok) {
    log('cannot read the set config: ' + reply.errmsg);
    return RETRY;
  }
  const config = reply.config;
  const rendered = settings.members.concat(settings.arbiter ? [settings.arbiter] : []);
  const up = {};
  (status.members || []).forEach((m) => { up[m.name] = m.health === 1 || m.self === true; });
  const leaving = config.members.filter((m) => rendered.indexOf(m.host) < 0 && isOwn(m.host));
  if (leaving.some((m) => m.host === self)) {
    log('this primary is not a rendered member any more: stepping down so that the next primary removes it');
    const down = run(local, true, { replSetStepDown: 60, secondaryCatchUpPeriodSecs: 15 });
    if (!down.ok) {
      log('rs.stepDown() failed: ' + down.errmsg);
    }
    return RETRY;
  }
  const voters = config.members.filter(isVoter);
  const upAfter = (members) => members.filter((m) => isVoter(m) && up[m.host]).length;
  const majorityUp = (members) => upAfter(members) * 2 > members.filter(isVoter).length;
  const changes = [];
  for (const m of leaving) {
    if (up[m.host]) {
      log(m.host + ' is not rendered any more but still answers: it is removed once its pod has stopped');
      continue;
    }
    const after = config.members.filter((x) => x.host !== m.host);
    changes.push({ what: 'removed ' + m.host, members: after, voterChange: isVoter(m) ? -1 : 0 });
  }
  for (const host of rendered) {
    if (config.members.some((m) => m.host === host)) {
      continue;
    }
    const hello = run(host, false, { hello: 1 });
    if (!hello.ok || (hello.setName !== undefined && hello.setName !== settings.name)) {
      continue;
    }
    const member = newMember(config, host, host === settings.arbiter ? 'arbiter' : 'data');
    changes.push({ what: 'added ' + host + ' as member ' + member._id, members: config.members.concat([member]), voterChange: isVoter(member) ? 1 : 0 });
  }
  if (voters.length % 2 === 0 && voters.length < MAX_VOTERS) {
    const silent = config.members.find((m) => !isVoter(m) && !m.arbiterOnly && rendered.indexOf(m.host) >= 0);
    if (silent) {
      const members = config.members.map((m) => m.host === silent.host ? Object.assign({}, m, { votes: 1, priority: 1 }) : m);
      changes.push({ what: 'gave ' + silent.host + ' a vote (the voters were even)', members: members, voterChange: 1 });
    }
  }
  // Safe ones only; without a voter change first, then the one that leaves an odd number of voters.
  const safe = changes.filter((c) => majorityUp(c.members));
  safe.sort((a, b) => {
    const rank = (c) => c.voterChange === 0 ? 0 : (voters.length + c.voterChange) % 2 === 1 ? 1 : 2;
    return rank(a) - rank(b);
  });
  if (safe.length === 0) {
    if (changes.length > 0) {
      log('not changing the members now: too few voters would be up after ' + changes.map((c) => c.what).join(', '));
      return SOON;
    }
    return leaving.length > 0 ? SOON : OK;
  }
  const change = safe[0];
  config.version += 1;
  config.members = change.members;
  const done = run(local, true, { replSetReconfig: config, maxTimeMS: 60000 });
  if (!done.ok) {
    log('reconfig (' + change.what + ') failed: ' + done.errmsg);
    return RETRY;
  }
  log('reconfig to version ' + config.version + ': ' + change.what + '; ' + config.members.filter(isVoter).length + ' voters');
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
      const root = ensureRootUser();
      return root === OK ? reconcile(status) : root;
    }
    return status.myState === 2 || status.myState === 7 ? OK : RETRY;
  }
  if (status.code === UNAUTHORIZED) {
    log('rs.status() refused: this mongod has users, and ' + user + ' cannot log in with the password of the Secret (was the Secret replaced?)');
    return RETRY;
  }
  // REMOVED: this mongod has the set's config but is not in it (it was removed while its pod was
  // gone, and the set grew again): it asks the primary to add it back.
  const removed = status.code === INVALID_REPLICA_SET_CONFIG;
  if (status.code !== NOT_YET_INITIALIZED && !removed) {
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
  if (removed) {
    log('removed from the set, and no member of it answers: waiting');
    return RETRY;
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
export function dumpScript(tls = false): string {
  // Every member by its pod DNS name, which the certificate covers.
  const tlsQuery = tls ? `&tls=true&tlsCAFile=${encodeURIComponent(TLS_CA_FILE)}` : '';
  return `suffix=.archive.gz
conf="$secrets/mongodump.yaml"
# mongodump's --config file: the password, never on a command line. YAML single quotes: ' doubled.
write_credentials() {
  local p=\${MONGODB_ROOT_PASSWORD:?}
  printf "password: '%s'\\n" "\${p//\\'/\\'\\'}" > "$conf"
}

is_replica() {
  mongosh --quiet --norc "mongodb://$1/?directConnection=true&serverSelectionTimeoutMS=10000${tlsQuery}" \\
    --eval 'quit(db.hello().secondary === true ? 0 : 1)' >/dev/null 2>&1
}

dump() {
  local uri
  if [ "$1" = "$DUMP_FALLBACK" ]; then
    uri="mongodb://root@$1"
  else
    uri="mongodb://root@$1/?directConnection=true&readPreference=secondaryPreferred&authSource=admin${tlsQuery}"
  fi
  mongodump --config="$conf" --uri="$uri" ${MONGODUMP_OPTIONS.join(' ')}
}
`;
}
