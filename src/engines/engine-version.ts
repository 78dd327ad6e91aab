/**
 * What every engine's version class shares: the full version (the official image's tag), the
 * release line it belongs to, and, for releases that should no longer run, why.
 *
 * Each engine's version class (`PostgresVersion`, `KafkaVersion`...) extends it with constants for
 * the releases it knows and `of()` for the others; the engine refuses a version outside the range
 * its rendered configuration supports, and warns at synth about a deprecated one.
 */
export abstract class EngineVersion {
  /** The full version, also the official image's tag (`17.7`, `4.4.0`). */
  public readonly fullVersion: string;
  /** The release line (`17`, `4.4`): what replication compatibility and the rendered configuration depend on. */
  public readonly majorVersion: string;
  /**
   * Why this release should no longer run (end of life), printed as a warning at synth.
   * @default - not deprecated
   */
  public readonly deprecation?: string;

  /**
   * @param fullVersion the full version, the official image's tag
   * @param majorVersion the release line
   * @param deprecation why the release line should no longer run, for deprecated constants
   */
  protected constructor(fullVersion: string, majorVersion: string, deprecation?: string) {
    this.fullVersion = fullVersion;
    this.majorVersion = majorVersion;
    this.deprecation = deprecation;
  }
}
