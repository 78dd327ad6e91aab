// The dump script of MySql and MongoDb, the very text of the synthesized `<name>-dump` ConfigMap,
// run by bash against stand-ins for the engines' tools (mysql, mysqldump, mongosh, mongodump),
// which record their arguments and write known content or fail, and `date` for the dump's name
// where a test needs one; gzip, sha256sum and sync are the real ones. No MySQL or MongoDB server
// runs here: what the real tools do with these options is not checked (test/integration/*/run.sh
// parses mysqldump's options with MariaDB's mysqldump, and runs the mongosh snippet in mongosh).
import { spawnSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { gunzipSync } from 'zlib';
import { Chart, Testing } from 'cdk8s';
import { MongoDb, MySql } from '../../src';
import { testShellcheck } from '../shellcheck';

process.env.CDK8S_STATEFUL_QUIET = '1';

// Every stand-in appends one line to $FAKE_DIR/calls: its name, then its arguments, separated by \037.
const RECORD = `#!/bin/bash
{ printf '%s' "\${0##*/}"; for a in "$@"; do printf '\\037%s' "$a"; done; printf '\\n'; } >> "$FAKE_DIR/calls"
`;
// The credentials file a tool was given, copied where the test can read it after the script deleted it.
const KEEP_CREDENTIALS = `for a in "$@"; do
  case $a in --defaults-extra-file=*) cp "\${a#*=}" "$FAKE_DIR/credentials" ;; --config=*) cp "\${a#*=}" "$FAKE_DIR/credentials" ;; esac
done
`;
// The dump tool: writes FAKE_CONTENT; with FAKE_FAIL, writes half of it and fails as a lost connection would.
const DUMP_TOOL = `${RECORD}${KEEP_CREDENTIALS}
if [ -n "\${FAKE_FAIL:-}" ]; then printf '%s' "\${FAKE_CONTENT:0:5}"; echo 'Lost connection to server during query' >&2; exit 2; fi
printf '%s\\n' "$FAKE_CONTENT"
`;
// "Is HOST a ready replica/secondary": `yes` for the hosts in FAKE_REPLICAS, `no` for the others.
const readyIfListed = (hostOf: string, yes: string, no: string) => `${RECORD}${KEEP_CREDENTIALS}
host=$(printf '%s\\n' "$@" | ${hostOf})
for ready in \${FAKE_REPLICAS:-}; do
  if [ "$ready" = "$host" ]; then ${yes}; fi
done
${no}
`;

const STAND_INS: { [name: string]: string } = {
  mysqldump: DUMP_TOOL,
  mongodump: DUMP_TOOL,
  // mysql answers the readiness query (the script compares the answer), or refuses the connection.
  mysql: readyIfListed("sed -n 's/^--host=//p'", "echo 'ON/ON'; exit 0", "echo 'CONNECTING/ON'\nexit \"\${FAKE_NOT_READY_EXIT:-0}\""),
  // date names the dump FAKE_STAMP when it is set; everything else is the real date's.
  date: `#!/bin/bash
if [ -n "\${FAKE_STAMP:-}" ] && [ "$*" = '-u +%Y%m%dT%H%M%SZ' ]; then echo "$FAKE_STAMP"; exit 0; fi
exec /bin/date "$@"
`,
  // mongosh answers with its exit code: the script's snippet quits 0 on a secondary.
  mongosh: readyIfListed("sed -n 's#^mongodb://\\([^/]*\\)/.*#\\1#p'", 'exit 0', 'exit 1'),
};

interface EngineCase {
  readonly engine: string;
  readonly suffix: string;
  readonly tool: string;
  readonly passwordEnv: string;
  /** The credentials file the tool must have read, for the password used here. */
  readonly credentials: string;
  readonly script: string;
  /** What a complete dump holds, given the tool's output. */
  readonly content: (file: Buffer) => string;
  /** The host the tool was pointed at, from its arguments. */
  readonly target: (argv: string[]) => string | undefined;
}

const PASSWORD = 'p\'a\\ss"w0rd';

function dumpScriptOf(make: (chart: Chart) => void): string {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'db' });
  make(chart);
  return Testing.synth(chart).find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'db-dump').data['dump.sh'];
}

