/*
 * The JMX exporter's rules for Kafka: a curated set, not a catch-all. A catch-all exports every
 * MBean (about 12,000 series on a small 4.4 cluster, most of them per topic and partition); these
 * rules keep the signals an operator alerts on and dashboards plot, named as the community's
 * (Strimzi's) Kafka dashboards name them: kafka_<domain>_<type>_<name>, lower case.
 *
 * jmx_exporter matches each rule anywhere in `domain<key=value, ...><>attribute`: a rule that
 * names the bean's keys up to `><>` matches the aggregate bean and never its per-topic twins.
 * `includeObjectNames` keeps the agent from reading the other MBeans at all.
 * The integration stage (test/integration/kafka) runs these rules on real brokers and controllers.
 */

/** The rules file, `jmx-exporter.yaml` in the `<name>-config` (and `<name>-controller-config`) ConfigMap. */
export const KAFKA_JMX_RULES = `# Prometheus JMX exporter rules, rendered by cdk8s-stateful.
lowercaseOutputName: true
lowercaseOutputLabelNames: true
includeObjectNames:
  - "kafka.server:type=ReplicaManager,*"
  - "kafka.server:type=BrokerTopicMetrics,*"
  - "kafka.server:type=KafkaRequestHandlerPool,*"
  - "kafka.server:type=ReplicaFetcherManager,*"
  - "kafka.server:type=KafkaServer,*"
  - "kafka.server:type=raft-metrics"
  - "kafka.network:type=RequestMetrics,*"
  - "kafka.network:type=SocketServer,*"
  - "kafka.controller:type=KafkaController,*"
  - "kafka.controller:type=ControllerStats,*"
rules:
  # Replication health of a broker: partitions short of replicas, under min.insync.replicas, offline.
  - pattern: 'kafka.server<type=ReplicaManager, name=(UnderReplicatedPartitions|UnderMinIsrPartitionCount|AtMinIsrPartitionCount|OfflineReplicaCount|PartitionCount|LeaderCount)><>Value'
    name: kafka_server_replicamanager_$1
    type: GAUGE
  # In-sync replica set changes: shrinks mean followers fall behind.
  - pattern: 'kafka.server<type=ReplicaManager, name=(IsrShrinks|IsrExpands)PerSec><>Count'
    name: kafka_server_replicamanager_$1_total
    type: COUNTER
  # Traffic of the whole broker (the per-topic beans carry a topic key and are left out).
  - pattern: 'kafka.server<type=BrokerTopicMetrics, name=(MessagesIn|BytesIn|BytesOut|BytesRejected|FailedProduceRequests|FailedFetchRequests|TotalProduceRequests|TotalFetchRequests)PerSec><>Count'
    name: kafka_server_brokertopicmetrics_$1_total
    type: COUNTER
  # Requests by type and protocol version.
  - pattern: 'kafka.network<type=RequestMetrics, name=RequestsPerSec, request=(\\w+), version=(\\d+)><>Count'
    name: kafka_network_requestmetrics_requests_total
    labels:
      request: $1
      version: $2
    type: COUNTER
  # Time from receiving a request to sending its response (milliseconds in JMX).
  - pattern: 'kafka.network<type=RequestMetrics, name=TotalTimeMs, request=(Produce|FetchConsumer|FetchFollower)><>(50|99)thPercentile'
    name: kafka_network_requestmetrics_totaltime_seconds
    labels:
      request: $1
      quantile: 0.$2
    valueFactor: 0.001
    type: GAUGE
  # Spare capacity of the request handler and network threads (1 = idle, near 0 = saturated).
  - pattern: 'kafka.server<type=KafkaRequestHandlerPool, name=RequestHandlerAvgIdlePercent><>OneMinuteRate'
    name: kafka_server_kafkarequesthandlerpool_requesthandleravgidlepercent
    type: GAUGE
  - pattern: 'kafka.network<type=SocketServer, name=NetworkProcessorAvgIdlePercent><>Value'
    name: kafka_network_socketserver_networkprocessoravgidlepercent
    type: GAUGE
  # How far the followers on this broker are behind their leaders, in messages.
  - pattern: 'kafka.server<type=ReplicaFetcherManager, name=MaxLag, clientId=Replica><>Value'
    name: kafka_server_replicafetchermanager_maxlag
    type: GAUGE
  - pattern: 'kafka.server<type=KafkaServer, name=BrokerState><>Value'
    name: kafka_server_kafkaserver_brokerstate
    type: GAUGE
  # The KRaft quorum, on controllers: the active controller (1 on exactly one node), offline partitions.
  - pattern: 'kafka.controller<type=KafkaController, name=(ActiveControllerCount|OfflinePartitionsCount|GlobalPartitionCount|GlobalTopicCount|PreferredReplicaImbalanceCount|ActiveBrokerCount|FencedBrokerCount)><>Value'
    name: kafka_controller_kafkacontroller_$1
    type: GAUGE
  - pattern: 'kafka.controller<type=ControllerStats, name=UncleanLeaderElectionsPerSec><>Count'
    name: kafka_controller_controllerstats_uncleanleaderelections_total
    type: COUNTER
  - pattern: 'kafka.server<type=raft-metrics><>(current-leader|current-epoch|high-watermark|log-end-offset|commit-latency-avg|commit-latency-max)'
    name: kafka_server_raftmetrics_$1
    type: GAUGE
`;
