// The replica-set agent's decisions, with the very script text the pods run (read from the
// synthesized ConfigMaps), against a fake replica set (test/integration/mongodb/fake-replica-set.ts).
import { Chart, Testing } from 'cdk8s';
import { MongoDb, MongoDbProps, TlsCertificates } from '../../src';
import { FakeCluster, FakeConfig, runAgent } from '../integration/mongodb/fake-replica-set';

process.env.CDK8S_STATEFUL_QUIET = '1';

const OK = 0;
const RETRY = 3;
const FATAL = 4;
const SOON = 5;

function synthesize(props: MongoDbProps = {}) {
  const app = Testing.app();
  const chart = new Chart(app, 'test', { namespace: 'db' });
  const db = new MongoDb(chart, 'orders', props);
  const objects = Testing.synth(chart);
  const data = (name: string) => objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name).data;
  return { script: data('orders-scripts')['replica-set.js'] as string, settings: data('orders-config')['replica-set.json'] as string, db };
}

const host = (i: number) => `orders-${i}.orders-headless.db.svc.cluster.local:27017`;
const arbiterHost = 'orders-arbiter-0.orders-arbiter-headless.db.svc.cluster.local:27017';

describe('MongoDb replica-set agent (the shipped mongosh script, against a fake set)', () => {
  const three = synthesize({ replicas: 3 });
  const agent = (cluster: FakeCluster, ordinal: number, password = 's3cret') =>
    runAgent(three.script, three.settings, cluster, { podName: `orders-${ordinal}`, selfHost: host(ordinal), password });

  test('the settings list every member by its pod DNS name', () => {
    expect(JSON.parse(three.settings)).toEqual({
      name: 'orders',
      port: 27017,
      members: [host(0), host(1), host(2)],
      arbiter: null,
      rootUser: 'root',
      own: { prefix: 'orders-', suffix: '.orders-headless.db.svc.cluster.local:27017', arbiterHost },
      tls: null,
    });
    expect(three.db.connection.hosts).toEqual([host(0), host(1), host(2)]);
  });

  test('a fresh set: pod 0 initiates once with all members when rs.status() says NotYetInitialized, then creates root', () => {
    // GIVEN three fresh members
    const cluster = new FakeCluster();
    [0, 1, 2].forEach((i) => cluster.node(host(i)));

    // WHEN the other pods run first, they only wait
    expect(agent(cluster, 1).code).toBe(RETRY);
    expect(agent(cluster, 2).code).toBe(RETRY);
    expect(cluster.commands('replSetInitiate')).toHaveLength(0);

    // WHEN pod 0 runs
    const first = agent(cluster, 0);

    // THEN it initiated the set with every member, once
    expect(first.code).toBe(RETRY);
    const initiates = cluster.commands('replSetInitiate');
    expect(initiates).toHaveLength(1);
    expect(initiates[0].host).toBe(host(0));
    expect(initiates[0].body.replSetInitiate).toEqual({ _id: 'orders', members: [0, 1, 2].map((i) => ({ _id: i, host: host(i) })) });
    // rs.status() was asked first and answered NotYetInitialized
    const before = cluster.calls.slice(0, cluster.calls.indexOf(initiates[0]));
    expect(before.some((c) => c.host === host(0) && c.command === 'replSetGetStatus')).toBe(true);

    // WHEN it runs again as the primary THEN it creates the root user through the localhost exception
    expect(agent(cluster, 0).code).toBe(OK);
    expect(cluster.commands('createUser')).toHaveLength(1);
    expect(cluster.commands('createUser')[0].body).toMatchObject({ createUser: 'root', pwd: 's3cret', roles: [{ role: 'root', db: 'admin' }] });
    expect(cluster.node(host(1)).users.get('root')).toBe('s3cret');

    // AND later runs change nothing
    expect(agent(cluster, 0).code).toBe(OK);
    expect(agent(cluster, 1).code).toBe(OK);
    expect(agent(cluster, 2).code).toBe(OK);
    expect(cluster.commands('replSetInitiate')).toHaveLength(1);
    expect(cluster.commands('createUser')).toHaveLength(1);
    expect(cluster.commands('replSetReconfig')).toHaveLength(0);
  });

  test('pod 0 retries while a member is down (replSetInitiate needs all of them) and never initiates a partial set', () => {
    const cluster = new FakeCluster();
    [0, 1, 2].forEach((i) => cluster.node(host(i)));
    cluster.node(host(2)).up = false;

    const run = agent(cluster, 0);

    expect(run.code).toBe(RETRY);
    expect(run.output.join('\n')).toMatch(/rs.initiate not accepted yet/);
    expect(cluster.node(host(0)).config).toBeUndefined();
    cluster.node(host(2)).up = true;
    expect(agent(cluster, 0).code).toBe(RETRY);
    expect(cluster.node(host(2)).config?.members).toHaveLength(3);
  });

  test('a restarted pod 0 whose volume has the set config never initiates again', () => {
    const cluster = new FakeCluster();
    cluster.establish('orders', [host(0), host(1), host(2)], host(1), { password: 's3cret' });

    expect(agent(cluster, 0).code).toBe(OK);

    expect(cluster.commands('replSetInitiate')).toHaveLength(0);
    expect(cluster.commands('replSetReconfig')).toHaveLength(0);
  });

  test('pod 0 with an empty volume while the others run joins them instead of starting a new set', () => {
    // GIVEN a running set whose primary is pod 1, and pod 0 rescheduled on a new, empty volume
    const cluster = new FakeCluster();
    cluster.establish('orders', [host(0), host(1), host(2)], host(1), { password: 's3cret' });
    const zero = cluster.node(host(0));
    zero.config = undefined;
    zero.state = 'STARTUP';
    zero.users.clear();

    // WHEN its agent runs
    const run = agent(cluster, 0);

    // THEN it does not initiate, and does not add itself twice: it is in the config, the primary brings it in
    expect(run.code).toBe(RETRY);
    expect(cluster.commands('replSetInitiate')).toHaveLength(0);
    expect(cluster.commands('replSetReconfig')).toHaveLength(0);
    expect(run.output.join('\n')).toMatch(/already in the set config/);
  });

  test('pod 0 with an empty volume waits while the set has no primary, and still does not initiate', () => {
    const cluster = new FakeCluster();
    cluster.establish('orders', [host(0), host(1), host(2)], host(1), { password: 's3cret' });
    cluster.node(host(0)).config = undefined;
    cluster.node(host(0)).users.clear();
    cluster.node(host(1)).up = false;

    expect(agent(cluster, 0).code).toBe(RETRY);
    expect(cluster.commands('replSetInitiate')).toHaveLength(0);
  });

  test('pods other than 0 never initiate, even when no member has a set', () => {
    const cluster = new FakeCluster();
    [0, 1, 2].forEach((i) => cluster.node(host(i)));
    cluster.node(host(0)).up = false;

    expect(agent(cluster, 1).code).toBe(RETRY);
    expect(agent(cluster, 2).code).toBe(RETRY);

    expect(cluster.commands('replSetInitiate')).toHaveLength(0);
  });

  test('rs.status() failing for another reason than NotYetInitialized never leads to an initiate', () => {
    // GIVEN fresh-looking members that have users (so no localhost exception) but not root with the Secret's password
    const cluster = new FakeCluster();
    [0, 1, 2].forEach((i) => cluster.node(host(i)).users.set('root', 'other'));

    const run = agent(cluster, 0);

    expect(run.code).toBe(RETRY);
    expect(run.output.join('\n')).toMatch(/cannot log in with the password of the Secret/);
    expect(cluster.commands('replSetInitiate')).toHaveLength(0);
  });

  test('a root user with another password than the Secret\'s is reported, never overwritten', () => {
    // GIVEN a set whose root was created with the old password (the Secret was replaced since)
    const cluster = new FakeCluster();
    cluster.establish('orders', [host(0), host(1), host(2)], host(0), { password: 'old' });

    const run = agent(cluster, 0, 'new');

    expect(run.code).not.toBe(OK);
    expect(run.output.join('\n')).toMatch(/cannot log in with the password of the Secret/);
    expect(cluster.commands('createUser')).toHaveLength(0);
    expect(cluster.commands('replSetInitiate')).toHaveLength(0);
    expect(cluster.node(host(0)).users.get('root')).toBe('old');
  });

  test('a mongod that belongs to another replica set is left alone', () => {
    const cluster = new FakeCluster();
    cluster.establish('billing', [host(0), host(1), host(2)], host(0), { password: 's3cret' });

    const run = agent(cluster, 0);

    expect(run.code).toBe(FATAL);
    expect(run.output.join('\n')).toMatch(/belongs to replica set billing, not orders/);
  });

  test('scaling up: a new pod asks the primary to add it, with its ordinal as member id', () => {
    // GIVEN a running 3-member set, and the manifests re-synthesized with 5 replicas
    const five = synthesize({ replicas: 5 });
    const cluster = new FakeCluster();
    const original = cluster.establish('orders', [host(0), host(1), host(2)], host(2), { password: 's3cret' });
    cluster.node(host(3));
    cluster.node(host(4)).up = false;

    // WHEN pod 3 starts
    const run = runAgent(five.script, five.settings, cluster, { podName: 'orders-3', selfHost: host(3) });

    // THEN the primary got a reconfig that adds it (version + 1), and nothing was initiated
    expect(run.code).toBe(RETRY);
    const reconfigs = cluster.commands('replSetReconfig');
    expect(reconfigs).toHaveLength(1);
    expect(reconfigs[0].host).toBe(host(2));
    expect(reconfigs[0].auth).toBe(true);
    expect(reconfigs[0].body.replSetReconfig.version).toBe(original.version + 1);
    expect(reconfigs[0].body.replSetReconfig.members).toContainEqual({ _id: 3, host: host(3) });
    expect(cluster.commands('replSetInitiate')).toHaveLength(0);

    // AND the next run finds it a secondary with nothing to do
    expect(runAgent(five.script, five.settings, cluster, { podName: 'orders-3', selfHost: host(3) }).code).toBe(OK);
    expect(cluster.commands('replSetReconfig')).toHaveLength(1);
  });

  test('an eighth data member is added without a vote (a set has at most 7 voters)', () => {
    const seven = synthesize({ replicas: 7 });
    const cluster = new FakeCluster();
    cluster.establish('orders', [0, 1, 2, 3, 4, 5, 6].map(host), host(0), { password: 's3cret' });
    cluster.node(host(7));

    runAgent(seven.script, seven.settings, cluster, { podName: 'orders-7', selfHost: host(7) });

    expect(cluster.commands('replSetReconfig')[0].body.replSetReconfig.members).toContainEqual({ _id: 7, host: host(7), votes: 0, priority: 0 });
  });

  describe('with an arbiter', () => {
    const two = synthesize({ replicas: 2, arbiter: true });

    test('pod 0 initiates with the arbiter as an arbiterOnly member', () => {
      const cluster = new FakeCluster();
      [host(0), host(1), arbiterHost].forEach((h) => cluster.node(h));

      runAgent(two.script, two.settings, cluster, { podName: 'orders-0', selfHost: host(0) });

      expect(cluster.commands('replSetInitiate')[0].body.replSetInitiate.members).toEqual([
        { _id: 0, host: host(0) }, { _id: 1, host: host(1) }, { _id: 2, host: arbiterHost, arbiterOnly: true },
      ]);
      expect(cluster.node(arbiterHost).state).toBe('ARBITER');
    });

    test('the arbiter never initiates, and a missing arbiter adds itself as arbiterOnly', () => {
      const cluster = new FakeCluster();
      cluster.node(arbiterHost);
      cluster.node(host(0)).up = false;
      cluster.node(host(1)).up = false;
      const arbiterRun = () => runAgent(two.script, two.settings, cluster, { podName: 'orders-arbiter-0', selfHost: arbiterHost, role: 'arbiter' });
      expect(arbiterRun().code).toBe(RETRY);
      expect(cluster.commands('replSetInitiate')).toHaveLength(0);

      // a set without the arbiter in its config
      cluster.node(host(0)).up = true;
      cluster.node(host(1)).up = true;
      cluster.establish('orders', [host(0), host(1)], host(0), { password: 's3cret' });
      expect(arbiterRun().code).toBe(RETRY);
      expect(cluster.commands('replSetReconfig')[0].body.replSetReconfig.members).toContainEqual({ _id: 2, host: arbiterHost, arbiterOnly: true });
      expect(arbiterRun().code).toBe(OK);
    });

    test('an arbiter restarted with an empty emptyDir waits for the primary: it is still in the config', () => {
      const cluster = new FakeCluster();
      cluster.establish('orders', [host(0), host(1)], host(0), { password: 's3cret', arbiter: arbiterHost });
      cluster.node(arbiterHost).config = undefined;

      const run = runAgent(two.script, two.settings, cluster, { podName: 'orders-arbiter-0', selfHost: arbiterHost, role: 'arbiter' });

      expect(run.code).toBe(RETRY);
      expect(cluster.commands('replSetReconfig')).toHaveLength(0);
      expect(cluster.commands('replSetInitiate')).toHaveLength(0);
    });
  });

  test('a single-member set: pod 0 initiates itself and creates root', () => {
    const one = synthesize({ replicas: 1 });
    const cluster = new FakeCluster();
    cluster.node(host(0));
    const run = () => runAgent(one.script, one.settings, cluster, { podName: 'orders-0', selfHost: host(0) });

    expect(run().code).toBe(RETRY);
    expect(run().code).toBe(OK);

    expect(cluster.commands('replSetInitiate')[0].body.replSetInitiate.members).toEqual([{ _id: 0, host: host(0) }]);
    expect(cluster.node(host(0)).users.get('root')).toBe('s3cret');
  });

  test('with tls, every connection the agent opens (own mongod and peers) is TLS verified against the CA', () => {
    // GIVEN a set with tls, three fresh members
    const withTls = synthesize({ replicas: 3, tls: { certificates: TlsCertificates.fromSecret('orders-certs') } });
    expect(JSON.parse(withTls.settings).tls).toEqual({ caFile: '/etc/tls/ca.crt' });
    const cluster = new FakeCluster();
    [0, 1, 2].forEach((i) => cluster.node(host(i)));
    const run = (ordinal: number) => runAgent(withTls.script, withTls.settings, cluster, { podName: `orders-${ordinal}`, selfHost: host(ordinal), password: 's3cret' });
    // WHEN the pods run until the set is initiated and root exists
    run(1);
    run(0);
    run(0);
    // THEN the set was initiated, and every URI asked for TLS with the CA
    expect(cluster.commands('replSetInitiate')).toHaveLength(1);
    expect(cluster.uris.length).toBeGreaterThan(5);
    expect(cluster.uris.some((u) => u.includes('@localhost:27017/'))).toBe(true);
    expect(cluster.uris.some((u) => u.includes(host(1)))).toBe(true);
    for (const uri of cluster.uris) {
      expect(uri).toContain('tls=true&tlsCAFile=%2Fetc%2Ftls%2Fca.crt&');
    }
  });

  test('without tls, no URI asks for TLS', () => {
    const cluster = new FakeCluster();
    [0, 1, 2].forEach((i) => cluster.node(host(i)));
    agent(cluster, 0);
    expect(cluster.uris.length).toBeGreaterThan(0);
    for (const uri of cluster.uris) {
      expect(uri).not.toContain('tls=');
    }
  });

  test('passwords with URL characters reach the server intact', () => {
    const cluster = new FakeCluster();
    cluster.establish('orders', [host(0), host(1), host(2)], host(0), { password: 'p@ss:w/rd%' });

    expect(agent(cluster, 0, 'p@ss:w/rd%').code).toBe(OK);
    expect(cluster.commands('createUser')).toHaveLength(0);
  });

  describe('membership reconciled with the rendered count (on the primary)', () => {
    const voters = (c: FakeConfig) => c.members.filter((m) => (m.votes ?? 1) > 0).map((m) => m.host).sort();
    /** Runs pod `ordinal`'s agent of `rendered` until it says OK or SOON (at most 10 runs); the exit codes. */
    const settle = (rendered: ReturnType<typeof synthesize>, cluster: FakeCluster, pod: string, selfHost: string, role = 'data') => {
      const codes: number[] = [];
      for (let i = 0; i < 10; i++) {
        const code = runAgent(rendered.script, rendered.settings, cluster, { podName: pod, selfHost, role }).code;
        codes.push(code);
        if (code === OK || code === SOON) { break; }
      }
      return codes;
    };
    /** Every installed config differs from the one before by one voter at most. */
    const oneVoterAtATime = (start: FakeConfig, history: FakeConfig[]) => {
      let before = voters(start);
      for (const config of history) {
        const now = voters(config);
        const changed = [...before.filter((h) => !now.includes(h)), ...now.filter((h) => !before.includes(h))];
        expect(changed.length).toBeLessThanOrEqual(1);
        before = now;
      }
    };

    test('scaling down 5 to 3: the stopped members 3 and 4 are removed, one per reconfig, and the voters end odd', () => {
      // GIVEN a 5-member set whose pods 3 and 4 were deleted by the StatefulSet (replicas: 3 applied)
      const rendered = synthesize({ replicas: 3 });
      const cluster = new FakeCluster();
      const start = cluster.establish('orders', [0, 1, 2, 3, 4].map(host), host(0), { password: 's3cret' });
      cluster.node(host(3)).up = false;
      cluster.node(host(4)).up = false;

      // WHEN the primary's agent runs until it has nothing left to do
      const codes = settle(rendered, cluster, 'orders-0', host(0));

      // THEN two reconfigs, each removing one voter, then OK; the set has the 3 rendered members
      expect(codes).toEqual([RETRY, RETRY, OK]);
      expect(cluster.history.map((c) => c.members.length)).toEqual([4, 3]);
      expect(cluster.history.map((c) => c.version)).toEqual([start.version + 1, start.version + 2]);
      oneVoterAtATime(start, cluster.history);
      expect(cluster.node(host(0)).config!.members.map((m) => m.host)).toEqual([host(0), host(1), host(2)]);
      expect(voters(cluster.node(host(0)).config!).length % 2).toBe(1);
      // AND the secondaries' agents never reconfigure
      expect(settle(rendered, cluster, 'orders-1', host(1))).toEqual([OK]);
      expect(cluster.history).toHaveLength(2);
    });

    test('a member that is no longer rendered but still answers (its pod is stopping) stays until it is down', () => {
      const rendered = synthesize({ replicas: 3 });
      const cluster = new FakeCluster();
      cluster.establish('orders', [0, 1, 2, 3, 4].map(host), host(0), { password: 's3cret' });
      cluster.node(host(4)).up = false;

      const run = runAgent(rendered.script, rendered.settings, cluster, { podName: 'orders-0', selfHost: host(0) });
      expect(run.code).toBe(RETRY);
      expect(run.output.join('\n')).toMatch(/orders-3\..* is not rendered any more but still answers: it is removed once its pod has stopped/);
      expect(cluster.history.map((c) => c.members.map((m) => m._id))).toEqual([[0, 1, 2, 3]]);
      expect(runAgent(rendered.script, rendered.settings, cluster, { podName: 'orders-0', selfHost: host(0) }).code).toBe(SOON);

      cluster.node(host(3)).up = false;
      expect(settle(rendered, cluster, 'orders-0', host(0))).toEqual([RETRY, OK]);
      expect(cluster.node(host(0)).config!.members.map((m) => m._id)).toEqual([0, 1, 2]);
    });

    test('the primary steps down before it is removed: its own agent steps it down, the next primary removes it once it is down', () => {
      // GIVEN 5 members whose primary is pod 4, scaled to 3: pod 3 is gone, pod 4 is still stopping
      const rendered = synthesize({ replicas: 3 });
      const cluster = new FakeCluster();
      const start = cluster.establish('orders', [0, 1, 2, 3, 4].map(host), host(4), { password: 's3cret' });
      cluster.node(host(3)).up = false;

      // WHEN pod 4's agent runs THEN it steps down and removes nothing
      const run = runAgent(rendered.script, rendered.settings, cluster, { podName: 'orders-4', selfHost: host(4) });
      expect(run.code).toBe(RETRY);
      expect(run.output.join('\n')).toMatch(/this primary is not a rendered member any more: stepping down/);
      expect(cluster.commands('replSetStepDown').map((c) => c.host)).toEqual([host(4)]);
      expect(cluster.history).toHaveLength(0);
      expect(cluster.node(host(4)).state).toBe('SECONDARY');
      const primary = [0, 1, 2].map(host).find((h) => cluster.node(h).state === 'PRIMARY')!;
      expect(primary).toBeDefined();
      const ordinal = Number(primary.split('.')[0].split('-')[1]);

      // WHEN the new primary's agent runs THEN it removes pod 3 (down) but not pod 4 (still up)
      expect(settle(rendered, cluster, `orders-${ordinal}`, primary)).toEqual([RETRY, SOON]);
      expect(cluster.node(primary).config!.members.map((m) => m._id)).toEqual([0, 1, 2, 4]);

      // WHEN pod 4 has stopped THEN it is removed, after the step-down
      cluster.node(host(4)).up = false;
      expect(settle(rendered, cluster, `orders-${ordinal}`, primary)).toEqual([RETRY, OK]);
      expect(cluster.node(primary).config!.members.map((m) => m._id)).toEqual([0, 1, 2]);
      const stepDown = cluster.calls.indexOf(cluster.commands('replSetStepDown')[0]);
      const removal = cluster.calls.findIndex((c) => c.command === 'replSetReconfig' && !c.body.replSetReconfig.members.some((m: any) => m.host === host(4)));
      expect(stepDown).toBeLessThan(removal);
      oneVoterAtATime(start, cluster.history);
    });

    test('never more than a minority of the voters: with 4 of 5 voters gone at once, nothing is removed (no majority would be left)', () => {
      const rendered = synthesize({ replicas: 1 });
      const cluster = new FakeCluster();
      cluster.establish('orders', [0, 1, 2, 3, 4].map(host), host(0), { password: 's3cret' });
      [1, 2, 3, 4].forEach((i) => { cluster.node(host(i)).up = false; });

      const run = runAgent(rendered.script, rendered.settings, cluster, { podName: 'orders-0', selfHost: host(0) });

      expect(run.code).toBe(SOON);
      expect(run.output.join('\n')).toMatch(/not changing the members now: too few voters would be up after removed orders-1\./);
      expect(cluster.commands('replSetReconfig')).toHaveLength(0);
    });

    test('7 to 3 in one step leaves 3 of 7 voters up: no reconfig could reach a majority, so none is sent', () => {
      const rendered = synthesize({ replicas: 3 });
      const cluster = new FakeCluster();
      cluster.establish('orders', [0, 1, 2, 3, 4, 5, 6].map(host), host(0), { password: 's3cret' });
      [3, 4, 5, 6].forEach((i) => { cluster.node(host(i)).up = false; });

      expect(runAgent(rendered.script, rendered.settings, cluster, { podName: 'orders-0', selfHost: host(0) }).code).toBe(SOON);
      expect(cluster.commands('replSetReconfig')).toHaveLength(0);
    });

    test('7 to 5: 5 of 7 up, one voter removed per reconfig, 5 voters at the end', () => {
      const rendered = synthesize({ replicas: 5 });
      const cluster = new FakeCluster();
      const start = cluster.establish('orders', [0, 1, 2, 3, 4, 5, 6].map(host), host(2), { password: 's3cret' });
      [5, 6].forEach((i) => { cluster.node(host(i)).up = false; });

      expect(settle(rendered, cluster, 'orders-2', host(2))).toEqual([RETRY, RETRY, OK]);
      oneVoterAtATime(start, cluster.history);
      expect(voters(cluster.node(host(2)).config!)).toEqual([0, 1, 2, 3, 4].map(host).sort());
    });

    test('scaling up 3 to 5: the primary adds new members that answer, one per reconfig, as their pods also would', () => {
      const rendered = synthesize({ replicas: 5 });
      const cluster = new FakeCluster();
      const start = cluster.establish('orders', [0, 1, 2].map(host), host(1), { password: 's3cret' });
      cluster.node(host(3));
      cluster.node(host(4));

      expect(settle(rendered, cluster, 'orders-1', host(1))).toEqual([RETRY, RETRY, OK]);

      expect(cluster.history[0].members).toContainEqual({ _id: 3, host: host(3) });
      expect(cluster.history[1].members).toContainEqual({ _id: 4, host: host(4) });
      oneVoterAtATime(start, cluster.history);
      expect(voters(cluster.node(host(1)).config!)).toHaveLength(5);
      // AND the new pods' own agents find themselves members
      expect(settle(rendered, cluster, 'orders-3', host(3))).toEqual([OK]);
    });

    test('odd voters with the arbiter: 2 + arbiter to 3 data members removes the stopped arbiter and adds pod 2, ending at 3 voters', () => {
      const rendered = synthesize({ replicas: 3 });
      const cluster = new FakeCluster();
      const start = cluster.establish('orders', [0, 1].map(host), host(0), { password: 's3cret', arbiter: arbiterHost });
      cluster.node(arbiterHost).up = false;
      cluster.node(host(2));

      expect(settle(rendered, cluster, 'orders-0', host(0))).toEqual([RETRY, RETRY, OK]);

      oneVoterAtATime(start, cluster.history);
      const final = cluster.node(host(0)).config!;
      expect(final.members.map((m) => m.host)).toEqual([0, 1, 2].map(host));
      expect(voters(final)).toHaveLength(3);
    });

    test('odd voters with the arbiter: 3 data members to 2 + arbiter adds the arbiter as arbiterOnly and removes pod 2', () => {
      const rendered = synthesize({ replicas: 2, arbiter: true });
      const cluster = new FakeCluster();
      const start = cluster.establish('orders', [0, 1, 2].map(host), host(0), { password: 's3cret' });
      cluster.node(host(2)).up = false;
      cluster.node(arbiterHost);

      expect(settle(rendered, cluster, 'orders-0', host(0))).toEqual([RETRY, RETRY, OK]);

      oneVoterAtATime(start, cluster.history);
      const final = cluster.node(host(0)).config!;
      expect(final.members).toContainEqual({ _id: 2, host: arbiterHost, arbiterOnly: true });
      expect(final.members.map((m) => m.host)).toEqual([host(0), host(1), arbiterHost]);
      expect(voters(final)).toHaveLength(3);
    });

    test('a change without a voter comes first: a stopped non-voting member is removed before the voters', () => {
      const rendered = synthesize({ replicas: 3 });
      const cluster = new FakeCluster();
      const start = cluster.establish('orders', [0, 1, 2, 3, 4, 5].map(host), host(0), { password: 's3cret' });
      for (const n of [cluster.node(host(0)), ...[3, 4, 5].map((i) => cluster.node(host(i)))]) {
        n.config!.members[5] = { _id: 5, host: host(5), votes: 0, priority: 0 };
      }
      start.members[5] = { _id: 5, host: host(5), votes: 0, priority: 0 };
      [3, 4, 5].forEach((i) => { cluster.node(host(i)).up = false; });

      expect(settle(rendered, cluster, 'orders-0', host(0))).toEqual([RETRY, RETRY, RETRY, OK]);

      expect(cluster.history[0].members.map((m) => m._id)).toEqual([0, 1, 2, 3, 4]);
      oneVoterAtATime(start, cluster.history);
      expect(voters(cluster.node(host(0)).config!)).toEqual([0, 1, 2].map(host).sort());
    });

    test('a data member without a vote gets one while the voters are even', () => {
      const rendered = synthesize({ replicas: 5 });
      const cluster = new FakeCluster();
      cluster.establish('orders', [0, 1, 2, 3, 4].map(host), host(0), { password: 's3cret' });
      cluster.node(host(0)).config!.members[4] = { _id: 4, host: host(4), votes: 0, priority: 0 };

      expect(settle(rendered, cluster, 'orders-0', host(0))).toEqual([RETRY, OK]);

      expect(cluster.history[0].members[4]).toEqual({ _id: 4, host: host(4), votes: 1, priority: 1 });
    });

    test('members added by hand (not pods of this instance) are never removed', () => {
      const rendered = synthesize({ replicas: 3 });
      const cluster = new FakeCluster();
      cluster.establish('orders', [0, 1, 2].map(host).concat(['backup.example.com:27017', 'orders-x.orders-headless.db.svc.cluster.local:27017']), host(0), { password: 's3cret' });
      cluster.node('backup.example.com:27017').up = false;

      expect(settle(rendered, cluster, 'orders-0', host(0))).toEqual([OK]);
      expect(cluster.commands('replSetReconfig')).toHaveLength(0);
    });

    test('a member removed while its pod was gone asks to be added back when the set grows again (REMOVED state)', () => {
      // GIVEN 5 to 3 done: 3 and 4 removed, their volumes kept
      const three2 = synthesize({ replicas: 3 });
      const five = synthesize({ replicas: 5 });
      const cluster = new FakeCluster();
      cluster.establish('orders', [0, 1, 2, 3, 4].map(host), host(0), { password: 's3cret' });
      cluster.node(host(3)).up = false;
      cluster.node(host(4)).up = false;
      settle(three2, cluster, 'orders-0', host(0));

      // WHEN replicas is 5 again and pod 4 starts on its old volume
      cluster.node(host(4)).up = true;
      expect(cluster.node(host(4)).state).toBe('REMOVED');
      const run = runAgent(five.script, five.settings, cluster, { podName: 'orders-4', selfHost: host(4) });

      // THEN it asks the primary to add it back
      expect(run.output.join('\n')).toMatch(/added to the set by orders-0\..* as member 4/);
      expect(run.code).toBe(RETRY);
      expect(cluster.history[cluster.history.length - 1].members).toContainEqual({ _id: 4, host: host(4) });
      expect(cluster.node(host(4)).state).toBe('SECONDARY');
      expect(cluster.commands('replSetInitiate')).toHaveLength(0);
    });
  });
});
