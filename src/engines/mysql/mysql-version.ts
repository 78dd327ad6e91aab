import { EngineVersion } from '../engine-version';

/**
 * A MySQL server version: the tag of the official `mysql` image it runs by default. Supported:
 * 8.0.23 (the first with `CHANGE REPLICATION SOURCE` and the CLONE plugin as used here) to 9.x.
 *
 * @see https://dev.mysql.com/doc/refman/8.4/en/mysql-releases.html
 */
export class MySqlVersion extends EngineVersion {
  /**
   * MySQL 8.0.
   * @deprecated MySQL 8.0 reached end of life in April 2026 (no more security fixes): upgrade to {@link MySqlVersion.V8_4} (LTS).
   */
  public static readonly V8_0 = new MySqlVersion('8.0.43', '8.0', 'MySQL 8.0 reached end of life in April 2026 (no more security fixes): upgrade to 8.4 LTS');

  /** MySQL 8.4, the long-term support release: the default. */
  public static readonly V8_4 = MySqlVersion.of('8.4.6', '8.4');

  /**
   * MySQL 9.7, the current 9.x release: the innovation line's features since 8.4, and itself a
   * long-term support release (April 2026).
   */
  public static readonly V9_7 = MySqlVersion.of('9.7.0', '9.7');

  /**
   * Any version, for example `MySqlVersion.of('8.4.3', '8.4')`.
   *
   * @param fullVersion the full version, the tag of the official image (`8.4.3`)
   * @param majorVersion the release series (`8.4`)
   */
  public static of(fullVersion: string, majorVersion: string): MySqlVersion {
    return new MySqlVersion(fullVersion, majorVersion);
  }
}
