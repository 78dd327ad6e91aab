import * as kplus from 'cdk8s-plus-27';
import { StatefulWorkload, StatefulWorkloadProps } from '../../src/workload';
import { newChart, only, synth } from '../util';

const image = 'nginxinc/nginx-unprivileged:1.27.3';
const withContainers = (containers: kplus.ContainerProps[], more: Partial<StatefulWorkloadProps> = {}): StatefulWorkloadProps =>
  ({ replicas: 3, containers, ...more });
const build = (props: StatefulWorkloadProps) => () => new StatefulWorkload(newChart(), 'web', props);

describe('container ports', () => {
  test.each([0, 65536, 80.5, -1])('number %p is refused', (number) => {
    expect(build(withContainers([{ image, ports: [{ number }] }])))
      .toThrow(`test/web: 'containers[0].ports[0].number' must be a port number, an integer from 1 to 65535, got ${number}`);
  });

  test('a string number and a bad portNumber are refused', () => {
    expect(build(withContainers([{ image, ports: [{ number: '8080' as any }] }])))
      .toThrow("test/web: 'containers[0].ports[0].number' must be a port number, an integer from 1 to 65535, got '8080'");
    expect(build(withContainers([{ image, portNumber: 70000 }])))
      .toThrow("test/web: 'containers[0].portNumber' must be a port number, an integer from 1 to 65535, got 70000");
  });

  test.each(['HTTP', 'http-', '-http', 'ht--tp', '8080', 'a'.repeat(16), 'http_alt', ''])('name %p is refused', (name) => {
    expect(build(withContainers([{ image, ports: [{ name, number: 80 }] }]))).toThrow(
      `test/web: 'containers[0].ports[0].name' must be an IANA service name: at most 15 lower-case letters, digits and '-', with at least one letter and no leading, trailing or double '-', got '${name}'`);
  });

  test.each(['http', 'h2c', 'x-1', 'a', '9a', 'a'.repeat(15)])('name %p passes', (name) => {
    expect(build(withContainers([{ image, ports: [{ name, number: 80 }] }]))).not.toThrow();
  });

  test('names are unique within the pod, across containers', () => {
    expect(build(withContainers([
      { name: 'a', image, ports: [{ name: 'http', number: 8080 }] },
      { name: 'b', image, ports: [{ name: 'http', number: 8081 }] },
    ]))).toThrow("test/web: 'containers[1].ports[0].name' must be unique within the pod: containers[0].ports[0] is also named 'http'");
  });

  test('numbers are unique within the pod per protocol, init containers included', () => {
    expect(build(withContainers([
      { name: 'a', image, ports: [{ name: 'http', number: 8080 }] },
      { name: 'b', image, ports: [{ name: 'admin', number: 8080 }] },
    ]))).toThrow("test/web: 'containers[1].ports[0].number' must be unique within the pod: containers[0].ports[0] is also TCP 8080");
    expect(build(withContainers([{ name: 'a', image, portNumber: 8080 }], { initContainers: [{ name: 'init', image, portNumber: 8080 }] })))
      .toThrow("test/web: 'initContainers[0].portNumber' must be unique within the pod: containers[0].portNumber is also TCP 8080");
  });

  test('one number over TCP and UDP is two ports: both in the Services and the policy', () => {
    const chart = newChart();
    const w = new StatefulWorkload(chart, 'dns', withContainers([{
      image: 'coredns/coredns:1.11.3',
      ports: [{ name: 'dns', number: 53, protocol: kplus.Protocol.UDP }, { name: 'dns-tcp', number: 53 }],
    }]));
    w.allowFrom(kplus.Pods.all(chart, 'everyone'));
    const objects = synth(chart);
    expect(only(objects, 'Service', 'dns').spec.ports).toEqual([
      { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, targetPort: 53 },
    ]);
    expect(only(objects, 'NetworkPolicy').spec.ingress[1].ports).toEqual([{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }]);
  });

  test('several ports need a name each, because they become the Services ports', () => {
    expect(build(withContainers([{ image, ports: [{ name: 'http', number: 8080 }, { number: 9090 }] }])))
      .toThrow("test/web: 'containers[0].ports[1].name' must be set: the pod has 2 ports, and a Service with several ports needs a name for each");
    expect(build(withContainers([{ image, portNumber: 80, ports: [{ name: 'metrics', number: 9090 }] }])))
      .toThrow("test/web: 'containers[0].portNumber' must be set: the pod has 2 ports, and a Service with several ports needs a name for each");
  });

  test('a pod without ports is refused: the headless Service needs one', () => {
    expect(build(withContainers([{ image }])))
      .toThrow("test/web: 'containers' must expose at least one port (ports or portNumber): the headless Service that gives the pods their DNS names needs one");
  });

  test('a list of ports that is not a list', () => {
    expect(build(withContainers([{ image, ports: { number: 80 } as any }])))
      .toThrow("test/web: 'containers[0].ports' must be a list of ports, got an object with keys number");
  });
});

describe('Service ports', () => {
  const workload = () => new StatefulWorkload(newChart(), 'web', withContainers([{ image, ports: [{ name: 'http', number: 8080 }] }]));

  test.each([
    ['port 0', [{ port: 0 }], "test/web: 'addClientService(Admin).ports[0].port' must be a port number, an integer from 1 to 65535, got 0"],
    ['a target port out of range', [{ port: 80, targetPort: 70000 }],
      "test/web: 'addClientService(Admin).ports[0].targetPort' must be a port number, an integer from 1 to 65535, got 70000"],
    ['a bad name', [{ port: 80, name: 'Admin' }], /^test\/web: 'addClientService\(Admin\).ports\[0\].name' must be an IANA service name/],
    ['one name twice', [{ port: 80, name: 'a' }, { port: 81, name: 'a' }],
      "test/web: 'addClientService(Admin).ports[1].name' must be unique within Service 'admin': addClientService(Admin).ports[0] is also named 'a'"],
    ['one number twice', [{ port: 80, name: 'a' }, { port: 80, name: 'b' }],
      "test/web: 'addClientService(Admin).ports[1].port' must be unique within Service 'admin': addClientService(Admin).ports[0] is also TCP 80"],
    ['an unnamed port among several', [{ port: 80, name: 'a' }, { port: 81 }],
      "test/web: 'addClientService(Admin).ports[1].name' must be set: Service 'admin' has 2 ports, and a Service with several ports needs a name for each"],
    ['no ports', [], "test/web: 'addClientService(Admin).ports' must list at least one port"],
  ])('%s', (_, ports, message) => {
    expect(() => workload().addClientService('Admin', { name: 'admin', ports: ports as kplus.ServicePort[] })).toThrow(message);
  });

  test('valid ports are rendered as given', () => {
    const w = workload();
    w.addClientService('Admin', { name: 'admin', ports: [{ port: 80, targetPort: 8080, name: 'http' }, { port: 53, name: 'dns', protocol: kplus.Protocol.UDP }] });
    const service = only(synth(w.node.scope as any), 'Service', 'admin');
    expect(service.spec.ports).toEqual([{ port: 80, targetPort: 8080, name: 'http' }, { port: 53, name: 'dns', protocol: 'UDP' }]);
  });
});
