import { ApiObject, Chart, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { invalid } from './errors';
import { requireDnsLabel } from './names';

/*
 * The one place where we reach below cdk8s-plus: its internals and JSON patches.
 *
 * cdk8s-plus-27 runs patches through its Kubernetes 1.27 type converter after they are applied:
 * a field it does not know is dropped silently, and a plain string where it expects a Quantity
 * becomes null. So only fields that exist in 1.27 with plain JSON values are patched here, and
 * the tests assert the synthesized YAML rather than the construct tree.
 */

/** A cluster-scoped object (StorageClass, PersistentVolume) must not carry the chart's namespace. */
export function makeClusterScoped(obj: ApiObject): void {
  if (obj.metadata.namespace !== undefined) {
    obj.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
  }
}

/** Sets one field of a cdk8s-plus object's spec (for example a Service's `publishNotReadyAddresses`). */
export function setSpecField(construct: IConstruct, field: string, value: boolean | number | string): void {
  ApiObject.of(construct).addJsonPatch(JsonPatch.add(`/spec/${field}`, value));
}

/**
 * The namespace objects created in `scope` land in: the chart's, or `default`. Every object's
 * namespace comes from here, so this is where a chart's namespace is checked.
 */
export function namespaceOf(scope: IConstruct): string {
  const chart = Chart.of(scope);
  const namespace = chart.namespace;
  if (namespace === undefined) { return 'default'; }
  return requireDnsLabel(chart, 'namespace', namespace, 63);
}

const CHECKED = Symbol.for('cdk8s-stateful.unique-names');
const INSTANCE = Symbol.for('cdk8s-stateful.instance');
const CLUSTER_SCOPED = new Set(['StorageClass', 'PersistentVolume', 'Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PriorityClass', 'VolumeSnapshotClass']);

/**
 * Marks `construct` as one instance (a StatefulWorkload, an engine) for name clash messages: the
 * owner of an object is its top-most marked ancestor, so two databases with one name produce one
 * line naming the two databases instead of a line per clashing object. Also registers
 * {@link ensureUniqueNames}. A symbol on the construct, so this layer imports nothing upward.
 */
export function markInstance(construct: IConstruct): void {
  (construct as IConstruct & { [INSTANCE]?: boolean })[INSTANCE] = true;
  ensureUniqueNames(construct);
}

/** The top-most marked ancestor of `c` (itself included), if any. */
function ownerOf(c: IConstruct): IConstruct | undefined {
  return c.node.scopes.find((s) => (s as IConstruct & { [INSTANCE]?: boolean })[INSTANCE] === true);
}

interface Clash { readonly first: ApiObject; readonly second: ApiObject; readonly namespace: string }

/**
 * Registers, once per app, a validation that refuses two objects of one kind with one name in one
 * namespace: the second would silently overwrite the first when applied.
 *
 * Clashes between two marked instances ({@link markInstance}) are reported once per pair of
 * instances; any other clash once per object.
 */
export function ensureUniqueNames(scope: IConstruct): void {
  const root = scope.node.root as IConstruct & { [CHECKED]?: boolean };
  if (root[CHECKED]) { return; }
  root[CHECKED] = true;
  root.node.addValidation({
    validate: () => {
      const seen = new Map<string, ApiObject>();
      const clashes: Clash[] = [];
      for (const c of root.node.findAll()) {
        if (!(c instanceof ApiObject)) { continue; }
        const group = c.apiVersion.includes('/') ? c.apiVersion.split('/')[0] : '';
        const ns = CLUSTER_SCOPED.has(c.kind) ? '' : (c.metadata.namespace ?? 'default');
        const key = `${group}/${c.kind}/${ns}/${c.name}`;
        const first = seen.get(key);
        if (first) {
          clashes.push({ first, second: c, namespace: ns });
        } else {
          seen.set(key, c);
        }
      }
      return describeClashes(clashes);
    },
  });
}

function describeClashes(clashes: Clash[]): string[] {
  const errors: string[] = [];
  const pairs = new Map<string, { a: IConstruct; b: IConstruct; namespace: string; names: Set<string>; kinds: Set<string> }>();
  for (const { first, second, namespace } of clashes) {
    const a = ownerOf(first);
    const b = ownerOf(second);
    const inNamespace = namespace ? ` in namespace '${namespace}'` : '';
    if (!a || !b || a === b) {
      errors.push(`two ${second.kind} objects are named '${second.name}'${inNamespace}: ${first.node.path} and ${second.node.path}; give one of them another 'name'`);
      continue;
    }
    const key = `${a.node.path}\0${b.node.path}\0${namespace}`;
    const pair = pairs.get(key) ?? { a, b, namespace, names: new Set<string>(), kinds: new Set<string>() };
    pair.names.add(second.name);
    pair.kinds.add(second.kind);
    pairs.set(key, pair);
  }
  for (const { a, b, namespace, names, kinds } of pairs.values()) {
    const named = [...names].map((n) => `'${n}'`).join(', ');
    const inNamespace = namespace ? ` in namespace '${namespace}'` : '';
    errors.push(`${a.node.path} and ${b.node.path} both create objects named ${named}${inNamespace} (${[...kinds].join(', ')}): give one of them another 'name'`);
  }
  return errors;
}

/*
 * cdk8s-plus objects in their Kubernetes form.
 *
 * The StatefulSet is an L1 object (k8s.KubeStatefulSet) because cdk8s-plus-27 has no
 * volumeClaimTemplates and no claim retention policy, and its NetworkPolicy is an L1 object so that
 * peers are rendered at synth; so the cdk8s-plus containers, volumes, selectors, ports and peers we
 * accept must be converted to their Kubernetes form, which only cdk8s-plus's `_toKube()` (marked
 * @internal) knows. Every such call is one of these helpers: if cdk8s-plus changes it, only this
 * file changes.
 */

/** A cdk8s-plus container as a Kubernetes container. */
export function kubeContainer(container: kplus.Container): k8s.Container {
  return container._toKube();
}

/** A cdk8s-plus volume as a Kubernetes pod volume. */
export function kubeVolume(volume: kplus.Volume): k8s.Volume {
  return volume._toKube();
}

/** A cdk8s-plus label selector as a Kubernetes label selector (`{}` when it selects everything). */
export function kubeLabelSelector(selector: kplus.LabelSelector): k8s.LabelSelector {
  return selector._toKube();
}

/** A cdk8s-plus NetworkPolicy port as its Kubernetes form (the port is a k8s.IntOrString). */
export function kubeNetworkPolicyPort(port: kplus.NetworkPolicyPort): k8s.NetworkPolicyPort {
  return port._toKube();
}

/**
 * The Kubernetes peers of any cdk8s-plus peer (pods, namespaces, workloads, IP blocks, and
 * anything else implementing the interface), read from `toNetworkPolicyPeerConfig()` when called.
 * Rendered as cdk8s-plus-27's own NetworkPolicy renders them, so the YAML does not change: pods
 * in named namespaces get one peer per namespace with its `kubernetes.io/metadata.name` label.
 *
 * @param where the construct and prop to blame for a peer that is neither pods nor an IP block
 */
export function kubeNetworkPolicyPeers(peer: kplus.INetworkPolicyPeer, where: IConstruct, prop: string): k8s.NetworkPolicyPeer[] {
  const config = peer.toNetworkPolicyPeerConfig();
  if (!config.ipBlock === !config.podSelector) {
    invalid(where, prop, `must be a peer of pods or of an IP block, not ${config.ipBlock ? 'both' : 'neither'} (${peer.node.path || peer.constructor.name})`);
  }
  if (config.ipBlock) {
    return [{ ipBlock: config.ipBlock._toKube() }];
  }
  const pods = config.podSelector!;
  const podSelector = kubeLabelSelector(pods.labelSelector);
  const names = pods.namespaces?.names;
  if (!names) {
    const namespaceSelector = pods.namespaces?.labelSelector ? kubeLabelSelector(pods.namespaces.labelSelector) : undefined;
    return [{ namespaceSelector, podSelector }];
  }
  // One peer per named namespace: a selector cannot match two values of one label.
  const byLabels = pods.namespaces?.labelSelector ? kubeLabelSelector(pods.namespaces.labelSelector) : {};
  return names.map((name) => ({
    podSelector,
    namespaceSelector: {
      matchExpressions: byLabels.matchExpressions,
      matchLabels: { ...byLabels.matchLabels, [kplus.Namespace.NAME_LABEL]: name },
    },
  }));
}

/**
 * Completes a cdk8s-plus pod template to the restricted Pod Security profile: cdk8s-plus-27 sets
 * runAsNonRoot and no privilege escalation, but cannot spell a seccomp profile or `drop: [ALL]`.
 */
export function restrictPodTemplate(construct: IConstruct, specPath: string, containerCount: number, initContainerCount = 0): void {
  const obj = ApiObject.of(construct);
  obj.addJsonPatch(JsonPatch.add(`${specPath}/securityContext/seccompProfile`, { type: 'RuntimeDefault' }));
  // The profile applies to init containers as much as to the others.
  for (const [list, count] of [['containers', containerCount], ['initContainers', initContainerCount]] as const) {
    for (let i = 0; i < count; i++) {
      obj.addJsonPatch(JsonPatch.add(`${specPath}/${list}/${i}/securityContext/capabilities`, { drop: ['ALL'] }));
    }
  }
}

/**
 * Tells cdk8s-plus which ports a non-workload peer serves. `connections.allowTo(peer)` takes its
 * default ports from the peer's `containers[].ports` (duck-typed, not in its interfaces); without
 * them it would open every port, metrics included. So a database engine carries, hidden from its
 * API (non-enumerable, not in its type), stand-in containers with only its client ports.
 */
export function exposeClientPorts(peer: IConstruct, ports: number[]): void {
  // A getter over the engine's own list: a port the engine adds later (Kafka's plaintext client listener) counts too.
  Object.defineProperty(peer, 'containers', {
    get: () => [{ ports: ports.map((number) => ({ number })) }],
    enumerable: false,
  });
}
