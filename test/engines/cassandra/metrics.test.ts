import { Chart, Testing } from 'cdk8s';
import { Cassandra, CassandraProps, JmxExporterAgent } from '../../../src';
import { CASSANDRA_JMX_RULES } from '../../../src/engines/cassandra/metrics';
import { only } from '../../util';
import { included, parseRules, seriesOf } from '../jmx-rules';

process.env.CDK8S_STATEFUL_QUIET = '1';

const rules = parseRules(CASSANDRA_JMX_RULES);
const threeRacks = [{ name: 'a', zone: 'z1' }, { name: 'b', zone: 'z2' }, { name: 'c', zone: 'z3' }];

function synth(props: CassandraProps = {}) {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'db' });
  new Cassandra(chart, 'ring', props);
  const objects: any[] = Testing.synth(chart);
  return { objects, sets: objects.filter((o) => o.kind === 'StatefulSet') };
}
const envOf = (container: any, name: string) => container.env.find((e: any) => e.name === name);

describe('the JMX exporter rules', () => {
  const M = 'org.apache.cassandra.metrics';
  // GIVEN the MBeans Cassandra 4.0 to 5.0 register, THEN the series docs/engines/cassandra.md names.
  test.each([
    [`${M}<type=ClientRequest, scope=Read, name=Latency><>99thPercentile`, 'cassandra_clientrequest_latency_seconds', { operation: 'Read', quantile: '0.99' }],
    [`${M}<type=ClientRequest, scope=Write, name=Latency><>999thPercentile`, 'cassandra_clientrequest_latency_seconds', { operation: 'Write', quantile: '0.999' }],
    [`${M}<type=ClientRequest, scope=Write, name=Latency><>Count`, 'cassandra_clientrequest_requests_total', { operation: 'Write' }],
    [`${M}<type=ClientRequest, scope=Read, name=Timeouts><>Count`, 'cassandra_clientrequest_timeouts_total', { operation: 'Read' }],
    [`${M}<type=ClientRequest, scope=Write, name=Unavailables><>Count`, 'cassandra_clientrequest_unavailables_total', { operation: 'Write' }],
    [`${M}<type=ClientRequest, scope=CASWrite, name=Failures><>Count`, 'cassandra_clientrequest_failures_total', { operation: 'CASWrite' }],
    [`${M}<type=Compaction, name=PendingTasks><>Value`, 'cassandra_compaction_pendingtasks', {}],
    [`${M}<type=Compaction, name=CompletedTasks><>Value`, 'cassandra_compaction_completedtasks_total', {}],
    [`${M}<type=Compaction, name=BytesCompacted><>Count`, 'cassandra_compaction_bytescompacted_total', {}],
    [`${M}<type=DroppedMessage, scope=MUTATION_REQ, name=Dropped><>Count`, 'cassandra_droppedmessage_dropped_total', { message_type: 'MUTATION_REQ' }],
    [`${M}<type=Storage, name=Load><>Count`, 'cassandra_storage_load_bytes', {}],
    [`${M}<type=Storage, name=Exceptions><>Count`, 'cassandra_storage_exceptions_total', {}],
    [`${M}<type=Storage, name=TotalHints><>Count`, 'cassandra_storage_totalhints_total', {}],
    [`${M}<type=Storage, name=TotalHintsInProgress><>Count`, 'cassandra_storage_totalhintsinprogress', {}],
    [`${M}<type=ThreadPools, path=request, scope=MutationStage, name=PendingTasks><>Value`, 'cassandra_threadpools_pendingtasks', { path: 'request', pool: 'MutationStage' }],
    [`${M}<type=ThreadPools, path=internal, scope=CompactionExecutor, name=ActiveTasks><>Value`, 'cassandra_threadpools_activetasks', { path: 'internal', pool: 'CompactionExecutor' }],
    [`${M}<type=ThreadPools, path=request, scope=ReadStage, name=TotalBlockedTasks><>Count`, 'cassandra_threadpools_totalblockedtasks_total', { path: 'request', pool: 'ReadStage' }],
    [`${M}<type=CommitLog, name=PendingTasks><>Value`, 'cassandra_commitlog_pendingtasks', {}],
    [`${M}<type=CommitLog, name=TotalCommitLogSize><>Value`, 'cassandra_commitlog_totalcommitlogsize', {}],
    [`${M}<type=Client, name=connectedNativeClients><>Value`, 'cassandra_client_connectednativeclients', {}],
    [`${M}<type=Cache, scope=KeyCache, name=HitRate><>Value`, 'cassandra_cache_hitrate', { cache: 'KeyCache' }],
    ['org.apache.cassandra.net<type=FailureDetector><>DownEndpointCount', 'cassandra_failuredetector_downendpointcount', {}],
    ['org.apache.cassandra.net<type=FailureDetector><>UpEndpointCount', 'cassandra_failuredetector_upendpointcount', {}],
  ])('%s -> %s', (bean, name, labels) => {
    expect(seriesOf(rules, bean)).toMatchObject({ name, labels });
    expect(included(rules, bean)).toBe(true);
  });

  test('latencies are microseconds in JMX and seconds in Prometheus; counts are counters', () => {
    expect(seriesOf(rules, `${M}<type=ClientRequest, scope=Read, name=Latency><>50thPercentile`)).toMatchObject({ valueFactor: 0.000001, type: 'GAUGE' });
    expect(seriesOf(rules, `${M}<type=ClientRequest, scope=Read, name=Latency><>Count`)!.type).toBe('COUNTER');
  });

  // Per-table metrics are dozens per table (system tables included): none are read or exported.
  test.each([
    `${M}<type=Table, keyspace=shop, scope=orders, name=ReadLatency><>99thPercentile`,
    `${M}<type=Keyspace, keyspace=shop, name=WriteLatency><>Count`,
    `${M}<type=ClientRequest, scope=Read, name=Latency><>Mean`,
    `${M}<type=ThreadPools, path=request, scope=ReadStage, name=CompletedTasks><>Value`,
  ])('%s exports nothing', (bean) => {
    expect(seriesOf(rules, bean)).toBeUndefined();
  });

  test('the agent reads only the MBean types the rules use', () => {
    expect(included(rules, `${M}<type=Table, keyspace=shop, scope=orders, name=ReadLatency><>Count`)).toBe(false);
    expect(included(rules, `${M}<type=Keyspace, keyspace=shop, name=WriteLatency><>Count`)).toBe(false);
  });
});

