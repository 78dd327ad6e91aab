import { Chart, Testing } from 'cdk8s';
import { JmxExporterAgent, Kafka, KafkaProps } from '../../../src';
import { KAFKA_JMX_RULES } from '../../../src/engines/kafka/metrics';
import { only } from '../../util';
import { included, parseRules, seriesOf } from '../jmx-rules';

process.env.CDK8S_STATEFUL_QUIET = '1';

const rules = parseRules(KAFKA_JMX_RULES);

function synth(props: KafkaProps = {}) {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'db' });
  const kafka = new Kafka(chart, 'events', props);
  const objects: any[] = Testing.synth(chart);
  const pod = (set: string) => only(objects, 'StatefulSet', set).spec.template;
  return { kafka, objects, pod };
}

const envOf = (container: any, name: string) => container.env.find((e: any) => e.name === name);

describe('the JMX exporter rules', () => {
  // GIVEN the MBeans Kafka 4.4 registers (as the exporter writes them), THEN the series docs/engines/kafka.md names.
  test.each([
    ['kafka.server<type=ReplicaManager, name=UnderReplicatedPartitions><>Value', 'kafka_server_replicamanager_underreplicatedpartitions', {}],
    ['kafka.server<type=ReplicaManager, name=UnderMinIsrPartitionCount><>Value', 'kafka_server_replicamanager_underminisrpartitioncount', {}],
    ['kafka.server<type=ReplicaManager, name=OfflineReplicaCount><>Value', 'kafka_server_replicamanager_offlinereplicacount', {}],
    ['kafka.server<type=ReplicaManager, name=PartitionCount><>Value', 'kafka_server_replicamanager_partitioncount', {}],
    ['kafka.server<type=ReplicaManager, name=LeaderCount><>Value', 'kafka_server_replicamanager_leadercount', {}],
    ['kafka.server<type=ReplicaManager, name=IsrShrinksPerSec><>Count', 'kafka_server_replicamanager_isrshrinks_total', {}],
    ['kafka.server<type=ReplicaManager, name=IsrExpandsPerSec><>Count', 'kafka_server_replicamanager_isrexpands_total', {}],
    ['kafka.server<type=BrokerTopicMetrics, name=MessagesInPerSec><>Count', 'kafka_server_brokertopicmetrics_messagesin_total', {}],
    ['kafka.server<type=BrokerTopicMetrics, name=BytesInPerSec><>Count', 'kafka_server_brokertopicmetrics_bytesin_total', {}],
    ['kafka.server<type=BrokerTopicMetrics, name=BytesOutPerSec><>Count', 'kafka_server_brokertopicmetrics_bytesout_total', {}],
    ['kafka.network<type=RequestMetrics, name=RequestsPerSec, request=Produce, version=11><>Count', 'kafka_network_requestmetrics_requests_total', { request: 'Produce', version: '11' }],
    ['kafka.network<type=RequestMetrics, name=TotalTimeMs, request=FetchConsumer><>99thPercentile', 'kafka_network_requestmetrics_totaltime_seconds', { request: 'FetchConsumer', quantile: '0.99' }],
    ['kafka.server<type=KafkaRequestHandlerPool, name=RequestHandlerAvgIdlePercent><>OneMinuteRate', 'kafka_server_kafkarequesthandlerpool_requesthandleravgidlepercent', {}],
    ['kafka.network<type=SocketServer, name=NetworkProcessorAvgIdlePercent><>Value', 'kafka_network_socketserver_networkprocessoravgidlepercent', {}],
    ['kafka.server<type=ReplicaFetcherManager, name=MaxLag, clientId=Replica><>Value', 'kafka_server_replicafetchermanager_maxlag', {}],
    ['kafka.server<type=KafkaServer, name=BrokerState><>Value', 'kafka_server_kafkaserver_brokerstate', {}],
    ['kafka.controller<type=KafkaController, name=ActiveControllerCount><>Value', 'kafka_controller_kafkacontroller_activecontrollercount', {}],
    ['kafka.controller<type=KafkaController, name=OfflinePartitionsCount><>Value', 'kafka_controller_kafkacontroller_offlinepartitionscount', {}],
    ['kafka.controller<type=KafkaController, name=FencedBrokerCount><>Value', 'kafka_controller_kafkacontroller_fencedbrokercount', {}],
    ['kafka.controller<type=ControllerStats, name=UncleanLeaderElectionsPerSec><>Count', 'kafka_controller_controllerstats_uncleanleaderelections_total', {}],
    ['kafka.server<type=raft-metrics><>current-leader', 'kafka_server_raftmetrics_current_leader', {}],
    ['kafka.server<type=raft-metrics><>commit-latency-avg', 'kafka_server_raftmetrics_commit_latency_avg', {}],
  ])('%s -> %s', (bean, name, labels) => {
    expect(seriesOf(rules, bean)).toMatchObject({ name, labels });
    expect(included(rules, bean)).toBe(true);
  });

  test('counters are counters and gauges gauges; request times are seconds', () => {
    expect(seriesOf(rules, 'kafka.server<type=ReplicaManager, name=IsrShrinksPerSec><>Count')!.type).toBe('COUNTER');
    expect(seriesOf(rules, 'kafka.server<type=ReplicaManager, name=UnderReplicatedPartitions><>Value')!.type).toBe('GAUGE');
    expect(seriesOf(rules, 'kafka.network<type=RequestMetrics, name=TotalTimeMs, request=Produce><>50thPercentile')).toMatchObject({ valueFactor: 0.001, labels: { quantile: '0.50' } });
  });

  // The cardinality guard: per-topic and per-partition twins, and beans nobody asked for, export nothing.
  test.each([
    'kafka.server<type=BrokerTopicMetrics, name=MessagesInPerSec, topic=orders><>Count',
    'kafka.server<type=BrokerTopicMetrics, name=BytesInPerSec, topic=orders><>OneMinuteRate',
    'kafka.log<type=Log, name=Size, topic=orders, partition=0><>Value',
    'kafka.server<type=ReplicaManager, name=IsrShrinksPerSec><>OneMinuteRate',
    'kafka.network<type=RequestMetrics, name=TotalTimeMs, request=Metadata><>99thPercentile',
    'kafka.server<type=raft-metrics><>current-state',
  ])('%s exports nothing', (bean) => {
    expect(seriesOf(rules, bean)).toBeUndefined();
  });

  test('the agent reads only the MBean types the rules use', () => {
    expect(included(rules, 'kafka.log<type=Log, name=Size, topic=orders, partition=0><>Value')).toBe(false);
    expect(included(rules, 'kafka.server<type=FetcherLagMetrics, name=ConsumerLag, clientId=x, topic=orders, partition=0><>Value')).toBe(false);
    expect(rules).toMatchObject({ lowercaseOutputName: true, lowercaseOutputLabelNames: true });
  });
});

