import { EngineVersion } from '../engine-version';

/**
 * A release of Apache Kafka. The default image is the official `apache/kafka` image of the full version.
 *
 * Every version runs in KRaft mode (no ZooKeeper) with a static controller quorum
 * (`controller.quorum.voters`), which every release from 3.3 on supports. Supported: 3.7 (the first official apache/kafka image) to 4.x.
 *
 * @see https://kafka.apache.org/downloads
 */
export class KafkaVersion extends EngineVersion {
  /**
   * Kafka 3.8.
   * @deprecated 3.8 is out of the Apache Kafka bug-fix window (the newest releases only); upgrade to 3.9, then to 4.x.
   */
  public static readonly V3_8 = new KafkaVersion('3.8.1', '3.8', 'Kafka 3.8 is out of the Apache Kafka bug-fix window: upgrade to 3.9, then to 4.x');

  /**
   * Kafka 3.9: the last 3.x release and the bridge release for upgrades to 4.x.
   * @deprecated 3.9 is out of the Apache Kafka bug-fix window; upgrade to 4.x (from 3.9, which is the supported path).
   */
  public static readonly V3_9 = new KafkaVersion('3.9.2', '3.9', 'Kafka 3.9 is out of the Apache Kafka bug-fix window: upgrade to 4.x');

  /**
   * Kafka 4.0: the first release without ZooKeeper.
   * @deprecated 4.0 is out of the Apache Kafka bug-fix window; upgrade to a newer 4.x.
   */
  public static readonly V4_0 = new KafkaVersion('4.0.2', '4.0', 'Kafka 4.0 is out of the Apache Kafka bug-fix window: upgrade to a newer 4.x');

  /**
   * Kafka 4.1.
   * @deprecated 4.1 is out of the Apache Kafka bug-fix window; upgrade to a newer 4.x.
   */
  public static readonly V4_1 = new KafkaVersion('4.1.2', '4.1', 'Kafka 4.1 is out of the Apache Kafka bug-fix window: upgrade to a newer 4.x');

  /** Kafka 4.2. */
  public static readonly V4_2 = KafkaVersion.of('4.2.2', '4.2');

  /** Kafka 4.3. */
  public static readonly V4_3 = KafkaVersion.of('4.3.1', '4.3');

  /** Kafka 4.4: the newest release. */
  public static readonly V4_4 = KafkaVersion.of('4.4.0', '4.4');

  /**
   * A release not listed here, for example a newer patch release.
   * @param fullVersion the full version, which is also the tag of the official image (e.g. '4.3.1')
   * @param majorVersion the feature release it belongs to (e.g. '4.3')
   */
  public static of(fullVersion: string, majorVersion: string): KafkaVersion {
    return new KafkaVersion(fullVersion, majorVersion);
  }
}
