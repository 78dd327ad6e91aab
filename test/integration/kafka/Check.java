// The client side of run.sh, on the Kafka Java client only (the same API in 3.x and 4.x).
//   create  BOOTSTRAP TOPIC BROKERS            wait for BROKERS brokers, create TOPIC (RF 3), wait for a full ISR
//   produce BOOTSTRAP TOPIC FROM COUNT FILE    send COUNT records with acks=all, append each acknowledged key to FILE
//   verify  BOOTSTRAP TOPIC FILE               read the topic from the beginning: every key in FILE must be there
//   isr     BOOTSTRAP TOPIC SIZE               wait until every partition has SIZE in-sync replicas
//   brokers BOOTSTRAP - COUNT                  wait until COUNT brokers are registered and unfenced
//   create-placed BOOTSTRAP TOPIC PLACEMENT    create TOPIC with replicas "3,4,0;4,3,1;..." (one list a partition), wait for a full ISR
//   produce-until BOOTSTRAP TOPIC FROM STOP FILE  send acks=all records one every 5 ms until the file STOP exists
//   health  BOOTSTRAP - GONE                   every partition of every topic: a leader, a full ISR, no replica on the ids GONE ("3,4");
//                                              prints the replicas each broker holds
//   refused BOOTSTRAP - CONFIG                 a client with the settings in the file CONFIG must be refused: exits 0 when
//                                              describing the cluster fails (printing why), 1 when it succeeds
// Every client takes its security settings (security.protocol, SASL, truststore) from the properties
// file IT_CLIENT_CONFIG when it is set: the client.properties the rendered start script writes.
// Every wait is bounded; a failure exits non-zero.
import java.nio.file.*;
import java.time.Duration;
import java.util.*;
import java.util.concurrent.*;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.*;
import org.apache.kafka.common.serialization.*;

public class Check {
  static final long DEADLINE_MS = 180_000;

  public static void main(String[] args) throws Exception {
    String mode = args[0], bootstrap = args[1], topic = args[2];
    switch (mode) {
      case "create": create(bootstrap, topic, Integer.parseInt(args[3])); break;
      case "produce": produce(bootstrap, topic, Integer.parseInt(args[3]), Integer.parseInt(args[4]), Paths.get(args[5])); break;
      case "verify": verify(bootstrap, topic, Paths.get(args[3])); break;
      case "isr": waitIsr(admin(bootstrap), topic, Integer.parseInt(args[3])); break;
      case "brokers": waitBrokers(bootstrap, Integer.parseInt(args[3])); break;
      case "create-placed": createPlaced(bootstrap, topic, args[3]); break;
      case "produce-until": produceUntil(bootstrap, topic, Integer.parseInt(args[3]), Paths.get(args[4]), Paths.get(args[5])); break;
      case "health": health(bootstrap, args[3]); break;
      case "refused": refused(bootstrap, Paths.get(args[3])); break;
      default: throw new IllegalArgumentException("unknown mode " + mode);
    }
  }

  /** The security settings of IT_CLIENT_CONFIG, if set. */
  static Properties base() throws Exception {
    Properties p = new Properties();
    String file = System.getenv("IT_CLIENT_CONFIG");
    if (file != null && !file.isEmpty()) {
      try (var in = Files.newInputStream(Paths.get(file))) { p.load(in); }
    }
    return p;
  }

