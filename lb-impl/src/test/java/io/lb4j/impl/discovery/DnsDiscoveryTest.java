package io.lb4j.impl.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.DiscoveredHost;
import io.lb4j.api.Host;
import io.lb4j.api.HostSource;
import io.lb4j.api.HostSource.Failure;
import io.lb4j.testkit.dns.Dnsmasq;
import io.lb4j.testkit.junit.Closer;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * DNS discovery against a real DNS server, dnsmasq on a loopback port, whose records each test
 * writes and changes: what is published for A/AAAA and SRV records, how SRV priorities and weights
 * are read, when lookups run again, and how each kind of failure is reported.
 */
@Timeout(120)
class DnsDiscoveryTest {

  private static final String SERVICE = "_echo._tcp." + Dnsmasq.DOMAIN;
  private static final String NAME = "api." + Dnsmasq.DOMAIN;

  @RegisterExtension final Closer closer = new Closer();

  /** What a source told lb4j, in order. */
  static final class RecordingSink implements HostSource.Sink {
    final List<List<DiscoveredHost>> sets = new CopyOnWriteArrayList<>();
    final List<String> failures = new CopyOnWriteArrayList<>();
    final List<Failure> kinds = new CopyOnWriteArrayList<>();

    @Override
    public void publish(List<DiscoveredHost> hosts) {
      sets.add(List.copyOf(hosts));
    }

    @Override
    public void failed(Failure failure, String detail) {
      kinds.add(failure);
      failures.add(detail);
    }

    List<DiscoveredHost> last() {
      return sets.isEmpty() ? null : sets.get(sets.size() - 1);
    }
  }

  private RecordingSink watch(DnsDiscovery source) {
    RecordingSink sink = new RecordingSink();
    closer.track(source.watch("test", sink));
    return sink;
  }

  private static DnsDiscovery.Builder srv(Dnsmasq dns) {
    return DnsDiscovery.srv(SERVICE).resolvers(List.of(dns.address())).queryTimeout(Duration.ofMillis(500));
  }

  private static DnsDiscovery.Builder addresses(Dnsmasq dns, int port) {
    return DnsDiscovery.addresses(Host.of(NAME, port))
        .resolvers(List.of(dns.address()))
        .queryTimeout(Duration.ofMillis(500));
  }

  private static DiscoveredHost host(String ip, int port, int weight, String origin) {
    return new DiscoveredHost(Host.of(ip, port), weight, origin);
  }

  @Test
  void srvRecordsOfTheLowestPriorityBecomeHostsWithTheirWeightsAndTargets() throws Exception {
    Dnsmasq.Zone zone = new Dnsmasq.Zone()
        .address("t1." + Dnsmasq.DOMAIN, "127.0.0.1")
        .address("t2." + Dnsmasq.DOMAIN, "127.0.0.2", "127.0.0.3")
        .address("backup." + Dnsmasq.DOMAIN, "127.0.0.9")
        .srv(SERVICE, "t1." + Dnsmasq.DOMAIN, 7001, 10, 20)
        .srv(SERVICE, "t2." + Dnsmasq.DOMAIN, 7002, 10, 60)
        .srv(SERVICE, "backup." + Dnsmasq.DOMAIN, 7009, 20, 1);
    Dnsmasq dns = closer.track(Dnsmasq.start(zone));

    RecordingSink sink = watch(srv(dns).build());

    await().until(() -> sink.last() != null);
    assertThat(sink.last())
        .containsExactlyInAnyOrder(
            host("127.0.0.1", 7001, 20, "t1.lb4j.test"),
            host("127.0.0.2", 7002, 60, "t2.lb4j.test"),
            host("127.0.0.3", 7002, 60, "t2.lb4j.test"));
    assertThat(sink.failures).isEmpty();
  }

  @Test
  void aPriorityChangeMovesToTheNewLowestGroup() throws Exception {
    Dnsmasq.Zone zone = new Dnsmasq.Zone()
        .address("t1." + Dnsmasq.DOMAIN, "127.0.0.1")
        .address("t2." + Dnsmasq.DOMAIN, "127.0.0.2")
        .srv(SERVICE, "t1." + Dnsmasq.DOMAIN, 7001, 10, 1)
        .srv(SERVICE, "t2." + Dnsmasq.DOMAIN, 7002, 20, 1);
    Dnsmasq dns = closer.track(Dnsmasq.start(zone));
    RecordingSink sink = watch(srv(dns).minRefresh(Duration.ofMillis(200)).build());
    await().until(() -> sink.last() != null);
    assertThat(sink.last()).containsExactly(host("127.0.0.1", 7001, 1, "t1.lb4j.test"));

    dns.update(zone.noSrv(SERVICE)
        .srv(SERVICE, "t1." + Dnsmasq.DOMAIN, 7001, 30, 1)
        .srv(SERVICE, "t2." + Dnsmasq.DOMAIN, 7002, 20, 1));

    await().until(() -> sink.last().equals(List.of(host("127.0.0.2", 7002, 1, "t2.lb4j.test"))));
  }

