// A CQL client's view of the ring run.sh started: connects with the datacenter from `connection`,
// writes and reads a row in a NetworkTopologyStrategy keyspace at the given consistency, and prints
// every node's datacenter and rack as the driver discovered them from system.peers.
// With `write <n>` it also writes rows 0..n-1 of it.rows at that consistency; with `verify <n>` it
// reads each of them back at that consistency and prints how many it found (rows=<found>/<n>); with
// `system 0` it sets the replication of system_auth, system_distributed and system_traces to
// NetworkTopologyStrategy with the given factor, as docs/engines/cassandra.md tells users to.
// Runs as a single-file source program against the driver that cassandra-all ships (3.x).
//   usage: java -cp '<lib>/*' Check.java <contact-point> <datacenter> <replication-factor> <consistency> [write|verify|system <n>]
import com.datastax.driver.core.Cluster;
import com.datastax.driver.core.ConsistencyLevel;
import com.datastax.driver.core.Host;
import com.datastax.driver.core.PreparedStatement;
import com.datastax.driver.core.ResultSetFuture;
import com.datastax.driver.core.Row;
import com.datastax.driver.core.Session;
import com.datastax.driver.core.SimpleStatement;
import com.datastax.driver.core.policies.DCAwareRoundRobinPolicy;
import java.util.ArrayList;
import java.util.List;

public class Check {
  public static void main(String[] args) {
    String host = args[0];
    String datacenter = args[1];
    int rf = Integer.parseInt(args[2]);
    ConsistencyLevel consistency = ConsistencyLevel.valueOf(args[3]);
    String mode = args.length > 5 ? args[4] : "";
    int n = args.length > 5 ? Integer.parseInt(args[5]) : 0;
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
      if (mode.equals("system")) {
        for (String keyspace : new String[] {"system_auth", "system_distributed", "system_traces"}) {
          session.execute("ALTER KEYSPACE " + keyspace + " WITH replication = {'class': 'NetworkTopologyStrategy', '"
              + datacenter + "': " + rf + "}");
          System.out.println("altered=" + keyspace);
        }
      } else if (mode.equals("write")) {
        session.execute("CREATE TABLE IF NOT EXISTS it.rows (k int PRIMARY KEY, v text)");
        PreparedStatement insert = session.prepare("INSERT INTO it.rows (k, v) VALUES (?, ?)");
        insert.setConsistencyLevel(consistency);
        List<ResultSetFuture> pending = new ArrayList<>();
        for (int k = 0; k < n; k++) {
          pending.add(session.executeAsync(insert.bind(k, "row-" + k)));
          if (pending.size() == 64) { for (ResultSetFuture f : pending) { f.getUninterruptibly(); } pending.clear(); }
        }
        for (ResultSetFuture f : pending) { f.getUninterruptibly(); }
        System.out.println("written=" + n);
      } else if (mode.equals("verify")) {
        PreparedStatement select = session.prepare("SELECT v FROM it.rows WHERE k = ?");
        select.setConsistencyLevel(consistency);
        int found = 0;
        List<ResultSetFuture> pending = new ArrayList<>();
        List<Integer> keys = new ArrayList<>();
        for (int k = 0; k < n; k++) {
          pending.add(session.executeAsync(select.bind(k)));
          keys.add(k);
          if (pending.size() == 64 || k == n - 1) {
            for (int i = 0; i < pending.size(); i++) {
              Row r = pending.get(i).getUninterruptibly().one();
              if (r != null && ("row-" + keys.get(i)).equals(r.getString("v"))) { found++; }
            }
            pending.clear();
            keys.clear();
          }
        }
        System.out.println("rows=" + found + "/" + n);
      }
      for (Host h : cluster.getMetadata().getAllHosts()) {
        System.out.println("host=" + h.getAddress() + " dc=" + h.getDatacenter() + " rack=" + h.getRack()
            + " version=" + h.getCassandraVersion() + " up=" + h.isUp());
      }
      System.out.println("cluster=" + cluster.getMetadata().getClusterName());
    }
  }
}
