package io.lb4j.impl.pool;

import io.lb4j.api.ClientIdentity;
import io.lb4j.api.ConnectionInfo;
import io.lb4j.api.Host;
import io.lb4j.impl.balancing.HostStatus;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/** Shared bits of the pool's and the strategies' tests. */
public final class Pools {

  public static final ConnectionInfo CONNECTION =
      new ConnectionInfo(
          1,
          InetSocketAddress.createUnresolved("client.test", 40000),
          InetSocketAddress.createUnresolved("lb.test", 8443),
          "api",
          ClientIdentity.ANONYMOUS);

  private Pools() {}

  /** Returns {@code n} distinct hosts 10.0.0.1:7000, 10.0.0.1:7001, … */
  public static List<Host> hosts(int n) {
    List<Host> hosts = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      hosts.add(Host.of("10.0.0.1", 7000 + i));
    }
    return hosts;
  }

  /** Acquires {@code n} leases, failing if the pool has no host. */
  public static List<Lease> acquire(HostPool pool, int n) {
    List<Lease> leases = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Lease lease = pool.acquire(CONNECTION);
      if (lease == null) {
        throw new AssertionError("no host for lease " + i + " in " + pool);
      }
      leases.add(lease);
    }
    return leases;
  }

  /** Returns the leases {@code host} holds in the pool's snapshot, 0 for a host it does not know. */
  public static int activeConnections(HostPool pool, Host host) {
    for (HostStatus s : pool.snapshot()) {
      if (s.host().equals(host)) {
        return s.activeConnections();
      }
    }
    return 0;
  }

  /** Returns the leases held over all hosts of the pool's snapshot, draining ones included. */
  public static int totalActiveConnections(HostPool pool) {
    int total = 0;
    for (HostStatus s : pool.snapshot()) {
      total += s.activeConnections();
    }
    return total;
  }
}