  @Test
  void aGroupWhoseTargetsHaveNoAddressGivesWayToTheNextPriority() throws Exception {
    Dnsmasq.Zone zone = new Dnsmasq.Zone()
        .address("t2." + Dnsmasq.DOMAIN, "127.0.0.2")
        .srv(SERVICE, "gone." + Dnsmasq.DOMAIN, 7001, 10, 1)
        .srv(SERVICE, "t2." + Dnsmasq.DOMAIN, 7002, 20, 1);
    Dnsmasq dns = closer.track(Dnsmasq.start(zone));

    RecordingSink sink = watch(srv(dns).build());

    await().until(() -> sink.last() != null);
    assertThat(sink.last()).containsExactly(host("127.0.0.2", 7002, 1, "t2.lb4j.test"));
  }

  @Test
  void srvWeightsAboveTheHostRangeAreScaledKeepingTheirProportions() throws Exception {
    Dnsmasq.Zone zone = new Dnsmasq.Zone()
        .address("t1." + Dnsmasq.DOMAIN, "127.0.0.1")
        .address("t2." + Dnsmasq.DOMAIN, "127.0.0.2")
        .address("t3." + Dnsmasq.DOMAIN, "127.0.0.3")
        .srv(SERVICE, "t1." + Dnsmasq.DOMAIN, 7001, 1, 65535)
        .srv(SERVICE, "t2." + Dnsmasq.DOMAIN, 7002, 1, 16384)
        .srv(SERVICE, "t3." + Dnsmasq.DOMAIN, 7003, 1, 0);
    Dnsmasq dns = closer.track(Dnsmasq.start(zone));

    RecordingSink sink = watch(srv(dns).build());

    await().until(() -> sink.last() != null);
    assertThat(sink.last())
        .containsExactlyInAnyOrder(
            host("127.0.0.1", 7001, 256, "t1.lb4j.test"),
            host("127.0.0.2", 7002, 64, "t2.lb4j.test"),
            host("127.0.0.3", 7003, 1, "t3.lb4j.test"));
  }

  @Test
  void addressRecordsGiveOneHostPerAddressAtTheGivenPort() throws Exception {
    Dnsmasq dns = closer.track(Dnsmasq.start(new Dnsmasq.Zone().address(NAME, "127.0.0.2", "127.0.0.1", "::1")));

    RecordingSink sink = watch(addresses(dns, 8443).build());

    await().until(() -> sink.last() != null);
    assertThat(sink.last())
        .containsExactly(
            host("127.0.0.1", 8443, 1, NAME),
            host("127.0.0.2", 8443, 1, NAME),
            host("::1", 8443, 1, NAME));
  }

  @Test
  void aTtlOfOneSecondIsFollowedEvenWhenTheMaximumIsAnHour() throws Exception {
    Dnsmasq.Zone zone = new Dnsmasq.Zone().address(NAME, "127.0.0.1").ttl(1);
    Dnsmasq dns = closer.track(Dnsmasq.start(zone));
    RecordingSink sink = watch(
        addresses(dns, 80).minRefresh(Duration.ofMillis(100)).maxRefresh(Duration.ofHours(1)).build());
    await().until(() -> sink.last() != null);

    dns.update(zone.address(NAME, "127.0.0.1", "127.0.0.2"));

    await().atMost(Duration.ofSeconds(20)).until(() -> sink.last().size() == 2);
    assertThat(sink.failures).isEmpty();
  }

  @Test
  void aFixedRefreshOverridesTheTtl() throws Exception {
    Dnsmasq.Zone zone = new Dnsmasq.Zone().address(NAME, "127.0.0.1").ttl(3600);
    Dnsmasq dns = closer.track(Dnsmasq.start(zone));
    RecordingSink sink = watch(addresses(dns, 80).refresh(Duration.ofMillis(300)).build());
    await().until(() -> sink.last() != null);

    dns.update(zone.address(NAME, "127.0.0.3"));

    await().until(() -> sink.last().equals(List.of(host("127.0.0.3", 80, 1, NAME))));
  }

  @Test
  void anUnknownNameIsReportedAsNotFound() throws Exception {
    Dnsmasq dns = closer.track(Dnsmasq.start(new Dnsmasq.Zone().address("other." + Dnsmasq.DOMAIN, "127.0.0.1")));

    RecordingSink sink = watch(addresses(dns, 80).build());

    await().until(() -> !sink.failures.isEmpty());
    assertThat(sink.kinds.get(0)).isEqualTo(Failure.NOT_FOUND);
    assertThat(sink.failures.get(0)).isEqualTo("A " + NAME + ": NXDOMAIN from " + Host.of("127.0.0.1", dns.address().getPort()));
    assertThat(sink.sets).isEmpty();
  }

