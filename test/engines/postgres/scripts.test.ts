// The Postgres pods' scripts, the very text the pods run, under /bin/sh against stand-ins for
// pg_isready, pg_basebackup, psql and pg_ctl (and sleep, so waiting costs nothing). The stand-ins
// record every call; the tests assert what the scripts do with the data directory and what they
// ask of the tools. test/integration/postgres runs the same scripts against real servers.
import { spawnSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { BOOTSTRAP_SCRIPT, INIT_REPLICATION_SCRIPT, PRE_STOP_COMMAND } from '../../../src/engines/postgres/scripts';
import { testShellcheck } from '../../shellcheck';

// Every stand-in appends one line to $FAKE_DIR/calls: its name, then its arguments, separated by \037.
const RECORD = `#!/bin/sh
{ printf '%s' "\${0##*/}"; for a in "$@"; do printf '\\037%s' "$a"; done; printf '\\n'; } >> "$FAKE_DIR/calls"
`;

const STAND_INS: { [name: string]: string } = {
  // Fails the first $FAKE_ISREADY_FAILS times, then answers that the server accepts connections.
  pg_isready: `${RECORD}
n=$(($(cat "$FAKE_DIR/isready-count" 2>/dev/null || echo 0) + 1))
echo "$n" > "$FAKE_DIR/isready-count"
[ "$n" -gt "\${FAKE_ISREADY_FAILS:-0}" ]
`,
  // Like the real one: refuses a non-empty target, creates it (0750, as from a primary with group
  // access: the script must make it 0700), then writes a cluster with standby.signal (-R), or dies
  // halfway when FAKE_BASEBACKUP=fail.
  // Keeps what $PGPASSFILE held when it ran: the password must be there before the clone.
  pg_basebackup: `${RECORD}
cp "$PGPASSFILE" "$FAKE_DIR/pgpass-at-clone" 2>/dev/null || true
for a in "$@"; do case "$a" in --pgdata=*) target=\${a#--pgdata=} ;; esac; done
if [ -d "$target" ] && [ -n "$(ls -A "$target")" ]; then
  echo "pg_basebackup: error: directory \\"$target\\" exists but is not empty" >&2; exit 1
fi
mkdir -p "$target/base"
chmod 0750 "$target"
echo partial > "$target/base/1"
if [ "\${FAKE_BASEBACKUP:-}" = fail ]; then echo "pg_basebackup: error: could not receive data: connection reset" >&2; exit 1; fi
echo 16 > "$target/PG_VERSION"
: > "$target/standby.signal"
`,
  psql: `${RECORD}
cat > "$FAKE_DIR/psql-stdin"
exit "\${FAKE_PSQL_EXIT:-0}"
`,
  pg_ctl: `${RECORD}
exit "\${FAKE_PG_CTL_EXIT:-0}"
`,
  sleep: RECORD,
};

testShellcheck('the stand-ins pass shellcheck', STAND_INS, 'sh');

const PRIMARY_HOST = 'orders.db.svc.cluster.local';

/** A temp dir with the stand-ins, a data volume and a socket dir; one per test. */
class Pod {
  public readonly dir = mkdtempSync(join(tmpdir(), 'pg-scripts-'));
  public readonly volume = join(this.dir, 'volume');
  /** The <18 layout: PGDATA is a subdirectory of the volume, absent on a fresh one. */
  public pgdata = join(this.volume, 'pgdata');
  public readonly pgpass = join(this.dir, 'run', '.pgpass');

  constructor() {
    mkdirSync(join(this.dir, 'bin'));
    mkdirSync(join(this.dir, 'run'));
    mkdirSync(this.volume);
    for (const [name, text] of Object.entries(STAND_INS)) {
      writeFileSync(join(this.dir, 'bin', name), text, { mode: 0o755 });
    }
  }

  /** Runs a script with /bin/sh, the stand-ins first on PATH and only the given environment. */
  public run(script: string, env: { [key: string]: string | undefined }, args: string[] = []) {
    const file = join(this.dir, 'script.sh');
    writeFileSync(file, script);
    const defined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as { [key: string]: string };
    const result = spawnSync('/bin/sh', args.length ? args : [file], {
      env: { PATH: `${join(this.dir, 'bin')}:${process.env.PATH}`, FAKE_DIR: this.dir, ...defined },
      encoding: 'utf8',
      timeout: 10_000,
    });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  }

  /** The bootstrap init container of pod `orders-<ordinal>`, the primary being pod 0 unless told. */
  public bootstrap(ordinal: number, env: { [key: string]: string | undefined } = {}) {
    return this.run(BOOTSTRAP_SCRIPT, {
      POD_NAME: `orders-${ordinal}`,
      PRIMARY_ORDINAL: '0',
      PRIMARY_HOST,
      PRIMARY_PORT: '5432',
      PGDATA: this.pgdata,
      PGPASSFILE: this.pgpass,
      REPLICATION_USER: 'replicator',
      REPLICATION_PASSWORD: 's3cret',
      ...env,
    });
  }

  /** The recorded calls, each as [name, ...argv], optionally of one tool only. */
  public calls(name?: string): string[][] {
    const log = join(this.dir, 'calls');
    const all = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\x1f')) : [];
    return name ? all.filter((c) => c[0] === name) : all;
  }

  /** Writes a data directory: a primary's, or a standby's (with standby.signal). */
  public data(kind: 'primary' | 'standby') {
    mkdirSync(this.pgdata, { recursive: true, mode: 0o700 });
    writeFileSync(join(this.pgdata, 'PG_VERSION'), '16\n');
    if (kind === 'standby') { writeFileSync(join(this.pgdata, 'standby.signal'), ''); }
  }

  public ls(path: string): string[] {
    return existsSync(path) ? readdirSync(path).sort() : [];
  }
}

/** The permission bits, in octal ('700'). */
const mode = (path: string) => statSync(path).mode.toString(8).slice(-3);

let pod: Pod;
beforeEach(() => { pod = new Pod(); });
afterEach(() => rmSync(pod.dir, { recursive: true, force: true }));

describe('BOOTSTRAP_SCRIPT on the primary', () => {
  test('empty data: exits 0 and clones nothing (the image initializes it)', () => {
    const run = pod.bootstrap(0);

    expect(run.status).toBe(0);
    expect(run.output).toContain("primary: empty data directory, the image's entrypoint initializes it");
    expect(pod.calls()).toEqual([]);
    expect(existsSync(pod.pgdata)).toBe(false);
  });

  test("a primary's data: exits 0 and leaves it alone", () => {
    pod.data('primary');

    const run = pod.bootstrap(0);

    expect(run.status).toBe(0);
    expect(run.output).toContain('primary: data directory present, starting');
    expect(pod.calls()).toEqual([]);
    expect(pod.ls(pod.pgdata)).toEqual(['PG_VERSION']);
  });

  test("a standby's data (standby.signal): refuses to start, exit 1", () => {
    pod.data('standby');

    const run = pod.bootstrap(0);

    expect(run.status).toBe(1);
    expect(run.output).toContain("bootstrap[orders-0]: refusing to start: this pod is the primary but its data directory is a standby's (standby.signal).");
    expect(run.output).toContain('Promote it first');
    expect(pod.ls(pod.pgdata)).toEqual(['PG_VERSION', 'standby.signal']);
  });

  test('the role comes from the ordinal: with PRIMARY_ORDINAL=2, pod 2 is the primary and pod 0 a standby', () => {
    expect(pod.bootstrap(2, { PRIMARY_ORDINAL: '2' }).status).toBe(0);
    expect(pod.calls('pg_basebackup')).toEqual([]);

    expect(pod.bootstrap(0, { PRIMARY_ORDINAL: '2' }).status).toBe(0);
    expect(pod.calls('pg_basebackup')).toHaveLength(1);
  });
});

describe('BOOTSTRAP_SCRIPT on a standby', () => {
  test.each([
    ['absent (a fresh volume, PGDATA a subdirectory of it)', (p: Pod) => p.pgdata],
    ['an empty directory', (p: Pod) => { mkdirSync(p.pgdata); return p.pgdata; }],
    ['absent with its parent (the 18+ layout, /var/lib/postgresql/18/docker)', (p: Pod) => (p.pgdata = join(p.volume, '18', 'docker'))],
  ])('empty data, PGDATA %s: waits for the primary, clones it into PGDATA.clone, renames it to PGDATA (0700)', (_, prepare) => {
    const pgdata = prepare(pod);

    const run = pod.bootstrap(1, { FAKE_ISREADY_FAILS: '2' });

    expect(run.status).toBe(0);
    // pg_isready until it answers, sleeping in between, then one pg_basebackup
    expect(pod.calls().map((c) => c[0])).toEqual(['pg_isready', 'sleep', 'pg_isready', 'sleep', 'pg_isready', 'pg_basebackup']);
    expect(pod.calls('pg_isready')[0]).toEqual(['pg_isready', '-q', '-h', PRIMARY_HOST, '-p', '5432']);
    expect(pod.calls('pg_basebackup')[0]).toEqual(['pg_basebackup',
      `--pgdata=${pgdata}.clone`, '--write-recovery-conf', '--wal-method=stream', '--checkpoint=fast', '--no-password',
      `--dbname=host=${PRIMARY_HOST} port=5432 user=replicator application_name=orders-1`]);
    expect(pod.ls(pgdata)).toEqual(['PG_VERSION', 'base', 'standby.signal']);
    expect(mode(pgdata)).toBe('700');
    expect(existsSync(`${pgdata}.clone`)).toBe(false);
    expect(run.output).toContain('standby: clone complete');
  });

  test('the replication password is in PGPASSFILE before the clone, escaped, mode 0600, rewritten on every start', () => {
    writeFileSync(pod.pgpass, '*:*:*:replicator:an old password\n');

    const run = pod.bootstrap(1, { REPLICATION_PASSWORD: 'p:a\\ss:' });

    expect(run.status).toBe(0);
    // .pgpass escapes ':' and '\' with a backslash
    const line = '*:*:*:replicator:p\\:a\\\\ss\\:\n';
    expect(readFileSync(pod.pgpass, 'utf8')).toBe(line);
    expect(readFileSync(join(pod.dir, 'pgpass-at-clone'), 'utf8')).toBe(line);
    expect(mode(pod.pgpass)).toBe('600');
    expect(pod.ls(join(pod.dir, 'run'))).toEqual(['.pgpass']);
  });

  test.each(['s3cret\n', 'a\nb'])('a replication password with a line break (%j) is refused before anything is written', (password) => {
    const run = pod.bootstrap(1, { REPLICATION_PASSWORD: password });

    expect(run.status).toBe(1);
    expect(run.output).toContain('the replication password contains a line break');
    expect(pod.calls()).toEqual([]);
    expect(existsSync(pod.pgpass)).toBe(false);
  });

  test('PRIMARY_PORT defaults to 5432', () => {
    expect(pod.bootstrap(1, { PRIMARY_PORT: undefined }).status).toBe(0);
    expect(pod.calls('pg_isready')[0]).toEqual(['pg_isready', '-q', '-h', PRIMARY_HOST, '-p', '5432']);
  });

  test("a standby's data (standby.signal): exits 0 without cloning", () => {
    pod.data('standby');

    const run = pod.bootstrap(1);

    expect(run.status).toBe(0);
    expect(run.output).toContain('standby: data directory present, skipping clone');
    expect(pod.calls()).toEqual([]);
    expect(pod.ls(pod.pgdata)).toEqual(['PG_VERSION', 'standby.signal']);
  });

  test("a primary's data (no standby.signal, a former primary): refuses to start, exit 1", () => {
    pod.data('primary');

    const run = pod.bootstrap(1);

    expect(run.status).toBe(1);
    expect(run.output).toContain("refusing to start: this pod is a standby of pod 0, but its data directory is a primary's (no standby.signal).");
    expect(pod.calls()).toEqual([]);
    expect(pod.ls(pod.pgdata)).toEqual(['PG_VERSION']);
  });

  test('a non-empty PGDATA without PG_VERSION: refuses to start, exit 1, touches nothing', () => {
    mkdirSync(pod.pgdata);
    writeFileSync(join(pod.pgdata, 'postgresql.auto.conf'), '');

    const run = pod.bootstrap(1);

    expect(run.status).toBe(1);
    expect(run.output).toContain(`refusing to start: ${pod.pgdata} is not empty but holds no database (no PG_VERSION)`);
    expect(pod.calls()).toEqual([]);
    expect(pod.ls(pod.pgdata)).toEqual(['postgresql.auto.conf']);
  });

  test('a leftover clone is removed before cloning again', () => {
    mkdirSync(`${pod.pgdata}.clone/base`, { recursive: true });
    writeFileSync(`${pod.pgdata}.clone/base/stale`, '');

    const run = pod.bootstrap(1);

    expect(run.status).toBe(0);
    expect(run.output).toContain(`removing an unfinished clone at ${pod.pgdata}.clone`);
    expect(pod.ls(join(pod.pgdata, 'base'))).toEqual(['1']);
  });

  test('a clone that fails halfway exits non-zero, leaves PGDATA empty, and the next start clones again', () => {
    mkdirSync(pod.pgdata);

    const failed = pod.bootstrap(1, { FAKE_BASEBACKUP: 'fail' });

    expect(failed.status).not.toBe(0);
    expect(failed.output).not.toContain('clone complete');
    expect(pod.ls(pod.pgdata)).toEqual([]);

    // The half-written clone is not taken for data: the next start clones again.
    const retried = pod.bootstrap(1);

    expect(retried.status).toBe(0);
    expect(pod.calls('pg_basebackup')).toHaveLength(2);
    expect(pod.ls(pod.pgdata)).toEqual(['PG_VERSION', 'base', 'standby.signal']);
  });

  test('a primary that never answers: gives up after PRIMARY_WAIT_SECONDS, exit 1, no clone', () => {
    const run = pod.bootstrap(1, { FAKE_ISREADY_FAILS: '1000', PRIMARY_WAIT_SECONDS: '4' });

    expect(run.status).toBe(1);
    expect(run.output).toContain(`the primary at ${PRIMARY_HOST}:5432 is not ready after 4s: giving up, the pod will retry`);
    // tried at 0, 2 and 4 seconds, sleeping 2 seconds in between
    const isReady = ['pg_isready', '-q', '-h', PRIMARY_HOST, '-p', '5432'];
    expect(pod.calls()).toEqual([isReady, ['sleep', '2'], isReady, ['sleep', '2'], isReady]);
    expect(existsSync(pod.pgdata)).toBe(false);
  });

  test.each(['PGDATA', 'POD_NAME', 'PRIMARY_ORDINAL', 'PRIMARY_HOST', 'PGPASSFILE', 'REPLICATION_USER', 'REPLICATION_PASSWORD'])(
    'without %s: fails before doing anything', (name) => {
      const run = pod.bootstrap(1, { [name]: undefined });

      expect(run.status).not.toBe(0);
      expect(run.output).toContain(name);
      expect(pod.calls()).toEqual([]);
      expect(existsSync(pod.pgpass)).toBe(false);
    });
});

describe('INIT_REPLICATION_SCRIPT', () => {
  const init = (env: { [key: string]: string | undefined } = {}) =>
    pod.run(INIT_REPLICATION_SCRIPT, { REPLICATION_USER: 'replicator', REPLICATION_PASSWORD: 's3cret', ...env });

  test('role and password reach psql as variables, the SQL (on stdin) only quotes them, and errors stop it', () => {
    const password = "it's; DROP ROLE postgres; --";

    const run = init({ REPLICATION_PASSWORD: password, POSTGRES_USER: 'admin' });

    expect(run.status).toBe(0);
    expect(run.output).toContain('init-replication: role replicator ready');
    const [call, ...more] = pod.calls('psql');
    expect(more).toEqual([]);
    expect(call).toEqual(['psql', '-v', 'ON_ERROR_STOP=1', '--no-psqlrc', '--no-password', '--username', 'admin', '--dbname', 'postgres',
      '--set=role=replicator', `--set=password=${password}`]);
    // No SQL in argv (no -c or -f): the statement comes on stdin and refers to the variables
    const sql = readFileSync(join(pod.dir, 'psql-stdin'), 'utf8');
    expect(sql).toContain("format('CREATE ROLE %I WITH REPLICATION LOGIN PASSWORD %L', :'role', :'password')");
    expect(sql).toContain("WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \\gexec");
    expect(sql).not.toContain(password);
    expect(sql).not.toContain('replicator');
  });

  test('a password with a line break is refused: the role would not match what the standbys send', () => {
    const run = init({ REPLICATION_PASSWORD: 's3cret\n' });

    expect(run.status).toBe(1);
    expect(run.output).toContain('the replication password contains a line break');
    expect(pod.calls()).toEqual([]);
  });

  test('POSTGRES_USER defaults to postgres', () => {
    expect(init({ POSTGRES_USER: undefined }).status).toBe(0);
    expect(pod.calls('psql')[0].slice(5, 7)).toEqual(['--username', 'postgres']);
  });

  test('a failing psql fails the script (and so the initialization)', () => {
    const run = init({ FAKE_PSQL_EXIT: '3' });

    expect(run.status).toBe(3);
    expect(run.output).not.toContain('ready');
  });

  test.each(['REPLICATION_USER', 'REPLICATION_PASSWORD'])('without %s: fails before running psql', (name) => {
    const run = init({ [name]: undefined });

    expect(run.status).not.toBe(0);
    expect(pod.calls()).toEqual([]);
  });
});

describe('PRE_STOP_COMMAND', () => {
  test('a fast shutdown of $PGDATA, waiting up to 100s', () => {
    const run = pod.run('', { PGDATA: '/var/lib/postgresql/data/pgdata' }, ['-c', PRE_STOP_COMMAND]);

    expect(run.status).toBe(0);
    expect(pod.calls()).toEqual([['pg_ctl', 'stop', '--pgdata=/var/lib/postgresql/data/pgdata', '--mode=fast', '--wait', '--timeout=100']]);
  });

  test('waits STOP_TIMEOUT_SECONDS, which the pod sets from its grace period', () => {
    const run = pod.run('', { PGDATA: '/data', STOP_TIMEOUT_SECONDS: '280' }, ['-c', PRE_STOP_COMMAND]);

    expect(run.status).toBe(0);
    expect(pod.calls('pg_ctl')[0]).toContain('--timeout=280');
  });

  test('exits 0 when pg_ctl fails (the server is already down)', () => {
    const run = pod.run('', { PGDATA: '/data', FAKE_PG_CTL_EXIT: '1' }, ['-c', PRE_STOP_COMMAND]);

    expect(run.status).toBe(0);
    expect(pod.calls('pg_ctl')).toHaveLength(1);
  });
});
