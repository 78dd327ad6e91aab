// A CQL client's view of the node run.sh started: connects with the datacenter from `connection`,
// writes and reads a row in a NetworkTopologyStrategy keyspace, prints the node's datacenter and rack.
// Runs as a single-file source program against the driver that cassandra-all ships (3.x).
import com.datastax.driver.core.Cluster;
import com.datastax.driver.core.Host;
import com.datastax.driver.core.Row;
import com.datastax.driver.core.Session;
import com.datastax.driver.core.policies.DCAwareRoundRobinPolicy;

public class Check {
  public static void main(String[] args) {
    String host = args[0];
    String datacenter = args[1];
    try (Cluster cluster = Cluster.builder()
            .addContactPoint(host)
            .withPort(9042)
            .withoutMetrics()
            .withoutJMXReporting()
            .withLoadBalancingPolicy(DCAwareRoundRobinPolicy.builder().withLocalDc(datacenter).build())
            .build();
         Session session = cluster.connect()) {
      session.execute("CREATE KEYSPACE IF NOT EXISTS it WITH replication = {'class': 'NetworkTopologyStrategy', '"
          + datacenter + "': 1}");
      session.execute("CREATE TABLE IF NOT EXISTS it.kv (k text PRIMARY KEY, v text)");
      session.execute("INSERT INTO it.kv (k, v) VALUES ('hello', 'ring')");
      Row row = session.execute("SELECT v FROM it.kv WHERE k = 'hello'").one();
      System.out.println("value=" + (row == null ? "<none>" : row.getString("v")));
      for (Host h : cluster.getMetadata().getAllHosts()) {
        System.out.println("host=" + h.getBroadcastRpcAddress() + " dc=" + h.getDatacenter() + " rack=" + h.getRack()
            + " version=" + h.getCassandraVersion() + " up=" + h.isUp());
      }
      System.out.println("cluster=" + cluster.getMetadata().getClusterName());
    }
  }
}
