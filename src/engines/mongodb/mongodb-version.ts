import { EngineVersion } from '../engine-version';

/**
 * A MongoDB server version: the tag of the official `mongo` image and its release line.
 * Supported: 6.0 to 8.x.
 *
 * @see https://www.mongodb.com/legal/support-policy/lifecycles
 */
export class MongoDbVersion extends EngineVersion {
  /**
   * MongoDB 6.0.
   * @deprecated MongoDB 6.0 reached its end of life in July 2025: it gets no more fixes. Upgrade to 7.0, then 8.0.
   */
  public static readonly V6_0 = new MongoDbVersion('6.0.20', '6.0', 'MongoDB 6.0 reached its end of life in July 2025 and gets no more fixes: upgrade to 7.0, then 8.0');
  /** MongoDB 7.0. */
  public static readonly V7_0 = MongoDbVersion.of('7.0.16', '7.0');
  /** MongoDB 8.0, the newest release line. */
  public static readonly V8_0 = MongoDbVersion.of('8.0.4', '8.0');

  /**
   * A version that has no constant yet.
   * @param fullVersion the full version, the tag of the official image (e.g. '8.0.5')
   * @param majorVersion the release line (e.g. '8.0'): the featureCompatibilityVersion it runs at
   */
  public static of(fullVersion: string, majorVersion: string): MongoDbVersion {
    return new MongoDbVersion(fullVersion, majorVersion);
  }
}