describe('metrics: true', () => {
  test('every rack runs the agent from JVM_EXTRA_OPTS, with the rules from the config ConfigMap, on port 9404', () => {
    const { objects, sets } = synth({ metrics: true, racks: threeRacks });
    expect(sets).toHaveLength(3);
    for (const sts of sets) {
      const spec = sts.spec.template.spec;
      const server = spec.containers[0];
      expect(envOf(server, 'JVM_EXTRA_OPTS').value).toBe('-javaagent:/opt/jmx-exporter/jmx_prometheus_javaagent.jar=9404:/config/jmx-exporter.yaml');
      expect(server.ports).toContainEqual({ name: 'metrics', containerPort: 9404 });
      expect(server.volumeMounts).toContainEqual({ name: 'config', mountPath: '/config', readOnly: true });
      expect(server.volumeMounts).toContainEqual({ name: 'metrics-agent', mountPath: '/opt/jmx-exporter', readOnly: true });
      // The jar first, then the configuration; the copy never sees the data.
      expect(spec.initContainers.map((c: any) => c.name)).toEqual(['metrics-agent', 'config']);
      expect(spec.initContainers[0].image).toBe(JmxExporterAgent.DEFAULT_IMAGE);
      expect(spec.initContainers[0].volumeMounts.map((m: any) => m.name)).toEqual(['metrics-agent']);
      expect(spec.initContainers[1].volumeMounts.map((m: any) => m.name)).toContain('data');
      expect(sts.spec.template.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9404', 'prometheus.io/path': '/metrics' });
    }
    expect(only(objects, 'ConfigMap', 'ring-config').data['jmx-exporter.yaml']).toBe(CASSANDRA_JMX_RULES);
  });

  test('without metrics: no agent, no rules file, no port', () => {
    const { objects, sets } = synth();
    const spec = sets[0].spec.template.spec;
    expect(envOf(spec.containers[0], 'JVM_EXTRA_OPTS')).toBeUndefined();
    expect(spec.initContainers.map((c: any) => c.name)).toEqual(['config']);
    expect(spec.containers[0].ports.map((p: any) => p.containerPort)).toEqual([9042, 7000]);
    expect(Object.keys(only(objects, 'ConfigMap', 'ring-config').data)).not.toContain('jmx-exporter.yaml');
  });

  test('a jar in the server image needs no init container', () => {
    const { sets } = synth({ metrics: true, image: 'shop/cassandra-jmx:5.0.9', metricsAgent: JmxExporterAgent.inServerImage('/opt/jmx/agent.jar') });
    const spec = sets[0].spec.template.spec;
    expect(spec.initContainers.map((c: any) => c.name)).toEqual(['config']);
    expect(envOf(spec.containers[0], 'JVM_EXTRA_OPTS').value).toBe('-javaagent:/opt/jmx/agent.jar=9404:/config/jmx-exporter.yaml');
  });

  test('metricsAgent without metrics is refused by name', () => {
    expect(() => synth({ metricsAgent: JmxExporterAgent.bitnami() })).toThrow(/test\/ring: 'metricsAgent' has no effect without 'metrics: true'/);
    expect(() => synth({ metrics: 1 as any })).toThrow(/test\/ring: 'metrics' must be true or false/);
  });
});