describe('metrics: true', () => {
  test('combined nodes: the agent in KAFKA_OPTS, the rules beside server.properties, port 9404 named metrics', () => {
    const { pod, objects } = synth({ metrics: true });
    const server = pod('events').spec.containers[0];
    expect(envOf(server, 'KAFKA_OPTS').value).toBe('-javaagent:/opt/jmx-exporter/jmx_prometheus_javaagent.jar=9404:/etc/kafka/template/jmx-exporter.yaml');
    expect(server.ports).toContainEqual({ name: 'metrics', containerPort: 9404 });
    expect(only(objects, 'ConfigMap', 'events-config').data['jmx-exporter.yaml']).toBe(KAFKA_JMX_RULES);
    expect(server.volumeMounts).toContainEqual({ name: 'config-template', mountPath: '/etc/kafka/template', readOnly: true });
  });

  test('dedicated controllers run the agent too, with the rules in their own ConfigMap', () => {
    const { pod, objects } = synth({ metrics: true, controllers: 3 });
    const controller = pod('events-controller');
    expect(envOf(controller.spec.containers[0], 'KAFKA_OPTS').value).toMatch(/^-javaagent:.*=9404:\/etc\/kafka\/template\/jmx-exporter\.yaml$/);
    expect(controller.spec.containers[0].ports.map((p: any) => p.name)).toEqual(['controller', 'metrics']);
    expect(controller.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9404' });
    expect(only(objects, 'ConfigMap', 'events-controller-config').data['jmx-exporter.yaml']).toBe(KAFKA_JMX_RULES);
  });

  test('the jar is copied by an init container from the pinned default image into a read-only volume; the data stays out', () => {
    const { pod } = synth({ metrics: true });
    const spec = pod('events').spec;
    const [copy] = spec.initContainers;
    expect(copy).toMatchObject({
      name: 'metrics-agent',
      image: 'bitnamilegacy/jmx-exporter:1.0.1-debian-12-r9',
      command: ['cp', '/opt/bitnami/jmx-exporter/jmx_prometheus_javaagent.jar', '/opt/jmx-exporter/jmx_prometheus_javaagent.jar'],
      securityContext: { runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true, readOnlyRootFilesystem: true },
    });
    expect(copy.volumeMounts).toEqual([{ name: 'metrics-agent', mountPath: '/opt/jmx-exporter' }]);
    expect(spec.containers[0].volumeMounts).toContainEqual({ name: 'metrics-agent', mountPath: '/opt/jmx-exporter', readOnly: true });
    expect(spec.volumes).toContainEqual({ name: 'metrics-agent', emptyDir: { sizeLimit: '32Mi' } });
  });

  test('metricsAgent: your image and path, or a jar already in the server image', () => {
    const own = synth({ metrics: true, metricsAgent: JmxExporterAgent.fromImage('registry.example.com/jmx:1.0.1', '/jmx.jar') }).pod('events').spec;
    expect(own.initContainers[0]).toMatchObject({ image: 'registry.example.com/jmx:1.0.1', command: ['cp', '/jmx.jar', '/opt/jmx-exporter/jmx_prometheus_javaagent.jar'] });

    const inImage = synth({ metrics: true, image: 'shop/kafka-jmx:4.4.0', metricsAgent: JmxExporterAgent.inServerImage('/opt/kafka/libs/jmx.jar') }).pod('events').spec;
    expect(inImage.initContainers).toBeUndefined();
    expect(envOf(inImage.containers[0], 'KAFKA_OPTS').value).toBe('-javaagent:/opt/kafka/libs/jmx.jar=9404:/etc/kafka/template/jmx-exporter.yaml');
    expect(inImage.volumes.map((v: any) => v.name)).not.toContain('metrics-agent');
  });

  test('without metrics: no agent, no rules file, no port, no annotations', () => {
    const { pod, objects } = synth();
    const template = pod('events');
    expect(envOf(template.spec.containers[0], 'KAFKA_OPTS')).toBeUndefined();
    expect(template.spec.initContainers).toBeUndefined();
    expect(template.spec.containers[0].ports.map((p: any) => p.containerPort)).not.toContain(9404);
    expect(Object.keys(template.metadata.annotations)).toEqual(['cdk8s-stateful/config-checksum']);
    expect(Object.keys(only(objects, 'ConfigMap', 'events-config').data)).toEqual(['broker.properties', 'server.properties']);
  });

  test('turning metrics on rolls the pods (the rules are in the checksum)', () => {
    const checksum = (props: KafkaProps) => synth(props).pod('events').metadata.annotations['cdk8s-stateful/config-checksum'];
    expect(checksum({ metrics: true })).not.toEqual(checksum({}));
  });

  test('metricsAgent without metrics, of the wrong kind, or not pinned is refused by name', () => {
    expect(() => synth({ metricsAgent: JmxExporterAgent.bitnami() })).toThrow(/test\/events: 'metricsAgent' has no effect without 'metrics: true'/);
    expect(() => synth({ metrics: true, metricsAgent: '/jmx.jar' as any })).toThrow(/test\/events: 'metricsAgent' must be .*JmxExporterAgent\.fromImage/);
    expect(() => synth({ metrics: true, metricsAgent: JmxExporterAgent.fromImage('jmx-exporter', '/jmx.jar') }))
      .toThrow(/test\/events: 'metricsAgent' must pin a version tag \(not 'latest'\) or a digest, e.g. 'jmx-exporter:<version>'/);
    expect(() => synth({ metrics: 'yes' as any })).toThrow(/test\/events: 'metrics' must be true or false/);
  });
});
