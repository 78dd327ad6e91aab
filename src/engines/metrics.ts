import { Duration } from 'cdk8s';
import { invalid } from '../private/errors';

/**
 * Where the JVM of Kafka and Cassandra finds the Prometheus JMX exporter's javaagent jar
 * (`io.prometheus.jmx:jmx_prometheus_javaagent`). The official `apache/kafka` and `cassandra`
 * images do not carry it, so by default an init container copies it from a small pinned image
 * into a volume that the server mounts read-only.
 *
 * @see https://github.com/prometheus/jmx_exporter
 */
export class JmxExporterAgent {
  /**
   * Bitnami's jmx-exporter image, which carries the javaagent of the same release as Maven Central's
   * last one (1.0.1) for exactly this use. Bitnami froze its Debian images in 2025 and moved them
   * to `bitnamilegacy/`: the image is only copied from, never run as a server, but mirror it into
   * your registry (or use {@link JmxExporterAgent.fromImage}) rather than rely on it.
   */
  public static readonly DEFAULT_IMAGE = 'bitnamilegacy/jmx-exporter:1.0.1-debian-12-r9';
  /** Where {@link JmxExporterAgent.DEFAULT_IMAGE} keeps the javaagent jar. */
  public static readonly DEFAULT_JAR_PATH = '/opt/bitnami/jmx-exporter/jmx_prometheus_javaagent.jar';

  /** The jar copied from {@link JmxExporterAgent.DEFAULT_IMAGE}. */
  public static bitnami(): JmxExporterAgent {
    return new JmxExporterAgent(JmxExporterAgent.DEFAULT_IMAGE, JmxExporterAgent.DEFAULT_JAR_PATH);
  }

  /**
   * The jar copied by an init container from `image`, where it lies at `jarPath`. The image needs
   * `cp` (any image with a shell has it): for example your registry's copy of the default image, or
   * a two-line `FROM busybox` image with the jar added.
   * @param image a pinned image reference (a version tag or a digest)
   * @param jarPath absolute path of the javaagent jar inside `image`
   */
  public static fromImage(image: string, jarPath: string): JmxExporterAgent {
    const where = 'JmxExporterAgent.fromImage';
    if (typeof image !== 'string' || image.length === 0) {
      invalid(where, 'image', 'must be an image reference such as registry.example.com/jmx-exporter:1.0.1', image);
    }
    return new JmxExporterAgent(image, requireJarPath(where, jarPath));
  }

  /**
   * The server image carries the jar itself at `jarPath` (your image built from the official one
   * with the jar added): no init container.
   * @param jarPath absolute path of the javaagent jar inside the server image
   */
  public static inServerImage(jarPath: string): JmxExporterAgent {
    const where = 'JmxExporterAgent.inServerImage';
    return new JmxExporterAgent(undefined, requireJarPath(where, jarPath));
  }

  /**
   * The image the jar is copied from.
   * @default - none: the server image carries the jar
   */
  public readonly image?: string;
  /** Path of the jar inside `image`, or inside the server image when there is no `image`. */
  public readonly jarPath: string;

  private constructor(image: string | undefined, jarPath: string) {
    this.image = image;
    this.jarPath = jarPath;
  }
}

/** A Prometheus Operator `PodMonitor` for an instance's metrics port: see `addPodMonitor()`. */
export interface PodMonitorOptions {
  /**
   * Name of the PodMonitor.
   * @default - the instance name
   */
  readonly name?: string;
  /**
   * Labels of the PodMonitor, added to the instance's own: what your Prometheus's
   * `podMonitorSelector` selects (kube-prometheus-stack selects `release: <its release name>`
   * unless told otherwise).
   * @default - only the instance's labels
   */
  readonly labels?: { [key: string]: string };
  /**
   * How often Prometheus scrapes each pod: whole seconds.
   * @default - the Prometheus's global scrape interval
   */
  readonly interval?: Duration;
  /**
   * How long a scrape may take before it fails: whole seconds, at most `interval`.
   * @default - the Prometheus's global scrape timeout
   */
  readonly scrapeTimeout?: Duration;
}

function requireJarPath(where: string, jarPath: unknown): string {
  // The path ends up in `-javaagent:<path>=<port>:<rules>`: a ':', '=' or space would split it.
  if (typeof jarPath !== 'string' || !/^\/[A-Za-z0-9._/-]+\.jar$/.test(jarPath) || jarPath.includes('/../')) {
    invalid(where, 'jarPath', "must be an absolute path of a .jar file of letters, digits, '.', '_', '-' and '/' (it is written into -javaagent:<path>=...)", jarPath);
  }
  return jarPath;
}