const ENGINES: EngineCase[] = [
  {
    engine: 'mysql',
    suffix: '.sql.gz',
    tool: 'mysqldump',
    passwordEnv: 'MYSQL_ROOT_PASSWORD',
    credentials: '[client]\npassword="p\'a\\\\ss"w0rd"\n',
    script: dumpScriptOf((chart) => new MySql(chart, 'db', { replicas: 3, logicalBackup: {} })),
    content: (file) => gunzipSync(file).toString(),
    target: (argv) => argv.find((a) => a.startsWith('--host='))?.slice('--host='.length),
  },
  {
    engine: 'mongodb',
    suffix: '.archive.gz',
    tool: 'mongodump',
    passwordEnv: 'MONGODB_ROOT_PASSWORD',
    credentials: 'password: \'p\'\'a\\ss"w0rd\'\n',
    script: dumpScriptOf((chart) => new MongoDb(chart, 'db', { logicalBackup: {} })),
    // mongodump --gzip compresses the archive itself: the script stores what it writes as it is.
    content: (file) => file.toString(),
    target: (argv) => argv.find((a) => a.startsWith('--uri='))?.replace(/^--uri=mongodb:\/\/root@/, '').replace(/\/.*$/, ''),
  },
];

testShellcheck('the stand-ins pass shellcheck', STAND_INS, 'bash');
testShellcheck('the dump scripts pass shellcheck', Object.fromEntries(ENGINES.map((e) => [`${e.engine}-dump.sh`, e.script])), 'bash');

/** A scratch pod: the claim's directory, the memory emptyDir, the stand-ins. */
class Pod {
  public readonly dir = mkdtempSync(join(tmpdir(), 'dump-script-'));
  public readonly dumps = join(this.dir, 'backups', 'db');
  public readonly secrets = join(this.dir, 'secrets');

  constructor(private readonly e: EngineCase) {
    mkdirSync(join(this.dir, 'bin'));
    mkdirSync(this.secrets);
    mkdirSync(this.dumps, { recursive: true });
    for (const [name, text] of Object.entries(STAND_INS)) {
      writeFileSync(join(this.dir, 'bin', name), text, { mode: 0o755 });
    }
  }

  public run(env: { [key: string]: string } = {}) {
    const file = join(this.dir, 'dump.sh');
    writeFileSync(file, this.e.script);
    const result = spawnSync('/bin/bash', [file], {
      env: {
        PATH: `${join(this.dir, 'bin')}:${process.env.PATH}`,
        FAKE_DIR: this.dir,
        FAKE_CONTENT: `-- ${this.e.engine} dump of db\nCREATE TABLE t (id INT);`,
        DUMP_DIR: this.dumps,
        DUMP_PREFIX: 'db',
        DUMP_KEEP: '3',
        DUMP_SECRETS_DIR: this.secrets,
        DUMP_REPLICAS: 'db-1 db-2',
        DUMP_FALLBACK: 'db-primary',
        [this.e.passwordEnv]: PASSWORD,
        ...env,
      },
      encoding: 'utf8',
      timeout: 20_000,
    });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  }

  /** Files of the dump directory, hidden ones included, sorted. */
  public files(): string[] {
    return readdirSync(this.dumps).sort();
  }

  /** Complete dumps: what a restore would pick. */
  public complete(): string[] {
    return this.files().filter((f) => new RegExp(`^db-\\d{8}T\\d{6}Z${this.e.suffix.replace(/\./g, '\\.')}$`).test(f));
  }

  /** An older dump with its checksum, as an earlier run left it. */
  public seed(stamp: string): string {
    const name = `db-${stamp}${this.e.suffix}`;
    writeFileSync(join(this.dumps, name), `old ${stamp}`);
    writeFileSync(join(this.dumps, `${name}.sha256`), `0000  ${name}\n`);
    return name;
  }

  public calls(name?: string): string[][] {
    const log = join(this.dir, 'calls');
    const all = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\x1f')) : [];
    return name ? all.filter((c) => c[0] === name) : all;
  }
}

