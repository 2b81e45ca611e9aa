package io.lb4j.server;

import io.lb4j.testkit.pki.ClientSpec;
import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.pki.TestPki;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The demo's world: certificates from the testkit's PKI written into a folder, three echo hosts
 * from the testkit, and a configuration file that serves them. Closing it stops the echo hosts.
 */
final class Demo implements AutoCloseable {

  static final String CONFIG = "lb.yaml";
  static final String LOOPBACK = "127.0.0.1";

  private final Path dir;
  private final List<EchoUpstream> hosts;
  private final ProxyHeaderPrinter whoisHost;
  private final int port;
  private final int whoisPort;
  private final int adminPort;
  /** Where the lb.yaml found in the folder was copied before the demo wrote its own, if any. */
  private Path keptConfig;

  private Demo(Path dir, List<EchoUpstream> hosts, ProxyHeaderPrinter whoisHost, int port,
      int adminPort) {
    this.dir = dir;
    this.hosts = hosts;
    this.whoisHost = whoisHost;
    this.port = port;
    this.whoisPort = freePort();
    this.adminPort = adminPort;
  }

  /** {@link #prepare(Path, int, int, Consumer)}, the PROXY host printing to standard output. */
  static Demo prepare(Path dir, int port, int adminPort) {
    return prepare(dir, port, adminPort, System.out::println);
  }

