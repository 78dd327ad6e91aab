// Scaling Kafka: the voters of combined mode, the brokers-only ordinals, drainBrokers and its Job,
// the stop hook (run by sh against a stand-in curl for the API check and a log directory on disk),
// and the Role of the scale-down check. The real run (3 -> 5 -> 3 brokers on Kafka 4.4) is
// test/integration/kafka/run.sh.
import { spawnSync } from 'child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Chart, Duration, Testing } from 'cdk8s';
import { Kafka, KafkaProps } from '../../../src';
import { testShellcheck } from '../../shellcheck';
import { exactly, selects, warningsOf } from '../../util';

process.env.CDK8S_STATEFUL_QUIET = '1';

function synth(props: KafkaProps = {}) {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'db' });
  const kafka = new Kafka(chart, 'events', props);
  const objects: any[] = Testing.synth(chart);
  const sts = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'events');
  const config = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'events-config').data;
  const scripts = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'events-scripts').data;
  const container = sts.spec.template.spec.containers[0];
  const env = (name: string) => container.env.find((e: any) => e.name === name)?.value;
  return { kafka, objects, sts, config, scripts, container, env };
}

const prop = (text: string, key: string) => text.split('\n').find((l) => l.startsWith(`${key}=`))?.slice(key.length + 1);

describe('voters (combined mode)', () => {
  test('GIVEN 5 brokers THEN 3 voters (0-2) run broker,controller and the others broker only, from broker.properties', () => {
    const { config, env, kafka } = synth({ brokers: 5 });
    expect(kafka.voterCount).toBe(3);
    expect(prop(config['server.properties'], 'process.roles')).toBe('broker,controller');
    expect(prop(config['broker.properties'], 'process.roles')).toBe('broker');
    expect(prop(config['broker.properties'], 'listeners')).toBe('BROKER://:9092');
    for (const file of ['server.properties', 'broker.properties']) {
      expect(prop(config[file], 'controller.quorum.voters')).toBe([0, 1, 2].map((i) => `${i}@events-${i}.events-headless.db.svc.cluster.local:9093`).join(','));
    }
    expect(env('KAFKA_VOTERS')).toBe('3');
  });

  test('GIVEN brokers 3, 5, 7 THEN the same ConfigMaps, scripts and pod template: scaling rolls no pod and leaves the quorum alone', () => {
    const template = (brokers: number) => {
      const s = synth({ brokers });
      return JSON.stringify([s.config, s.scripts, s.sts.spec.template]);
    };
    expect(template(5)).toBe(template(3));
    expect(template(7)).toBe(template(3));
  });

  test('GIVEN voters: 5 THEN five voters', () => {
    const { config, env } = synth({ brokers: 6, voters: 5 });
    expect(prop(config['server.properties'], 'controller.quorum.voters')!.split(',')).toHaveLength(5);
    expect(env('KAFKA_VOTERS')).toBe('5');
  });

  test.each([
    [{ voters: 2, brokers: 3 }, "test/events: 'voters' must be odd (1, 3, 5, ...): a KRaft quorum of 2 voters tolerates no more failures than 1, and an even split can stop it, got 2"],
    [{ voters: 4, brokers: 5 }, "test/events: 'voters' must be odd (1, 3, 5, ...): a KRaft quorum of 4 voters tolerates no more failures than 3, and an even split can stop it, got 4"],
    [{ voters: 5, brokers: 3 }, "test/events: 'voters' must be at most 'brokers' (3): the voters are the first brokers, ordinals 0 to voters - 1; raise brokers or lower voters, got 5"],
    [{ voters: 11, brokers: 12 }, "test/events: 'voters' must be at most 9: every voter takes part in each metadata commit, and 3 or 5 are the usual quorums, got 11"],
    [{ voters: 0 }, "test/events: 'voters' must be a positive integer, got 0"],
    [{ voters: 1.5 }, "test/events: 'voters' must be a positive integer, got 1.5"],
    [{ voters: 3, controllers: 3 }, "test/events: 'voters' has no effect with dedicated controllers: 'controllers' is the number of voters; leave voters out"],
  ])('GIVEN %j THEN refused', (props, message) => {
    expect(() => synth(props as KafkaProps)).toThrow(exactly(message));
  });

  test('GIVEN voters as a string (JavaScript, Python) THEN refused by type', () => {
    expect(() => synth({ voters: '3' as any })).toThrow(/'voters' must be a number/);
  });

  test('GIVEN more than 3 brokers and no voters THEN a warning for clusters made before voters existed', () => {
    const { kafka } = synth({ brokers: 5 });
    expect(warningsOf(kafka)).toEqual([
      "[WARNING] test/events: 'voters' is not set: the first 3 of the 5 brokers are the KRaft voters and the others run as brokers only. A combined cluster made by a release before 'voters' existed has every broker as a voter: set 'voters: 5' to keep its quorum (docs/upgrading.md)",
    ]);
    expect(warningsOf(synth({ brokers: 5, voters: 3 }).kafka)).toEqual([]);
    expect(warningsOf(synth({ brokers: 3 }).kafka)).toEqual([]);
  });

  test('GIVEN a listeners override THEN the brokers-only template gets it without the controller listener', () => {
    const { config } = synth({ brokers: 4, voters: 3, config: { listeners: 'BROKER://:9092,CONTROLLER://:9093' } });
    expect(prop(config['server.properties'], 'listeners')).toBe('BROKER://:9092,CONTROLLER://:9093');
    expect(prop(config['broker.properties'], 'listeners')).toBe('BROKER://:9092');
  });

  test('GIVEN dedicated controllers THEN no broker.properties and no KAFKA_VOTERS: every broker is a broker only', () => {
    const { config, env } = synth({ brokers: 4, controllers: 3 });
    expect(config['broker.properties']).toBeUndefined();
    expect(env('KAFKA_VOTERS')).toBeUndefined();
  });
});