  @Test
  void aNameWithoutSrvRecordsIsReportedAsEmpty() throws Exception {
    // The name exists, with an A record: the SRV question gets an answer with no record.
    Dnsmasq dns = closer.track(Dnsmasq.start(new Dnsmasq.Zone().address(NAME, "127.0.0.1")));

    RecordingSink sink = watch(DnsDiscovery.srv(NAME).resolvers(List.of(dns.address())).build());

    await().until(() -> !sink.failures.isEmpty());
    assertThat(sink.kinds.get(0)).isEqualTo(Failure.EMPTY);
    assertThat(sink.failures.get(0)).isEqualTo("SRV " + NAME + ": no SRV record");
  }

  @Test
  void servfailIsReportedAsAServerFailure() throws Exception {
    Dnsmasq dns = closer.track(Dnsmasq.start(new Dnsmasq.Zone().address(NAME, "127.0.0.1")));
    dns.serveFailures();

    RecordingSink sink = watch(addresses(dns, 80).build());

    await().until(() -> !sink.failures.isEmpty());
    assertThat(sink.kinds.get(0)).isEqualTo(Failure.SERVER_FAILURE);
    assertThat(sink.failures.get(0)).contains("SERVFAIL from 127.0.0.1:" + dns.address().getPort());
  }

  @Test
  void aServerThatDoesNotAnswerIsATimeoutAndLookupsGoOnUntilItAnswers() throws Exception {
    Dnsmasq.Zone zone = new Dnsmasq.Zone().address(NAME, "127.0.0.1");
    Dnsmasq dns = closer.track(Dnsmasq.start(zone));
    dns.stop();

    RecordingSink sink = watch(addresses(dns, 80).minRefresh(Duration.ofMillis(100)).maxRefresh(Duration.ofMillis(400)).build());
    await().until(() -> !sink.failures.isEmpty());
    assertThat(sink.kinds.get(0)).isEqualTo(Failure.TIMEOUT);
    assertThat(sink.failures.get(0)).contains("no answer from 127.0.0.1:" + dns.address().getPort() + " within 500 ms");

    dns.restart();

    await().until(() -> sink.last() != null);
    assertThat(sink.last()).containsExactly(host("127.0.0.1", 80, 1, NAME));
  }

  @Test
  void theNextResolverIsAskedWhenOneDoesNotAnswer() throws Exception {
    Dnsmasq dns = closer.track(Dnsmasq.start(new Dnsmasq.Zone().address(NAME, "127.0.0.1")));
    InetSocketAddress silent;
    try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      silent = new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort());
    }

    RecordingSink sink = watch(addresses(dns, 80).resolvers(List.of(silent, dns.address())).build());

    await().until(() -> sink.last() != null);
    assertThat(sink.last()).containsExactly(host("127.0.0.1", 80, 1, NAME));
    assertThat(sink.failures).isEmpty();
  }

  @Test
  void anAnswerTooLargeForUdpIsAskedAgainOverTcp() throws Exception {
    // 200 A records make an answer of about 3.2 KB; dnsmasq sends at most 1232 bytes over UDP.
    List<String> ips = new ArrayList<>();
    for (int i = 1; i <= 200; i++) {
      ips.add("127.0." + (i / 250) + "." + (i % 250 + 1));
    }
    Dnsmasq dns = closer.track(Dnsmasq.start(
        new Dnsmasq.Zone().address(NAME, ips.toArray(String[]::new)).ednsPacketMax(1232)));

    RecordingSink sink = watch(addresses(dns, 80).build());

    await().until(() -> sink.last() != null);
    assertThat(sink.last()).hasSize(200);
    assertThat(sink.last()).extracting(h -> h.host().name()).containsExactlyInAnyOrderElementsOf(ips);
  }

  @Test
  void sourcesWithTheSameSettingsAreEqual() {
    InetSocketAddress resolver = new InetSocketAddress("127.0.0.1", 53);
    assertThat(DnsDiscovery.srv(SERVICE + ".").resolvers(List.of(resolver)).build())
        .isEqualTo(DnsDiscovery.srv(SERVICE.toUpperCase(java.util.Locale.ROOT)).resolvers(List.of(resolver)).build())
        .isNotEqualTo(DnsDiscovery.srv(SERVICE).build())
        .hasToString("srv " + SERVICE);
  }

  @Test
  void weightsOfAGroupWithinRangeAreKeptAndZeroCountsAsOne() {
    assertThat(DnsWatch.weight(0, 256)).isEqualTo(1);
    assertThat(DnsWatch.weight(256, 256)).isEqualTo(256);
    assertThat(DnsWatch.weight(1, 65535)).isEqualTo(1);
    assertThat(DnsWatch.weight(65535, 65535)).isEqualTo(256);
  }
}