  static void refused(String bootstrap, Path config) throws Exception {
    Properties p = new Properties();
    try (var in = Files.newInputStream(config)) { p.load(in); }
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15000);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
    long t0 = System.currentTimeMillis();
    try (Admin admin = Admin.create(p)) {
      Collection<Node> nodes = admin.describeCluster().nodes().get(20, TimeUnit.SECONDS);
      System.out.println("NOT refused: the client described " + nodes.size() + " brokers");
      System.exit(1);
    } catch (ExecutionException | TimeoutException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      System.out.println("refused after " + (System.currentTimeMillis() - t0) + " ms: " + cause.getClass().getSimpleName() + ": " + cause.getMessage());
    }
  }

  static Admin admin(String bootstrap) throws Exception {
    Properties p = base();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15000);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10000);
    return Admin.create(p);
  }

  static void create(String bootstrap, String topic, int brokers) throws Exception {
    try (Admin admin = admin(bootstrap)) {
      long end = System.currentTimeMillis() + DEADLINE_MS;
      while (true) {
        try {
          int n = admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).size();
          if (n == brokers) { break; }
          System.out.println("brokers registered: " + n);
        } catch (ExecutionException | TimeoutException e) {
          System.out.println("cluster not ready: " + e.getMessage());
        }
        if (System.currentTimeMillis() > end) { throw new IllegalStateException("the cluster never had " + brokers + " brokers"); }
        Thread.sleep(2000);
      }
      System.out.println("cluster id " + admin.describeCluster().clusterId().get() + ", " + brokers + " brokers");
      // Replication factor and min.insync.replicas come from the broker defaults the library renders.
      admin.createTopics(List.of(new NewTopic(topic, Optional.of(6), Optional.empty()))).all().get(60, TimeUnit.SECONDS);
      waitIsr(admin, topic, 3);
    }
  }

  static void waitBrokers(String bootstrap, int brokers) throws Exception {
    try (Admin admin = admin(bootstrap)) {
      long end = System.currentTimeMillis() + DEADLINE_MS;
      while (true) {
        try {
          Collection<Node> nodes = admin.describeCluster().nodes().get(10, TimeUnit.SECONDS);
          System.out.println("brokers registered: " + nodes.stream().map(Node::id).sorted().toList());
          if (nodes.size() == brokers) { return; }
        } catch (ExecutionException | TimeoutException e) {
          System.out.println("cluster not ready: " + e.getMessage());
        }
        if (System.currentTimeMillis() > end) { throw new IllegalStateException("the cluster never had " + brokers + " brokers"); }
        Thread.sleep(1000);
      }
    }
  }

  static void createPlaced(String bootstrap, String topic, String placement) throws Exception {
    Map<Integer, List<Integer>> assignment = new HashMap<>();
    String[] partitions = placement.split(";");
    for (int i = 0; i < partitions.length; i++) {
      assignment.put(i, Arrays.stream(partitions[i].split(",")).map(Integer::valueOf).toList());
    }
    try (Admin admin = admin(bootstrap)) {
      admin.createTopics(List.of(new NewTopic(topic, assignment))).all().get(60, TimeUnit.SECONDS);
      waitIsr(admin, topic, 3);
    }
  }

  static void health(String bootstrap, String goneList) throws Exception {
    Set<Integer> gone = new HashSet<>();
    for (String id : goneList.split(",")) { if (!id.isEmpty()) { gone.add(Integer.valueOf(id)); } }
    try (Admin admin = admin(bootstrap)) {
      Set<String> names = admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get(30, TimeUnit.SECONDS);
      Map<String, TopicDescription> topics = admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS);
      Map<Integer, Integer> held = new TreeMap<>();
      int partitions = 0, offline = 0, underReplicated = 0, onGone = 0;
      for (TopicDescription d : topics.values()) {
        for (TopicPartitionInfo p : d.partitions()) {
          partitions++;
          if (p.leader() == null || p.leader().id() < 0) { offline++; }
          if (p.isr().size() < p.replicas().size()) { underReplicated++; }
          for (Node r : p.replicas()) {
            held.merge(r.id(), 1, Integer::sum);
            if (gone.contains(r.id())) { onGone++; }
          }
        }
      }
      System.out.println(topics.size() + " topics, " + partitions + " partitions; replicas by broker " + held
        + "; offline " + offline + ", under-replicated " + underReplicated + ", on " + gone + ": " + onGone);
      if (offline > 0 || underReplicated > 0 || onGone > 0) { throw new IllegalStateException("unhealthy"); }
    }
  }

  static void waitIsr(Admin admin, String topic, int size) throws Exception {
    long end = System.currentTimeMillis() + DEADLINE_MS;
    while (true) {
      try {
        TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic);
        boolean ok = true;
        StringBuilder s = new StringBuilder();
        for (TopicPartitionInfo p : d.partitions()) {
          ok &= p.isr().size() == size && p.replicas().size() == 3 && p.leader() != null;
          s.append(" p").append(p.partition()).append(" leader=").append(p.leader() == null ? "none" : p.leader().id())
            .append(" isr=").append(p.isr().size());
        }
        System.out.println(topic + ":" + s);
        if (ok) { return; }
      } catch (ExecutionException | TimeoutException e) {
        System.out.println("describe failed: " + e.getMessage());
      }
      if (System.currentTimeMillis() > end) { throw new IllegalStateException("ISR never reached " + size); }
      Thread.sleep(2000);
    }
  }

  static void produce(String bootstrap, String topic, int from, int count, Path file) throws Exception {
    Properties p = base();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60000);
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15000);
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30000);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    List<String> acked = Collections.synchronizedList(new ArrayList<>());
    int[] failed = {0};
    try (Producer<String, String> producer = new KafkaProducer<>(p)) {
      for (int i = from; i < from + count; i++) {
        String key = "k" + i;
        producer.send(new ProducerRecord<>(topic, key, "value-" + i), (md, e) -> {
          if (e == null) { acked.add(key); } else { synchronized (failed) { failed[0]++; } }
        });
      }
      producer.flush();
    }
    Files.write(file, acked, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    System.out.println("acknowledged " + acked.size() + " of " + count + ", failed " + failed[0]);
    if (acked.isEmpty()) { throw new IllegalStateException("no write was acknowledged"); }
  }

  static void produceUntil(String bootstrap, String topic, int from, Path stop, Path file) throws Exception {
    Properties p = base();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60000);
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15000);
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30000);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    List<String> acked = Collections.synchronizedList(new ArrayList<>());
    int[] failed = {0};
    int sent = 0;
    long started = System.currentTimeMillis();
    try (Producer<String, String> producer = new KafkaProducer<>(p)) {
      for (int i = from; !Files.exists(stop) && System.currentTimeMillis() - started < DEADLINE_MS * 3; i++) {
        String key = "k" + i;
        producer.send(new ProducerRecord<>(topic, key, "value-" + i), (md, e) -> {
          if (e == null) { acked.add(key); } else { synchronized (failed) { failed[0]++; } }
        });
        sent++;
        Thread.sleep(5);
      }
      producer.flush();
    }
    Files.write(file, acked, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    System.out.println("sent " + sent + " over " + (System.currentTimeMillis() - started) / 1000 + " s: acknowledged " + acked.size() + ", failed " + failed[0]);
    if (acked.isEmpty()) { throw new IllegalStateException("no write was acknowledged"); }
  }

  static void verify(String bootstrap, String topic, Path file) throws Exception {
    Set<String> expected = new HashSet<>(Files.readAllLines(file));
    Properties p = base();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    Set<String> seen = new HashSet<>();
    try (Consumer<String, String> consumer = new KafkaConsumer<>(p)) {
      List<TopicPartition> parts = new ArrayList<>();
      for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
        parts.add(new TopicPartition(topic, info.partition()));
      }
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> endOffsets = consumer.endOffsets(parts, Duration.ofSeconds(30));
      long end = System.currentTimeMillis() + DEADLINE_MS;
      while (parts.stream().anyMatch(tp -> consumer.position(tp) < endOffsets.get(tp))) {
        if (System.currentTimeMillis() > end) { throw new IllegalStateException("could not read to the end of " + topic); }
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofSeconds(1))) {
          if (!r.value().equals("value-" + r.key().substring(1))) { throw new IllegalStateException("corrupt record " + r); }
          seen.add(r.key());
        }
      }
    }
    Set<String> missing = new TreeSet<>(expected);
    missing.removeAll(seen);
    System.out.println("acknowledged " + expected.size() + ", read " + seen.size() + ", missing " + missing.size());
    if (!missing.isEmpty()) {
      throw new IllegalStateException("acknowledged records lost: " + missing.stream().limit(20).toList());
    }
  }
}
