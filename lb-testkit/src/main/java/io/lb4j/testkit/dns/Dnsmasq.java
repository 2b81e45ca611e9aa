package io.lb4j.testkit.dns;

import static org.awaitility.Awaitility.await;

import io.lb4j.testkit.junit.Peers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A real DNS server for tests: dnsmasq on a loopback port, answering only the records a test
 * gives it, and NXDOMAIN for every other name under {@link #DOMAIN}. It reads no system file and
 * forwards nothing. A test on a machine where dnsmasq cannot start is skipped, saying so (and
 * fails in CI, where {@code .ci/run} installs it).
 *
 * <pre>{@code
 * try (Dnsmasq dns = Dnsmasq.start(new Dnsmasq.Zone()
 *     .address("api.lb4j.test", "127.0.0.1", "127.0.0.2")
 *     .srv("_api._tcp.lb4j.test", "api-1.lb4j.test", 7001, 10, 5))) {
 *   // ask dns.address()...
 *   dns.update(zone.address("api.lb4j.test", "127.0.0.3"));  // re-read, or restarted for SRV
 * }
 * }</pre>
 *
 * <p>Address records live in a hosts file that dnsmasq re-reads on SIGHUP; SRV records live in
 * its configuration, which only a restart reads, on the same port. Not thread-safe: one test
 * drives it. Needs Awaitility on the class path.
 */
public final class Dnsmasq implements AutoCloseable {

  /** The domain every test name lives in; a name under it that was not given is NXDOMAIN. */
  public static final String DOMAIN = "lb4j.test";

  private static final Duration READY = Duration.ofSeconds(10);

  /**
   * The records and settings dnsmasq serves. A value a test changes and hands to
   * {@link Dnsmasq#update}; each method replaces what it names.
   */
  public static final class Zone {
    private final Map<String, List<String>> addresses = new LinkedHashMap<>();
    private final Map<String, List<String>> srv = new LinkedHashMap<>();
    private int ttlSeconds;
    private int ednsPacketMax;

    /** Starts an empty zone with a TTL of 0 (answers are not cached). */
    public Zone() {}

    /**
     * Sets the addresses of a name, replacing those it had; none removes the name.
     *
     * @param name a name under {@link #DOMAIN}
     * @param ips IPv4 or IPv6 literals
     * @return this zone
     */
    public Zone address(String name, String... ips) {
      if (ips.length == 0) {
        addresses.remove(name);
      } else {
        addresses.put(name, List.of(ips));
      }
      return this;
    }

    /**
     * Adds an SRV record.
     *
     * @param service the SRV name, as {@code _api._tcp.lb4j.test}
     * @param target the host name the record points to
     * @param port the port
     * @param priority lower is preferred
     * @param weight share within the priority
     * @return this zone
     */
    public Zone srv(String service, String target, int port, int priority, int weight) {
      srv.computeIfAbsent(service, s -> new ArrayList<>())
          .add(service + "," + target + "," + port + "," + priority + "," + weight);
      return this;
    }

    /**
     * Removes every SRV record of a service.
     *
     * @param service the SRV name
     * @return this zone
     */
    public Zone noSrv(String service) {
      srv.remove(service);
      return this;
    }

    /**
     * Sets the TTL of every answer ({@code --local-ttl}).
     *
     * @param seconds zero or more
     * @return this zone
     */
    public Zone ttl(int seconds) {
      this.ttlSeconds = seconds;
      return this;
    }

    /**
     * Sets the largest UDP answer dnsmasq sends ({@code --edns-packet-max}); a larger one is
     * truncated and the client must ask again over TCP. 0 keeps dnsmasq's default.
     *
     * @param bytes 512 or more, or 0
     * @return this zone
     */
    public Zone ednsPacketMax(int bytes) {
      this.ednsPacketMax = bytes;
      return this;
    }

    private String hostsFile() {
      StringBuilder b = new StringBuilder();
      addresses.forEach((name, ips) -> ips.forEach(ip -> b.append(ip).append(' ').append(name).append('\n')));
      return b.toString();
    }

    private String confFile() {
      StringBuilder b = new StringBuilder();
      srv.values().forEach(lines -> lines.forEach(l -> b.append("srv-host=").append(l).append('\n')));
      return b.toString();
    }

    private String startSettings() {
      return confFile() + "ttl=" + ttlSeconds + " edns=" + ednsPacketMax;
    }
  }

  private final String binary;
  private final Path dir;
  private final int port;
  private final InetSocketAddress address;
  private Zone zone;
  private String runningSettings;
  private Process process;
  /** In SERVFAIL mode: the dnsmasq the validating one forwards to. */
  private Process unsigned;
  private int unsignedPort;

  private Dnsmasq(String binary, Path dir, int port) {
    this.binary = binary;
    this.dir = dir;
    this.port = port;
    this.address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
  }

  /**
   * Starts dnsmasq answering {@code name} (under {@link #DOMAIN}) with 127.0.0.1.
   *
   * @param name the name
   * @param ttlSeconds the TTL of its answers
   * @return the running server
   */
  public static Dnsmasq answering(String name, int ttlSeconds) throws Exception {
    return start(new Zone().address(name, "127.0.0.1").ttl(ttlSeconds));
  }

  /**
   * Starts dnsmasq serving {@code zone} on a free loopback port; skips the test when it cannot.
   *
   * @param zone the records; the server keeps a reference and {@link #update} takes changes
   * @return the running server
   */
  public static Dnsmasq start(Zone zone) throws Exception {
    String binary = binary();
    Peers.assumeAvailable(
        binary != null, "dnsmasq", () -> "not installed (Debian package dnsmasq-base); DNS test skipped");
    Path dir = Files.createTempDirectory("dnsmasq");
    String failure = null;
    for (int tries = 0; tries < 5; tries++) {
      Dnsmasq d = new Dnsmasq(binary, dir, freePort());
      d.zone = zone;
      failure = d.launch();
      if (failure == null) {
        return d;
      }
    }
    String why = failure;
    Peers.assumeAvailable(false, "dnsmasq", () -> "could not start, DNS test skipped: " + why);
    throw new AssertionError("unreachable");
  }

  private static String binary() {
    for (String d : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin").split(":")) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, "dnsmasq"))) {
        return Path.of(d, "dnsmasq").toString();
      }
    }
    return null;
  }

  /** Returns where it answers, for a resolver list. */
  public InetSocketAddress address() {
    return address;
  }

  /**
   * Serves {@code changed}: re-reads the hosts file on SIGHUP when only addresses changed, and
   * restarts on the same port when SRV records or settings did. Returns once the change is served.
   *
   * @param changed the zone to serve (usually the same object, changed)
   */
  public void update(Zone changed) throws Exception {
    this.zone = Objects.requireNonNull(changed, "zone");
    if (process == null || !process.isAlive() || unsigned != null
        || !zone.startSettings().equals(runningSettings)) {
      restart();
      return;
    }
    Path log = dir.resolve("log");
    String before = Files.readString(log, StandardCharsets.UTF_8);
    long reads = count(before, "read " + dir.resolve("hosts"));
    Files.writeString(dir.resolve("hosts"), zone.hostsFile(), StandardCharsets.UTF_8);
    new ProcessBuilder("kill", "-HUP", Long.toString(process.pid())).start().waitFor(5, TimeUnit.SECONDS);
    await("dnsmasq re-reads its hosts file")
        .atMost(READY)
        .until(() -> count(Files.readString(log, StandardCharsets.UTF_8), "read " + dir.resolve("hosts")) > reads);
  }

  private static long count(String text, String what) {
    long n = 0;
    for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }

  /** Stops answering: later queries get no answer at all, as from a server that is down. */
  public void stop() throws InterruptedException {
    kill(process);
    process = null;
    kill(unsigned);
    unsigned = null;
  }

  /** Starts again on the same port with the current zone, after {@link #stop} or a change. */
  public void restart() throws Exception {
    stop();
    String failure = launch();
    if (failure != null) {
      throw new IllegalStateException("dnsmasq did not start again on port " + port + ": " + failure);
    }
  }

  /**
   * Restarts on the same port as a validating resolver (DNSSEC) that forwards every question to a
   * second dnsmasq whose answers are unsigned: each answer fails validation and is SERVFAIL.
   * {@link #update} or {@link #restart} goes back to serving the zone.
   */
  public void serveFailures() throws Exception {
    stop();
    unsignedPort = freePort();
    unsigned = new ProcessBuilder(List.of(
            binary, "--keep-in-foreground", "--conf-file=/dev/null", "--pid-file=",
            "--user=" + System.getProperty("user.name"), "--no-resolv", "--no-hosts",
            "--listen-address=127.0.0.1", "--bind-interfaces", "--port=" + unsignedPort,
            "--log-facility=-", "--address=/" + DOMAIN + "/127.0.0.1"))
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("unsigned.log").toFile())
        .start();
    InetSocketAddress unsignedAddress = new InetSocketAddress(InetAddress.getLoopbackAddress(), unsignedPort);
    awaitListening(unsigned, unsignedAddress);
    // The root zone's key-signing key (tag 20326): nothing the unsigned server says can be proven.
    String failure = launch(List.of(
        "--server=127.0.0.1#" + unsignedPort,
        "--dnssec",
        "--trust-anchor=.,20326,8,2,E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D"));
    if (failure != null) {
      throw new IllegalStateException("validating dnsmasq did not start: " + failure);
    }
  }

  @Override
  public void close() throws Exception {
    stop();
    try (var files = Files.list(dir)) {
      for (Path p : files.toList()) {
        Files.deleteIfExists(p);
      }
    }
    Files.deleteIfExists(dir);
  }

  /** Starts serving the zone; returns null once it answers, or what it printed if it did not. */
  private String launch() throws Exception {
    Files.writeString(dir.resolve("hosts"), zone.hostsFile(), StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("conf"), zone.confFile(), StandardCharsets.UTF_8);
    List<String> args = new ArrayList<>(List.of(
        "--conf-file=" + dir.resolve("conf"),
        "--addn-hosts=" + dir.resolve("hosts"),
        "--local=/" + DOMAIN + "/",
        "--local-ttl=" + zone.ttlSeconds));
    if (zone.ednsPacketMax > 0) {
      args.add("--edns-packet-max=" + zone.ednsPacketMax);
    }
    String failure = launch(args);
    if (failure == null) {
      runningSettings = zone.startSettings();
    }
    return failure;
  }

  private String launch(List<String> extra) throws Exception {
    List<String> command = new ArrayList<>(List.of(
        binary,
        "--keep-in-foreground",
        "--pid-file=",
        "--user=" + System.getProperty("user.name"),
        "--no-resolv",
        "--no-hosts",
        "--listen-address=127.0.0.1",
        "--bind-interfaces",
        "--port=" + port,
        "--log-facility=-"));
    if (extra.stream().noneMatch(a -> a.startsWith("--conf-file="))) {
      command.add("--conf-file=/dev/null");
    }
    command.addAll(extra);
    Path log = dir.resolve("log");
    Process p = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    awaitListening(p, address);
    if (p.isAlive() && listening(address)) {
      process = p;
      return null;
    }
    kill(p);
    return Files.readString(log, StandardCharsets.UTF_8).strip();
  }

  private static void awaitListening(Process p, InetSocketAddress address) {
    try {
      await().atMost(READY).until(() -> !p.isAlive() || listening(address));
    } catch (ConditionTimeoutException e) {
      // Neither serving nor dead: the caller reports it with what it printed.
    }
  }

  private static void kill(Process p) throws InterruptedException {
    if (p == null) {
      return;
    }
    p.destroy();
    if (!p.waitFor(5, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }

  /**
   * A loopback port free for UDP and for TCP at once, since dnsmasq binds both: a port free for
   * UDP alone may be a TCP port another test holds. Taken from below the ephemeral range (Linux's
   * starts at 32768), where the kernel does not hand out ports to other tests' connections.
   */
  private static int freePort() {
    Random random = new Random();
    for (int tries = 0; tries < 100; tries++) {
      int port = 20_000 + random.nextInt(10_000);
      try (DatagramSocket udp = new DatagramSocket(port, InetAddress.getLoopbackAddress());
          ServerSocket tcp = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        return port;
      } catch (IOException taken) {
        // try another
      }
    }
    throw new UncheckedIOException(
        new IOException("no loopback port free for both UDP and TCP between 20000 and 30000"));
  }

  /** dnsmasq answers over TCP on the same port; a TCP accept means it is serving. */
  private static boolean listening(InetSocketAddress address) {
    try (Socket s = new Socket()) {
      s.connect(address, 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
