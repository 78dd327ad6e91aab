import { Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { markInstance } from '../../src/private/k8s';
import { AccessMode, Provisioner, StorageClass, VolumeMode } from '../../src/storage';
import { DisruptionBudget, NetworkPeer, PodManagementPolicy, SpreadMode, StatefulWorkload, StatefulWorkloadProps } from '../../src/workload';
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

  test('selectLabels: a Service that follows a label software in the pods sets (a role); the set\'s own labels cannot be reselected', () => {
    const chart = newChart();
    const w = new StatefulWorkload(chart, 'web', web({ replicas: 3 }));
    w.addClientService('Leader', { name: 'web-leader', selectLabels: { role: 'leader' } });
    const objects = synth(chart);
    const sts = only(objects, 'StatefulSet');
    expect(only(objects, 'Service', 'web-leader').spec.selector).toEqual({ ...sts.spec.selector.matchLabels, role: 'leader' });
    // A linter reading the pod template cannot see a label set at run time.
    expect(only(objects, 'Service', 'web-leader').metadata.annotations).toEqual({ 'kube-score/ignore': 'service-targets-pod' });
    expect(() => w.addClientService('Bad', { name: 'web-bad', selectLabels: { 'app.kubernetes.io/name': 'x' } }))
      .toThrow("test/web: 'addClientService(Bad).selectLabels.app.kubernetes.io/name' is already selected by the set's own labels: pick a label of your own");
    expect(() => w.addClientService('Bad2', { name: 'web-bad2', selectLabels: { 'bad key!': 'x' } })).toThrow(/'addClientService\(Bad2\).selectLabels/);
  });

  test('no API token in the pods unless serviceAccountToken asks for it', () => {
    const chart = newChart();
    new StatefulWorkload(chart, 'web', web());
    new StatefulWorkload(chart, 'ha', web({ serviceAccountToken: true }));
    const objects = synth(chart);
    expect(only(objects, 'StatefulSet', 'web').spec.template.spec.automountServiceAccountToken).toBe(false);
    expect(only(objects, 'StatefulSet', 'ha').spec.template.spec.automountServiceAccountToken).toBe(true);
    // The ServiceAccount itself mounts nothing into other pods that use it.
    expect(only(objects, 'ServiceAccount', 'ha').automountServiceAccountToken).toBe(false);
    expect(() => new StatefulWorkload(newChart(), 'x', web({ serviceAccountToken: 'yes' as any }))).toThrow("test/x: 'serviceAccountToken' must be true or false, got 'yes' (a string)");
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
        .toThrow("test/Web_1: 'name' must be a DNS-1035 label (lower-case letters, digits and '-', starting with a letter and ending with a letter or digit) of at most 52 characters, because it names a Service, got 'Web_1'");
    });

    test('a name that starts with a digit: valid for a StatefulSet, not for the Services it names', () => {
      expect(() => new StatefulWorkload(newChart(), 'web', web({ name: '1web' })))
        .toThrow(/^test\/web: 'name' must be a DNS-1035 label \(.*starting with a letter.*, got '1web'$/);
      expect(() => new StatefulWorkload(newChart(), 'web', web({ name: 'web1' }))).not.toThrow();
    });

    test('a name too long for <name>-<ordinal> and the controller-revision-hash label', () => {
      expect(() => new StatefulWorkload(newChart(), 'web', web({ name: 'a'.repeat(53) })))
        .toThrow(/'name' must be a DNS-1035 label .* of at most 52 characters/);
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

    test.each([4, 3])('a disruption budget that would block every eviction: minAvailable(%p) of 3', (min) => {
      expect(() => new StatefulWorkload(newChart(), 'web', web({ disruptionBudget: DisruptionBudget.minAvailable(min) })))
        .toThrow(`test/web: 'disruptionBudget.minAvailable' must be less than replicas (3): otherwise no pod could ever be evicted and node drains would hang, got ${min}`);
    });

    test('a disruption budget that would block every eviction: minAvailable(1) of a single pod', () => {
      expect(() => new StatefulWorkload(newChart(), 'web', web({ replicas: 1, disruptionBudget: DisruptionBudget.minAvailable(1) })))
        .toThrow(/'disruptionBudget.minAvailable' must be less than replicas \(1\)/);
    });

    test('a disruption budget that would block every eviction: maxUnavailable(0)', () => {
      expect(() => new StatefulWorkload(newChart(), 'web', web({ disruptionBudget: DisruptionBudget.maxUnavailable(0) })))
        .toThrow("test/web: 'disruptionBudget.maxUnavailable' must be at least 1: with 0 no pod could ever be evicted and node drains would hang; use DisruptionBudget.none() for no budget, got 0");
    });

    test('budgets that leave room for an eviction pass', () => {
      const objects = synth((() => {
        const chart = newChart();
        new StatefulWorkload(chart, 'a', web({ disruptionBudget: DisruptionBudget.minAvailable(2) }));
        new StatefulWorkload(chart, 'b', web({ disruptionBudget: DisruptionBudget.maxUnavailable(2) }));
        return chart;
      })());
      expect(objects.filter((o) => o.kind === 'PodDisruptionBudget').map((o) => o.spec))
        .toEqual([expect.objectContaining({ minAvailable: 2 }), expect.objectContaining({ maxUnavailable: 2 })]);
    });

    test('the same name in two namespaces is fine', () => {
      const app = Testing.app();
      const a = new Chart(app, 'a', { namespace: 'one' });
      const b = new Chart(app, 'b', { namespace: 'two' });
      new StatefulWorkload(a, 'web', web());
      new StatefulWorkload(b, 'web', web());
      expect(() => app.synthYaml()).not.toThrow();
    });

    test('more than 1000 replicas, or a grace period over a week, is a typo: refused', () => {
      expect(() => new StatefulWorkload(newChart(), 'web', web({ replicas: 1001 }))).toThrow("test/web: 'replicas' must be at most 1000");
      expect(() => new StatefulWorkload(newChart(), 'web', web({ terminationGracePeriod: Duration.days(8) })))
        .toThrow("test/web: 'terminationGracePeriod' must be whole seconds from 0 s to 604800 s");
      expect(() => new StatefulWorkload(newChart(), 'web', web({ terminationGracePeriod: Duration.millis(1500) })))
        .toThrow(/'terminationGracePeriod' must be whole seconds .*got '1.5 s'/);
    });

    test('no containers', () => {
      expect(() => new StatefulWorkload(newChart(), 'web', web({ containers: [] }))).toThrow("test/web: 'containers' must list at least one container");
    });
  });

  describe('the NetworkPolicy', () => {
    test('clientPorts: allowFrom admits only them; the metrics port stays with the instance', () => {
      const chart = newChart();
      const w = new StatefulWorkload(chart, 'web', web({
        containers: [
          { name: 'web', image: 'nginxinc/nginx-unprivileged:1.27.3', ports: [{ name: 'http', number: 8080 }] },
          { name: 'metrics', image: 'exporter:1.0.0', ports: [{ name: 'metrics', number: 9113 }] },
        ],
        clientPorts: [8080],
        allowFrom: [NetworkPeer.pods({ labels: { app: 'shop' } })],
      }));
      w.allowFrom(NetworkPeer.namespace('web'));
      const ingress = only(synth(chart), 'NetworkPolicy').spec.ingress;
      expect(ingress.slice(1).map((r: any) => r.ports)).toEqual([[{ port: 8080, protocol: 'TCP' }], [{ port: 8080, protocol: 'TCP' }]]);
    });

    test('clientPorts must be ports the containers expose; with none, allowFrom needs its ports', () => {
      expect(() => new StatefulWorkload(newChart(), 'web', web({ clientPorts: [5432] })))
        .toThrow("test/web: 'clientPorts[0]' must be a port a container exposes: 8080, got 5432");
      const w = new StatefulWorkload(newChart(), 'web', web({ clientPorts: [] }));
      // An empty port list in a NetworkPolicy admits every port: never a default.
      expect(() => w.allowFrom(NetworkPeer.namespace('web'))).toThrow("test/web: 'allowFrom(ports)' must be given: clientPorts is empty");
      expect(() => new StatefulWorkload(newChart(), 'web', web({ clientPorts: [], allowFrom: [NetworkPeer.namespace('web')] })))
        .toThrow("test/web: 'allowFrom' has no port to admit");
      expect(() => w.allowFrom(NetworkPeer.namespace('web'), [kplus.NetworkPolicyPort.tcp(8080)])).not.toThrow();
    });

    test('is an L1 KubeNetworkPolicy: deny by default, the instance on every port, allowFrom on the containers ports', () => {
      const chart = newChart();
      const w = new StatefulWorkload(chart, 'web', web({ component: 'server', allowFrom: [NetworkPeer.pods({ labels: { app: 'shop' } })] }));
      expect(w.networkPolicy).toBeInstanceOf(k8s.KubeNetworkPolicy);
      expect(only(synth(chart), 'NetworkPolicy')).toEqual({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'web', namespace: 'db', labels: w.labels },
        spec: {
          podSelector: { matchLabels: w.selectorLabels },
          policyTypes: ['Ingress'],
          ingress: [
            { from: [{ podSelector: { matchLabels: w.instanceLabels } }], ports: [] },
            { from: [{ podSelector: { matchLabels: { app: 'shop' } } }], ports: [{ port: 8080, protocol: 'TCP' }] },
          ],
        },
      });
    });

    test('cdk8s-plus peers render exactly as a cdk8s-plus NetworkPolicy renders them', () => {
      const chart = newChart();
      const peers: kplus.INetworkPolicyPeer[] = [
        kplus.Pods.select(chart, 'p1', { labels: { app: 'shop' } }),
        kplus.Pods.select(chart, 'p2', { labels: { app: 'shop' }, namespaces: kplus.Namespaces.select(chart, 'n2', { names: ['web', 'api'] }) }),
        kplus.Pods.select(chart, 'p3', {
          expressions: [kplus.LabelExpression.in('tier', ['a', 'b'])],
          namespaces: kplus.Namespaces.select(chart, 'n3', { labels: { team: 'x' }, names: ['ops'] }),
        }),
        kplus.Pods.select(chart, 'p4', { labels: { app: 'shop' }, namespaces: kplus.Namespaces.select(chart, 'n4', { labels: { team: 'y' } }) }),
        kplus.Pods.all(chart, 'p5'),
        kplus.Namespaces.select(chart, 'n6', { names: ['tools'] }),
        kplus.NetworkPolicyIpBlock.ipv4(chart, 'i7', '10.0.0.0/8', ['10.1.0.0/16']),
        kplus.NetworkPolicyIpBlock.anyIpv6(chart, 'i8'),
        new kplus.Deployment(chart, 'd9', { containers: [{ image: 'shop:1.0.0' }] }),
        new kplus.Namespace(chart, 'ns10', { metadata: { name: 'tools' } }),
      ];
      new StatefulWorkload(chart, 'web', web({ allowFrom: peers }));
      const reference = new kplus.NetworkPolicy(chart, 'reference', { metadata: { name: 'reference' } });
      peers.forEach((p) => reference.addIngressRule(p, [kplus.NetworkPolicyPort.tcp(8080)]));
      const objects = synth(chart);
      const ours = only(objects, 'NetworkPolicy', 'web').spec.ingress.slice(1);
      expect(ours).toHaveLength(peers.length);
      expect(ours).toEqual(only(objects, 'NetworkPolicy', 'reference').spec.ingress);
      // Pods of two named namespaces are two peers: a selector cannot match two values of one label.
      expect(ours[1].from.map((p: any) => p.namespaceSelector.matchLabels['kubernetes.io/metadata.name'])).toEqual(['web', 'api']);
    });

    test('any peer is read at synth: labels a database sets after allowFrom count', () => {
      // A peer like the engines' (they implement the cdk8s-plus interface themselves).
      class Database extends Construct implements kplus.INetworkPolicyPeer {
        public labels: { [key: string]: string } = { app: 'early' };
        public toNetworkPolicyPeerConfig(): kplus.NetworkPolicyPeerConfig {
          return { podSelector: { labelSelector: kplus.LabelSelector.of({ labels: this.labels }) } };
        }
        public toPodSelector(): kplus.IPodSelector | undefined { return undefined; }
      }
      const chart = newChart();
      const db = new Database(chart, 'other');
      const w = new StatefulWorkload(chart, 'web', web());
      w.allowFrom(db, [kplus.NetworkPolicyPort.tcp(8080)]);
      db.labels = { app: 'late' };
      expect(only(synth(chart), 'NetworkPolicy').spec.ingress[1].from).toEqual([{ podSelector: { matchLabels: { app: 'late' } } }]);
    });

    test('a peer that is neither pods nor an IP block is refused at synth, naming the rule', () => {
      const chart = newChart();
      const odd = Object.assign(new Construct(chart, 'odd'), { toNetworkPolicyPeerConfig: () => ({}), toPodSelector: () => undefined });
      new StatefulWorkload(chart, 'web', web({ allowFrom: [NetworkPeer.namespace('x'), odd] }));
      expect(() => synth(chart)).toThrow("test/web: 'allowFrom[1]' must be a peer of pods or of an IP block, not neither (test/odd)");
    });

    test('allowFrom(peer, ports): given ports, and by default each container port with its protocol', () => {
      const chart = newChart();
      const w = new StatefulWorkload(chart, 'dns', web({
        containers: [{ image: 'coredns/coredns:1.11.3', ports: [{ name: 'dns', number: 5353, protocol: kplus.Protocol.UDP }, { name: 'dns-tcp', number: 5353 }] }],
      }));
      w.allowFrom(NetworkPeer.namespace('apps'));
      w.allowFrom(NetworkPeer.namespace('ops'), [kplus.NetworkPolicyPort.tcpRange(9000, 9100), kplus.NetworkPolicyPort.udp(5353)]);
      const rules = only(synth(chart), 'NetworkPolicy').spec.ingress;
      expect(rules[1].ports).toEqual([{ port: 5353, protocol: 'UDP' }, { port: 5353, protocol: 'TCP' }]);
      expect(rules[2].ports).toEqual([{ port: 9000, endPort: 9100, protocol: 'TCP' }, { port: 5353, protocol: 'UDP' }]);
    });

    test('allowFrom without a policy is refused, as a prop and as a call', () => {
      const peer = NetworkPeer.namespace('apps');
      expect(() => new StatefulWorkload(newChart(), 'web', web({ networkPolicy: false, allowFrom: [peer] })))
        .toThrow("test/web: 'allowFrom' has no policy to add to: networkPolicy is false; drop allowFrom or enable the policy");
      const w = new StatefulWorkload(newChart(), 'web', web({ networkPolicy: false }));
      expect(() => w.allowFrom(peer)).toThrow("test/web: 'networkPolicy' is disabled, so allowFrom() has no policy to add to");
    });

    test('allowFrom() refuses what is not a peer, and ports Kubernetes would refuse', () => {
      const w = new StatefulWorkload(newChart(), 'web', web());
      expect(() => w.allowFrom({ labels: { app: 'shop' } } as any))
        .toThrow("test/web: 'allowFrom(peer)' must be a network peer such as NetworkPeer.pods({ labels: { app: 'shop' } }) or kplus.Pods.select(...), got an object with keys labels");
      expect(() => w.allowFrom(NetworkPeer.namespace('a'), [kplus.NetworkPolicyPort.allTcp()]))
        .toThrow("test/web: 'allowFrom(ports)[0]' must have port numbers from 1 to 65535 (NetworkPolicyPort.allTcp() and allUdp() render port 0, which Kubernetes refuses: use tcpRange(1, 65535), or leave ports out for all ports), got 0");
      expect(() => w.allowFrom(NetworkPeer.namespace('a'), [kplus.NetworkPolicyPort.tcp(80), kplus.NetworkPolicyPort.tcpRange(9000, 80)]))
        .toThrow("test/web: 'allowFrom(ports)[1]' must end its range at a port from 9000 to 65535, got 80");
      expect(() => w.allowFrom(NetworkPeer.namespace('a'), [5432] as any))
        .toThrow("test/web: 'allowFrom(ports)[0]' must be a NetworkPolicyPort such as NetworkPolicyPort.tcp(5432), got 5432 (a number)");
    });
  });

  describe('names in one namespace', () => {
    test('two StatefulWorkloads with one name: one line for the pair, naming both and every kind', () => {
      const chart = newChart();
      new StatefulWorkload(chart, 'a', web({ name: 'orders' }));
      new StatefulWorkload(chart, 'b', web({ name: 'orders' }));
      expect(() => Testing.synth(chart)).toThrow(new Error([
        'Validation failed with the following errors:',
        "  [] test/a and test/b both create objects named 'orders', 'orders-headless' in namespace 'db' (ServiceAccount, Service, StatefulSet, PodDisruptionBudget, NetworkPolicy): give one of them another 'name'",
      ].join('\n')));
    });

    test('three instances: one line per clashing pair', () => {
      const chart = newChart();
      for (const id of ['a', 'b', 'c']) { new StatefulWorkload(chart, id, web({ name: 'orders', replicas: 1 })); }
      expect(() => Testing.synth(chart)).toThrow(/^Validation failed with the following errors:\n {2}\[\] test\/a and test\/b both create objects named .*\n {2}\[\] test\/a and test\/c both create objects named [^\n]*$/);
    });

    test('the owner is the top-most instance: two engines with one name are one line naming the engines', () => {
      // What an engine does: marks itself, and builds workloads inside.
      const engine = (scope: Construct, id: string) => {
        const e = new Construct(scope, id);
        markInstance(e);
        new StatefulWorkload(e, 'Workload', web({ name: 'ring', replicas: 1 }));
        new StatefulWorkload(e, 'Rack-b', web({ name: 'ring-b', replicas: 1 }));
      };
      const chart = newChart();
      engine(chart, 'one');
      engine(chart, 'two');
      expect(() => Testing.synth(chart)).toThrow(new Error([
        'Validation failed with the following errors:',
        "  [] test/one and test/two both create objects named 'ring', 'ring-headless', 'ring-b', 'ring-b-headless' in namespace 'db' (ServiceAccount, Service, StatefulSet, NetworkPolicy): give one of them another 'name'",
      ].join('\n')));
    });

    test('a clash with an object of no instance is reported per object', () => {
      const chart = newChart();
      new StatefulWorkload(chart, 'web', web());
      new kplus.ServiceAccount(chart, 'mine', { metadata: { name: 'web' } });
      expect(() => Testing.synth(chart)).toThrow(
        "[] two ServiceAccount objects are named 'web' in namespace 'db': test/web/ServiceAccount/Resource and test/mine/Resource; give one of them another 'name'");
    });
  });

  describe('names Kubernetes would refuse', () => {
    test.each([
      ['Shop', "test: 'namespace' must be a DNS label (lower-case letters, digits and '-', starting and ending with a letter or digit) of at most 63 characters, got 'Shop'"],
      ['a'.repeat(64), /^test: 'namespace' must be a DNS label .* of at most 63 characters, got 'a{64}'$/],
      ['shop.eu', /^test: 'namespace' must be a DNS label/],
    ])("the chart's namespace %p", (namespace, message) => {
      expect(() => new StatefulWorkload(newChart(namespace), 'web', web())).toThrow(message);
    });

    test('a 63-character namespace passes', () => {
      expect(() => new StatefulWorkload(newChart('a'.repeat(63)), 'web', web())).not.toThrow();
    });

    test('a client Service name must start with a letter', () => {
      const w = new StatefulWorkload(newChart(), 'web', web());
      expect(() => w.addClientService('Primary', { name: '0-primary' })).toThrow(
        "test/web: 'addClientService(Primary).name' must be a DNS-1035 label (lower-case letters, digits and '-', starting with a letter and ending with a letter or digit) of at most 63 characters, because it names a Service, got '0-primary'");
      expect(() => w.addClientService('Long', { name: `p${'a'.repeat(63)}` })).toThrow(/'addClientService\(Long\).name' must be a DNS-1035 label .* of at most 63 characters/);
      expect(() => w.addClientService('Ok', { name: 'web-primary' })).not.toThrow();
    });
  });

  describe('values of the wrong type, as Python or plain JavaScript may pass them', () => {
    const build = (props: any) => () => new StatefulWorkload(newChart(), 'web', props);
    test.each([
      ['a string for replicas', { ...web(), replicas: '3' }, "test/web: 'replicas' must be a number, got '3' (a string)"],
      ['a number for name', { ...web(), name: 5 }, "test/web: 'name' must be a string, got 5 (a number)"],
      ['a dict for terminationGracePeriod', { ...web(), terminationGracePeriod: { seconds: 30 } },
        "test/web: 'terminationGracePeriod' must be a Duration such as Duration.seconds(30), got an object with keys seconds"],
      ['a dict for a claim size', { ...web(), volumeClaims: [{ size: { amount: 1, unit: 'Gi' } }] },
        "test/web: 'volumeClaims[0].size' must be a Size such as Size.gibibytes(10), got an object with keys amount, unit"],
      ['a Duration for a claim size', { ...web(), volumeClaims: [{ size: Duration.seconds(1) }] },
        "test/web: 'volumeClaims[0].size' must be a Size such as Size.gibibytes(10), got a Duration"],
      ['a string for containers', { ...web(), containers: 'nginx:1.27.3' }, "test/web: 'containers' must be a list of containers, got 'nginx:1.27.3' (a string)"],
      ['a string as a container', { ...web(), containers: ['nginx:1.27.3'] }, "test/web: 'containers[0]' must be an object of named props, got 'nginx:1.27.3' (a string)"],
      ['a number as an image', { ...web(), containers: [{ image: 5 }] }, "test/web: 'containers[0].image' must be a string, got 5 (a number)"],
      ['an object for volumeClaims', { ...web(), volumeClaims: { size: Size.gibibytes(1) } },
        "test/web: 'volumeClaims' must be a list of claim templates, got an object with keys size"],
      ['a peer for allowFrom', { ...web(), allowFrom: NetworkPeer.namespace('a') }, /^test\/web: 'allowFrom' must be a list of network peers, got a NetworkPeer$/],
      ['a dict in allowFrom', { ...web(), allowFrom: [{ app: 'shop' }] },
        "test/web: 'allowFrom[0]' must be a network peer such as NetworkPeer.pods({ labels: { app: 'shop' } }) or kplus.Pods.select(...), got an object with keys app"],
      ['a misspelt prop', { ...web(), replica: 3 },
        "test/web: 'replica' is not a known prop; did you mean 'replicas'? valid: allowFrom, appName, clientPorts, clientService, clusterDomain, component, containers, disruptionBudget, identity, initContainers, instance, name, networkPolicy, placement, podAnnotations, podManagementPolicy, publishNotReadyAddresses, replicas, serviceAccountToken, sharedClaims, terminationGracePeriod, version, volumeClaims"],
      ['no props at all', undefined, "test/web: 'props' must be an object of named props, got nothing"],
      ['a number for a memory request', { ...web(), containers: [{ image: 'nginx:1.27.3', ports: [{ number: 80 }], resources: { memory: { request: 1024 } } }] },
        "test/web: 'containers[0].resources.memory.request' must be a Size such as Size.gibibytes(1), got 1024 (a number)"],
      ['a string for a CPU limit', { ...web(), containers: [{ image: 'nginx:1.27.3', ports: [{ number: 80 }], resources: { cpu: { limit: '500m' } } }] },
        "test/web: 'containers[0].resources.cpu.limit' must be a Cpu such as Cpu.millis(500), got '500m' (a string)"],
      ['a number as a pod annotation', { ...web(), podAnnotations: { 'prometheus.io/port': 9187 } },
        "test/web: 'podAnnotations.prometheus.io/port' must be a string, got 9187 (a number)"],
      ['a lower-case enum value', { ...web(), podManagementPolicy: 'parallel' },
        "test/web: 'podManagementPolicy' must be one of 'OrderedReady', 'Parallel', got 'parallel' (a string)"],
      ['a string for a boolean', { ...web(), clientService: 'no' }, "test/web: 'clientService' must be true or false, got 'no' (a string)"],
      ['a misspelt identity key', { ...web(), identity: { uid: 999 } }, /^test\/web: 'identity.uid' is not a known prop of 'identity'; valid: fsGroup, group, user$/],
      ['root as the user', { ...web(), identity: { user: 0 } }, "test/web: 'identity.user' must be a positive integer, got 0"],
      ['a misspelt placement key', { ...web(), placement: { nodeSpead: 'none' } }, /^test\/web: 'placement.nodeSpead' is not a known prop of 'placement'; did you mean 'nodeSpread'\?/],
      ['a bad spread mode', { ...web(), placement: { zoneSpread: 'REQUIRED' } }, "test/web: 'placement.zoneSpread' must be one of 'required', 'preferred', 'none', got 'REQUIRED' (a string)"],
      ['a bad node selector', { ...web(), placement: { nodeSelector: { disk: 'fast ssd' } } }, /^test\/web: 'placement.nodeSelector.disk' must be a label value/],
      ['an appName that is no label value', { ...web(), appName: 'My App' }, /^test\/web: 'appName' must be a label value: .*, got 'My App'$/],
      ['a plain object as a disruption budget', { ...web(), disruptionBudget: { maxUnavailable: 1 } },
        "test/web: 'disruptionBudget' must be a DisruptionBudget such as DisruptionBudget.maxUnavailable(1), got an object with keys maxUnavailable"],
    ])('%s', (_, props, message) => {
      expect(build(props)).toThrow(message);
    });

    test('a misspelt client Service option', () => {
      const w = new StatefulWorkload(newChart(), 'web', web());
      expect(() => w.addClientService('Admin', { name: 'admin', port: [] } as any)).toThrow(
        "test/web: 'addClientService(Admin).port' is not a known prop of 'addClientService(Admin)'; did you mean 'ports'? valid: annotations, name, podName, ports, selectLabels, serviceType, wholeInstance");
    });
  });
});
