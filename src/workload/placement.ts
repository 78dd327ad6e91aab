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
 * @see https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/
 */
export interface PlacementProps {
  /**
   * One pod per node (`kubernetes.io/hostname` anti-affinity).
   * Use PREFERRED or NONE on clusters with fewer nodes than replicas (kind, minikube).
   * @default SpreadMode.REQUIRED
   */
  readonly nodeSpread?: SpreadMode;
  /**
   * Even spread across zones (`topology.kubernetes.io/zone`, max skew 1).
   * Nodes without a zone label cannot take REQUIRED pods: use PREFERRED on clusters without zones.
   * @default SpreadMode.REQUIRED
   */
  readonly zoneSpread?: SpreadMode;
  /** Only run on nodes with these labels. @default - any node */
  readonly nodeSelector?: { [key: string]: string };
  /** Pin every pod to this zone (for example one StatefulSet per rack). @default - any zone */
  readonly zone?: string;
  /** Priority class of the pods. @default - the cluster's default */
  readonly priorityClassName?: string;
}