describe('the stop hook and its Role', () => {
  test('GIVEN brokers THEN a preStop hook, the wait budget from the grace period, and the API token mounted', () => {
    const { container, env, sts } = synth({ terminationGracePeriod: Duration.seconds(300) });
    expect(container.lifecycle.preStop.exec.command).toEqual(['/bin/sh', '/etc/kafka/scripts/prestop.sh']);
    expect(env('KAFKA_PRESTOP_WAIT_SECONDS')).toBe('240');
    expect(sts.spec.template.spec.automountServiceAccountToken).toBe(true);
    expect(synth({ terminationGracePeriod: Duration.seconds(30) }).env('KAFKA_PRESTOP_WAIT_SECONDS')).toBe('0');
  });

  test('GIVEN dedicated controllers THEN they get no stop hook and no token; the brokers do', () => {
    const { objects } = synth({ controllers: 3 });
    const controllers = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'events-controller');
    expect(controllers.spec.template.spec.containers[0].lifecycle).toBeUndefined();
    expect(controllers.spec.template.spec.automountServiceAccountToken).toBe(false);
  });

  test('THEN one Role: get on statefulsets/scale of events only, bound to the brokers\' ServiceAccount', () => {
    const { objects, sts, kafka } = synth();
    const roles = objects.filter((o) => o.kind === 'Role' && o.metadata.labels['app.kubernetes.io/name'] === 'kafka');
    expect(roles).toHaveLength(1);
    expect(roles[0].metadata.name).toBe('events-scale-down');
    expect(roles[0].rules).toEqual([{ apiGroups: ['apps'], resources: ['statefulsets/scale'], resourceNames: ['events'], verbs: ['get'] }]);
    const binding = objects.find((o) => o.kind === 'RoleBinding');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: sts.spec.template.spec.serviceAccountName }]);
    expect(kafka.scaleDownRole.name).toBe('events-scale-down');
  });

  test('THEN the scripts ConfigMap holds the stop hook, the drain and the scale-down check', () => {
    expect(Object.keys(synth().scripts).sort()).toEqual(['drain.sh', 'prestop.sh', 'scale-down-check.sh', 'start.sh']);
  });

  testShellcheck('the stop hook and the drain pass shellcheck (POSIX sh)', () => {
    const { scripts } = synth();
    return { 'prestop.sh': scripts['prestop.sh'], 'drain.sh': scripts['drain.sh'], 'scale-down-check.sh': scripts['scale-down-check.sh'] };
  }, 'sh');
});