describe.each(ENGINES)('$engine dump script', (e) => {
  let pod: Pod;
  beforeEach(() => { pod = new Pod(e); });
  afterEach(() => rmSync(pod.dir, { recursive: true, force: true }));

  test('a successful dump is complete under its final name, with a checksum that verifies, and nothing else is left', () => {
    const { status, output } = pod.run();
    expect([status, output]).toEqual([0, expect.stringContaining('dump complete')]);
    const [dump] = pod.complete();
    expect(pod.files()).toEqual([dump, `${dump}.sha256`]);
    expect(e.content(readFileSync(join(pod.dumps, dump)))).toBe(`-- ${e.engine} dump of db\nCREATE TABLE t (id INT);\n`);
    const check = spawnSync('sha256sum', ['-c', `${dump}.sha256`], { cwd: pod.dumps, encoding: 'utf8' });
    expect([check.status, check.stdout]).toEqual([0, `${dump}: OK\n`]);
    // The stamp is the UTC time of the run.
    const [, y, mo, d, h, mi, sec] = /^db-(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z/.exec(dump)!;
    expect(Math.abs(Date.UTC(+y, +mo - 1, +d, +h, +mi, +sec) - Date.now())).toBeLessThan(60_000);
  });

  test('the password reaches the tool in a file in the memory emptyDir, deleted afterwards; never in argv', () => {
    expect(pod.run().status).toBe(0);
    expect(readFileSync(join(pod.dir, 'credentials'), 'utf8')).toBe(e.credentials);
    expect(readdirSync(pod.secrets)).toEqual([]);
    expect(pod.calls().filter((c) => c.some((a) => a.includes('w0rd')))).toEqual([]);
  });

  test('a failed dump leaves no file that looks complete, keeps the older dumps, and fails the run', () => {
    const old = pod.seed('20240101T030000Z');
    const { status, output } = pod.run({ FAKE_FAIL: '1', DUMP_KEEP: '1' });
    expect(status).not.toBe(0);
    expect(output).toContain('the dump from db-primary failed: no dump was kept');
    expect(pod.files()).toEqual([old, `${old}.sha256`]);
    expect(readdirSync(pod.secrets)).toEqual([]);
  });

  test('pruning keeps exactly keep dumps, the newest; their checksums go with them; leftovers of killed runs go too', () => {
    const old = ['20240101T030000Z', '20240102T030000Z', '20240103T030000Z', '20240104T030000Z', '20240105T030000Z'].map((s) => pod.seed(s));
    writeFileSync(join(pod.dumps, `.partial-db-20240106T030000Z${e.suffix}`), 'half');
    writeFileSync(join(pod.dumps, `db-20240100T030000Z${e.suffix}.sha256`), 'orphan');
    writeFileSync(join(pod.dumps, 'notes.txt'), 'not ours');
    const { status, output } = pod.run({ DUMP_KEEP: '3' });
    expect([status, output]).toEqual([0, expect.stringContaining('3 dump(s) kept')]);
    const complete = pod.complete();
    expect(complete).toHaveLength(3);
    expect(complete.slice(0, 2)).toEqual([old[3], old[4]]);
    expect(pod.files()).toEqual([...complete.flatMap((d) => [d, `${d}.sha256`]), 'notes.txt'].sort());
  });

  test('the dump just written is never pruned, even when a skewed clock named another one newer', () => {
    pod.seed('20991231T235959Z');
    pod.seed('20240101T030000Z');
    expect(pod.run({ DUMP_KEEP: '1', FAKE_STAMP: '20250601T030000Z' }).status).toBe(0);
    expect(pod.complete()).toEqual([`db-20250601T030000Z${e.suffix}`]);
  });

  test('a run named like a dump that exists refuses to overwrite it (two runs in one second)', () => {
    const existing = pod.seed('20250102T030000Z');
    const { status, output } = pod.run({ FAKE_STAMP: '20250102T030000Z' });
    expect(status).not.toBe(0);
    expect(output).toContain(`${existing} exists already: another dump ran in this second`);
    expect(readFileSync(join(pod.dumps, existing), 'utf8')).toBe('old 20250102T030000Z');
    expect(pod.calls(e.tool)).toEqual([]);
  });

  test('keep 1 keeps the new dump only', () => {
    pod.seed('20240101T030000Z');
    expect(pod.run({ DUMP_KEEP: '1' }).status).toBe(0);
    expect(pod.complete()).toHaveLength(1);
    expect(pod.complete()[0]).not.toBe('db-20240101T030000Z' + e.suffix);
  });

  test('it dumps from the first ready replica, asking them in order', () => {
    expect(pod.run({ FAKE_REPLICAS: 'db-2' }).status).toBe(0);
    const dumps = pod.calls(e.tool);
    expect(dumps).toHaveLength(1);
    expect(e.target(dumps[0])).toBe('db-2');
  });

  test('with no ready replica it dumps from the fallback, and says so', () => {
    const { status, output } = pod.run({ FAKE_REPLICAS: '' });
    expect(status).toBe(0);
    expect(output).toContain('no ready replica: dumping from db-primary');
    expect(e.target(pod.calls(e.tool)[0])).toBe('db-primary');
  });

  test('a DUMP_KEEP that is not a positive integer stops it before any dump', () => {
    const { status, output } = pod.run({ DUMP_KEEP: '0' });
    expect(status).not.toBe(0);
    expect(output).toContain("DUMP_KEEP must be a positive integer, got '0'");
    expect(pod.calls()).toEqual([]);
  });
});

test('MySQL: mysqldump gets the consistent-snapshot options and the credentials file first', () => {
  const pod = new Pod(ENGINES[0]);
  try {
    expect(pod.run({ FAKE_REPLICAS: 'db-1' }).status).toBe(0);
    const [call] = pod.calls('mysqldump');
    expect(call[1]).toMatch(/^--defaults-extra-file=.*\/secrets\/client\.cnf$/);
    expect(call.slice(2)).toEqual(['--host=db-1', '--port=3306', '--user=root', '--single-transaction', '--quick', '--all-databases', '--routines',
      '--events', '--triggers', '--flush-privileges', '--set-gtid-purged=ON', '--hex-blob', '--default-character-set=utf8mb4', '--max-allowed-packet=1G']);
    // A replica that does not answer the readiness query is passed over, not fatal.
    expect(pod.calls('mysql').map((c) => c.find((a) => a.startsWith('--host=')))).toEqual(['--host=db-1']);
  } finally {
    rmSync(pod.dir, { recursive: true, force: true });
  }
});

test('MySQL: a replica that refuses the connection is passed over', () => {
  const pod = new Pod(ENGINES[0]);
  try {
    const { status, output } = pod.run({ FAKE_REPLICAS: '', FAKE_NOT_READY_EXIT: '1' });
    expect(status).toBe(0);
    expect(output).toContain('db-1 is not a ready replica');
    expect(ENGINES[0].target(pod.calls('mysqldump')[0])).toBe('db-primary');
  } finally {
    rmSync(pod.dir, { recursive: true, force: true });
  }
});

test('MongoDB: a secondary is dumped over a direct connection; the fallback through the replica set', () => {
  const pod = new Pod(ENGINES[1]);
  const again = new Pod(ENGINES[1]);
  try {
    expect(pod.run({ FAKE_REPLICAS: 'db-2', DUMP_FALLBACK: 'db-0:27017,db-1:27017/?replicaSet=rs&authSource=admin' }).status).toBe(0);
    const [secondary] = pod.calls('mongodump');
    expect(secondary.slice(1)).toEqual([expect.stringMatching(/^--config=.*\/secrets\/mongodump\.yaml$/),
      '--uri=mongodb://root@db-2/?directConnection=true&readPreference=secondaryPreferred&authSource=admin', '--archive', '--gzip', '--oplog']);
    expect(pod.calls('mongosh').map((c) => c[3])).toEqual(['mongodb://db-1/?directConnection=true&serverSelectionTimeoutMS=10000', 'mongodb://db-2/?directConnection=true&serverSelectionTimeoutMS=10000']);
    expect(again.run({ FAKE_REPLICAS: '', DUMP_FALLBACK: 'db-0:27017,db-1:27017/?replicaSet=rs&authSource=admin' }).status).toBe(0);
    expect(again.calls('mongodump')[0][2]).toBe('--uri=mongodb://root@db-0:27017,db-1:27017/?replicaSet=rs&authSource=admin');
  } finally {
    rmSync(pod.dir, { recursive: true, force: true });
    rmSync(again.dir, { recursive: true, force: true });
  }
});
