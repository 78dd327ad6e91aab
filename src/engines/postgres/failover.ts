import { Duration, Size } from 'cdk8s';

/**
 * Whether a commit waits for a standby, and so whether a failover can lose it.
 * @see https://patroni.readthedocs.io/en/latest/replication_modes.html
 */
export enum SynchronousReplication {
  /**
   * Commits return once the primary has flushed them. Fastest; a failover loses the commits the
   * promoted standby had not yet received (up to `maximumLagOnFailover` bytes of WAL).
   */
  ASYNCHRONOUS = 'asynchronous',
  /**
   * Commits wait for one synchronous standby, and only that standby may be promoted: a failover
   * loses no acknowledged commit. When no standby is healthy, the primary goes on alone
   * (writes stay available, unprotected until a standby is back). One round trip more per commit.
   */
  SYNCHRONOUS = 'synchronous',
  /**
   * As SYNCHRONOUS, but with no healthy standby commits wait until one is back: no acknowledged
   * commit is ever on one server only, at the price of write availability (with 2 replicas,
   * losing either pod stops writes).
   */
  STRICT = 'strict',
}

/**
 * When Patroni gives up on a primary and promotes a standby. Patroni's rule holds:
 * `loopWait + 2 × retryTimeout ≤ leaderLeaseTtl`.
 * @see https://patroni.readthedocs.io/en/latest/dynamic_configuration.html
 */
export interface PostgresFailoverOptions {
  /**
   * How long the primary's leader lock lives without renewal (Patroni's `ttl`): a primary that
   * stops renewing it is replaced after at most this plus `loopWait`. At least 20 s.
   * @default Duration.seconds(30)
   */
  readonly leaderLeaseTtl?: Duration;
  /**
   * How often each member's Patroni runs its loop (`loop_wait`): at least 1 s.
   * @default Duration.seconds(10)
   */
  readonly loopWait?: Duration;
  /**
   * How long Patroni retries the Kubernetes API or PostgreSQL before it acts on a failure
   * (`retry_timeout`): at least 3 s.
   * @default Duration.seconds(10)
   */
  readonly retryTimeout?: Duration;
  /**
   * A standby further behind the primary than this is never promoted
   * (`maximum_lag_on_failover`). Only matters without synchronous replication.
   * @default Size.mebibytes(1)
   */
  readonly maximumLagOnFailover?: Size;
}
