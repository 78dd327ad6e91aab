// Kafka's TLS and authentication: SASL/SCRAM by default, TLS on every listener with `tls`, the
// controller listener's mutual TLS or SASL/PLAIN, the plaintext client listener of
// `tls.allowPlaintext`, the opt-out, the connection, and the start script's password and keystore
// handling (run by sh with stand-ins for the image's tools). The real run is test/integration/kafka/run.sh.
import { execFileSync, spawnSync } from 'child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Credentials, Kafka, KafkaProps, TlsCertificates } from '../../../src';
import { testShellcheck } from '../../shellcheck';
import { appYaml, parseProperties, warningsOf } from '../../util';

process.env.CDK8S_STATEFUL_QUIET = '1';

const TLS = { certificates: TlsCertificates.fromSecret('events-tls') };

function synth(props: KafkaProps = {}) {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'db' });
  const kafka = new Kafka(chart, 'events', props);
  const objects: any[] = Testing.synth(chart);
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
  const config = find('ConfigMap', 'events-config').data;
  const scripts = find('ConfigMap', 'events-scripts').data;
  const container = find('StatefulSet', 'events').spec.template.spec.containers[0];
  return { kafka, chart, objects, find, config, scripts, container };
}

const envOf = (container: any, name: string) => container.env.find((e: any) => e.name === name);
const SCRAM_LOGIN = 'org.apache.kafka.common.security.scram.ScramLoginModule required';

