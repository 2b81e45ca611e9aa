package com.example.lb;

import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.api.BalancingStrategy;
import io.lb4j.api.BalancingStrategy.Candidates;
import io.lb4j.api.ClientIdentity;
import io.lb4j.api.ConnectionInfo;
import io.lb4j.api.Host;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The strategy alone, over candidate lists built by the test. */
class ClientAffinityTest {

  private final BalancingStrategy strategy = ClientAffinity.byIdentity();

  private static final List<Host> FIVE =
      IntStream.rangeClosed(1, 5).mapToObj(i -> Host.of("10.0.0." + i, 8443)).toList();

  @Test
  void sameClientGetsSameHostEveryTime() {
    ConnectionInfo alice = connection("alice");

    Host first = pick(FIVE, alice);

    for (int i = 0; i < 100; i++) {
      assertThat(pick(FIVE, alice)).isEqualTo(first);
    }
  }

  @Test
  void differentClientsSpreadOverAllHosts() {
    Map<Host, Integer> clientsPerHost = new HashMap<>();
    for (int i = 0; i < 1000; i++) {
      clientsPerHost.merge(pick(FIVE, connection("client-" + i)), 1, Integer::sum);
    }

    // 200 each on average; a fair hash stays well inside these bounds for 1000 keys.
    assertThat(clientsPerHost).hasSize(5);
    assertThat(clientsPerHost.values()).allSatisfy(n -> assertThat(n).isBetween(140, 260));
  }

  @Test
  void removingAHostMovesOnlyItsClients() {
    Host removed = FIVE.get(2);
    List<Host> four = new ArrayList<>(FIVE);
    four.remove(removed);

    int moved = 0;
    for (int i = 0; i < 1000; i++) {
      ConnectionInfo client = connection("client-" + i);
      Host before = pick(FIVE, client);
      Host after = pick(four, client);
      if (before.equals(removed)) {
        assertThat(after).isNotEqualTo(removed);
        moved++;
      } else {
        assertThat(after).as("client-%d was not on the removed host", i).isEqualTo(before);
      }
    }
    assertThat(moved).isPositive();
  }

  @Test
  void aHostThatComesBackGetsItsClientsBack() {
    List<Host> four = FIVE.subList(1, 5);

    for (int i = 0; i < 200; i++) {
      ConnectionInfo client = connection("client-" + i);
      Host before = pick(FIVE, client);
      pick(four, client);
      assertThat(pick(FIVE, client)).isEqualTo(before);
    }
  }

  @Test
  void orderOfCandidatesDoesNotMatter() {
    List<Host> reversed = new ArrayList<>(FIVE);
    java.util.Collections.reverse(reversed);

    for (int i = 0; i < 200; i++) {
      ConnectionInfo client = connection("client-" + i);
      assertThat(pick(reversed, client)).isEqualTo(pick(FIVE, client));
    }
  }

  @Test
  void clientsWithoutCertificateAreKeyedByAddress() {
    Map<String, Host> byAddress = new HashMap<>();
    for (int i = 1; i <= 200; i++) {
      String address = "192.168.0." + i;
      Host first = pick(FIVE, anonymous(address, 40000));
      // Another connection from the same address, from another source port.
      assertThat(pick(FIVE, anonymous(address, 40001))).isEqualTo(first);
      byAddress.put(address, first);
    }
    assertThat(byAddress.values()).containsAll(FIVE);
  }

  @Test
  void singleCandidateIsChosen() {
    assertThat(pick(List.of(FIVE.get(0)), connection("alice"))).isEqualTo(FIVE.get(0));
  }

  private Host pick(List<Host> hosts, ConnectionInfo connection) {
    Candidates candidates = new ListCandidates(hosts);
    int index = strategy.choose(candidates, connection);
    assertThat(index).isBetween(0, hosts.size() - 1);
    return hosts.get(index);
  }

  private static ConnectionInfo connection(String commonName) {
    ClientIdentity identity = new ClientIdentity(
        commonName, List.of(), List.of(), List.of(), "00", Instant.MAX);
    return new ConnectionInfo(1, new InetSocketAddress("127.0.0.1", 40000),
        new InetSocketAddress("127.0.0.1", 9443), "api", identity);
  }

  private static ConnectionInfo anonymous(String address, int port) {
    return new ConnectionInfo(1, new InetSocketAddress(address, port),
        new InetSocketAddress("127.0.0.1", 9443), "api", ClientIdentity.ANONYMOUS);
  }

  /** Candidates as lb4j shows them, over a fixed list; every host idle. */
  private record ListCandidates(List<Host> hosts) implements Candidates {
    @Override
    public int size() {
      return hosts.size();
    }

    @Override
    public Host host(int index) {
      return hosts.get(index);
    }

    @Override
    public int activeConnections(int index) {
      return 0;
    }

    @Override
    public int leastLoaded() {
      return 0;
    }
  }
}
