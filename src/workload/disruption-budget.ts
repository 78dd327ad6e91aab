/**
 * How many pods of a set voluntary disruptions (drains, evictions) may take down at once.
 *
 * @see https://kubernetes.io/docs/concepts/workloads/pods/disruptions/
 */
export class DisruptionBudget {
  /** At most `count` pods may be unavailable. */
  public static maxUnavailable(count: number): DisruptionBudget {
    return new DisruptionBudget(count, undefined);
  }

  /** At least `count` pods must stay available. */
  public static minAvailable(count: number): DisruptionBudget {
    return new DisruptionBudget(undefined, count);
  }

  /** No PodDisruptionBudget. */
  public static none(): DisruptionBudget {
    return new DisruptionBudget(undefined, undefined);
  }

  private constructor(
    /** The maximum number of unavailable pods, if set. */
    public readonly maxUnavailableCount?: number,
    /** The minimum number of available pods, if set. */
    public readonly minAvailableCount?: number,
  ) {}
}
