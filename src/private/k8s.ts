import { ApiObject, Chart, JsonPatch } from 'cdk8s';
import { IConstruct } from 'constructs';

/*
 * The one place where we reach below cdk8s-plus with JSON patches.
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

/** The namespace objects created in `scope` land in: the chart's, or `default`. */
export function namespaceOf(scope: IConstruct): string {
  return Chart.of(scope).namespace ?? 'default';
}

const CHECKED = Symbol.for('cdk8s-stateful.unique-names');
const CLUSTER_SCOPED = new Set(['StorageClass', 'PersistentVolume', 'Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PriorityClass']);

/**
 * Registers, once per app, a validation that refuses two objects of one kind with one name in one
 * namespace: the second would silently overwrite the first when applied.
 */
export function ensureUniqueNames(scope: IConstruct): void {
  const root = scope.node.root as IConstruct & { [CHECKED]?: boolean };
  if (root[CHECKED]) { return; }
  root[CHECKED] = true;
  root.node.addValidation({
    validate: () => {
      const seen = new Map<string, string>();
      const errors: string[] = [];
      for (const c of root.node.findAll()) {
        if (!(c instanceof ApiObject)) { continue; }
        const group = c.apiVersion.includes('/') ? c.apiVersion.split('/')[0] : '';
        const ns = CLUSTER_SCOPED.has(c.kind) ? '' : (c.metadata.namespace ?? 'default');
        const key = `${group}/${c.kind}/${ns}/${c.name}`;
        const first = seen.get(key);
        if (first) {
          errors.push(`two ${c.kind} objects are named '${c.name}'${ns ? ` in namespace '${ns}'` : ''}: ${first} and ${c.node.path}; give one of them another 'name'`);
        } else {
          seen.set(key, c.node.path);
        }
      }
      return errors;
    },
  });
}

/**
 * Completes a cdk8s-plus pod template to the restricted Pod Security profile: cdk8s-plus-27 sets
 * runAsNonRoot and no privilege escalation, but cannot spell a seccomp profile or `drop: [ALL]`.
 */
export function restrictPodTemplate(construct: IConstruct, specPath: string, containerCount: number): void {
  const obj = ApiObject.of(construct);
  obj.addJsonPatch(JsonPatch.add(`${specPath}/securityContext/seccompProfile`, { type: 'RuntimeDefault' }));
  for (let i = 0; i < containerCount; i++) {
    obj.addJsonPatch(JsonPatch.add(`${specPath}/containers/${i}/securityContext/capabilities`, { drop: ['ALL'] }));
  }
}
