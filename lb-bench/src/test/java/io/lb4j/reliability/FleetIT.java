package io.lb4j.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.bench.soak.CheckedStreams;
import io.lb4j.bench.soak.StreamResult;
import io.lb4j.bench.soak.StreamResult.Outcome;
import io.lb4j.testkit.junit.Peers;
import io.lb4j.testkit.redis.RedisCluster;
import io.lb4j.testkit.redis.RedisNode;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet: three reference-server processes sharing one Redis Cluster (three masters, a replica
 * each), whose clients (several mTLS identities, each with a {@code maxConcurrent} cap) spread
 * long-lived checked streams over all three. Then a fault: one server killed with SIGKILL, or the
 * Redis master of a client's keys killed. Each client counts its own admitted-and-open
 * connections (exact: a connection counts from its first echoed round until its stream ends, so
 * the count can lag the servers' but never exceed it); that count must never pass the cap.
 * {@code failOpen: false}, so the cap holds through a Redis failover too and the decisions Redis
 * could not make are refusals of their own ({@code limiter_unavailable}).
 */
class FleetIT {

  private static final int SERVERS = 3;
  private static final int CAP = 4;
  private static final int CHUNK = 4 * 1024;
  private static final long MAX_STREAM = 64L * 1024 * 1024;
  private static final Duration PACE = Duration.ofMillis(50);
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration LEASE = Duration.ofSeconds(3);
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final String KEY_PREFIX = "fleet:";

  @TempDir Path dir;
  private RedisCluster cluster;
  private EchoUpstream host;
  private final List<ServerProcess> servers = new ArrayList<>();
  private final Map<String, SSLContext> identities = new LinkedHashMap<>();
  private Clients clients;

  @BeforeEach
  void setUp() throws Exception {
    Peers.assumeAvailable(RedisNode.binary().isPresent() && RedisNode.cliBinary().isPresent(),
        "redis-server", () -> "redis-server and redis-cli must be on the PATH");
    cluster = RedisCluster.start();
    host = Upstreams.echo();
    MutualTls mtls = new MutualTls(dir);
    for (int i = 0; i < Scale.of(3, 30); i++) {
      String cn = "tenant-" + i;
      identities.put(cn, mtls.pki.clientContext(mtls.pki.client(cn)));
    }
    for (int i = 1; i <= SERVERS; i++) {
      Path config = Files.writeString(dir.resolve("lb-" + i + ".yaml"), config("lb-" + i),
          StandardCharsets.UTF_8);
      servers.add(ServerProcess.launch(config, dir.resolve("lb-" + i + ".log")));
    }
    servers.forEach(s -> s.awaitStarted(true));
    clients = new Clients();
  }

  private String config(String instanceId) {
    String limits = identities.keySet().stream()
        .map(cn -> "    " + cn + ": {maxConcurrent: " + CAP + "}")
        .collect(Collectors.joining("\n"));
    return """
        tls:
          certificate: %s
          privateKey: %s
          clientCa: %s
        upstreams:
          - name: echo
            listen: 127.0.0.1:0
            hosts: [%s]
            allow: [%s]
        rateLimit:
          clients:
        %s
          redis:
            cluster: [%s]
            failOpen: false
            keyPrefix: "%s"
            commandTimeout: 5s
            leaseTime: %ds
            instanceId: %s
        admin:
          listen: 127.0.0.1:0
        """.formatted(dir.resolve("server.pem"), dir.resolve("server-key.pem"),
        dir.resolve("client-ca.pem"), host.host(), String.join(", ", identities.keySet()),
        limits, String.join(", ", cluster.seeds()), KEY_PREFIX, LEASE.toSeconds(), instanceId);
  }

  @AfterEach
  void tearDown() throws Exception {
    if (clients != null) {
      clients.close();
    }
    for (ServerProcess s : servers) {
      s.close();
    }
    if (host != null) {
      host.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void killedInstanceLosesOnlyItsOwnConnectionsAndItsSlotsReturnWithinTheLease() throws Exception {
    fillEveryIdentityToItsCap();
    Map<Integer, Long> perServer = clients.admittedOpen().stream()
        .collect(Collectors.groupingBy(c -> c.server, Collectors.counting()));
    int victim = perServer.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow()
        .getKey();
    List<Connection> onVictim = clients.admittedOpen().stream().filter(c -> c.server == victim)
        .toList();
    Map<String, Long> lostSlots = onVictim.stream()
        .collect(Collectors.groupingBy(c -> c.identity, Collectors.counting()));

    long killed = System.nanoTime();
    servers.get(victim).kill();
    for (Connection c : onVictim) {
      c.result.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    // Every identity opens connections on the two others until it holds its cap again: refused
    // while the dead instance's lease runs, admitted once it has lapsed.
    Map<String, Double> returnedAfter = new ConcurrentHashMap<>();
    AtomicInteger refusedMeanwhile = new AtomicInteger();
    List<Integer> alive = new ArrayList<>();
    for (int i = 0; i < SERVERS; i++) {
      if (i != victim) {
        alive.add(i);
      }
    }
    try (Parallel refill = Parallel.threads(identities.size(), "refill")) {
      List<Future<Object>> done = new ArrayList<>();
      for (String cn : identities.keySet()) {
        done.add(refill.submit(() -> {
          int attempt = 0;
          long deadline = System.nanoTime() + WAIT.toNanos();
          while (clients.held(cn) < CAP) {
            assertThat(System.nanoTime() - deadline).as("%s holds its cap again in time", cn)
                .isNegative();
            Connection c = clients.open(cn, alive.get(attempt++ % alive.size()));
            if (!c.admitted.get(WAIT.toSeconds(), TimeUnit.SECONDS)) {
              refusedMeanwhile.incrementAndGet();
              Thread.sleep(200);
            }
          }
          returnedAfter.put(cn, (System.nanoTime() - killed) / 1e9);
          return null;
        }));
      }
      Parallel.results(done, WAIT.plusSeconds(30));
    }

    for (String cn : identities.keySet()) {
      assertThat(clients.open(cn, alive.get(0)).admitted.get(WAIT.toSeconds(), TimeUnit.SECONDS))
          .as("%s, back at its cap across the fleet, is refused one more", cn).isFalse();
    }
    await("the surviving instances' gauges add up to what the clients hold").atMost(WAIT)
        .untilAsserted(() -> {
          List<String> scraped = new ArrayList<>();
          for (int i : alive) {
            scraped.add(servers.get(i).metrics());
          }
          for (String cn : identities.keySet()) {
            double sum = scraped.stream().mapToDouble(m -> ServerProcess.sum(m,
                "lb4j_ratelimit_client_connections", "client=\"" + cn + "\"",
                "scope=\"instance\"")).sum();
            assertThat(sum).as("%s's connections on the surviving instances", cn)
                .isEqualTo(clients.held(cn));
          }
        });

    List<Connection> all = clients.stopAll();
    long lost = 0;
    long verified = 0;
    int cut = 0;
    for (Connection c : all) {
      StreamResult r = c.result.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      if (!c.admitted.getNow(false)) {
        continue;
      }
      assertThat(r.failed()).as("stream of %s on lb-%d: %s", c.identity, c.server + 1, r)
          .isFalse();
      verified += r.bytesVerified();
      if (c.server == victim) {
        cut++;
      } else {
        assertThat(r.outcome()).as("stream of %s on lb-%d, a surviving instance: %s", c.identity,
            c.server + 1, r).isEqualTo(Outcome.COMPLETED);
        lost += r.bytesSent() - r.bytesVerified();
      }
    }
    assertThat(cut).isEqualTo(onVictim.size());
    assertThat(lost).as("bytes lost on the surviving instances").isZero();
    assertThat(clients.maxHeld()).as("most connections one identity held across the fleet")
        .isLessThanOrEqualTo(CAP);

    double slowest = returnedAfter.values().stream().mapToDouble(d -> d).max().orElseThrow();
    Figures.record("Fleet of three on a Redis Cluster: one instance killed (SIGKILL)",
        "%d identities with maxConcurrent %d (%d connection attempts, %d admitted); most held by"
            + " one identity across the fleet %d (cap %d); lb-%d killed holding %d connections"
            + " (slots lost per identity %s): every identity held its cap again after %.1f s at"
            + " most (lease %d s), %d attempts refused meanwhile; the surviving instances'"
            + " gauges matched the clients' counts; %d streams on the killed instance cut"
            + " intact, the others completed, %s verified, 0 bytes lost on the survivors",
        identities.size(), CAP, all.size(), all.stream().filter(c -> c.admitted.getNow(false))
            .count(), clients.maxHeld(), CAP, victim + 1, onVictim.size(), lostSlots, slowest,
        LEASE.toSeconds(), refusedMeanwhile.get(), cut, Figures.mib(verified));
    assertThat(lost).isZero();
  }

  @Test
  void redisMasterFailoverKeepsTheCapClosesDecisionsItCannotMakeAndTouchesNoStream()
      throws Exception {
    fillEveryIdentityToItsCap();
    // Each identity gives one slot back to a churner that takes it again and again.
    for (String cn : identities.keySet()) {
      clients.admittedOpen().stream().filter(c -> c.identity.equals(cn)).findFirst().orElseThrow()
          .stop.set(true);
    }
    await("each identity gave one slot back").atMost(WAIT).until(() ->
        identities.keySet().stream().allMatch(cn -> clients.held(cn) == CAP - 1));

    String first = identities.keySet().iterator().next();
    RedisNode master = cluster.masterOf(KEY_PREFIX + "{" + first + "}");
    List<String> affected = identities.keySet().stream()
        .filter(cn -> cluster.masterOf(KEY_PREFIX + "{" + cn + "}").port() == master.port())
        .toList();
    double unavailableBefore = refusals("limiter_unavailable");
    double limitedBefore = refusals("rate_limited");

    Map<String, List<Churn>> churns = new ConcurrentHashMap<>();
    AtomicBoolean churning = new AtomicBoolean(true);
    long killed;
    try (Parallel churners = Parallel.threads(identities.size(), "churn")) {
      List<Future<Object>> done = new ArrayList<>();
      for (String cn : identities.keySet()) {
        List<Churn> mine = new ArrayList<>();
        churns.put(cn, mine);
        done.add(churners.submit(() -> {
          int attempt = 0;
          long deadline = System.nanoTime() + Scale.time(WAIT).toNanos();
          while (churning.get() && System.nanoTime() < deadline) {
            Connection c = clients.open(cn, attempt++ % SERVERS, true);
            long at = System.nanoTime();
            boolean admitted = c.admitted.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            c.stop.set(true);
            StreamResult r = c.result.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(r.failed()).as("churned stream of %s: %s", cn, r).isFalse();
            synchronized (mine) {
              mine.add(new Churn(at, admitted));
            }
            Thread.sleep(100);
          }
          return null;
        }));
      }
      Thread.sleep(2_000);
      killed = System.nanoTime();
      master.kill();
      await("a replica takes over the killed master's slots").atMost(WAIT)
          .pollInterval(Duration.ofMillis(200))
          .until(() -> masterPortOrZero(KEY_PREFIX + "{" + first + "}") != master.port()
              && masterPortOrZero(KEY_PREFIX + "{" + first + "}") != 0);
      double promoted = (System.nanoTime() - killed) / 1e9;
      await("every identity is admitted again after the failover").atMost(Scale.time(WAIT))
          .until(() -> identities.keySet().stream().allMatch(cn ->
              admissionsAfter(churns.get(cn), killed) >= 2));
      churning.set(false);
      Parallel.results(done, WAIT.plusSeconds(30));

      double unavailable = refusals("limiter_unavailable") - unavailableBefore;
      double limited = refusals("rate_limited") - limitedBefore;
      List<Connection> all = clients.stopAll();
      long lost = 0;
      long verified = 0;
      int streams = 0;
      for (Connection c : all) {
        StreamResult r = c.result.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        if (!c.admitted.getNow(false) || c.churned) {
          continue;
        }
        streams++;
        assertThat(r.outcome()).as("long-lived stream of %s on lb-%d: %s", c.identity,
            c.server + 1, r).isEqualTo(Outcome.COMPLETED);
        lost += r.bytesSent() - r.bytesVerified();
        verified += r.bytesVerified();
      }
      assertThat(lost).as("bytes lost through the failover").isZero();
      assertThat(clients.maxHeld()).as("most connections one identity held across the fleet")
          .isLessThanOrEqualTo(CAP);

      StringBuilder window = new StringBuilder();
      for (String cn : identities.keySet()) {
        List<Churn> mine = churns.get(cn);
        synchronized (mine) {
          long recovered = mine.stream().filter(ch -> ch.at > killed && ch.admitted)
              .mapToLong(ch -> ch.at).min().orElseThrow();
          long refused = mine.stream().filter(ch -> ch.at > killed && ch.at < recovered).count();
          window.append(String.format(Locale.ROOT, "%s: admitted again %.1f s after the kill,"
              + " %d attempts refused before; ", cn, (recovered - killed) / 1e9, refused));
        }
      }
      int attempts = churns.values().stream().mapToInt(List::size).sum();
      long admitted = churns.values().stream().flatMap(List::stream).filter(ch -> ch.admitted)
          .count();
      Figures.record("Fleet of three on a Redis Cluster: a Redis master killed (failOpen false)",
          "%d identities with maxConcurrent %d, %d of them (%s) on the killed master; most held"
              + " by one identity across the fleet %d (cap %d); a replica took the slots %.1f s"
              + " after the kill; %s%d churned decisions in all, %d admitted, %.0f refused"
              + " limiter_unavailable (closed, none open), %.0f rate_limited; %d long-lived streams all completed,"
              + " %s verified, 0 bytes lost",
          identities.size(), CAP, affected.size(), affected, clients.maxHeld(), CAP, promoted,
          window, attempts, admitted, unavailable, limited, streams, Figures.mib(verified));
    }
  }

  private record Churn(long at, boolean admitted) {}

  private static long admissionsAfter(List<Churn> churns, long since) {
    synchronized (churns) {
      return churns.stream().filter(c -> c.at > since && c.admitted).count();
    }
  }

  private int masterPortOrZero(String key) {
    try {
      return cluster.masterOf(key).port();
    } catch (RuntimeException e) {
      return 0;
    }
  }

  /** The refusals of every running server with {@code outcome}, summed. */
  private double refusals(String outcome) throws IOException {
    double total = 0;
    for (ServerProcess s : servers) {
      if (s.process().isAlive()) {
        total += ServerProcess.sum(s.metrics(), "lb4j_connections_total",
            "outcome=\"" + outcome + "\"");
      }
    }
    return total;
  }

  /**
   * Every identity sends twice its cap of connection attempts at once, spread over the three
   * servers: exactly its cap must be admitted, the rest refused.
   */
  private void fillEveryIdentityToItsCap() throws Exception {
    List<Connection> attempts = new ArrayList<>();
    for (int i = 0; i < 2 * CAP; i++) {
      for (String cn : identities.keySet()) {
        attempts.add(clients.open(cn, i % SERVERS));
      }
    }
    for (Connection c : attempts) {
      c.admitted.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }
    for (String cn : identities.keySet()) {
      assertThat(attempts.stream().filter(c -> c.identity.equals(cn) && c.admitted.getNow(false)))
          .as("%s's admitted connections of %d concurrent attempts", cn, 2 * CAP).hasSize(CAP);
    }
  }

  /** One connection attempt of an identity to one server, streaming once admitted. */
  private static final class Connection {
    final String identity;
    final int server;
    final boolean churned;
    final CompletableFuture<Boolean> admitted = new CompletableFuture<>();
    final AtomicBoolean stop = new AtomicBoolean();
    Future<StreamResult> result;

    Connection(String identity, int server, boolean churned) {
      this.identity = identity;
      this.server = server;
      this.churned = churned;
    }
  }

  /**
   * The clients' side: opens connections, streams checked bytes at a slow pace on those admitted
   * (admitted means their first round came back), and counts per identity the admitted
   * connections still open, with the highest count seen.
   */
  private final class Clients implements AutoCloseable {
    private final Parallel threads = Parallel.threads(Scale.of(3, 30) * CAP * 8, "fleet");
    private final List<Connection> connections = new ArrayList<>();
    private final Map<String, AtomicInteger> held = new ConcurrentHashMap<>();
    private final AtomicInteger maxHeld = new AtomicInteger();
    private final AtomicBoolean stopAll = new AtomicBoolean();

    Connection open(String cn, int server) {
      return open(cn, server, false);
    }

    /** Opens a connection; a churned one is not counted among the long-lived streams. */
    Connection open(String cn, int server, boolean churned) {
      Connection c = new Connection(cn, server, churned);
      AtomicInteger count = held.computeIfAbsent(cn, k -> new AtomicInteger());
      synchronized (connections) {
        connections.add(c);
        c.result = threads.submit(() -> {
          try (Socket socket = MutualTls.open(identities.get(cn), servers.get(server).address(),
              READ_TIMEOUT)) {
            StreamResult r = CheckedStreams.echo(socket, MAX_STREAM, CHUNK,
                () -> paced() && !c.stop.get(), () -> {
              maxHeld.accumulateAndGet(count.incrementAndGet(), Math::max);
              c.admitted.complete(true);
            });
            if (c.admitted.getNow(false)) {
              count.decrementAndGet();
            }
            return r;
          } catch (IOException e) {
            return new StreamResult(Outcome.CUT, 0, 0, 0, e.toString());
          } finally {
            c.admitted.complete(false);
          }
        });
      }
      return c;
    }

    private boolean paced() {
      try {
        Thread.sleep(PACE.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
      return !stopAll.get();
    }

    int held(String cn) {
      return held.computeIfAbsent(cn, k -> new AtomicInteger()).get();
    }

    int maxHeld() {
      return maxHeld.get();
    }

    List<Connection> admittedOpen() {
      synchronized (connections) {
        return connections.stream()
            .filter(c -> c.admitted.getNow(false) && !c.result.isDone()).toList();
      }
    }

    List<Connection> stopAll() {
      stopAll.set(true);
      synchronized (connections) {
        return List.copyOf(connections);
      }
    }

    @Override
    public void close() {
      stopAll.set(true);
      threads.close();
    }
  }
}
