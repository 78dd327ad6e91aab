// The Postgres pods' scripts, the very text the pods run, under /bin/sh against stand-ins for psql
// and patronictl (and sleep, so waiting costs nothing). The stand-ins record every call; the tests
// assert what the scripts ask of the tools. test/cluster/failover runs the same scripts with real
// Patroni and PostgreSQL.
import { spawn, spawnSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { APPLY_CONFIG_SCRIPT, POST_BOOTSTRAP_SCRIPT, TLS_START_SCRIPT } from '../../../src/engines/postgres/scripts';
import { testShellcheck } from '../../shellcheck';

// Every stand-in appends one line to $FAKE_DIR/calls: its name, then its arguments, separated by \037.
const RECORD = `#!/bin/sh
{ printf '%s' "\${0##*/}"; for a in "$@"; do printf '\\037%s' "$a"; done; printf '\\n'; } >> "$FAKE_DIR/calls"
`;

const STAND_INS: { [name: string]: string } = {
  psql: `${RECORD}
cat > "$FAKE_DIR/psql-stdin"
exit "\${FAKE_PSQL_EXIT:-0}"
`,
  // show-config prints nothing for the first $FAKE_UNINITIALIZED calls (no cluster yet), then a
  // config; edit-config fails while $FAKE_EDIT_FAILS says so.
  patronictl: `${RECORD}
case " $* " in
  *" show-config "*)
    n=$(($(cat "$FAKE_DIR/show-count" 2>/dev/null || echo 0) + 1))
    echo "$n" > "$FAKE_DIR/show-count"
    if [ "$n" -gt "\${FAKE_UNINITIALIZED:-0}" ]; then echo 'ttl: 30'; fi ;;
  *" edit-config "*) exit "\${FAKE_EDIT_EXIT:-0}" ;;
esac
`,
  sleep: RECORD,
};

testShellcheck('the stand-ins pass shellcheck', STAND_INS, 'sh');
testShellcheck('the pod scripts pass shellcheck', { 'post-bootstrap.sh': POST_BOOTSTRAP_SCRIPT, 'apply-config.sh': APPLY_CONFIG_SCRIPT, 'start.sh': TLS_START_SCRIPT }, 'sh');

/** A temp dir with the stand-ins; one per test. */
class Pod {
  public readonly dir = mkdtempSync(join(tmpdir(), 'pg-scripts-'));

  constructor() {
    mkdirSync(join(this.dir, 'bin'));
    for (const [name, text] of Object.entries(STAND_INS)) {
      writeFileSync(join(this.dir, 'bin', name), text, { mode: 0o755 });
    }
  }

  /** Runs a script with /bin/sh, the stand-ins first on PATH and only the given environment. */
  public run(script: string, env: { [key: string]: string | undefined }, args: string[] = []) {
    const file = join(this.dir, 'script.sh');
    writeFileSync(file, script);
    const defined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as { [key: string]: string };
    const result = spawnSync('/bin/sh', [file, ...args], {
      env: { PATH: `${join(this.dir, 'bin')}:${process.env.PATH}`, FAKE_DIR: this.dir, ...defined },
      encoding: 'utf8',
      timeout: 10_000,
    });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  }

  /** The recorded calls, each as [name, ...argv], optionally of one tool only. */
  public calls(name?: string): string[][] {
    const log = join(this.dir, 'calls');
    const all = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\x1f')) : [];
    return name ? all.filter((c) => c[0] === name) : all;
  }
}

let pod: Pod;
beforeEach(() => { pod = new Pod(); });
afterEach(() => rmSync(pod.dir, { recursive: true, force: true }));

describe('POST_BOOTSTRAP_SCRIPT', () => {
  const CONNECTION = 'postgres://postgres@%2Fvar%2Frun%2Fpostgresql:5432/postgres';
  const bootstrap = (env: { [key: string]: string | undefined } = {}) => pod.run(POST_BOOTSTRAP_SCRIPT, { POSTGRES_DB: 'orders', ...env }, [CONNECTION]);

  test('creates the database through Patroni\'s connection string; the name reaches psql as a variable, never as SQL', () => {
    const name = 'orders"; DROP DATABASE postgres; --';

    const run = bootstrap({ POSTGRES_DB: name });

    expect(run.status).toBe(0);
    expect(pod.calls('psql')).toEqual([['psql', '-v', 'ON_ERROR_STOP=1', '--no-psqlrc', '--no-password', `--dbname=${CONNECTION}`, `--set=db=${name}`]]);
    const sql = readFileSync(join(pod.dir, 'psql-stdin'), 'utf8');
    expect(sql).toContain("format('CREATE DATABASE %I', :'db')");
    expect(sql).toContain("WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \\gexec");
    expect(sql).not.toContain('orders');
  });

  test('the postgres database exists already: nothing to do', () => {
    expect(bootstrap({ POSTGRES_DB: 'postgres' }).status).toBe(0);
    expect(pod.calls()).toEqual([]);
  });

  test('a failing psql fails the script, and with it the bootstrap', () => {
    const run = bootstrap({ FAKE_PSQL_EXIT: '2' });

    expect(run.status).toBe(2);
    expect(run.output).not.toContain('ready');
  });

  test('without POSTGRES_DB or the connection string: fails before running psql', () => {
    expect(bootstrap({ POSTGRES_DB: undefined }).status).not.toBe(0);
    expect(pod.run(POST_BOOTSTRAP_SCRIPT, { POSTGRES_DB: 'orders' }).status).not.toBe(0);
    expect(pod.calls()).toEqual([]);
  });
});

describe('APPLY_CONFIG_SCRIPT', () => {
  const apply = (env: { [key: string]: string | undefined } = {}) => pod.run(APPLY_CONFIG_SCRIPT, env);

  test('replaces the cluster\'s dynamic configuration with the rendered one, from the mounted files', () => {
    const run = apply();

    expect(run.status).toBe(0);
    expect(pod.calls('patronictl')).toEqual([
      ['patronictl', '-c', '/etc/patroni/patroni.yml', 'show-config'],
      ['patronictl', '-c', '/etc/patroni/patroni.yml', 'edit-config', '--quiet', '--force', '--replace', '/etc/patroni/dynamic.yml'],
    ]);
  });

  test('waits while the cluster has no configuration yet (the first member is bootstrapping), then applies', () => {
    const run = apply({ FAKE_UNINITIALIZED: '3' });

    expect(run.status).toBe(0);
    expect(pod.calls('patronictl').map((c) => c[3])).toEqual(['show-config', 'show-config', 'show-config', 'show-config', 'edit-config']);
    expect(pod.calls('sleep')).toHaveLength(3);
  });

  test('gives up after APPLY_CONFIG_TRIES and still exits 0: a pod must start while the API is out of reach', () => {
    const run = apply({ FAKE_EDIT_EXIT: '1', APPLY_CONFIG_TRIES: '4' });

    expect(run.status).toBe(0);
    expect(pod.calls('patronictl').filter((c) => c[3] === 'edit-config')).toHaveLength(4);
    expect(run.output).toContain('could not apply /etc/patroni/dynamic.yml');
  });

  test('the files can be moved (the failover harness runs it on loopback)', () => {
    apply({ PATRONI_CONFIG_FILE: '/w/p.yml', PATRONI_DYNAMIC_FILE: '/w/d.yml' });

    expect(pod.calls('patronictl')[1]).toEqual(['patronictl', '-c', '/w/p.yml', 'edit-config', '--quiet', '--force', '--replace', '/w/d.yml']);
  });
});

describe('TLS_START_SCRIPT', () => {
  // Real sleep here (the watch's interval), stand-ins for patroni (records the SIGHUPs it gets, in the
  // process start.sh exec'd into) and pg_ctl; the certificate files in a temp dir instead of /etc/tls.
  const PATRONI = `#!/bin/sh
echo "$$ $*" > "$FAKE_DIR/patroni-started"
trap 'echo hup >> "$FAKE_DIR/patroni-hups"' HUP
while :; do /bin/sleep 0.05; done
`;
  const PG_CTL = `#!/bin/sh
printf '%s\\n' "$*" >> "$FAKE_DIR/pg_ctl-calls"
exit "$(cat "$FAKE_DIR/pg_ctl-exit" 2>/dev/null || echo 0)"
`;
  testShellcheck('the TLS start script\'s stand-ins pass shellcheck', { patroni: PATRONI, pg_ctl: PG_CTL }, 'sh');

  const waitFor = (file: string, lines: number) => {
    const deadline = Date.now() + 8000;
    while (Date.now() < deadline) {
      if (existsSync(file) && readFileSync(file, 'utf8').split('\n').filter(Boolean).length >= lines) { return readFileSync(file, 'utf8'); }
      spawnSync('/bin/sleep', ['0.05']);
    }
    throw new Error(`timed out waiting for ${lines} line(s) in ${file}`);
  };

  test('runs Patroni in its own process; a changed certificate makes it SIGHUP Patroni and reload PostgreSQL, a failed reload is retried', () => {
    const dir = pod.dir;
    const tlsDir = join(dir, 'tls');
    mkdirSync(tlsDir);
    for (const f of ['tls.crt', 'tls.key', 'ca.crt']) { writeFileSync(join(tlsDir, f), `old ${f}`); }
    const bin = join(dir, 'tls-bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'patroni'), PATRONI, { mode: 0o755 });
    writeFileSync(join(bin, 'pg_ctl'), PG_CTL, { mode: 0o755 });
    const script = join(dir, 'start.sh');
    writeFileSync(script, TLS_START_SCRIPT.split('/etc/tls/').join(`${tlsDir}/`));
    const child = spawn('/bin/sh', [script, '/data/pgdata', '/etc/patroni/patroni.yml'], {
      env: { PATH: `${bin}:/usr/bin:/bin`, FAKE_DIR: dir, TLS_WATCH_SECONDS: '0.1' }, detached: true, stdio: 'ignore',
    });
    try {
      // exec: Patroni is the container's main process, the one the watch signals.
      expect(waitFor(join(dir, 'patroni-started'), 1).trim()).toBe(`${child.pid} /etc/patroni/patroni.yml`);
      spawnSync('/bin/sleep', ['0.4']);
      expect(existsSync(join(dir, 'pg_ctl-calls'))).toBe(false);

      writeFileSync(join(dir, 'pg_ctl-exit'), '1');
      writeFileSync(join(tlsDir, 'tls.crt'), 'renewed');
      expect(waitFor(join(dir, 'pg_ctl-calls'), 2).split('\n')[0]).toBe('reload -s -D /data/pgdata');
      writeFileSync(join(dir, 'pg_ctl-exit'), '0');
      const count = (file: string) => readFileSync(join(dir, file), 'utf8').split('\n').filter(Boolean).length;
      spawnSync('/bin/sleep', ['0.5']);
      const calls = count('pg_ctl-calls');
      spawnSync('/bin/sleep', ['0.5']);
      // Once a reload succeeded, nothing more until the files change again; each attempt signalled Patroni.
      expect(count('pg_ctl-calls')).toBe(calls);
      expect(count('patroni-hups')).toBe(calls);
    } finally {
      process.kill(-child.pid!, 'SIGKILL');
    }
  });

  test('refuses to start without its arguments', () => {
    const run = pod.run(TLS_START_SCRIPT, {});
    expect(run.status).not.toBe(0);
    expect(run.output).toContain('usage: start.sh <data directory> <patroni.yml>');
    expect(pod.calls()).toEqual([]);
  });
});
