/*
 * The JMX exporter's rules for Cassandra: a curated set, not a catch-all. Cassandra registers
 * thousands of MBeans (dozens per table, system tables included), and reading them all makes a
 * scrape slow; `includeObjectNames` keeps the agent to the few types below, and the rules to the
 * signals operators alert on: client request latency and errors, pending compactions, dropped
 * messages, thread pool backlogs, hints, storage load, the failure detector's view of the ring.
 *
 * jmx_exporter matches each rule anywhere in `domain<key=value, ...><>attribute`. Latencies are
 * microseconds in JMX and seconds here. The integration stage (test/integration/cassandra) runs
 * these rules on a real ring.
 */

/** The rules file, `jmx-exporter.yaml` in the `<name>-config` ConfigMap. */
export const CASSANDRA_JMX_RULES = `# Prometheus JMX exporter rules, rendered by cdk8s-stateful.
lowercaseOutputName: true
lowercaseOutputLabelNames: true
includeObjectNames:
  - "org.apache.cassandra.metrics:type=ClientRequest,*"
  - "org.apache.cassandra.metrics:type=Compaction,*"
  - "org.apache.cassandra.metrics:type=DroppedMessage,*"
  - "org.apache.cassandra.metrics:type=Storage,*"
  - "org.apache.cassandra.metrics:type=ThreadPools,*"
  - "org.apache.cassandra.metrics:type=CommitLog,*"
  - "org.apache.cassandra.metrics:type=Client,*"
  - "org.apache.cassandra.metrics:type=Cache,*"
  - "org.apache.cassandra.net:type=FailureDetector"
rules:
  # Coordinator latency of client reads and writes, by operation: quantiles and the request count.
  - pattern: 'org.apache.cassandra.metrics<type=ClientRequest, scope=(Read|Write|RangeSlice|CASRead|CASWrite), name=Latency><>(50|95|99|999)thPercentile'
    name: cassandra_clientrequest_latency_seconds
    labels:
      operation: $1
      quantile: 0.$2
    valueFactor: 0.000001
    type: GAUGE
  - pattern: 'org.apache.cassandra.metrics<type=ClientRequest, scope=(Read|Write|RangeSlice|CASRead|CASWrite), name=Latency><>Count'
    name: cassandra_clientrequest_requests_total
    labels:
      operation: $1
    type: COUNTER
  # Requests that failed: no quorum of replicas answered in time, too few were up, or one failed.
  - pattern: 'org.apache.cassandra.metrics<type=ClientRequest, scope=(Read|Write|RangeSlice|CASRead|CASWrite), name=(Timeouts|Unavailables|Failures)><>Count'
    name: cassandra_clientrequest_$2_total
    labels:
      operation: $1
    type: COUNTER
  # Compaction backlog: a growing number of pending tasks means the node falls behind its writes.
  - pattern: 'org.apache.cassandra.metrics<type=Compaction, name=PendingTasks><>Value'
    name: cassandra_compaction_pendingtasks
    type: GAUGE
  - pattern: 'org.apache.cassandra.metrics<type=Compaction, name=CompletedTasks><>Value'
    name: cassandra_compaction_completedtasks_total
    type: COUNTER
  - pattern: 'org.apache.cassandra.metrics<type=Compaction, name=BytesCompacted><>Count'
    name: cassandra_compaction_bytescompacted_total
    type: COUNTER
  # Messages dropped because they waited longer than their timeout, by verb (MUTATION, READ...).
  - pattern: 'org.apache.cassandra.metrics<type=DroppedMessage, scope=(\\w+), name=Dropped><>Count'
    name: cassandra_droppedmessage_dropped_total
    labels:
      message_type: $1
    type: COUNTER
  # Data on disk, storage errors and hints kept for nodes that were down.
  - pattern: 'org.apache.cassandra.metrics<type=Storage, name=Load><>Count'
    name: cassandra_storage_load_bytes
    type: GAUGE
  - pattern: 'org.apache.cassandra.metrics<type=Storage, name=(Exceptions|TotalHints)><>Count'
    name: cassandra_storage_$1_total
    type: COUNTER
  - pattern: 'org.apache.cassandra.metrics<type=Storage, name=TotalHintsInProgress><>Count'
    name: cassandra_storage_totalhintsinprogress
    type: GAUGE
  # Thread pools (stages): backlogs and blocked tasks, by pool.
  - pattern: 'org.apache.cassandra.metrics<type=ThreadPools, path=(\\w+), scope=(\\w+), name=(PendingTasks|ActiveTasks)><>Value'
    name: cassandra_threadpools_$3
    labels:
      path: $1
      pool: $2
    type: GAUGE
  - pattern: 'org.apache.cassandra.metrics<type=ThreadPools, path=(\\w+), scope=(\\w+), name=TotalBlockedTasks><>Count'
    name: cassandra_threadpools_totalblockedtasks_total
    labels:
      path: $1
      pool: $2
    type: COUNTER
  - pattern: 'org.apache.cassandra.metrics<type=CommitLog, name=(PendingTasks|TotalCommitLogSize)><>Value'
    name: cassandra_commitlog_$1
    type: GAUGE
  - pattern: 'org.apache.cassandra.metrics<type=Client, name=connectedNativeClients><>Value'
    name: cassandra_client_connectednativeclients
    type: GAUGE
  - pattern: 'org.apache.cassandra.metrics<type=Cache, scope=(KeyCache|RowCache|CounterCache), name=(HitRate|Size|Entries)><>Value'
    name: cassandra_cache_$2
    labels:
      cache: $1
    type: GAUGE
  # The ring as this node sees it: nodes up and down.
  - pattern: 'org.apache.cassandra.net<type=FailureDetector><>(UpEndpointCount|DownEndpointCount)'
    name: cassandra_failuredetector_$1
    type: GAUGE
`;
