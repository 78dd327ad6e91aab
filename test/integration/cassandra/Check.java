// A CQL client's view of the ring run.sh started: connects with the datacenter from `connection`,
// writes and reads a row in a NetworkTopologyStrategy keyspace at the given consistency, and prints
// every node's datacenter and rack as the driver discovered them from system.peers.
// With `write <n>` it also writes rows 0..n-1 of it.rows at that consistency; with `verify <n>` it
// reads each of them back at that consistency and prints how many it found (rows=<found>/<n>); with
// `system 0` it sets the replication of system_auth, system_distributed and system_traces to
// NetworkTopologyStrategy with the given factor, as docs/engines/cassandra.md tells users to.
// With `login 0` it only logs in and reads system.local (login=ok), or prints why it was refused
// (refused=<exception>) and exits 3: the checks of who may connect.
// Credentials and TLS, as an app gets them from connectionEnv(): CHECK_USER and CHECK_PASSWORD (none:
// no authenticator), CHECK_CA (a PEM CA file: TLS, verifying the node's certificate; none: plaintext).
// Runs as a single-file source program against the driver that cassandra-all ships (3.x).
//   usage: java -cp '<lib>/*' Check.java <contact-point> <datacenter> <replication-factor> <consistency> [write|verify|system|login <n>]
import com.datastax.driver.core.Cluster;
import com.datastax.driver.core.ConsistencyLevel;
import com.datastax.driver.core.Host;
import com.datastax.driver.core.PreparedStatement;
import com.datastax.driver.core.RemoteEndpointAwareJdkSSLOptions;
import com.datastax.driver.core.ResultSetFuture;
import com.datastax.driver.core.Row;
import com.datastax.driver.core.Session;
import com.datastax.driver.core.SimpleStatement;
import com.datastax.driver.core.policies.DCAwareRoundRobinPolicy;
import java.io.FileInputStream;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

public class Check {
  /** An SSLContext that trusts the CA of a PEM file. */
  static SSLContext trusting(String caFile) throws Exception {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    try (FileInputStream in = new FileInputStream(caFile)) {
      int i = 0;
      for (Certificate ca : CertificateFactory.getInstance("X.509").generateCertificates(in)) { trust.setCertificateEntry("ca" + i++, ca); }
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }

  public static void main(String[] args) throws Exception {
    String host = args[0];
    String datacenter = args[1];
    int rf = Integer.parseInt(args[2]);
    ConsistencyLevel consistency = ConsistencyLevel.valueOf(args[3]);
    String mode = args.length > 5 ? args[4] : "";
    int n = args.length > 5 ? Integer.parseInt(args[5]) : 0;
    Cluster.Builder builder = Cluster.builder()
            .addContactPoint(host)
            .withPort(9042)
            .withoutMetrics()
            .withoutJMXReporting()
            .withLoadBalancingPolicy(DCAwareRoundRobinPolicy.builder().withLocalDc(datacenter).build());
    String user = System.getenv("CHECK_USER");
    if (user != null && !user.isEmpty()) { builder.withCredentials(user, System.getenv("CHECK_PASSWORD")); }
    String ca = System.getenv("CHECK_CA");
    if (ca != null && !ca.isEmpty()) { builder.withSSL(RemoteEndpointAwareJdkSSLOptions.builder().withSSLContext(trusting(ca)).build()); }
    if (mode.equals("login")) {
      try (Cluster cluster = builder.build(); Session session = cluster.connect()) {
        Row local = session.execute("SELECT release_version FROM system.local").one();
        System.out.println("login=ok user=" + (user == null ? "<none>" : user) + " tls=" + (ca != null) + " release=" + local.getString("release_version"));
      } catch (RuntimeException e) {
        String why = String.valueOf(e.getMessage());
        if (e instanceof com.datastax.driver.core.exceptions.NoHostAvailableException) {
          why = ((com.datastax.driver.core.exceptions.NoHostAvailableException) e).getErrors().values().toString();
        }
        System.out.println("refused=" + e.getClass().getSimpleName() + ": " + why);
        System.exit(3);
      }
      return;
    }
    try (Cluster cluster = builder.build();
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
        // The address as a number: with TLS the driver also resolves a name (localhost/127.0.0.1).
        System.out.println("host=/" + h.getAddress().getHostAddress() + " dc=" + h.getDatacenter() + " rack=" + h.getRack()
            + " version=" + h.getCassandraVersion() + " up=" + h.isUp());
      }
      System.out.println("cluster=" + cluster.getMetadata().getClusterName());
    }
  }
}
