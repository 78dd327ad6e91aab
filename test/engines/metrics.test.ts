import { JmxExporterAgent } from '../../src';

describe('JmxExporterAgent', () => {
  test('bitnami(): the pinned default image and the path of the jar in it', () => {
    const agent = JmxExporterAgent.bitnami();
    expect(agent.image).toBe('bitnamilegacy/jmx-exporter:1.0.1-debian-12-r9');
    expect(agent.image).toBe(JmxExporterAgent.DEFAULT_IMAGE);
    expect(agent.jarPath).toBe('/opt/bitnami/jmx-exporter/jmx_prometheus_javaagent.jar');
  });

  test('fromImage(image, jarPath) and inServerImage(jarPath)', () => {
    expect(JmxExporterAgent.fromImage('registry.example.com/jmx:1.0.1', '/jmx.jar')).toMatchObject({ image: 'registry.example.com/jmx:1.0.1', jarPath: '/jmx.jar' });
    const inImage = JmxExporterAgent.inServerImage('/opt/kafka/libs/jmx_prometheus_javaagent-1.0.1.jar');
    expect(inImage.image).toBeUndefined();
    expect(inImage.jarPath).toBe('/opt/kafka/libs/jmx_prometheus_javaagent-1.0.1.jar');
  });

  // The path is written into -javaagent:<path>=<port>:<rules>: ':', '=' and spaces would split it.
  test.each(['jmx.jar', '/opt/jmx', '/opt/jmx agent.jar', '/opt/a=b.jar', '/opt/a:b.jar', '/opt/../etc/x.jar', 42])('a jar path %p is refused by name', (path) => {
    expect(() => JmxExporterAgent.inServerImage(path as any)).toThrow(/^JmxExporterAgent\.inServerImage: 'jarPath' must be an absolute path of a \.jar file/);
    expect(() => JmxExporterAgent.fromImage('jmx:1.0.1', path as any)).toThrow(/^JmxExporterAgent\.fromImage: 'jarPath' must be an absolute path/);
  });

  test('an image that is no string or empty is refused by name (pinning is checked where it is used, with the construct path)', () => {
    expect(() => JmxExporterAgent.fromImage('', '/jmx.jar')).toThrow(/^JmxExporterAgent\.fromImage: 'image' must be an image reference/);
    expect(() => JmxExporterAgent.fromImage(undefined as any, '/jmx.jar')).toThrow(/'image' must be an image reference/);
  });
});
