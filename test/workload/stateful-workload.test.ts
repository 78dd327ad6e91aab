import { Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  AccessMode, DisruptionBudget, PodManagementPolicy, Provisioner, SpreadMode, StatefulWorkload, StatefulWorkloadProps, StorageClass, VolumeMode,
} from '../../src';
import { appYaml, newChart, only, selects, synth } from '../util';

const web = (overrides: Partial<StatefulWorkloadProps> = {}): StatefulWorkloadProps => ({
  replicas: 3,
  containers: [{ name: 'web', image: 'nginxinc/nginx-unprivileged:1.27.3', ports: [{ name: 'http', number: 8080 }] }],
  volumeClaims: [{ size: Size.gibibytes(1), mountPath: '/data' }],
  ...overrides,
});

describe('StatefulWorkload', () => {
  test('a set of three: StatefulSet, headless and client Services, PDB, ServiceAccount, NetworkPolicy', () => {
    const chart = newChart();
    new StatefulWorkload(chart, 'web', web());
    const objects = synth(chart);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'NetworkPolicy/web', 'PodDisruptionBudget/web', 'Service/web', 'Service/web-headless', 'ServiceAccount/web', 'StatefulSet/web',
    ]);
    expect(objects.every((o) => o.metadata.namespace === 'db')).toBe(true);
    expect(objects.every((o) => o.metadata.labels['app.kubernetes.io/managed-by'] === 'cdk8s-stateful')).toBe(true);
  });

  test('claims per pod, retained on delete and on scale-down', () => {
    const chart = newChart();
    const ssd = new StorageClass(chart, 'ssd', { provisioner: Provisioner.awsEbs() });
    new StatefulWorkload(chart, 'web', web({
      volumeClaims: [{ name: 'data', size: Size.gibibytes(20), storageClass: ssd, mountPath: '/data', accessModes: [AccessMode.READ_WRITE_ONCE_POD] }],
    }));
    const sts = only(synth(chart), 'StatefulSet');
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    expect(sts.spec.volumeClaimTemplates).toEqual([{
      metadata: { name: 'data', labels: sts.metadata.labels },
      spec: { accessModes: ['ReadWriteOncePod'], storageClassName: 'ssd', volumeMode: 'Filesystem', resources: { requests: { storage: '20Gi' } } },
    }]);
    const container = sts.spec.template.spec.containers[0];
    expect(container.volumeMounts).toEqual([{ name: 'data', mountPath: '/data' }]);
    // The controller adds claim volumes itself: the pod template must not declare them.
    expect(sts.spec.template.spec.volumes).toBeUndefined();
  });

  test('a claim can be mounted into some containers only', () => {
    const chart = newChart();
    new StatefulWorkload(chart, 'db', web({
      containers: [
        { name: 'server', image: 'nginx:1.27.3', ports: [{ number: 80 }] },
        { name: 'exporter', image: 'nginx:1.27.3' },
      ],
      volumeClaims: [{ size: Size.gibibytes(1), mountPath: '/data', mountInto: ['server'] }],
    }));
    const [server, exporter] = only(synth(chart), 'StatefulSet').spec.template.spec.containers;
    expect(server.volumeMounts).toEqual([{ name: 'data', mountPath: '/data' }]);
    expect(exporter.volumeMounts).toBeUndefined();
  });

  test('pods are hardened to the restricted Pod Security Standard', () => {
    const chart = newChart();
    new StatefulWorkload(chart, 'web', web({ identity: { user: 101, group: 101 } }));
    const pod = only(synth(chart), 'StatefulSet').spec.template.spec;
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true, runAsUser: 101, runAsGroup: 101, fsGroup: 101, fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.containers[0].securityContext).toEqual({
      allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.enableServiceLinks).toBe(false);
    expect(pod.containers[0].imagePullPolicy).toBe('IfNotPresent');
  });

  test('placement: one pod per node and an even zone spread by default', () => {
    const chart = newChart();
    new StatefulWorkload(chart, 'web', web());
    const pod = only(synth(chart), 'StatefulSet').spec.template.spec;
    expect(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).toBe('kubernetes.io/hostname');
    expect(pod.topologySpreadConstraints).toEqual([expect.objectContaining({
      maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule',
    })]);
  });

  test('placement can be relaxed, pinned to a zone, or dropped for a single pod', () => {
    const relaxed = newChart();
    new StatefulWorkload(relaxed, 'web', web({ placement: { nodeSpread: SpreadMode.PREFERRED, zoneSpread: SpreadMode.NONE, nodeSelector: { disk: 'ssd' } } }));
    const pod = only(synth(relaxed), 'StatefulSet').spec.template.spec;
    expect(pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight).toBe(100);
    expect(pod.topologySpreadConstraints).toBeUndefined();
    expect(pod.nodeSelector).toEqual({ disk: 'ssd' });

    const pinned = newChart();
    new StatefulWorkload(pinned, 'web', web({ placement: { zone: 'eu-west-1a' } }));
    const pinnedPod = only(synth(pinned), 'StatefulSet').spec.template.spec;
    expect(pinnedPod.nodeSelector).toEqual({ 'topology.kubernetes.io/zone': 'eu-west-1a' });
    expect(pinnedPod.topologySpreadConstraints).toBeUndefined();

    const single = newChart();
    new StatefulWorkload(single, 'web', web({ replicas: 1 }));
    const objects = synth(single);
    expect(only(objects, 'StatefulSet').spec.template.spec.affinity).toBeUndefined();
    expect(objects.filter((o) => o.kind === 'PodDisruptionBudget')).toEqual([]);
  });

  test('every selector selects exactly the pod template labels', () => {
    const chart = newChart();
    const w = new StatefulWorkload(chart, 'web', web({ component: 'server', appName: 'nginx', instance: 'site' }));
    w.addClientService('Primary', { name: 'web-primary', podName: 'web-0' });
    const objects = synth(chart);
    const sts = only(objects, 'StatefulSet');
    const podLabels = sts.spec.template.metadata.labels;
    const pod = sts.spec.template.spec;
    expect(selects(sts.spec.selector.matchLabels, podLabels)).toBe(true);
    expect(selects(only(objects, 'Service', 'web').spec.selector, podLabels)).toBe(true);
    expect(selects(only(objects, 'Service', 'web-headless').spec.selector, podLabels)).toBe(true);
    const primary = only(objects, 'Service', 'web-primary');
    expect(primary.spec.selector).toEqual({ ...sts.spec.selector.matchLabels, 'statefulset.kubernetes.io/pod-name': 'web-0' });
    expect(primary.metadata.annotations).toEqual({ 'kube-score/ignore': 'service-targets-pod' });
    expect(selects(only(objects, 'PodDisruptionBudget').spec.selector.matchLabels, podLabels)).toBe(true);
    expect(selects(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchLabels, podLabels)).toBe(true);
    expect(selects(pod.topologySpreadConstraints[0].labelSelector.matchLabels, podLabels)).toBe(true);
    const policy = only(objects, 'NetworkPolicy');
    expect(selects(policy.spec.podSelector.matchLabels, podLabels)).toBe(true);
    expect(selects(policy.spec.ingress[0].from[0].podSelector.matchLabels, podLabels)).toBe(true);
    expect(podLabels).toMatchObject({ 'app.kubernetes.io/name': 'nginx', 'app.kubernetes.io/instance': 'site', 'app.kubernetes.io/component': 'server' });
  });

  test('selectors of two sets of one instance do not overlap', () => {
    const chart = newChart();
    const a = new StatefulWorkload(chart, 'a', web({ instance: 'ring', appName: 'cassandra', component: 'rack-a' }));
    const b = new StatefulWorkload(chart, 'b', web({ instance: 'ring', appName: 'cassandra', component: 'rack-b' }));
    expect(selects(a.selectorLabels, b.labels)).toBe(false);
    expect(selects(b.selectorLabels, a.labels)).toBe(false);
    expect(selects(a.instanceLabels, b.labels)).toBe(true);
  });

  test('headless Service publishes pods before they are ready, and pods have stable DNS names', () => {
    const chart = newChart('shop');
    const w = new StatefulWorkload(chart, 'orders', web());
    const headless = only(synth(chart), 'Service', 'orders-headless');
    expect(headless.spec.clusterIP).toBe('None');
    expect(headless.spec.publishNotReadyAddresses).toBe(true);
    expect(only(synth(chart), 'StatefulSet').spec.serviceName).toBe('orders-headless');
    expect(w.podDnsName(2)).toBe('orders-2.orders-headless.shop.svc.cluster.local');
    expect(w.serviceDnsName('orders')).toBe('orders.shop.svc.cluster.local');
  });

  test('the NetworkPolicy admits the instance and what the user allows, on the client ports', () => {
    const chart = newChart();
    const app = kplus.Pods.select(chart, 'app', { labels: { app: 'shop' } });
    const w = new StatefulWorkload(chart, 'web', web({ allowFrom: [app] }));
    w.allowFrom(kplus.NetworkPolicyIpBlock.ipv4(chart, 'office', '10.1.0.0/16'));
    const policy = only(synth(chart), 'NetworkPolicy');
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    expect(policy.spec.ingress).toHaveLength(3);
    expect(policy.spec.ingress[1]).toEqual({ from: [{ podSelector: { matchLabels: { app: 'shop' } } }], ports: [{ port: 8080, protocol: 'TCP' }] });
    expect(policy.spec.ingress[2].from).toEqual([{ ipBlock: { cidr: '10.1.0.0/16' } }]);
  });

  test('options: pod management, grace period, annotations, disruption budget, no client service, no policy', () => {
    const chart = newChart();
    new StatefulWorkload(chart, 'web', web({
      podManagementPolicy: PodManagementPolicy.PARALLEL,
      terminationGracePeriod: Duration.minutes(5),
      podAnnotations: { 'prometheus.io/scrape': 'true' },
      disruptionBudget: DisruptionBudget.minAvailable(2),
      clientService: false,
      networkPolicy: false,
      version: '1.27.3',
    }));
    const objects = synth(chart);
    const sts = only(objects, 'StatefulSet');
    expect(sts.spec.podManagementPolicy).toBe('Parallel');
    expect(sts.spec.template.spec.terminationGracePeriodSeconds).toBe(300);
    expect(sts.spec.template.metadata.annotations).toEqual({ 'prometheus.io/scrape': 'true' });
    expect(sts.metadata.labels['app.kubernetes.io/version']).toBe('1.27.3');
    expect(only(objects, 'PodDisruptionBudget').spec).toMatchObject({ minAvailable: 2 });
    expect(objects.filter((o) => o.kind === 'Service').map((s) => s.metadata.name)).toEqual(['web-headless']);
    expect(objects.filter((o) => o.kind === 'NetworkPolicy')).toEqual([]);
  });

  test('config and secret volumes are declared once even when several containers mount them', () => {
    const chart = newChart();
    const cm = new kplus.ConfigMap(chart, 'cm', { metadata: { name: 'web-config' }, data: { 'a.conf': 'x' } });
    const vol = kplus.Volume.fromConfigMap(chart, 'cfg', cm, { name: 'config' });
    new StatefulWorkload(chart, 'web', web({
      containers: [
        { name: 'a', image: 'busybox:1.37.0', volumeMounts: [{ volume: vol, path: '/etc/a' }], ports: [{ number: 80 }] },
        { name: 'b', image: 'busybox:1.37.0', volumeMounts: [{ volume: vol, path: '/etc/b' }] },
      ],
    }));
    const volumes = only(synth(chart), 'StatefulSet').spec.template.spec.volumes;
    expect(volumes).toEqual([{ name: 'config', configMap: { name: 'web-config' } }]);
  });

  test('two synths of one app are byte-identical', () => {
    const build = () => appYaml((app) => {
      const chart = new Chart(app, 'c', { namespace: 'x' });
      new StatefulWorkload(chart, 'web', web());
    });
    expect(build()).toBe(build());
  });

  describe('bad input', () => {
    test.each([0, -1, 2.5])('replicas %p', (replicas) => {
      expect(() => new StatefulWorkload(newChart(), 'web', web({ replicas })))
        .toThrow(new RegExp(`^test/web: 'replicas' must be a positive integer, got ${replicas}$`.replace('.', '\\.')));
    });

    test('a name that is not a DNS label', () => {
      expect(() => new StatefulWorkload(newChart(), 'Web_1', web()))
        .toThrow(/test\/Web_1: 'name' must be a DNS label .* of at most 52 characters, got 'Web_1'/);
    });

    test('a name too long for <name>-<ordinal> and the controller-revision-hash label', () => {
      expect(() => new StatefulWorkload(newChart(), 'web', web({ name: 'a'.repeat(53) })))
        .toThrow(/'name' must be a DNS label .* of at most 52 characters/);
      expect(() => new StatefulWorkload(newChart(), 'web', web({ name: 'a'.repeat(52) }))).not.toThrow();
    });

    test('a size that is not positive', () => {
      expect(() => new StatefulWorkload(newChart(), 'web', web({ volumeClaims: [{ size: Size.gibibytes(0) }] })))
        .toThrow(/test\/web: 'volumeClaims\[0\].size' must be a positive size/);
    });

    test('an access mode the storage class cannot serve', () => {
      const chart = newChart();
      const ebs = new StorageClass(chart, 'ebs', { provisioner: Provisioner.awsEbs() });
      expect(() => new StatefulWorkload(chart, 'web', web({
        volumeClaims: [{ size: Size.gibibytes(1), storageClass: ebs, accessModes: [AccessMode.READ_WRITE_MANY] }],
      }))).toThrow("test/web: 'volumeClaims[0].accessModes' asks for ReadWriteMany, which storage class 'ebs' cannot serve; valid: ReadWriteOnce, ReadWriteOncePod");
    });

    test('a Block volume cannot be mounted at a path', () => {
      expect(() => new StatefulWorkload(newChart(), 'web', web({
        volumeClaims: [{ size: Size.gibibytes(1), mountPath: '/data', volumeMode: VolumeMode.BLOCK }],
      }))).toThrow("test/web: 'volumeClaims[0].mountPath' cannot be set for a Block volume: a raw device is attached with volumeDevices, not mounted; leave mountPath unset");
    });

    test('one claim shared by several replicas', () => {
      const chart = newChart();
      const claim = kplus.PersistentVolumeClaim.fromClaimName(chart, 'shared', 'myclaim');
      const vol = kplus.Volume.fromPersistentVolumeClaim(chart, 'mypd', claim);
      expect(() => new StatefulWorkload(chart, 'db', web({
        containers: [{ image: 'mysql:8.4.3', volumeMounts: [{ volume: vol, path: '/var/lib/mysql' }] }],
      }))).toThrow("test/db: 'volumeMounts' share the claim 'myclaim' between 3 replicas; sharing a PersistentVolumeClaim is not a good idea: use volumeClaims for a claim per pod");
    });

    test('requests above limits', () => {
      expect(() => new StatefulWorkload(newChart(), 'web', web({
        containers: [{ image: 'nginx:1.27.3', resources: { cpu: { request: kplus.Cpu.units(2), limit: kplus.Cpu.millis(500) } } }],
      }))).toThrow("test/web: 'containers[0].resources.cpu' request (2) must not exceed the limit (500m)");
      expect(() => new StatefulWorkload(newChart(), 'web', web({
        containers: [{ image: 'nginx:1.27.3', resources: { memory: { request: Size.gibibytes(2), limit: Size.gibibytes(1) } } }],
      }))).toThrow("test/web: 'containers[0].resources.memory' request (2Gi) must not exceed the limit (1Gi)");
    });

    test.each(['nginx', 'nginx:latest', 'registry.local:5000/nginx'])('an unpinned image %s', (image) => {
      expect(() => new StatefulWorkload(newChart(), 'web', web({ containers: [{ image }] })))
        .toThrow(/'containers\[0\].image' must pin a version tag \(not 'latest'\) or a digest/);
    });

    test('a digest or a registry port with a tag is pinned', () => {
      expect(() => new StatefulWorkload(newChart(), 'a', web({ containers: [{ image: 'registry.local:5000/nginx:1.27', ports: [{ number: 80 }] }] }))).not.toThrow();
      expect(() => new StatefulWorkload(newChart(), 'b', web({ containers: [{ image: `nginx@sha256:${'a'.repeat(64)}`, ports: [{ number: 80 }] }] }))).not.toThrow();
    });

    test('a disruption budget that would block every eviction', () => {
      expect(() => new StatefulWorkload(newChart(), 'web', web({ disruptionBudget: DisruptionBudget.minAvailable(4) })))
        .toThrow("test/web: 'disruptionBudget.minAvailable' must not exceed replicas (3): no pod could ever be evicted and node drains would hang, got 4");
    });

    test('two StatefulSets with one name in one namespace', () => {
      const chart = newChart();
      new StatefulWorkload(chart, 'a', web({ name: 'web' }));
      new StatefulWorkload(chart, 'b', web({ name: 'web' }));
      expect(() => Testing.synth(chart)).toThrow(/two StatefulSet objects are named 'web' in namespace 'db': test\/a\/Resource and test\/b\/Resource/);
    });

    test('the same name in two namespaces is fine', () => {
      const app = Testing.app();
      const a = new Chart(app, 'a', { namespace: 'one' });
      const b = new Chart(app, 'b', { namespace: 'two' });
      new StatefulWorkload(a, 'web', web());
      new StatefulWorkload(b, 'web', web());
      expect(() => app.synthYaml()).not.toThrow();
    });

    test('no containers', () => {
      expect(() => new StatefulWorkload(newChart(), 'web', web({ containers: [] }))).toThrow("test/web: 'containers' must list at least one container");
    });
  });
});