describe('the stop hook, run', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kafka-prestop-'));
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'sa'));
    for (const f of ['token', 'namespace', 'ca.crt']) { writeFileSync(join(dir, 'sa', f), f === 'namespace' ? 'db' : 'x'); }
    // curl stand-in: the API server's Scale with FAKE_REPLICAS.
    writeFileSync(join(dir, 'bin', 'curl'), `#!/bin/sh
out=/dev/stdout
while [ $# -gt 0 ]; do case "$1" in -o) out="$2"; shift 2 ;; *) shift ;; esac; done
printf '{"kind":"Scale","spec":{"replicas":%s}}' "$FAKE_REPLICAS" > "$out"
printf 200
`);
    chmodSync(join(dir, 'bin', 'curl'), 0o755);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function run(pod: string, replicas: number, partitions: string[], wait = 2) {
    const logs = join(dir, `logs-${pod}-${replicas}-${partitions.length}`);
    mkdirSync(logs, { recursive: true });
    for (const p of partitions) { mkdirSync(join(logs, p), { recursive: true }); }
    writeFileSync(join(dir, 'server.properties'), `node.id=${pod.split('-').pop()}\nlog.dirs=${logs}\n`);
    writeFileSync(join(dir, 'prestop.sh'), synth().scripts['prestop.sh']);
    const started = Date.now();
    const result = spawnSync('sh', [join(dir, 'prestop.sh')], {
      encoding: 'utf8',
      env: {
        PATH: `${join(dir, 'bin')}:${process.env.PATH}`,
        TMPDIR: dir,
        POD_NAME: pod,
        KAFKA_VOTERS: '3',
        FAKE_REPLICAS: String(replicas),
        KAFKA_CONFIG: join(dir, 'server.properties'),
        KAFKA_PRESTOP_WAIT_SECONDS: String(wait),
        KAFKA_PRESTOP_POLL_SECONDS: '1',
        KAFKA_PRESTOP_LOG: join(dir, 'server.log'),
        KUBERNETES_SERVICE_HOST: '127.0.0.1',
        SCALE_DOWN_CHECK_SA_DIR: join(dir, 'sa'),
      },
    });
    return { ...result, ms: Date.now() - started };
  }

  test('GIVEN a voter THEN it stops at once without asking the API', () => {
    const result = run('events-1', 0, ['t-0']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('prestop: events-1 is a KRaft voter, never scaled away: stopping');
  });

  test('GIVEN ordinal 4 and spec.replicas 5 THEN a restart: it stops at once, replicas or not', () => {
    const result = run('events-4', 5, ['t-0']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('prestop: restart, not a scale-down (scale-down check: restart: pod events-4: ordinal 4 < spec.replicas 5 of StatefulSet events ): stopping');
  });

  test('GIVEN a scaled-away broker with no replica (only deleted, moved, stray and metadata directories) THEN it leaves at once', () => {
    const result = run('events-4', 3, ['__cluster_metadata-0', 't-0.abc-delete', 't-1-future', 't-2.x-stray']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/events-4 is being scaled away .* and broker 4 holds no partition replica: leaving after 0s/);
  });

  test('GIVEN a scaled-away broker holding replicas THEN it waits its budget, reporting, and fails the hook naming them', () => {
    const result = run('events-3', 3, ['orders-0', 'orders-1', '__consumer_offsets-7'], 2);
    expect(result.status).toBe(1);
    expect(result.ms).toBeGreaterThanOrEqual(1000); // whole seconds of date +%s
    expect(result.stdout).toContain('still holds 3 partition replica(s)');
    expect(result.stdout).toMatch(/WARNING: events-3 is being scaled away while broker 3 still holds 3 partition replica\(s\) after [23]s: __consumer_offsets-7 orders-0 orders-1/);
  });
});

