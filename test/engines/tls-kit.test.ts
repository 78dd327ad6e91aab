import { spawnSync } from 'child_process';
import { generateKeyPairSync } from 'crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { TLS_DIR, TLS_PEM_BUNDLE_FUNCTION, TLS_WATCH_FUNCTION } from '../../src/engines/tls-kit';
import { testShellcheck } from '../shellcheck';

/*
 * The two shell functions every engine's start script shares, run in sh against files in a
 * temporary directory that stands in for the mounted Secret.
 */

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'tls-kit-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `script` after `functions`, with /etc/tls moved to the temporary directory. */
function sh(functions: string, script: string, env: { [name: string]: string } = {}) {
  const text = `${functions.split(TLS_DIR).join(dir)}\n${script}`;
  return spawnSync('sh', ['-c', text], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20000 });
}

const ec = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function secret(key: string, cert = CERT): void {
  writeFileSync(join(dir, 'tls.key'), key);
  writeFileSync(join(dir, 'tls.crt'), cert);
  writeFileSync(join(dir, 'ca.crt'), CERT);
}

describe('tls_pem_bundle', () => {
  test('writes the PKCS#8 key and the chain into one file only the server reads', () => {
    const key = ec().privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    secret(key);
    const r = sh(TLS_PEM_BUNDLE_FUNCTION, 'tls_pem_bundle "$PWD/bundle.pem" pkcs8');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, 'bundle.pem'), 'utf8')).toBe(key + CERT);
    expect((statSync(join(dir, 'bundle.pem')).mode % 0o1000).toString(8)).toBe('600');
    expect(existsSync(join(dir, 'bundle.pem.new'))).toBe(false);
  });

  test.each([
    ['an EC key in SEC1', () => ec().privateKey.export({ type: 'sec1', format: 'pem' }) as string, 'EC PRIVATE KEY'],
    ['an RSA key in PKCS#1', () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }) as string, 'RSA PRIVATE KEY'],
  ])('refuses %s where PKCS#8 is required, naming what it found and writing nothing', (_what, key, found) => {
    secret(key());
    const r = sh(TLS_PEM_BUNDLE_FUNCTION, 'tls_pem_bundle "$PWD/bundle.pem" pkcs8');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`holds '-----BEGIN ${found}-----'`);
    expect(r.stderr).toContain('only unencrypted PKCS#8');
    expect(existsSync(join(dir, 'bundle.pem'))).toBe(false);
  });

  test('refuses a Secret without a PEM key or certificate and keeps the bundle it had', () => {
    const key = ec().privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    writeFileSync(join(dir, 'bundle.pem'), 'the old bundle');
    secret('not a key\n');
    expect(sh(TLS_PEM_BUNDLE_FUNCTION, 'tls_pem_bundle "$PWD/bundle.pem"').stderr).toContain('tls.key holds no PEM private key');
    secret(key, 'not a certificate\n');
    expect(sh(TLS_PEM_BUNDLE_FUNCTION, 'tls_pem_bundle "$PWD/bundle.pem"').stderr).toContain('tls.crt holds no PEM certificate');
    expect(readFileSync(join(dir, 'bundle.pem'), 'utf8')).toBe('the old bundle');
  });

  test('a key without a final newline still makes two PEM blocks', () => {
    const key = ec().privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    secret(key.trimEnd());
    expect(sh(TLS_PEM_BUNDLE_FUNCTION, 'tls_pem_bundle "$PWD/bundle.pem" pkcs8').status).toBe(0);
    expect(readFileSync(join(dir, 'bundle.pem'), 'utf8')).toBe(key + CERT);
  });

  test('takes any encoding when the server reads any', () => {
    const key = ec().privateKey.export({ type: 'sec1', format: 'pem' }) as string;
    secret(key);
    const r = sh(TLS_PEM_BUNDLE_FUNCTION, 'tls_pem_bundle "$PWD/bundle.pem"');
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, 'bundle.pem'), 'utf8')).toBe(key + CERT);
  });
});

describe('tls_watch', () => {
  test('runs the reload once per change of the files, and retries a failed reload at the next check', () => {
    secret('key-1\n');
    // The reload fails the first time (the server was still starting), then succeeds.
    const script = [
      'reload() { n=$(( $(cat count 2>/dev/null || echo 0) + 1 )); echo "$n" > count; [ "$n" -ge 2 ]; }',
      'tls_watch reload',
      'sleep 1.5; echo key-2 > tls.key',
      // Until the retry succeeded (however slow the machine), then two more checks.
      'i=0; while [ "$(cat count 2>/dev/null)" != 2 ] && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done',
      'sleep 2.5; kill $! 2>/dev/null; cat count',
    ].join('\n');
    const r = sh(TLS_WATCH_FUNCTION, script, { TLS_WATCH_SECONDS: '1' });
    expect(r.status).toBe(0);
    // The change is seen at one check (the reload fails), retried at the next (it succeeds), and
    // the files that did not change since are not reloaded again.
    expect(r.stdout.trim()).toBe('2');
    expect(r.stderr).toContain('tls-watch: the reload failed; retrying at the next check');
  });

  test('does nothing while the files stay the same', () => {
    secret('key-1\n');
    const r = sh(TLS_WATCH_FUNCTION, 'tls_watch touch reloaded\nsleep 2.5; kill $! 2>/dev/null; ls', { TLS_WATCH_SECONDS: '1' });
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain('reloaded');
  });
});

testShellcheck('the shared TLS functions pass shellcheck', { 'tls-functions.sh': `${TLS_PEM_BUNDLE_FUNCTION}\n${TLS_WATCH_FUNCTION}\n` }, 'sh');
