/** How strictly pods are kept apart. */
export enum SpreadMode {
  /** Never schedule two pods together: a pod stays Pending rather than break the rule. */
  REQUIRED = 'required',
  /** Keep pods apart when the cluster allows it. */
  PREFERRED = 'preferred',
  /** No rule. */
  NONE = 'none',
}

/**
 * Where the pods of a set may run. The defaults, for sets of more than one pod, keep every pod on
 * its own node and spread pods evenly across zones, so that losing a node or a zone takes at most
 * one pod (or one zone's share) of the set.
 *
 * On a single-node development cluster (kind, minikube, k3d) use the app-wide development profile
 * rather than relaxing each set: see {@link Placement} (`CDK8S_STATEFUL_PLACEMENT=development`).
 *
 * @see https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/
 */
export interface PlacementProps {
  /**
   * One pod per node (`kubernetes.io/hostname` anti-affinity).
   * Use PREFERRED or NONE on clusters with fewer nodes than replicas; the development profile
   * ({@link Placement}) makes REQUIRED PREFERRED.
   * @default SpreadMode.REQUIRED
   */
  readonly nodeSpread?: SpreadMode;
  /**
   * Even spread across zones (`topology.kubernetes.io/zone`, max skew 1).
   * Nodes without a zone label cannot take REQUIRED pods: use PREFERRED on clusters without zones;
   * the development profile ({@link Placement}) makes REQUIRED PREFERRED.
   * @default SpreadMode.REQUIRED
   */
  readonly zoneSpread?: SpreadMode;
  /** Only run on nodes with these labels. @default - any node */
  readonly nodeSelector?: { [key: string]: string };
  /**
   * Pin every pod to this zone (for example one StatefulSet per rack). The development profile
   * ({@link Placement}) drops the pin.
   * @default - any zone
   */
  readonly zone?: string;
  /** Priority class of the pods. @default - the cluster's default */
  readonly priorityClassName?: string;
}
