import { App, Chart, Size, Testing } from 'cdk8s';
import { Placement, PlacementProfile, SpreadMode, StatefulWorkload, StatefulWorkloadProps } from '../../src/workload';
import { exactly, only, synth, warningsOf } from '../util';

process.env.CDK8S_STATEFUL_QUIET = '1';

const ENV = Placement.ENVIRONMENT_VARIABLE;

const web = (overrides: Partial<StatefulWorkloadProps> = {}): StatefulWorkloadProps => ({
  replicas: 3,
  containers: [{ name: 'web', image: 'nginxinc/nginx-unprivileged:1.27.3', ports: [{ name: 'http', number: 8080 }] }],
  volumeClaims: [{ size: Size.gibibytes(1), mountPath: '/data' }],
  ...overrides,
});

/** The pod spec of a 3-pod set synthesized in a fresh app, `configure` run on the app first. */
function podSpec(props: Partial<StatefulWorkloadProps> = {}, configure: (app: App) => void = () => {}): any {
  const app = Testing.app();
  configure(app);
  const chart = new Chart(app, 'test', { namespace: 'db' });
  new StatefulWorkload(chart, 'web', web(props));
  return only(synth(chart), 'StatefulSet').spec.template.spec;
}

const development = (app: App) => Placement.useProfile(app, PlacementProfile.DEVELOPMENT);

describe('Placement profiles', () => {
  const saved = process.env[ENV];
  beforeEach(() => { delete process.env[ENV]; });
  afterAll(() => { if (saved === undefined) { delete process.env[ENV]; } else { process.env[ENV] = saved; } });

  test('the default is high availability: one pod per node and an even zone spread, both required', () => {
    // GIVEN no profile anywhere / WHEN
    const pod = podSpec();
    // THEN
    expect(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    expect(pod.topologySpreadConstraints[0].whenUnsatisfiable).toBe('DoNotSchedule');
    expect(Placement.profileOf(new Chart(Testing.app(), 'c'))).toBe(PlacementProfile.HIGH_AVAILABILITY);
  });

  test('development: pods may share a node and need no zone label, but still spread where they can', () => {
    // GIVEN / WHEN the app uses the development profile
    const pod = podSpec({}, development);
    // THEN nothing is required any more
    expect(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toBeUndefined();
    expect(pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toEqual([{
      weight: 100,
      podAffinityTerm: { labelSelector: { matchLabels: expect.any(Object) }, topologyKey: 'kubernetes.io/hostname' },
    }]);
    expect(pod.topologySpreadConstraints).toEqual([expect.objectContaining({
      maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway',
    })]);
    expect(pod.nodeSelector).toBeUndefined();
  });

  test('development relaxes an explicit REQUIRED too, keeps NONE and PREFERRED, drops zone pins, keeps node selectors and priority', () => {
    const required = podSpec({ placement: { nodeSpread: SpreadMode.REQUIRED, zoneSpread: SpreadMode.REQUIRED } }, development);
    expect(required.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    expect(required.topologySpreadConstraints[0].whenUnsatisfiable).toBe('ScheduleAnyway');

    const none = podSpec({ placement: { nodeSpread: SpreadMode.NONE, zoneSpread: SpreadMode.NONE } }, development);
    expect(none.affinity).toBeUndefined();
    expect(none.topologySpreadConstraints).toBeUndefined();

    const pinned = podSpec({ placement: { zone: 'eu-west-1a', nodeSelector: { disk: 'ssd' }, priorityClassName: 'databases' } }, development);
    expect(pinned.nodeSelector).toEqual({ disk: 'ssd' });
    expect(pinned.priorityClassName).toBe('databases');
    // The pin is gone, so the set spreads (preferably) like any other.
    expect(pinned.topologySpreadConstraints[0].whenUnsatisfiable).toBe('ScheduleAnyway');
  });

  test(`${ENV}=development switches an app without touching its code; empty means unset`, () => {
    process.env[ENV] = 'development';
    expect(podSpec().affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    process.env[ENV] = 'high-availability';
    expect(podSpec().affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    process.env[ENV] = '';
    expect(podSpec().affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
  });

  test('the code wins over the environment; the nearest scope wins over the app', () => {
    process.env[ENV] = 'development';
    const ha = podSpec({}, (app) => Placement.useProfile(app, PlacementProfile.HIGH_AVAILABILITY));
    expect(ha.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    delete process.env[ENV];

    const app = Testing.app();
    development(app);
    const production = new Chart(app, 'production', { namespace: 'db' });
    Placement.useProfile(production, PlacementProfile.HIGH_AVAILABILITY);
    const laptop = new Chart(app, 'laptop', { namespace: 'laptop' });
    new StatefulWorkload(production, 'web', web());
    new StatefulWorkload(laptop, 'web', web());
    expect(only(synth(production), 'StatefulSet').spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    expect(only(synth(laptop), 'StatefulSet').spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    expect(Placement.profileOf(laptop)).toBe(PlacementProfile.DEVELOPMENT);
  });

  test('a development app says so once per chart at synth, naming where the profile came from', () => {
    const app = Testing.app();
    development(app);
    const chart = new Chart(app, 'test', { namespace: 'db' });
    new StatefulWorkload(chart, 'web', web());
    new StatefulWorkload(chart, 'cache', web());
    expect(warningsOf(chart)).toEqual([
      "[WARNING] test: placement profile 'development' (cdk8s-stateful:placement): pods of a set may share a node and zones are ignored; for single-node development clusters, never for production",
    ]);
    process.env[ENV] = 'development';
    const other = new Chart(Testing.app(), 'other', { namespace: 'db' });
    new StatefulWorkload(other, 'web', web());
    expect(warningsOf(other)).toEqual([expect.stringContaining(`(${ENV})`)]);
  });

  test('a profile that is not one is refused, naming the construct and where it was set', () => {
    process.env[ENV] = 'dev';
    expect(() => podSpec()).toThrow(exactly(`test/web: '${ENV}' must be one of 'high-availability', 'development', got 'dev' (a string)`));
    delete process.env[ENV];
    expect(() => podSpec({}, (app) => app.node.setContext(Placement.CONTEXT_KEY, true)))
      .toThrow(exactly("test/web: 'cdk8s-stateful:placement' must be one of 'high-availability', 'development', got true (a boolean)"));
    // From Python or JavaScript: the enum's member name, or anything else, is not a profile.
    expect(() => Placement.useProfile(Testing.app(), 'DEVELOPMENT' as any))
      .toThrow(exactly("App: 'Placement.useProfile(profile)' must be one of 'high-availability', 'development', got 'DEVELOPMENT' (a string)"));
  });

  test('useProfile after something was added is refused: what exists would keep its placement', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'test', { namespace: 'db' });
    new StatefulWorkload(chart, 'web', web());
    expect(() => Placement.useProfile(app, PlacementProfile.DEVELOPMENT))
      .toThrow(exactly("App: 'Placement.useProfile' must be called before anything is added to the scope, which already holds test (they would keep their placement)"));
    expect(() => Placement.useProfile(chart, PlacementProfile.DEVELOPMENT)).toThrow(/^test: 'Placement.useProfile' must be called before anything is added to the scope, which already holds web/);
  });
});
