import { ApiObject, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { invalid } from '../private/errors';
import { keysOf, optional, requireKnownKeys, requireRecord, requireString } from '../private/guards';
import { ensureUniqueNames, makeClusterScoped } from '../private/k8s';
import { requireDnsLabel } from '../private/names';

/** Properties of a {@link RestrictedNamespace}. */
export interface RestrictedNamespaceProps {
  /**
   * The Namespace's name.
   * @default - the chart's namespace, or the construct id in a chart without one
   */
  readonly name?: string;
  /**
   * The Kubernetes version whose definition of the restricted profile is enforced: `'v1.<minor>'`
   * or `'latest'` (`pod-security.kubernetes.io/enforce-version`). Pinned by default, so that a
   * control-plane upgrade that tightens the profile never starts refusing a database's replacement
   * pods; `warn` and `audit` follow `'latest'`, so `kubectl apply` reports what the newest
   * definition would refuse before you move the pin. A version newer than the cluster counts as
   * the cluster's newest.
   * @see https://kubernetes.io/docs/concepts/security/pod-security-admission/#pod-security-admission-labels-for-namespaces
   * @default RestrictedNamespace.VERIFIED_VERSION
   */
  readonly enforceVersion?: string;
}

const PROPS = keysOf<RestrictedNamespaceProps>({ name: true, enforceVersion: true });
const PREFIX = 'pod-security.kubernetes.io';
const MODES = ['enforce', 'warn', 'audit'] as const;
const VERSION = /^(latest|v1\.(0|[1-9][0-9]*))$/;

/**
 * A Namespace that admits only pods meeting the restricted Pod Security Standard, which every pod
 * of this library meets (and your own cdk8s-plus workloads with {@link RestrictedPodSecurity}).
 *
 * It labels the Namespace `pod-security.kubernetes.io/enforce`, `warn` and `audit` = `restricted`,
 * enforcing a pinned version of the profile (see `enforceVersion`). It is cluster-scoped, so it
 * never carries the chart's namespace, and it comes first in its chart's YAML, whatever the order
 * in which constructs were added, so that `kubectl apply -f` creates it before the objects in it.
 *
 * It is a cdk8s-plus Namespace: a network peer (every pod in it) and a namespace selector.
 *
 * @see https://kubernetes.io/docs/concepts/security/pod-security-admission/
 */
export class RestrictedNamespace extends kplus.Namespace {
  /**
   * The Kubernetes version whose restricted profile every pod of this library is checked against
   * in CI (`k8s.io/pod-security-admission` of that release); the default `enforceVersion`.
   */
  public static readonly VERIFIED_VERSION = 'v1.37';

  /** The version of the restricted profile that the Namespace enforces. */
  public readonly enforceVersion: string;

  constructor(scope: Construct, id: string, props: RestrictedNamespaceProps = {}) {
    // Checked before the Namespace exists, so the error names this construct's path.
    const where = `${scope.node.path ? `${scope.node.path}/` : ''}${id}`;
    requireKnownKeys(where, '', requireRecord(where, 'props', props), PROPS);
    const chartNamespace = Chart.of(scope).namespace;
    const name = requireDnsLabel(where, 'name', optional(props.name, (v) => requireString(where, 'name', v)) ?? chartNamespace ?? id, 63);
    const enforceVersion = optional(props.enforceVersion, (v) => requireString(where, 'enforceVersion', v)) ?? RestrictedNamespace.VERIFIED_VERSION;
    if (!VERSION.test(enforceVersion)) {
      invalid(where, 'enforceVersion', "must be 'latest' or a Kubernetes version 'v1.<minor>' such as 'v1.30'", enforceVersion);
    }

    super(scope, id, {
      metadata: {
        name,
        labels: {
          [`${PREFIX}/enforce`]: 'restricted',
          [`${PREFIX}/enforce-version`]: enforceVersion,
          [`${PREFIX}/warn`]: 'restricted',
          [`${PREFIX}/warn-version`]: 'latest',
          [`${PREFIX}/audit`]: 'restricted',
          [`${PREFIX}/audit-version`]: 'latest',
        },
      },
    });
    this.enforceVersion = enforceVersion;
    const resource = ApiObject.of(this);
    makeClusterScoped(resource);
    ensureUniqueNames(this);

    const chart = Chart.of(this);
    this.node.addValidation({
      validate: () => {
        // Every other object of the chart, whenever it was added, depends on the Namespace, so the
        // Namespace is written first. cdk8s has no hook between construction and synthesis but
        // validation, which runs before the objects are ordered. Other Namespaces are left out: two
        // Namespaces of one chart must not depend on each other.
        for (const c of chart.node.findAll()) {
          if (ApiObject.isApiObject(c) && c !== resource && c.kind !== 'Namespace' && Chart.of(c) === chart) {
            c.node.addDependency(resource);
          }
        }
        // A label changed later through `metadata` must not turn the profile off behind the name.
        return MODES
          .filter((mode) => this.metadata.getLabel(`${PREFIX}/${mode}`) !== 'restricted')
          .map((mode) => `${this.node.path}: the label '${PREFIX}/${mode}' must stay 'restricted' on a RestrictedNamespace, got '${this.metadata.getLabel(`${PREFIX}/${mode}`)}'; use a kplus.Namespace for another level`);
      },
    });
  }
}
