package io.lb4j.impl;

import static org.awaitility.Awaitility.await;

import io.lb4j.testkit.junit.Peers;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A real DNS server for tests: dnsmasq on a loopback port, answering only the names it is given
 * and NXDOMAIN for every other name under {@code lb4j.test}. Reads no system file and forwards
 * nothing. A test on a machine where dnsmasq cannot start is skipped, saying so.
 */
final class Dnsmasq implements AutoCloseable {

  /** The domain every test name lives in; a name under it that was not given is NXDOMAIN. */
  static final String DOMAIN = "lb4j.test";

  private final Process process;
  private final InetSocketAddress address;

  private Dnsmasq(Process process, InetSocketAddress address) {
    this.process = process;
    this.address = address;
  }

  /**
   * Starts dnsmasq answering {@code name} (under {@link #DOMAIN}) with 127.0.0.1.
   *
   * @param ttlSeconds the TTL of its answers
   */
  static Dnsmasq answering(String name, int ttlSeconds) throws Exception {
    String binary = binary();
    Peers.assumeAvailable(
        binary != null, "dnsmasq", () -> "not installed (Debian package dnsmasq); DNS test skipped");
    String failure = null;
    for (int tries = 0; tries < 5; tries++) {
      int port = freeUdpPort();
      Path log = Files.createTempFile("dnsmasq", ".log");
      List<String> command = new ArrayList<>(List.of(
          binary,
          "--keep-in-foreground",
          "--conf-file=/dev/null",
          "--pid-file=",
          "--user=" + System.getProperty("user.name"),
          "--no-resolv",
          "--no-hosts",
          "--listen-address=127.0.0.1",
          "--bind-interfaces",
          "--port=" + port,
          "--local-ttl=" + ttlSeconds,
          "--log-facility=-",
          "--address=/" + DOMAIN + "/",
          "--address=/" + name + "/127.0.0.1"));
      Process p = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(log.toFile())
          .start();
      InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
      try {
        await().atMost(Duration.ofSeconds(5)).until(() -> !p.isAlive() || listening(address));
      } catch (ConditionTimeoutException e) {
        // Neither serving nor dead: reported below with what it printed.
      }
      if (p.isAlive() && listening(address)) {
        return new Dnsmasq(p, address);
      }
      p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      failure = Files.readString(log, StandardCharsets.UTF_8).strip();
      Files.deleteIfExists(log);
    }
    String why = failure;
    Peers.assumeAvailable(false, "dnsmasq", () -> "could not start, DNS test skipped: " + why);
    throw new AssertionError("unreachable");
  }

  private static String binary() {
    for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "dnsmasq"))) {
        return Path.of(dir, "dnsmasq").toString();
      }
    }
    return null;
  }

  /**
   * A loopback port free for UDP and for TCP at once, since dnsmasq binds both: a port free for
   * UDP alone may be a TCP port another test holds. Taken from below the ephemeral range (Linux's
   * starts at 32768), where the kernel does not hand out ports to other tests' connections.
   */
  private static int freeUdpPort() throws IOException {
    java.util.Random random = new java.util.Random();
    for (int tries = 0; tries < 100; tries++) {
      int port = 20_000 + random.nextInt(10_000);
      try (DatagramSocket udp = new DatagramSocket(port, InetAddress.getLoopbackAddress());
          java.net.ServerSocket tcp =
              new java.net.ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        return port;
      } catch (IOException taken) {
        // try another
      }
    }
    throw new IOException("no loopback port free for both UDP and TCP between 20000 and 30000");
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

  /** Returns where it answers, for {@code nameServers(...)}. */
  InetSocketAddress address() {
    return address;
  }

  /** Stops answering: later lookups get no answer. */
  void stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(5, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }

  @Override
  public void close() throws Exception {
    stop();
  }
}