  /**
   * Writes the certificates and the configuration into {@code dir} and starts the echo hosts.
   *
   * @param port the listener's port, 0 for a free one
   * @param adminPort the admin listener's port, 0 for a free one
   * @param proxyLog where the PROXY protocol host of upstream {@code whois} tells each header
   */
  static Demo prepare(Path dir, int port, int adminPort, Consumer<String> proxyLog) {
    TestPki pki = TestPki.create("lb4j demo CA");
    IssuedCertificate server = pki.server("localhost", LOOPBACK);
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
    }
    pki.writeCaPem(dir.resolve("ca.pem"));
    server.writePem(dir, "server");
    // A SPIFFE ID and a group, for the whois upstream's PROXY header to show.
    pki.client(ClientSpec.commonName("alice").groups("ops").uris("spiffe://demo.lb4j/alice").build())
        .writePem(dir, "alice");
    pki.client("mallory").writePem(dir, "mallory");
    // trudy is on the allow list, but the CA has revoked her certificate: the list refuses her.
    IssuedCertificate trudy = pki.client("trudy");
    trudy.writePem(dir, "trudy");
    pki.writeCrlPem(dir.resolve("ca.crl.pem"), pki.crl(trudy.certificate().getSerialNumber()));
    List<EchoUpstream> hosts = new ArrayList<>();
    ProxyHeaderPrinter whois = null;
    try {
      for (int i = 0; i < 3; i++) {
        hosts.add(Upstreams.echo());
      }
      whois = new ProxyHeaderPrinter(proxyLog);
      Demo demo = new Demo(dir, hosts, whois, port == 0 ? freePort() : port,
          adminPort == 0 ? freePort() : adminPort);
      if (Files.exists(demo.configFile())) {
        // The user may have edited it; each run writes new ports and certificates, so keep it.
        demo.keptConfig = dir.resolve(CONFIG + ".bak");
        Files.copy(demo.configFile(), demo.keptConfig, StandardCopyOption.REPLACE_EXISTING);
      }
      Files.writeString(demo.configFile(), demo.config(), StandardCharsets.UTF_8);
      return demo;
    } catch (IOException | RuntimeException e) {
      hosts.forEach(EchoUpstream::close);
      if (whois != null) {
        whois.close();
      }
      if (e instanceof IOException io) {
        throw new UncheckedIOException("cannot write " + dir.resolve(CONFIG) + ": " + io.getMessage(), io);
      }
      throw (RuntimeException) e;
    }
  }

  /** Asks the kernel for a free loopback port; the demo must write it down before it binds. */
  private static int freePort() {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getByName(LOOPBACK), 0));
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port on " + LOOPBACK, e);
    }
  }

  Path configFile() {
    return dir.resolve(CONFIG);
  }

  /** The port of upstream {@code echo}'s listener. */
  int port() {
    return port;
  }

  /** The line that says an earlier lb.yaml was kept, or nothing when there was none. */
  private List<String> keptConfigNotice() {
    if (keptConfig == null) {
      return List.of();
    }
    return List.of("", "An earlier " + CONFIG + " was in " + dir + ": it is kept as " + keptConfig
        + ", and a new one written for this run's ports and certificates.");
  }

  /** The configuration file as the user would name it, for messages. */
  String configLabel() {
    return configFile().toString();
  }

  private String config() {
    String hostList = hosts.stream().map(h -> h.host().toString()).collect(Collectors.joining(", "));
    return String.join("\n",
        "# Written by `lb-example-server demo`. The echo hosts below live as long as the demo",
        "# process that started them. Edit this file while the demo runs: changes apply within",
        "# seconds (try adding mallory to allow).",
        "tls:",
        "  certificate: server.pem",
        "  privateKey: server-key.pem",
        "  clientCa: ca.pem",
        "  crl: ca.crl.pem",
        "upstreams:",
        "  - name: echo",
        "    listen: " + LOOPBACK + ":" + port,
        "    strategy: least-connections",
        "    hosts: [" + hostList + "]",
        "    healthCheck: {interval: 2s, timeout: 1s, rise: 2, fall: 3}",
        "    allow: [alice, trudy]",
        "  # Its host reads the PROXY protocol v2 header lb4j sends first: who connected, as lb4j",
        "  # verified it (address, CN, SPIFFE ID, groups, fingerprint), and answers with it.",
        "  - name: whois",
        "    listen: " + LOOPBACK + ":" + whoisPort,
        "    hosts: [" + whoisHost.host() + "]",
        "    proxyProtocol: v2",
        "    allow: [alice]",
        "rateLimit:",
        "  default: {connectionsPerSecond: 10, burst: 20, maxConcurrent: 100}",
        "admin:",
        "  listen: " + LOOPBACK + ":" + adminPort,
        "# Short, so that Ctrl-C does not wait long for open demo sessions.",
        "drainTimeout: 5s",
        "");
  }

  /** The openssl command of one client of upstream {@code echo}, as printed. */
  String opensslCommand(String client) {
    return opensslCommand(client, port);
  }

  /** The openssl command of one client of the upstream listening on {@code listenPort}. */
  String opensslCommand(String client, int listenPort) {
    return "openssl s_client -connect " + LOOPBACK + ":" + listenPort
        + " -cert " + file(client + ".pem")
        + " -key " + file(client + "-key.pem")
        + " -CAfile " + file("ca.pem")
        + " -servername localhost -verify_return_error -verify_ip " + LOOPBACK
        + " -quiet";
  }

  private String file(String name) {
    return shellQuote(dir.resolve(name).toString());
  }

  String instructions(LbServer server, String jar) {
    InetSocketAddress admin = server.adminAddress();
    String hostList = hosts.stream().map(h -> h.host().toString()).collect(Collectors.joining(", "));
    String config = shellQuote(configLabel());
    return String.join("\n",
        "",
        "lb4j demo: upstream 'echo' on " + LOOPBACK + ":" + port + ", forwarding to three echo hosts ("
            + hostList + ").",
        "Certificates and " + CONFIG + " are in " + dir + "; the echo hosts live as long as this"
            + " process." + String.join("\n", keptConfigNotice()),
        "",
        "Allowed client alice: type a line and it comes back.",
        "  " + opensslCommand("alice"),
        "",
        "Refused client mallory (same CA, not on the allow list): the connection closes after the"
            + " handshake.",
        "  " + opensslCommand("mallory"),
        "",
        "Refused client trudy (allowed, but her certificate is revoked in ca.crl.pem): the"
            + " handshake fails.",
        "  " + opensslCommand("trudy"),
        "",
        "Upstream 'whois' on " + LOOPBACK + ":" + whoisPort + " sends a PROXY protocol v2 header"
            + " to its host, which answers with what it read (alice's address, CN, SPIFFE ID,",
        "groups and certificate fingerprint), then echoes:",
        "  " + opensslCommand("alice", whoisPort),
        "",
        "Metrics and health:",
        "  curl http://" + admin.getHostString() + ":" + admin.getPort() + "/metrics",
        "  curl http://" + admin.getHostString() + ":" + admin.getPort() + "/healthz",
        "",
        "Edit " + configLabel() + " (add mallory to allow, or remove a host) and it applies within"
            + " seconds.",
        "It is a plain configuration file: `" + jar + " --config " + config + "` serves it too,"
            + " while these echo hosts run",
        "(stop this demo's listener first, or start the demo with --hosts-only to keep just the"
            + " hosts).",
        "Stop with Ctrl-C.",
        "",
        "");
  }

  String hostsOnlyInstructions(String jar) {
    String hostList = hosts.stream().map(h -> h.host().toString()).collect(Collectors.joining(", "));
    return String.join("\n",
        "",
        "lb4j demo, hosts only: three echo hosts (" + hostList + ") run as long as this process.",
        "Certificates and " + CONFIG + " are in " + dir + "." + String.join("\n", keptConfigNotice()),
        "Serve them from another terminal:",
        "  " + jar + " --config " + shellQuote(configLabel()),
        "Then connect as alice (allowed) or mallory (refused):",
        "  " + opensslCommand("alice"),
        "  " + opensslCommand("mallory"),
        "Stop with Ctrl-C.",
        "",
        "");
  }

  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_./:@%+=,-]+");

  /** Quotes a word for a POSIX shell when it needs it. */
  static String shellQuote(String word) {
    if (SAFE.matcher(word).matches()) {
      return word;
    }
    return "'" + word.replace("'", "'\\''") + "'";
  }

  /** Stops the echo hosts. Idempotent. */
  @Override
  public void close() {
    hosts.forEach(EchoUpstream::close);
    whoisHost.close();
  }

  @Override
  public String toString() {
    return "demo echo hosts " + hosts.stream().map(h -> h.host().toString()).toList();
  }
}
