import { EngineVersion } from '../engine-version';

/**
 * A PostgreSQL version: the full version pins the image (Percona's distribution of PostgreSQL with
 * Patroni, `percona/percona-distribution-postgresql:<full>-1`), the major
 * version selects the data layout and is what replication compatibility depends on (a standby
 * must run the same major version as its primary). Supported: 13 to 18.
 *
 * @see https://www.postgresql.org/support/versioning/
 */
export class PostgresVersion extends EngineVersion {
  /**
   * PostgreSQL 13.23, the last release of 13.
   * @deprecated PostgreSQL 13 reached end of life in November 2025 and gets no more fixes: upgrade to V17 or V18.
   */
  public static readonly V13 = new PostgresVersion('13.23', '13', 'PostgreSQL 13 reached end of life in November 2025 and gets no more fixes: upgrade to 17 or 18');
  /**
   * PostgreSQL 14.23, the last release of 14.
   * @deprecated PostgreSQL 14 reached end of life in November 2026 and gets no more fixes: upgrade to V17 or V18.
   */
  public static readonly V14 = new PostgresVersion('14.23', '14', 'PostgreSQL 14 reached end of life in November 2026 and gets no more fixes: upgrade to 17 or 18');
  /** PostgreSQL 15 (supported upstream until November 2027). */
  public static readonly V15 = PostgresVersion.of('15.18', '15');
  /** PostgreSQL 16 (supported upstream until November 2028). */
  public static readonly V16 = PostgresVersion.of('16.14', '16');
  /** PostgreSQL 17 (supported upstream until November 2029). */
  public static readonly V17 = PostgresVersion.of('17.10', '17');
  /** PostgreSQL 18 (supported upstream until November 2030). */
  public static readonly V18 = PostgresVersion.of('18.4', '18');

  /**
   * A version that has no constant here yet, such as a newer patch release.
   *
   * @param fullVersion the full version, the image's tag without its build suffix (`17.10`)
   * @param majorVersion the major version (`17`)
   */
  public static of(fullVersion: string, majorVersion: string): PostgresVersion {
    return new PostgresVersion(fullVersion, majorVersion);
  }
}
