package io.lb4j.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import io.lb4j.testkit.data.Folders;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import javax.net.ssl.SSLSocket;
import org.slf4j.LoggerFactory;

/**
 * A short run of the whole server, for the JVM's class-data sharing archive: {@code bin/lb4j} runs
 * this once per Java runtime and server jar with {@code -XX:ArchiveClassesAtExit}, and every later
 * start maps the classes it loaded from that archive instead of reading, parsing and verifying
 * them one by one.
 *
 * <p>It does what a start does (the command line, the configuration file, TLS, the listeners, the
 * admin listener) and what the first connections do (a mutual-TLS handshake, a round trip through
 * to a host, a scrape of {@code /metrics}), on loopback ports of its own, in a temporary folder
 * that it deletes. It prints nothing unless it fails, and exits with 1 then.
 */
public final class CdsTraining {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private CdsTraining() {}

  /** Runs the training; the arguments are ignored. */
  public static void main(String[] args) {
    Main.pooledBuffers();
    Main.quietLeakDetection();
    LoggerContext logs = (LoggerContext) LoggerFactory.getILoggerFactory();
    for (String name : new String[] {"ROOT", "lb4j.access", "lb4j.audit"}) {
      logs.getLogger(name).setLevel(Level.WARN);
    }
    Path dir = null;
    int status = 0;
    try {
      dir = Files.createTempDirectory("lb4j-cds-training");
      Main.commandLine().parseArgs("--config", dir.resolve(Demo.CONFIG).toString());
      try (Demo demo = Demo.prepare(dir, 0, 0, line -> {})) {
        ServerConfig config = ConfigReader.read(demo.configFile(), demo.configLabel());
        LbServer server = LbServer.start(config, Duration.ofSeconds(2));
        try {
          roundTrip(dir, demo.port());
          scrape(server.adminAddress());
        } finally {
          server.close();
        }
      }
    } catch (Exception | AssertionError e) {
      System.err.println("lb4j: class-data training failed: " + e);
      status = 1;
    } finally {
      Folders.deleteQuietly(dir);
    }
    // Exits at once: the echo hosts' threads would keep the JVM, and the archive is written now.
    System.exit(status);
  }

  /** alice's line through upstream {@code echo} and back. */
  private static void roundTrip(Path dir, int port) throws IOException {
    JdkSslContext context = (JdkSslContext) SslContextBuilder.forClient()
        .sslProvider(SslProvider.JDK)
        .keyManager(dir.resolve("alice.pem").toFile(), dir.resolve("alice-key.pem").toFile())
        .trustManager(dir.resolve("ca.pem").toFile())
        .build();
    byte[] line = "training\n".getBytes(StandardCharsets.US_ASCII);
    try (SSLSocket socket = (SSLSocket) context.context().getSocketFactory().createSocket()) {
      socket.connect(new InetSocketAddress(Demo.LOOPBACK, port), (int) TIMEOUT.toMillis());
      socket.setSoTimeout((int) TIMEOUT.toMillis());
      socket.getOutputStream().write(line);
      socket.getOutputStream().flush();
      byte[] back = socket.getInputStream().readNBytes(line.length);
      if (!Arrays.equals(line, back)) {
        throw new IOException("the echo host answered "
            + new String(back, StandardCharsets.US_ASCII) + " instead of the line sent");
      }
    }
  }

  private static void scrape(InetSocketAddress admin) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(admin, (int) TIMEOUT.toMillis());
      socket.setSoTimeout((int) TIMEOUT.toMillis());
      OutputStream out = socket.getOutputStream();
      out.write(("GET /metrics HTTP/1.1\r\nHost: lb4j\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      String answer = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
      if (!answer.startsWith("HTTP/1.1 200")) {
        throw new IOException("/metrics answered " + answer.lines().findFirst().orElse("nothing"));
      }
    }
  }
}
