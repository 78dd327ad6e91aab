import { execFileSync } from 'child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { GeneratedSecret } from '../../src';
import { testShellcheck } from '../shellcheck';
import { newChart, only, synth } from '../util';

function generator() {
  const chart = newChart('shop');
  new GeneratedSecret(chart, 'creds', { secretName: 'orders-credentials', keys: ['password', 'replication-password'], labels: { app: 'orders' } });
  return synth(chart);
}

describe('GeneratedSecret', () => {
  test('a Job with least privilege and no secret value in the YAML', () => {
    const objects = generator();
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ServiceAccount/orders-credentials-init', 'Role/orders-credentials-init', 'RoleBinding/orders-credentials-init',
      'NetworkPolicy/orders-credentials-init', expect.stringMatching(/^Job\/orders-credentials-init-[0-9a-f]{8}$/),
    ]);
    // No ingress at all, for exactly the generator's pods.
    const policy = only(objects, 'NetworkPolicy');
    expect(policy.spec.podSelector.matchLabels).toEqual(only(objects, 'Job').spec.template.metadata.labels);
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    expect(policy.spec.ingress ?? []).toEqual([]);
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(only(objects, 'Role').rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['orders-credentials'], verbs: ['get'] },
    ]);
    const pod = only(objects, 'Job').spec.template.spec;
    expect(pod.serviceAccountName).toBe('orders-credentials-init');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.containers[0].securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(pod.containers[0].env).toEqual(expect.arrayContaining([{ name: 'SECRET_KEYS', value: 'password replication-password' }]));
  });

  test("the Job's pods carry their own labels, never the database's selector labels", () => {
    const chart = newChart('shop');
    new GeneratedSecret(chart, 'creds', {
      secretName: 'orders-credentials',
      keys: ['password'],
      labels: { 'app.kubernetes.io/name': 'postgres', 'app.kubernetes.io/instance': 'orders', 'app.kubernetes.io/version': '17.7' },
    });
    const job = only(synth(chart), 'Job');
    expect(job.spec.template.metadata.labels).toEqual({
      'app.kubernetes.io/name': 'secret-generator',
      'app.kubernetes.io/component': 'credentials',
      'app.kubernetes.io/managed-by': 'cdk8s-stateful',
      'app.kubernetes.io/instance': 'orders',
    });
    // The Secret itself is labelled as the caller asked.
    expect(job.spec.template.spec.containers[0].env).toEqual(expect.arrayContaining([
      { name: 'SECRET_LABELS', value: '{"app.kubernetes.io/name":"postgres","app.kubernetes.io/instance":"orders","app.kubernetes.io/version":"17.7"}' },
    ]));
  });

  test('a new image gets a new Job (a Job template cannot be changed in place); the same input keeps its name', () => {
    const jobName = (image?: string) => {
      const chart = newChart();
      new GeneratedSecret(chart, 'creds', { secretName: 's', keys: ['password'], image });
      return only(synth(chart), 'Job').metadata.name;
    };
    expect(jobName()).toBe(jobName());
    expect(jobName('curlimages/curl:8.12.0')).not.toBe(jobName());
  });

  test('bad input', () => {
    expect(() => new GeneratedSecret(newChart(), 'creds', { secretName: 's', keys: ['pass word'] }))
      .toThrow("test/creds: 'keys' must be valid Secret keys (letters, digits, '.', '_' and '-'), got 'pass word'");
    expect(() => new GeneratedSecret(newChart(), 'creds', { secretName: 'Orders_Credentials', keys: ['password'] }))
      .toThrow(/test\/creds: 'secretName' must be a DNS subdomain/);
  });

  describe('the generator script, run with a stand-in for curl', () => {
    const script: string = only(generator(), 'Job').spec.template.spec.containers[0].command[2];

    function run(getCode: number, postCode: number) {
      const dir = mkdtempSync(join(tmpdir(), 'gen-secret-'));
      writeFileSync(join(dir, 'namespace'), 'shop');
      writeFileSync(join(dir, 'token'), 'token');
      writeFileSync(join(dir, 'ca.crt'), '');
      // The stand-in logs its arguments, keeps a POSTed body, and answers with the configured status.
      const fakeCurl = join(dir, 'curl');
      writeFileSync(fakeCurl, `#!/bin/sh
echo "$*" >> "${dir}/calls"
case "$*" in
  *"-X POST"*) for a in "$@"; do [ "$prev" = "--data" ] && cp "\${a#@}" "${dir}/posted"; prev="$a"; done; printf '%s' ${postCode} ;;
  *) printf '%s' ${getCode} ;;
esac
`);
      chmodSync(fakeCurl, 0o755);
      const env = {
        PATH: `${dir}:${process.env.PATH}`,
        SERVICE_ACCOUNT_DIR: dir,
        TMPDIR: dir,
        SECRET_NAME: 'orders-credentials',
        SECRET_KEYS: 'password replication-password',
        SECRET_LABELS: '{"app":"orders"}',
      };
      let output = '';
      let status = 0;
      try {
        output = execFileSync('/bin/sh', ['-c', script], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (e: any) {
        status = e.status; output = `${e.stdout}${e.stderr}`;
      }
      const read = (f: string) => { try { return readFileSync(join(dir, f), 'utf8'); } catch { return undefined; } };
      return { output, status, calls: read('calls')?.trim().split('\n') ?? [], body: read('posted'), auth: read('auth') };
    }

    test('an existing Secret is left unchanged', () => {
      const r = run(200, 201);
      expect(r.status).toBe(0);
      expect(r.output).toContain('secret orders-credentials exists: left unchanged');
      expect(r.calls).toHaveLength(1);
    });

    test('a missing Secret is created with a random value per key', () => {
      const r = run(404, 201);
      expect(r.status).toBe(0);
      expect(r.calls[1]).toContain('-X POST');
      // No token and no password on a command line: both travel in files.
      expect(r.calls.join('\n')).not.toMatch(/Bearer|stringData/);
      expect(r.auth).toBe('Authorization: Bearer token\n');
      const secret = JSON.parse(r.body!);
      expect(secret.metadata).toEqual({ name: 'orders-credentials', labels: { app: 'orders' } });
      expect(Object.keys(secret.stringData)).toEqual(['password', 'replication-password']);
      for (const value of Object.values<string>(secret.stringData)) { expect(value).toMatch(/^[A-Za-z0-9]{32}$/); }
      expect(secret.stringData.password).not.toBe(secret.stringData['replication-password']);
    });

    test('losing a creation race is fine; other errors fail the Job', () => {
      expect(run(404, 409).output).toContain('created concurrently: left unchanged');
      const forbidden = run(403, 201);
      expect(forbidden.status).not.toBe(0);
      expect(forbidden.output).toContain('reading secret orders-credentials: HTTP 403');
    });
  });

  describe('shellcheck', () => {
    testShellcheck('the generator script passes shellcheck as POSIX sh',
      () => ({ 'generate.sh': only(generator(), 'Job').spec.template.spec.containers[0].command[2] }), 'sh');
  });
});
