// The shared "am I being scaled away" check (src/engines/scale-down.ts), run by sh against a real
// TLS server on 127.0.0.1 that plays the API server's `statefulsets/<name>/scale` (a self-signed
// certificate made by openssl, as a cluster's CA would be), with each client the function knows:
// curl and openssl s_client. No Kubernetes API server runs here (the cluster stage runs the check
// with the rendered Role against a real one).
import { execFile, spawnSync } from 'child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { createServer, Server } from 'https';
import { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { Chart, Testing } from 'cdk8s';
import { grantScaleDownCheck, PAUSED, RESTART, SCALE_DOWN_CHECK_SCRIPT, SCALED_AWAY, scaleDownCheckRule } from '../../src/engines/scale-down';
import { testShellcheck } from '../shellcheck';

const haveTools = spawnSync('openssl', ['version']).status === 0 && spawnSync('curl', ['--version']).status === 0;
const describeTls = haveTools ? describe : describe.skip;

interface Reply { status: number; body: string; delayMs?: number }

describeTls('scale_down_check against a TLS stand-in of the API server', () => {
  let dir: string;
  let server: Server;
  let port: number;
  let reply: Reply;
  const requests: { path: string; authorization?: string }[] = [];
  const timers: NodeJS.Timeout[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'scale-down-'));
    const sa = join(dir, 'sa');
    mkdirSync(sa);
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', join(dir, 'key.pem'), '-out', join(sa, 'ca.crt'), '-days', '2', '-subj', '/CN=kubernetes',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { encoding: 'utf8' });
    if (made.status !== 0) { throw new Error(made.stderr); }
    writeFileSync(join(sa, 'token'), 'the-token\n');
    writeFileSync(join(sa, 'namespace'), 'shop');
    server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(sa, 'ca.crt')) }, (req, res) => {
      requests.push({ path: req.url ?? '', authorization: req.headers.authorization });
      const send = () => { res.writeHead(reply.status, { 'Content-Type': 'application/json' }); res.end(reply.body); };
      if (reply.delayMs) { timers.push(setTimeout(send, reply.delayMs)); } else { send(); }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    timers.forEach(clearTimeout);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => { requests.length = 0; });

  const scale = (name: string, replicas?: number) => JSON.stringify({
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name, namespace: 'shop', uid: 'u', resourceVersion: '7', creationTimestamp: '2025-01-01T00:00:00Z' },
    spec: replicas === undefined ? {} : { replicas },
    status: { replicas: 5, selector: 'app.kubernetes.io/name=kafka' },
  });

  /** Runs the rendered script (async: the server answers on this process's event loop). */
  type Result = { status: number; stdout: string; stderr: string; ms: number };
  function check(pod: string | undefined, env: { [key: string]: string } = {}): Promise<Result> {
    const script = join(dir, 'scale-down-check.sh');
    writeFileSync(script, SCALE_DOWN_CHECK_SCRIPT);
    const started = Date.now();
    return new Promise((resolve) => {
      execFile('sh', pod === undefined ? [script] : [script, pod], {
        env: {
          PATH: process.env.PATH,
          TMPDIR: dir,
          KUBERNETES_SERVICE_HOST: '127.0.0.1',
          KUBERNETES_SERVICE_PORT: String(port),
          SCALE_DOWN_CHECK_SA_DIR: join(dir, 'sa'),
          SCALE_DOWN_CHECK_TIMEOUT: '2',
          ...env,
        },
      }, (error, stdout, stderr) => resolve({ status: error ? (error.code as number) : 0, stdout: stdout.trim(), stderr, ms: Date.now() - started }));
    });
  }

  describe.each(['curl', 'openssl'])('with %s', (client) => {
    const env = { SCALE_DOWN_CHECK_CLIENT: client };

    test('GIVEN spec.replicas 3 WHEN pod 3 or 4 stops THEN it is scaled away; pods 0..2 only restart', async () => {
      reply = { status: 200, body: scale('events', 3) };
      for (const [ordinal, answer, status] of [[4, SCALED_AWAY, 0], [3, SCALED_AWAY, 0], [2, RESTART, 1], [0, RESTART, 1]] as const) {
        const result = await check(`events-${ordinal}`, env);
        expect([result.stdout, result.status]).toEqual([answer, status]);
      }
      expect(requests[0]).toEqual({ path: '/apis/apps/v1/namespaces/shop/statefulsets/events/scale', authorization: 'Bearer the-token' });
    });

    test('GIVEN a Scale without spec.replicas (scaled to 0) THEN every pod is paused, not scaled away', async () => {
      reply = { status: 200, body: scale('events') };
      const result = await check('events-0', env);
      expect([result.stdout, result.status]).toEqual([PAUSED, 1]);
      expect(result.stderr).toContain('StatefulSet events is scaled to 0 (a pause, not a shrink)');
    });

    test('GIVEN POD_NAME and no argument THEN the pod name comes from POD_NAME; a set name with dashes is kept whole', async () => {
      reply = { status: 200, body: scale('my-kafka-controller', 1) };
      const result = await check(undefined, { ...env, POD_NAME: 'my-kafka-controller-1' });
      expect(result.stdout).toBe(SCALED_AWAY);
      expect(requests[0].path).toBe('/apis/apps/v1/namespaces/shop/statefulsets/my-kafka-controller/scale');
      expect(result.stderr).toContain('pod my-kafka-controller-1: ordinal 1 >= spec.replicas 1 of StatefulSet my-kafka-controller');
    });

    test.each([
      [404, '{"kind":"Status","code":404}', 'not found: the whole set is being deleted, not scaled down'],
      [403, '{"kind":"Status","code":403}', 'forbidden to get statefulsets/scale events (the Role is missing)'],
      [200, '{"kind":"Status"}', 'the reply is not a Scale of events'],
      [200, '{"kind":"Scale","spec":{"replicas":"x"}}', 'cannot read spec.replicas of events'],
    ])('GIVEN HTTP %d %s THEN restart (%s)', async (status, body, reason) => {
      reply = { status, body };
      const result = await check('events-4', env);
      expect([result.stdout, result.status]).toEqual([RESTART, 1]);
      expect(result.stderr).toContain(reason);
    });

    test('GIVEN an API server slower than the timeout THEN restart, bounded by attempts x timeout', async () => {
      reply = { status: 200, body: scale('events', 3), delayMs: 10_000 };
      const result = await check('events-4', { ...env, SCALE_DOWN_CHECK_ATTEMPTS: '2', SCALE_DOWN_CHECK_TIMEOUT: '1' });
      expect([result.stdout, result.status]).toEqual([RESTART, 1]);
      expect(result.stderr).toContain(`no answer from the API server at 127.0.0.1:${port} (${client}, HTTP 000, 2 attempt(s))`);
      expect(result.ms).toBeLessThan(6_000);
    }, 15_000);

    test('GIVEN a server whose certificate the CA does not sign THEN restart (no answer is trusted)', async () => {
      reply = { status: 200, body: scale('events', 3) };
      const other = join(dir, 'other-sa');
      mkdirSync(other, { recursive: true });
      spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', join(other, 'key.pem'), '-out', join(other, 'ca.crt'), '-days', '2', '-subj', '/CN=other']);
      writeFileSync(join(other, 'token'), 't');
      writeFileSync(join(other, 'namespace'), 'shop');
      const result = await check('events-4', { ...env, SCALE_DOWN_CHECK_SA_DIR: other, SCALE_DOWN_CHECK_ATTEMPTS: '1' });
      expect([result.stdout, result.status]).toEqual([RESTART, 1]);
    });
  });

  test('GIVEN no client named THEN curl is used when present', async () => {
    reply = { status: 200, body: scale('events', 3) };
    const result = await check('events-3');
    expect(result.stdout).toBe(SCALED_AWAY);
  });

  test.each([
    ['events', "no ordinal in the pod name 'events'"],
    ['events-x', "no ordinal in the pod name 'events-x'"],
    ['-3', "no StatefulSet name in the pod name '-3'"],
  ])('GIVEN pod name %s THEN restart without asking the API (%s)', async (pod, reason) => {
    const result = await check(pod);
    expect([result.stdout, result.status]).toEqual([RESTART, 1]);
    expect(result.stderr).toContain(reason);
    expect(requests).toEqual([]);
  });

  test('GIVEN no mounted token THEN restart without asking the API', async () => {
    const result = await check('events-4', { SCALE_DOWN_CHECK_SA_DIR: join(dir, 'missing') });
    expect(result.stdout).toBe(RESTART);
    expect(result.stderr).toContain(`no service account token in ${join(dir, 'missing')} (is the token mounted?)`);
  });

  test('GIVEN no KUBERNETES_SERVICE_HOST THEN restart', async () => {
    const result = await check('events-4', { KUBERNETES_SERVICE_HOST: '' });
    expect(result.stderr).toContain('KUBERNETES_SERVICE_HOST is not set');
    expect(result.stdout).toBe(RESTART);
  });
});

testShellcheck('the scale-down check passes shellcheck (POSIX sh)', { 'scale-down-check.sh': SCALE_DOWN_CHECK_SCRIPT }, 'sh');

test('GIVEN the grant THEN one Role of get on statefulsets/scale of those names only, bound to the account', () => {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'shop' });
  grantScaleDownCheck(chart, { name: 'events-scale-down', labels: { a: 'b' }, serviceAccountName: 'events', statefulSetNames: ['events'] });
  const objects = Testing.synth(chart);
  const role = objects.find((o) => o.kind === 'Role');
  expect(role.rules).toEqual([{ apiGroups: ['apps'], resources: ['statefulsets/scale'], resourceNames: ['events'], verbs: ['get'] }]);
  const binding = objects.find((o) => o.kind === 'RoleBinding');
  expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'events-scale-down' });
  expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'events' }]);
  expect(scaleDownCheckRule(['a', 'b']).resourceNames).toEqual(['a', 'b']);
});
