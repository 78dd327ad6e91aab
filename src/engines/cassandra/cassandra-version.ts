import { EngineVersion } from '../engine-version';

/**
 * A Cassandra release: the official `cassandra` image is pinned to `fullVersion`. Supported: 4.0
 * to 5.x (the rendered cassandra.yaml uses 4.0's names, and 4.1's where the release has them).
 *
 * @see https://cassandra.apache.org/_/download.html
 */
export class CassandraVersion extends EngineVersion {
  /** Cassandra 5.0 (Java 17): storage-attached indexes, trie memtables and SSTables, vector search. */
  public static readonly V5_0 = CassandraVersion.of('5.0.9', '5.0');
  /** Cassandra 4.1 (Java 11): the configuration names with units (`commitlog_sync_period: 10000ms`). */
  public static readonly V4_1 = CassandraVersion.of('4.1.10', '4.1');
  /** Cassandra 4.0 (Java 11): the oldest supported line; configuration names with `_in_ms` suffixes. */
  public static readonly V4_0 = CassandraVersion.of('4.0.19', '4.0');

  /**
   * A version by its full and major numbers, for releases newer than this library.
   * @param fullVersion the image tag, e.g. '5.0.9'
   * @param majorVersion the release line, e.g. '5.0'
   */
  public static of(fullVersion: string, majorVersion: string): CassandraVersion {
    return new CassandraVersion(fullVersion, majorVersion);
  }
}
