/**
 * A MySQL server version: the tag of the official `mysql` image it runs by default.
 *
 * @see https://dev.mysql.com/doc/refman/8.4/en/mysql-releases.html
 */
export class MySqlVersion {
  /**
   * MySQL 8.0.
   * @deprecated MySQL 8.0 reached end of life in April 2026 (no more security fixes): upgrade to {@link MySqlVersion.V8_4} (LTS).
   */
  public static readonly V8_0 = MySqlVersion.of('8.0.43', '8.0');

  /** MySQL 8.4, the long-term support release: the default. */
  public static readonly V8_4 = MySqlVersion.of('8.4.6', '8.4');

  /**
   * MySQL 9.7, the current 9.x release: the innovation line's features since 8.4, and itself a
   * long-term support release (April 2026).
   */
  public static readonly V9_7 = MySqlVersion.of('9.7.0', '9.7');

  /**
   * Any version, for example `MySqlVersion.of('8.4.3', '8.4')`. The construct refuses versions
   * older than 8.0.23, whose replication statements it does not speak.
   *
   * @param fullVersion the full version, the tag of the official image (`8.4.3`)
   * @param majorVersion the release series (`8.4`)
   */
  public static of(fullVersion: string, majorVersion: string): MySqlVersion {
    return new MySqlVersion(fullVersion, majorVersion);
  }

  private constructor(
    /** The full version (`8.4.3`). */
    public readonly fullVersion: string,
    /** The release series (`8.4`). */
    public readonly majorVersion: string,
  ) {}
}
