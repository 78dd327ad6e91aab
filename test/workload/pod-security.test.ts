import * as kplus from 'cdk8s-plus-27';
import { RestrictedPodSecurity } from '../../src/workload';
import { newChart, only, synth } from '../util';

describe('RestrictedPodSecurity', () => {
  test('completes a cdk8s-plus Deployment with seccomp and drop ALL for every container', () => {
    // GIVEN an app Deployment with two containers
    const chart = newChart();
    const app = new kplus.Deployment(chart, 'app', {
      containers: [{ image: 'shop:1.0.0', securityContext: { user: 1000 } }, { image: 'proxy:2.0.0', securityContext: { user: 1000 } }],
    });
    // WHEN
    RestrictedPodSecurity.applyToWorkload(app);
    // THEN
    const pod = only(synth(chart), 'Deployment').spec.template.spec;
    expect(pod.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    expect(pod.containers.map((c: any) => c.securityContext.capabilities)).toEqual([{ drop: ['ALL'] }, { drop: ['ALL'] }]);
    expect(pod.containers[0].securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
  });

  test('completes init containers too (the restricted profile covers them)', () => {
    const chart = newChart();
    const app = new kplus.Deployment(chart, 'app', {
      containers: [{ image: 'shop:1.0.0', securityContext: { user: 1000 } }],
      initContainers: [{ image: 'migrate:1.0.0', securityContext: { user: 1000 } }],
    });
    RestrictedPodSecurity.applyToWorkload(app);
    const pod = only(synth(chart), 'Deployment').spec.template.spec;
    expect(pod.initContainers.map((c: any) => c.securityContext.capabilities)).toEqual([{ drop: ['ALL'] }]);
    expect(pod.containers.map((c: any) => c.securityContext.capabilities)).toEqual([{ drop: ['ALL'] }]);
  });

  test('completes a bare Pod', () => {
    const chart = newChart();
    const pod = new kplus.Pod(chart, 'pod', { containers: [{ image: 'tool:1.0.0', securityContext: { user: 1000 } }] });
    RestrictedPodSecurity.applyToPod(pod);
    const spec = only(synth(chart), 'Pod').spec;
    expect(spec.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    expect(spec.containers[0].securityContext.capabilities).toEqual({ drop: ['ALL'] });
  });
});