describe('authentication by default (SASL, no TLS)', () => {
  test('THEN SCRAM-SHA-512 on the broker listener for clients and brokers, SASL/PLAIN on the controller listener', () => {
    const p = parseProperties(synth().config['server.properties']);
    expect(p['listener.security.protocol.map']).toBe('BROKER:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT');
    expect(p['sasl.enabled.mechanisms']).toBe('SCRAM-SHA-512');
    expect(p['sasl.mechanism.inter.broker.protocol']).toBe('SCRAM-SHA-512');
    expect(p['listener.name.broker.scram-sha-512.sasl.jaas.config']).toBe(`${SCRAM_LOGIN} username="broker" password="@INTER_BROKER_PASSWORD@";`);
    expect(p['sasl.mechanism.controller.protocol']).toBe('PLAIN');
    expect(p['listener.name.controller.sasl.enabled.mechanisms']).toBe('PLAIN');
    expect(p['listener.name.controller.plain.sasl.jaas.config']).toBe(
      'org.apache.kafka.common.security.plain.PlainLoginModule required username="controller" password="@CONTROLLER_PASSWORD@" user_controller="@CONTROLLER_PASSWORD@";');
    expect(p['ssl.keystore.location']).toBeUndefined();
  });

  test('THEN dedicated controllers serve SASL/PLAIN and brokers log in to them with it; no SCRAM on controllers', () => {
    const s = synth({ controllers: 3 });
    const c = parseProperties(s.find('ConfigMap', 'events-controller-config').data['server.properties']);
    const b = parseProperties(s.config['server.properties']);
    expect(c['listener.security.protocol.map']).toBe('CONTROLLER:SASL_PLAINTEXT');
    expect(b['listener.security.protocol.map']).toBe('BROKER:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT');
    for (const props of [b, c]) {
      expect(props['sasl.mechanism.controller.protocol']).toBe('PLAIN');
      expect(props['listener.name.controller.plain.sasl.jaas.config']).toMatch(/username="controller" password="@CONTROLLER_PASSWORD@"/);
    }
    expect(c['sasl.mechanism.inter.broker.protocol']).toBeUndefined();
  });

  test('THEN the passwords come from the generated Secret through env, and no password is in the YAML', () => {
    const s = synth({ controllers: 3 });
    expect(s.find('Job', s.kafka.generatedSecret!.job.name)).toBeDefined();
    for (const set of ['events', 'events-controller']) {
      const container = s.find('StatefulSet', set).spec.template.spec.containers[0];
      expect(envOf(container, 'KAFKA_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'events-credentials', key: 'password' });
      expect(envOf(container, 'KAFKA_INTER_BROKER_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'events-credentials', key: 'inter-broker-password' });
      expect(envOf(container, 'KAFKA_CONTROLLER_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'events-credentials', key: 'controller-password' });
      expect(envOf(container, 'KAFKA_USERNAME').value).toBe('admin');
      expect(envOf(container, 'KAFKA_SECURITY_PROTOCOL').value).toBe('SASL_PLAINTEXT');
    }
    const yaml = appYaml((app) => new Kafka(new Chart(app, 'test', { namespace: 'db' }), 'events', { controllers: 3 }));
    expect(yaml).not.toMatch(/kind: Secret\n/);
    // The configs hold placeholders only, which the start script fills in from the environment.
    for (const config of [s.config['server.properties'], s.find('ConfigMap', 'events-controller-config').data['server.properties']]) {
      expect(config.match(/password="[^"]*"/g)).toEqual(expect.arrayContaining(['password="@CONTROLLER_PASSWORD@"']));
      expect(config.match(/password="[^"]*"/g)!.every((m: string) => /^password="@[A-Z_]+@"$/.test(m))).toBe(true);
    }
  });

  test('GIVEN Credentials.fromSecret with renamed keys THEN the pods read those keys and nothing is generated', () => {
    const s = synth({ credentials: Credentials.fromSecret('kafka-users', { 'password': 'admin', 'inter-broker-password': 'ib' }) });
    expect(s.kafka.generatedSecret).toBeUndefined();
    expect(envOf(s.container, 'KAFKA_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'kafka-users', key: 'admin' });
    expect(envOf(s.container, 'KAFKA_INTER_BROKER_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'kafka-users', key: 'ib' });
    expect(envOf(s.container, 'KAFKA_CONTROLLER_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'kafka-users', key: 'controller-password' });
    expect(s.kafka.connection.secretName).toBe('kafka-users');
    expect(s.kafka.connection.passwordKey).toBe('admin');
  });

  test('connectionEnv: SASL settings and a JAAS setting after the password variable it refers to', () => {
    const { kafka } = synth();
    const env = kafka.connectionEnv();
    const names = env.map((e) => e.name);
    expect(env).toEqual(expect.arrayContaining([
      { name: 'KAFKA_BOOTSTRAP_SERVERS', value: 'events.db.svc.cluster.local:9092' },
      { name: 'KAFKA_SECURITY_PROTOCOL', value: 'SASL_PLAINTEXT' },
      { name: 'KAFKA_SASL_MECHANISM', value: 'SCRAM-SHA-512' },
      { name: 'KAFKA_USERNAME', value: 'admin' },
      { name: 'KAFKA_PASSWORD', valueFrom: { secretKeyRef: { name: 'events-credentials', key: 'password' } } },
    ]));
    expect(env[env.length - 1]).toEqual({ name: 'KAFKA_SASL_JAAS_CONFIG', value: `${SCRAM_LOGIN} username="admin" password="$(KAFKA_PASSWORD)";` });
    expect(names.indexOf('KAFKA_PASSWORD')).toBeLessThan(names.indexOf('KAFKA_SASL_JAAS_CONFIG'));
    expect(names).not.toContain('KAFKA_TLS');
    const orders = kafka.connectionEnv({ prefix: 'ORDERS' });
    expect(orders[orders.length - 1].value).toBe(`${SCRAM_LOGIN} username="admin" password="$(ORDERS_PASSWORD)";`);
  });

  test('addConnectionEnv puts the JAAS setting into a cdk8s-plus container, the password from the Secret', () => {
    const { kafka, chart } = synth();
    const deployment = new kplus.Deployment(chart, 'App', { containers: [{ image: 'app:1' }] });
    kafka.addConnectionEnv(deployment.containers[0]);
    const app = (Testing.synth(chart) as any[]).find((o) => o.kind === 'Deployment').spec.template.spec.containers[0];
    expect(envOf(app, 'KAFKA_PASSWORD').valueFrom.secretKeyRef.key).toBe('password');
    expect(envOf(app, 'KAFKA_SASL_JAAS_CONFIG').value).toContain('password="$(KAFKA_PASSWORD)"');
  });
});

describe('saslAuthentication: false (the opt-out while turning it on)', () => {
  test('THEN PLAINTEXT as before, a warning, and no SASL in the connection', () => {
    const s = synth({ saslAuthentication: false });
    const p = parseProperties(s.config['server.properties']);
    expect(p['listener.security.protocol.map']).toBe('BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT');
    expect(Object.keys(p).filter((k) => k.includes('sasl'))).toEqual([]);
    expect(warningsOf(s.kafka).join('\n')).toMatch(/'saslAuthentication' is false: any client that reaches port 9092 may read, write and delete every topic/);
    expect(s.kafka.connection.securityProtocol).toBe('PLAINTEXT');
    expect(s.kafka.connection.username).toBeUndefined();
    expect(s.kafka.connectionEnv().map((e) => e.name)).not.toContain('KAFKA_SASL_JAAS_CONFIG');
    // The SCRAM users' passwords stay available: the users are created from the pods before SASL is turned on.
    expect(envOf(s.container, 'KAFKA_INTER_BROKER_PASSWORD').valueFrom.secretKeyRef.key).toBe('inter-broker-password');
    expect(envOf(s.container, 'KAFKA_PASSWORD').valueFrom.secretKeyRef.key).toBe('password');
    expect(envOf(s.container, 'KAFKA_CONTROLLER_PASSWORD')).toBeUndefined();
    expect(envOf(s.container, 'KAFKA_SECURITY_PROTOCOL').value).toBe('PLAINTEXT');
  });

  test('GIVEN tls too THEN SSL on every listener, the controller one with mutual TLS', () => {
    const p = parseProperties(synth({ saslAuthentication: false, tls: TLS }).config['server.properties']);
    expect(p['listener.security.protocol.map']).toBe('BROKER:SSL,CONTROLLER:SSL');
    expect(p['listener.name.controller.ssl.client.auth']).toBe('required');
  });

  test('a value that is not a boolean is refused', () => {
    expect(() => synth({ saslAuthentication: 'no' as any })).toThrow(/'saslAuthentication' must be true or false, got 'no'/);
  });
});

describe('tls', () => {
  test('THEN SASL_SSL for clients and brokers, SSL with client certificates on the controller listener, PEM stores', () => {
    const s = synth({ tls: TLS, brokers: 5 });
    for (const file of ['server.properties', 'broker.properties']) {
      const p = parseProperties(s.config[file]);
      expect(p['listener.security.protocol.map']).toBe('BROKER:SASL_SSL,CONTROLLER:SSL');
      expect(p['ssl.keystore.type']).toBe('PEM');
      expect(p['ssl.keystore.location']).toBe('/etc/kafka/runtime/keystore.pem');
      expect(p['ssl.truststore.type']).toBe('PEM');
      expect(p['ssl.truststore.location']).toBe('/etc/tls/ca.crt');
      expect(p['ssl.endpoint.identification.algorithm']).toBe('https');
      expect(p['listener.name.controller.ssl.client.auth']).toBe('required');
      expect(p['sasl.mechanism.inter.broker.protocol']).toBe('SCRAM-SHA-512');
      // Mutual TLS on the controller listener: no controller password.
      expect(p['sasl.mechanism.controller.protocol']).toBeUndefined();
      expect(s.config[file]).not.toContain('@CONTROLLER_PASSWORD@');
    }
    expect(envOf(s.container, 'KAFKA_CONTROLLER_PASSWORD')).toBeUndefined();
    expect(envOf(s.container, 'KAFKA_CA_FILE').value).toBe('/etc/tls/ca.crt');
    expect(s.container.volumeMounts).toEqual(expect.arrayContaining([expect.objectContaining({ mountPath: '/etc/tls', readOnly: true })]));
  });

  test('GIVEN dedicated controllers THEN their listener is SSL with client certificates too', () => {
    const s = synth({ tls: TLS, controllers: 3 });
    const c = parseProperties(s.find('ConfigMap', 'events-controller-config').data['server.properties']);
    expect(c['listener.security.protocol.map']).toBe('CONTROLLER:SSL');
    expect(c['listener.name.controller.ssl.client.auth']).toBe('required');
    expect(c['ssl.keystore.location']).toBe('/etc/kafka/runtime/keystore.pem');
  });

  test('THEN the connection says SASL_SSL and where the CA is, as Kafka client settings', () => {
    const { kafka } = synth({ tls: TLS });
    expect(kafka.connection.securityProtocol).toBe('SASL_SSL');
    expect(kafka.connection.tls).toEqual({ required: true, caSecretName: 'events-tls', caKey: 'ca.crt', caFile: '/etc/cdk8s-stateful/events/ca.crt' });
    expect(kafka.connection.plaintextBootstrapServers).toBeUndefined();
    expect(kafka.connectionEnv()).toEqual(expect.arrayContaining([
      { name: 'KAFKA_SECURITY_PROTOCOL', value: 'SASL_SSL' },
      { name: 'KAFKA_TLS', value: 'required' },
      { name: 'KAFKA_SSL_TRUSTSTORE_TYPE', value: 'PEM' },
      { name: 'KAFKA_SSL_TRUSTSTORE_LOCATION', value: '/etc/cdk8s-stateful/events/ca.crt' },
    ]));
  });

  test('GIVEN allowPlaintext THEN a SASL_PLAINTEXT client listener on 9094 beside SASL_SSL; brokers and controllers stay on TLS', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'test', { namespace: 'db' });
    const client = kplus.Pods.select(chart, 'Client', { labels: { app: 'client' } });
    const kafka = new Kafka(chart, 'events', { tls: { ...TLS, allowPlaintext: true }, brokers: 5, allowFrom: [client] });
    const objects: any[] = Testing.synth(chart);
    const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'events-config').data;
    const combined = parseProperties(config['server.properties']);
    expect(combined.listeners).toBe('BROKER://:9092,CONTROLLER://:9093,CLIENT_PLAINTEXT://:9094');
    expect(combined['advertised.listeners']).toBe('BROKER://@POD_NAME@.events-headless.db.svc.cluster.local:9092,CLIENT_PLAINTEXT://@POD_NAME@.events-headless.db.svc.cluster.local:9094');
    expect(combined['listener.security.protocol.map']).toBe('BROKER:SASL_SSL,CONTROLLER:SSL,CLIENT_PLAINTEXT:SASL_PLAINTEXT');
    expect(combined['inter.broker.listener.name']).toBe('BROKER');
    expect(parseProperties(config['broker.properties']).listeners).toBe('BROKER://:9092,CLIENT_PLAINTEXT://:9094');
    const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'events');
    expect(service.spec.ports).toEqual([{ name: 'broker', port: 9092, targetPort: 9092 }, { name: 'plaintext', port: 9094, targetPort: 9094 }]);
    const policy = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'events');
    const rule = policy.spec.ingress.find((r: any) => r.from.some((f: any) => f.podSelector?.matchLabels?.app === 'client'));
    expect(rule.ports).toEqual([{ port: 9092, protocol: 'TCP' }, { port: 9094, protocol: 'TCP' }]);
    expect(kafka.connection.securityProtocol).toBe('SASL_SSL');
    expect(kafka.connection.plaintextBootstrapServers).toBe('events.db.svc.cluster.local:9094');
    expect(kafka.connectionEnv()).toContainEqual({ name: 'KAFKA_TLS', value: 'optional' });
  });

  test('a PKCS#1 cert-manager key is refused at synth', () => {
    expect(() => synth({
      tls: { certificates: TlsCertificates.certManager({ issuerName: 'ca', privateKeyEncoding: 'PKCS1' as any }) },
    })).toThrow(/PKCS/);
  });
});

describe('the drain Job authenticates', () => {
  test('THEN it gets the client settings, the password from the Secret and, with TLS, only the CA', () => {
    const s = synth({ brokers: 5, voters: 3, drainBrokers: [3, 4], tls: TLS });
    const job = s.objects.find((o) => o.kind === 'Job' && o.metadata.name.includes('-drain-'));
    const pod = job.spec.template.spec;
    const container = pod.containers[0];
    expect(envOf(container, 'KAFKA_SECURITY_PROTOCOL').value).toBe('SASL_SSL');
    expect(envOf(container, 'KAFKA_USERNAME').value).toBe('admin');
    expect(envOf(container, 'KAFKA_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'events-credentials', key: 'password' });
    expect(envOf(container, 'KAFKA_INTER_BROKER_PASSWORD')).toBeUndefined();
    expect(envOf(container, 'KAFKA_CA_FILE').value).toBe('/etc/kafka/ca/ca.crt');
    const ca = pod.volumes.find((v: any) => v.secret?.secretName === 'events-tls');
    expect(ca.secret.items).toEqual([{ key: 'ca.crt', path: 'ca.crt' }]);
    expect(container.volumeMounts).toContainEqual({ name: ca.name, mountPath: '/etc/kafka/ca', readOnly: true });
  });

  test('THEN drain.sh passes the client config it writes to every admin tool', () => {
    const script = synth({ brokers: 5, voters: 3, drainBrokers: [3, 4] }).scripts['drain.sh'];
    const dir = mkdtempSync(join(tmpdir(), 'kafka-drain-'));
    try {
      writeFileSync(join(dir, 'drain.sh'), script);
      mkdirSync(join(dir, 'bin'));
      // kafka-topics: one partition already off the drained brokers; the tool records its arguments and the config.
      writeFileSync(join(dir, 'bin', 'kafka-topics.sh'), [
        '#!/bin/sh',
        `echo "$*" >> "${join(dir, 'calls')}"`,
        'while [ $# -gt 0 ]; do [ "$1" = --command-config ] && cp "$2" "' + join(dir, 'seen.properties') + '"; shift; done',
        'echo "Topic: t Partition: 0 Leader: 0 Replicas: 0,1,2 Isr: 0,1,2"',
      ].join('\n'));
      chmodSync(join(dir, 'bin', 'kafka-topics.sh'), 0o755);
      const result = spawnSync('sh', [join(dir, 'drain.sh'), '--bootstrap-server', 'b:9092', '--keep', '0,1,2', '--drain', '3,4'], {
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH,
          KAFKA_HOME: dir,
          TMPDIR: dir,
          KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
          KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
          KAFKA_USERNAME: 'admin',
          KAFKA_PASSWORD: 'Pw1',
          KAFKA_CA_FILE: '/ca/ca.crt',
        },
      });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(readFileSync(join(dir, 'calls'), 'utf8')).toMatch(/--command-config \S+\/client\.properties/);
      expect(parseProperties(readFileSync(join(dir, 'seen.properties'), 'utf8'))).toEqual({
        'security.protocol': 'SASL_SSL',
        'sasl.mechanism': 'SCRAM-SHA-512',
        'sasl.jaas.config': `${SCRAM_LOGIN} username="admin" password="Pw1";`,
        'ssl.truststore.type': 'PEM',
        'ssl.truststore.location': '/ca/ca.crt',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A CA-less self-signed certificate and its key in the encoding asked for, made by openssl. */
function keyPair(dir: string, kind: 'pkcs8' | 'rsa' | 'ec'): void {
  const key = join(dir, 'tls.key');
  if (kind === 'ec') {
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  } else {
    execFileSync('openssl', ['genrsa', ...(kind === 'rsa' ? ['-traditional'] : []), '-out', key, '2048'], { stdio: 'ignore' });
  }
  execFileSync('openssl', ['req', '-x509', '-new', '-key', key, '-subj', '/CN=events', '-days', '1', '-out', join(dir, 'tls.crt')]);
  writeFileSync(join(dir, 'ca.crt'), readFileSync(join(dir, 'tls.crt')));
}

describe('start script: passwords and the keystore', () => {
  testShellcheck('passes shellcheck with TLS', () => ({ 'start.sh': synth({ tls: TLS }).scripts['start.sh'] }), 'sh');

  /** Runs the rendered start script with stand-ins for the image's tools and /etc/tls mapped to a directory. */
  function run(props: KafkaProps, options: { key?: 'pkcs8' | 'rsa' | 'ec'; env?: { [name: string]: string } } = {}) {
    const s = synth(props);
    const dir = mkdtempSync(join(tmpdir(), 'kafka-sec-'));
    try {
      const tlsDir = join(dir, 'tls');
      mkdirSync(tlsDir);
      if (options.key) { keyPair(tlsDir, options.key); }
      const runtime = join(dir, 'runtime');
      writeFileSync(join(dir, 'template.properties'), s.config['server.properties']
        .replace(/\/var\/lib\/kafka\/data/g, join(dir, 'data')).replace(/\/etc\/kafka\/runtime/g, runtime));
      writeFileSync(join(dir, 'start.sh'), s.scripts['start.sh'].replace(/\/etc\/tls\//g, `${tlsDir}/`));
      mkdirSync(join(dir, 'bin'));
      for (const tool of ['kafka-storage.sh', 'kafka-server-start.sh']) {
        writeFileSync(join(dir, 'bin', tool), `#!/bin/sh\necho "${tool} $*" >> "${join(dir, 'calls')}"\n`);
        chmodSync(join(dir, 'bin', tool), 0o755);
      }
      const literal = Object.fromEntries(s.container.env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
      const result = spawnSync('sh', [join(dir, 'start.sh')], {
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          ...literal,
          PATH: process.env.PATH,
          POD_NAME: 'events-0',
          KAFKA_CONFIG_TEMPLATE: join(dir, 'template.properties'),
          KAFKA_CONFIG: join(runtime, 'server.properties'),
          KAFKA_HOME: dir,
          KAFKA_CA_FILE: join(tlsDir, 'ca.crt'),
          KAFKA_PASSWORD: 'Adm1n-Pw=',
          KAFKA_INTER_BROKER_PASSWORD: 'Br0ker&Pw',
          KAFKA_CONTROLLER_PASSWORD: 'C0ntr$ller',
          // The certificate watcher runs in the background: a sleep that fails ends its loop at once, so the run returns.
          TLS_WATCH_SECONDS: 'none',
          ...options.env,
        },
      });
      const read = (file: string) => existsSync(join(runtime, file)) ? readFileSync(join(runtime, file), 'utf8') : undefined;
      const keystore = join(runtime, 'keystore.pem');
      return {
        ...result,
        config: read('server.properties'),
        client: read('client.properties'),
        keystore: read('keystore.pem'),
        keystoreMode: existsSync(keystore) ? statSync(keystore).mode % 0o1000 : undefined,
        configMode: existsSync(join(runtime, 'server.properties')) ? statSync(join(runtime, 'server.properties')).mode % 0o1000 : undefined,
        key: existsSync(join(tlsDir, 'tls.key')) ? readFileSync(join(tlsDir, 'tls.key'), 'utf8') : '',
        cert: existsSync(join(tlsDir, 'tls.crt')) ? readFileSync(join(tlsDir, 'tls.crt'), 'utf8') : '',
        calls: existsSync(join(dir, 'calls')) ? readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n') : [],
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  test('GIVEN SASL THEN the passwords are filled into the pod\'s config (mode 600) and client.properties, the SCRAM users added at format', () => {
    const r = run({});
    expect(r.status).toBe(0);
    const p = parseProperties(r.config!);
    expect(p['listener.name.broker.scram-sha-512.sasl.jaas.config']).toBe(`${SCRAM_LOGIN} username="broker" password="Br0ker&Pw";`);
    expect(p['listener.name.controller.plain.sasl.jaas.config']).toContain('password="C0ntr$ller" user_controller="C0ntr$ller";');
    expect(r.configMode).toBe(0o600);
    expect(parseProperties(r.client!)).toEqual({
      'security.protocol': 'SASL_PLAINTEXT',
      'sasl.mechanism': 'SCRAM-SHA-512',
      'sasl.jaas.config': `${SCRAM_LOGIN} username="admin" password="Adm1n-Pw=";`,
    });
    expect(r.calls[0]).toMatch(/ --add-scram SCRAM-SHA-512=\[name=admin,password=Adm1n-Pw=\] --add-scram SCRAM-SHA-512=\[name=broker,password=Br0ker&Pw\]$/);
  });

  test.each([
    ['KAFKA_INTER_BROKER_PASSWORD', 'a,b'],
    ['KAFKA_CONTROLLER_PASSWORD', 'a"b'],
    ['KAFKA_PASSWORD', 'a b'],
    ['KAFKA_INTER_BROKER_PASSWORD', ''],
  ])('GIVEN %s %j THEN the pod stops before starting Kafka, naming the variable', (name, value) => {
    const r = run({}, { env: { [name]: value } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`kafka: ${name} `);
    expect(r.calls).toEqual([]);
  });

  test('GIVEN tls and a PKCS#8 key THEN the keystore is the key then the certificate, mode 600, and the client trusts the CA', () => {
    const r = run({ tls: TLS }, { key: 'pkcs8' });
    expect(r.stderr).not.toMatch(/start:|kafka:/);
    expect(r.status).toBe(0);
    expect(r.key).toContain('BEGIN PRIVATE KEY');
    expect(r.keystore).toBe(r.key + r.cert);
    expect(r.keystoreMode).toBe(0o600);
    expect(parseProperties(r.client!)['security.protocol']).toBe('SASL_SSL');
    expect(parseProperties(r.client!)['ssl.truststore.type']).toBe('PEM');
    expect(r.calls.map((c) => c.split(' ')[0])).toEqual(['kafka-storage.sh', 'kafka-server-start.sh']);
  });

  test.each([
    ['rsa', 'BEGIN RSA PRIVATE KEY'],
    ['ec', 'BEGIN EC PRIVATE KEY'],
  ] as const)('GIVEN tls and a %s (not PKCS#8) key THEN the pod stops with a clear message, before formatting or starting', (kind, header) => {
    const r = run({ tls: TLS }, { key: kind });
    expect(r.key).toContain(header);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`holds '-----${header}-----'; this server reads only unencrypted PKCS#8 keys`);
    expect(r.stderr).toContain('privateKey.encoding: PKCS8');
    expect(r.keystore).toBeUndefined();
    expect(r.calls).toEqual([]);
  });
});