describe('drainBrokers', () => {
  test('GIVEN brokers 5 and drainBrokers [3, 4] THEN a Job in the Kafka image runs drain.sh against the bootstrap Service', () => {
    const { objects, kafka } = synth({ brokers: 5, voters: 3, drainBrokers: [4, 3] });
    const job = objects.find((o) => o.kind === 'Job' && o.metadata.name.includes('-drain-'));
    expect(kafka.drainJob).toBeDefined();
    expect(job.metadata.name).toMatch(/^events-drain-[0-9a-f]{8}$/);
    const pod = job.spec.template.spec;
    expect(pod.containers[0].image).toBe('apache/kafka:4.4.0');
    expect(pod.containers[0].command).toEqual(['/bin/sh', '/etc/kafka/scripts/drain.sh',
      '--bootstrap-server', 'events.db.svc.cluster.local:9092', '--keep', '0,1,2', '--drain', '3,4']);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.restartPolicy).toBe('OnFailure');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(job.spec.activeDeadlineSeconds).toBe(86400);
  });

  test('THEN the brokers admit the Job on 9092, its own pods admit nothing, and no broker selector counts it', () => {
    const { objects, sts } = synth({ brokers: 5, voters: 3, drainBrokers: [3, 4] });
    const job = objects.find((o) => o.kind === 'Job' && o.metadata.name.includes('-drain-'));
    const jobLabels = job.spec.template.metadata.labels;
    const brokerPolicy = objects.find((o) => o.kind === 'NetworkPolicy' && selects(o.spec.podSelector.matchLabels ?? {}, sts.spec.template.metadata.labels));
    const admitsJob = (f: any) => f.podSelector && selects(f.podSelector.matchLabels ?? {}, jobLabels);
    const admitted = brokerPolicy.spec.ingress.filter((rule: any) => rule.from?.some(admitsJob));
    expect(admitted.map((r: any) => r.ports)).toContainEqual([{ port: 9092, protocol: 'TCP' }]);
    expect(selects(sts.spec.selector.matchLabels, jobLabels)).toBe(false);
    const own = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === job.metadata.name);
    expect(own.spec).toEqual({ podSelector: { matchLabels: jobLabels }, policyTypes: ['Ingress'], ingress: [] });
  });

  test('GIVEN another list THEN another Job name (a Job is immutable); the same list, the same name', () => {
    const name = (drainBrokers: number[]) => synth({ brokers: 5, voters: 3, drainBrokers }).objects.find((o) => o.kind === 'Job' && o.metadata.name.includes('-drain-')).metadata.name;
    expect(name([4])).not.toBe(name([3, 4]));
    expect(name([3, 4])).toBe(name([4, 3]));
  });

  test('GIVEN brokers already lowered (drainBrokers >= brokers) or an empty list THEN no Job', () => {
    expect(synth({ brokers: 3, drainBrokers: [3, 4] }).objects.filter((o) => o.kind === 'Job' && o.metadata.name.includes('-drain-'))).toHaveLength(0);
    expect(synth({ brokers: 3, drainBrokers: [] }).objects.filter((o) => o.kind === 'Job' && o.metadata.name.includes('-drain-'))).toHaveLength(0);
  });

  test('GIVEN dedicated controllers THEN any highest broker ordinals may be drained', () => {
    const { objects } = synth({ brokers: 4, controllers: 3, drainBrokers: [3] });
    expect(objects.find((o) => o.kind === 'Job' && o.metadata.name.includes('-drain-')).spec.template.spec.containers[0].command.slice(-4)).toEqual(['--keep', '0,1,2', '--drain', '3']);
  });

  test.each([
    [{ brokers: 5, drainBrokers: [2] }, "test/events: 'drainBrokers' must not list a KRaft voter: ordinals 0 to 2 are the controller voters (combined mode, 'voters: 3') and are never removed, got 2"],
    [{ brokers: 6, drainBrokers: [3] }, "test/events: 'drainBrokers' must name the highest ordinals: a StatefulSet removes its pods from the highest ordinal down, so with 6 brokers draining 1 means ordinal 5, got [3]"],
    [{ brokers: 6, drainBrokers: [3, 5] }, "test/events: 'drainBrokers' must name the highest ordinals: a StatefulSet removes its pods from the highest ordinal down, so with 6 brokers draining 2 means ordinals 4 to 5, got [3,5]"],
    [{ brokers: 5, drainBrokers: [4, 4] }, "test/events: 'drainBrokers' must not list an ordinal twice, got 4"],
    [{ brokers: 5, drainBrokers: [-1] }, "test/events: 'drainBrokers' must list broker ordinals (whole numbers from 0, the <n> of pod <name>-<n>), got -1"],
    [{ brokers: 5, drainBrokers: ['4'] }, "test/events: 'drainBrokers' must list broker ordinals (whole numbers from 0, the <n> of pod <name>-<n>), got '4'"],
    [{ brokers: 4, controllers: 3, drainBrokers: [2, 3] }, "test/events: 'drainBrokers' must leave at least 'config.default.replication.factor' (3 by default) brokers: draining 2, 3 leaves 2 broker(s), and with 2, a partition cannot keep that many replicas (its topics stay under-replicated, new ones cannot be created)"],
    [{ brokers: 5, voters: 3, drainBrokers: [3, 4], config: { 'min.insync.replicas': '3' } }, "test/events: 'drainBrokers' must leave at least 'config.min.insync.replicas' (3) + 1 = 4 brokers: draining 3, 4 leaves 3 broker(s), and with 3, one broker down (a restart, a node drain) stops every acks=all write; add brokers or lower min.insync.replicas"],
  ])('GIVEN %j THEN refused', (props, message) => {
    expect(() => synth(props as KafkaProps)).toThrow(exactly(message));
  });

  test('GIVEN drainBrokers that is not a list THEN refused by type', () => {
    expect(() => synth({ drainBrokers: 3 as any })).toThrow(exactly("test/events: 'drainBrokers' must be a list, got 3 (a number)"));
  });
});

describe('brokers against what the topics need', () => {
  test('GIVEN min.insync.replicas 3 and 3 brokers THEN refused, naming brokers', () => {
    expect(() => synth({ brokers: 3, config: { 'min.insync.replicas': '3' } })).toThrow(exactly(
      "test/events: 'brokers' must be at least 'config.min.insync.replicas' (3) + 1 = 4: with 3 brokers, one broker down (a restart, a node drain) stops every acks=all write; add brokers or lower min.insync.replicas, got 3"));
  });

  test('GIVEN a replication factor of 3 and 2 brokers THEN refused', () => {
    expect(() => synth({ brokers: 2, controllers: 3, config: { 'default.replication.factor': '3' } }))
      .toThrow(/'config.default.replication.factor' must be at most the number of brokers \(2\)/);
  });
});
