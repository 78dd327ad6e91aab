/**
 * Label keys this library writes and selects on: the Kubernetes recommended labels, from which
 * every selector (Services, PodDisruptionBudgets, affinity, spread, NetworkPolicies) is derived.
 *
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/
 */
export class WellKnownLabels {
  /** The application (`postgres`, `kafka`). */
  public static readonly NAME = 'app.kubernetes.io/name';
  /** One value per deployed database or app. */
  public static readonly INSTANCE = 'app.kubernetes.io/instance';
  /** The role of a set within an instance (`broker`, `controller`, `rack-a`). */
  public static readonly COMPONENT = 'app.kubernetes.io/component';
  /** The version of the software. */
  public static readonly VERSION = 'app.kubernetes.io/version';
  /** Who manages the object: `cdk8s-stateful`. */
  public static readonly MANAGED_BY = 'app.kubernetes.io/managed-by';
  /** Set by the StatefulSet controller on every pod: selects one pod by name. */
  public static readonly POD_NAME = 'statefulset.kubernetes.io/pod-name';

  private constructor() {}
}
