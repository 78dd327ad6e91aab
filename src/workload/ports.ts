import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { invalid, requirePortNumber } from '../private/errors';
import { optional, requireArray, requireInstance, requireOneOf, requireRecord } from '../private/guards';
import { kubeNetworkPolicyPort } from '../private/k8s';
import { requirePortName } from '../private/names';

// Not exported from the package: the port rules of pods and Services, in the user's words.

/** A checked port and the prop it came from. */
export interface CheckedPort {
  readonly prop: string;
  readonly number: number;
  readonly name?: string;
  readonly protocol: string;
}

const PROTOCOLS = Object.values(kplus.Protocol);

/** The ports of one container's props (`ports` and `portNumber`), each checked. */
export function containerPorts(scope: IConstruct, prop: string, container: kplus.ContainerProps): CheckedPort[] {
  const ports: CheckedPort[] = [];
  const single = container.portNumber ?? container.port;
  if (single !== undefined) {
    ports.push({ prop: `${prop}.portNumber`, number: requirePortNumber(scope, `${prop}.portNumber`, single), protocol: kplus.Protocol.TCP });
  }
  const list = optional(container.ports, (v) => requireArray(scope, `${prop}.ports`, v, 'a list of ports')) ?? [];
  list.forEach((p, i) => {
    const at = `${prop}.ports[${i}]`;
    const port = requireRecord(scope, at, p) as unknown as kplus.ContainerPort;
    ports.push({
      prop: at,
      number: requirePortNumber(scope, `${at}.number`, port.number),
      name: optional(port.name, (v) => requirePortName(scope, `${at}.name`, v as string)),
      protocol: optional(port.protocol, (v) => requireOneOf(scope, `${at}.protocol`, v, PROTOCOLS)) ?? kplus.Protocol.TCP,
    });
    optional(port.hostPort, (v) => requirePortNumber(scope, `${at}.hostPort`, v));
  });
  return ports;
}

/** The ports of a Service, each checked. */
export function servicePorts(scope: IConstruct, prop: string, value: unknown): CheckedPort[] {
  return requireArray(scope, prop, value, 'a list of Service ports').map((p, i) => {
    const at = `${prop}[${i}]`;
    const port = requireRecord(scope, at, p) as unknown as kplus.ServicePort;
    optional(port.targetPort, (v) => requirePortNumber(scope, `${at}.targetPort`, v));
    optional(port.nodePort, (v) => requirePortNumber(scope, `${at}.nodePort`, v));
    return {
      prop: at,
      number: requirePortNumber(scope, `${at}.port`, port.port),
      name: optional(port.name, (v) => requirePortName(scope, `${at}.name`, v as string)),
      protocol: optional(port.protocol, (v) => requireOneOf(scope, `${at}.protocol`, v, PROTOCOLS)) ?? kplus.Protocol.TCP,
    };
  });
}

/**
 * Port names and numbers must be unique `within` a pod or a Service (a number once per protocol:
 * DNS serves 53 over TCP and UDP), and when there are several ports, each needs a name: Kubernetes
 * refuses a Service with two ports and an unnamed one.
 *
 * @param within 'the pod' or "Service 'orders'", for the message
 * @param namesRequired whether several ports need names (the pod's do, because its ports become the Services')
 */
export function requireDistinctPorts(scope: IConstruct, ports: CheckedPort[], within: string, namesRequired: boolean): void {
  const byName = new Map<string, CheckedPort>();
  const byNumber = new Map<string, CheckedPort>();
  for (const port of ports) {
    if (port.name !== undefined) {
      const other = byName.get(port.name);
      if (other) { invalid(scope, `${port.prop}.name`, `must be unique within ${within}: ${other.prop} is also named '${port.name}'`); }
      byName.set(port.name, port);
    }
    const key = `${port.number}/${port.protocol}`;
    const other = byNumber.get(key);
    if (other) {
      const field = port.prop.endsWith('.portNumber') ? port.prop : `${port.prop}.${within === 'the pod' ? 'number' : 'port'}`;
      invalid(scope, field, `must be unique within ${within}: ${other.prop} is also ${port.protocol} ${port.number}`);
    }
    byNumber.set(key, port);
  }
  if (namesRequired && ports.length > 1) {
    const unnamed = ports.find((p) => p.name === undefined);
    if (unnamed) {
      const field = unnamed.prop.endsWith('.portNumber') ? unnamed.prop : `${unnamed.prop}.name`;
      invalid(scope, field, `must be set: ${within} has ${ports.length} ports, and a Service with several ports needs a name for each`);
    }
  }
}

/**
 * NetworkPolicy ports: numbers from 1 to 65535 (cdk8s-plus-27's `allTcp()` and `allUdp()` render
 * port 0, which Kubernetes refuses), and a range's end not below its start.
 */
export function policyPorts(scope: IConstruct, prop: string, value: unknown): kplus.NetworkPolicyPort[] {
  return requireArray(scope, prop, value, 'a list of NetworkPolicyPort').map((p, i) => {
    const at = `${prop}[${i}]`;
    const port = requireInstance(scope, at, p, kplus.NetworkPolicyPort, 'NetworkPolicyPort.tcp(5432)');
    const kube = kubeNetworkPolicyPort(port);
    const start = kube.port?.value;
    if (start !== undefined) {
      if (typeof start !== 'number' || !Number.isInteger(start) || start < 1 || start > 65535) {
        invalid(scope, at, 'must have port numbers from 1 to 65535 (NetworkPolicyPort.allTcp() and allUdp() render port 0, which Kubernetes refuses: use tcpRange(1, 65535), or leave ports out for all ports)', start);
      }
      if (kube.endPort !== undefined && (!Number.isInteger(kube.endPort) || kube.endPort < start || kube.endPort > 65535)) {
        invalid(scope, at, `must end its range at a port from ${start} to 65535`, kube.endPort);
      }
    }
    return port;
  });
}
