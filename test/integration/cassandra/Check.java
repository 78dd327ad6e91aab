// A CQL client's view of the ring run.sh started: connects with the datacenter from `connection`,
// writes and reads a row in a NetworkTopologyStrategy keyspace at the given consistency, and prints
// every node's datacenter and rack as the driver discovered them from system.peers.
// Runs as a single-file source program against the driver that cassandra-all ships (3.x).
//   usage: java -cp '<lib>/*' Check.java <contact-point> <datacenter> <replication-factor> <consistency>
import com.datastax.driver.core.Cluster;
import com.datastax.driver.core.ConsistencyLevel;
import com.datastax.driver.core.Host;
import com.datastax.driver.core.Row;
import com.datastax.driver.core.Session;
import com.datastax.driver.core.SimpleStatement;
import com.datastax.driver.core.policies.DCAwareRoundRobinPolicy;

public class Check {
  public static void main(String[] args) {
    String host = args[0];
    String datacenter = args[1];
    int rf = Integer.parseInt(args[2]);
    ConsistencyLevel consistency = ConsistencyLevel.valueOf(args[3]);
    try (Cluster cluster = Cluster.builder()
            .addContactPoint(host)
            .withPort(9042)
            .withoutMetrics()
            .withoutJMXReporting()
            .withLoadBalancingPolicy(DCAwareRoundRobinPolicy.builder().withLocalDc(datacenter).build())
            .build();
         Session session = cluster.connect()) {
      session.execute("CREATE KEYSPACE IF NOT EXISTS it WITH replication = {'class': 'NetworkTopologyStrategy', '"
          + datacenter + "': " + rf + "}");
      session.execute("CREATE TABLE IF NOT EXISTS it.kv (k text PRIMARY KEY, v text)");
      session.execute(new SimpleStatement("INSERT INTO it.kv (k, v) VALUES ('hello', 'ring')").setConsistencyLevel(consistency));
      Row row = session.execute(new SimpleStatement("SELECT v FROM it.kv WHERE k = 'hello'").setConsistencyLevel(consistency)).one();
      System.out.println("value=" + (row == null ? "<none>" : row.getString("v")));
      for (Host h : cluster.getMetadata().getAllHosts()) {
        System.out.println("host=" + h.getAddress() + " dc=" + h.getDatacenter() + " rack=" + h.getRack()
            + " version=" + h.getCassandraVersion() + " up=" + h.isUp());
      }
      System.out.println("cluster=" + cluster.getMetadata().getClusterName());
    }
  }
}
