package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.testkit.junit.Peers;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The demo mode, run as a user runs it: the printed commands work as printed. */
@Timeout(120)
class DemoIT {

  private static final Duration STARTUP = Duration.ofSeconds(60);

  @TempDir Path work;

  private static boolean opensslInstalled() {
    try {
      Process p = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static List<String> printedLines(String stdout, String containing) {
    return stdout.lines().map(String::strip).filter(l -> l.contains(containing)).toList();
  }

  /**
   * Starts a printed command through the shell, as a user pasting it would; {@code exec} makes
   * the command itself the process, so that stopping it leaves nothing behind.
   */
  private Process shell(String command) throws IOException {
    return new ProcessBuilder("sh", "-c", "exec " + command)
        .directory(work.toFile())
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
  }

  /** Reads from {@code in} until {@code text} has arrived or the stream ends. */
  private static String readUntil(InputStream in, String text) throws IOException {
    StringBuilder seen = new StringBuilder();
    int b;
    while (!seen.toString().contains(text) && (b = in.read()) != -1) {
      seen.append((char) b);
    }
    return seen.toString();
  }

  private static void stop(Process p) throws InterruptedException {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
    p.waitFor(10, TimeUnit.SECONDS);
  }

  @Test
  void alicesOpensslCommandEchoesAndMallorysIsRefused() throws Exception {
    try (JarProcess demo = JarProcess.start(work,
        "demo", "--dir", "demo-files", "--port", "0", "--admin-port", "0")) {
      String out = demo.awaitStdout("Stop with Ctrl-C.", STARTUP);
      List<String> commands = printedLines(out, "openssl s_client");
      assertThat(commands).hasSize(4);
      String alice = commands.get(0);
      String mallory = commands.get(1);
      String trudy = commands.get(2);
      String whois = commands.get(3);
      assertThat(whois).contains("-cert demo-files/alice.pem").doesNotContain(alice.split(" ")[3]);
      assertThat(alice).contains("-connect 127.0.0.1:", "-cert demo-files/alice.pem",
          "-key demo-files/alice-key.pem", "-CAfile demo-files/ca.pem", "-quiet");
      assertThat(mallory).contains("-cert demo-files/mallory.pem", "-key demo-files/mallory-key.pem");
      assertThat(out).contains("the echo hosts live as long as this process");
      assertThat(Files.list(work.resolve("demo-files")).map(p -> p.getFileName().toString()))
          .contains("ca.pem", "server.pem", "server-key.pem", "alice.pem", "alice-key.pem",
              "mallory.pem", "mallory-key.pem", "trudy.pem", "trudy-key.pem", "ca.crl.pem",
              "lb.yaml");
      assertThat(trudy).contains("-cert demo-files/trudy.pem", "-key demo-files/trudy-key.pem");

      Peers.assumeAvailable(opensslInstalled(), "the openssl binary",
          () -> "'openssl version' did not run, so the printed commands cannot be tried here");

      Process aliceClient = shell(alice);
      try {
        OutputStream in = aliceClient.getOutputStream();
        in.write("hello through lb4j\n".getBytes(StandardCharsets.UTF_8));
        in.flush();
        assertThat(readUntil(aliceClient.getInputStream(), "hello through lb4j\n"))
            .endsWith("hello through lb4j\n");
      } finally {
        stop(aliceClient);
      }

      Process malloryClient = shell(mallory);
      try {
        OutputStream in = malloryClient.getOutputStream();
        try {
          in.write("hello through lb4j\n".getBytes(StandardCharsets.UTF_8));
          in.flush();
        } catch (IOException clientAlreadyGone) {
          // s_client may have exited on the refusal before it reads its input
        }
        assertThat(malloryClient.waitFor(30, TimeUnit.SECONDS))
            .as("mallory's s_client ends when lb4j closes the connection").isTrue();
        assertThat(new String(malloryClient.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
            .doesNotContain("hello through lb4j");
      } finally {
        stop(malloryClient);
      }

      Process trudyClient = shell(trudy);
      try {
        OutputStream in = trudyClient.getOutputStream();
        try {
          in.write("hello through lb4j\n".getBytes(StandardCharsets.UTF_8));
          in.flush();
        } catch (IOException clientAlreadyGone) {
          // s_client may have exited on the refusal before it reads its input
        }
        assertThat(trudyClient.waitFor(30, TimeUnit.SECONDS))
            .as("trudy's s_client ends when lb4j refuses her revoked certificate").isTrue();
        assertThat(new String(trudyClient.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
            .doesNotContain("hello through lb4j");
      } finally {
        stop(trudyClient);
      }

      // The whois upstream's host reads lb4j's PROXY v2 header and answers with who connected.
      Process whoisClient = shell(whois);
      try {
        String answer = readUntil(whoisClient.getInputStream(), "upstream=whois\n");
        assertThat(answer)
            .containsPattern(
                "PROXY header: 127\\.0\\.0\\.1:\\d+ sni=localhost connection=\\d+ verified=true")
            .contains("cn=alice uris=[spiffe://demo.lb4j/alice] groups=[ops] sha256=");
      } finally {
        stop(whoisClient);
      }
      await().until(() -> demo.stdout().contains("[proxy host] 127.0.0.1:"));

      await().until(() -> demo.stdout().contains("identity=mallory")
          && demo.stdout().contains("identity=alice")
          && demo.stdout().contains("certificate revoked"));
      assertThat(demo.stdout())
          .contains("identity=alice upstream=echo host=127.0.0.1:")
          .contains("refusal=unauthorized detail=\"mallory may not reach echo (allowed: alice, trudy)\"");
      Matcher admin = Pattern.compile("curl (http://127\\.0\\.0\\.1:(\\d+))/metrics").matcher(out);
      assertThat(admin.find()).isTrue();
      String metrics = ServerFixture.get(
          new InetSocketAddress("127.0.0.1", Integer.parseInt(admin.group(2))), "/metrics");
      assertThat(Metrics.value(metrics, "lb4j_connections_total",
          "outcome=\"unauthorized\"", "upstream=\"echo\"")).isEqualTo(1.0);
      assertThat(Metrics.value(metrics, "lb4j_connections_total", "outcome=\"tls_failed\"",
          "cause=\"revoked\"", "upstream=\"echo\"")).isEqualTo(1.0);
      assertThat(demo.stdout()).containsPattern("refusal=tls_failed cause=revoked detail=\"[^\"]*certificate"
          + " revoked: serial [0-9a-f]+ issuer [^\"]*lb4j demo CA");
      assertThat(metrics).containsPattern("lb4j_tls_crl_next_update_seconds\\{[^}]*issuer=\"[^\"]*"
          + "lb4j demo CA[^}]*} \\d");

      assertThat(demo.terminate(Duration.ofSeconds(30))).as("exit status after SIGTERM").isEqualTo(143);
      assertThat(demo.stdout()).contains("lb4j stopped");
    }
  }

  @Test
  void configurationWrittenByTheDemoServesAgainWithConfigWhileItsHostsRun() throws Exception {
    try (JarProcess hosts = JarProcess.start(work,
        "demo", "--hosts-only", "--dir", "files", "--port", "0", "--admin-port", "0")) {
      String printed = hosts.awaitStdout("Stop with Ctrl-C.", STARTUP);
      List<String> serve = printedLines(printed, " --config ");
      assertThat(serve).hasSize(1);
      assertThat(serve.get(0)).startsWith("java -jar ").endsWith("--config files/lb.yaml");

      try (JarProcess server = JarProcess.start(work, "--config", "files/lb.yaml")) {
        server.awaitStdout("lb4j started", STARTUP);
        Matcher port = Pattern.compile("-connect 127\\.0\\.0\\.1:(\\d+)").matcher(printed);
        assertThat(port.find()).isTrue();
        Path files = work.resolve("files");
        SSLContext alice = PemClient.context(
            files.resolve("alice.pem"), files.resolve("alice-key.pem"), files.resolve("ca.pem"));

        SSLSocket s = TlsClient.connect(
            new InetSocketAddress("127.0.0.1", Integer.parseInt(port.group(1))), alice, null);
        try (s) {
          assertThat(TlsClient.roundTrip(s, "again\n")).isEqualTo("again\n");
        }
        assertThat(server.terminate(Duration.ofSeconds(30))).isEqualTo(143);
      }
      assertThat(hosts.terminate(Duration.ofSeconds(30))).isEqualTo(143);
    }
  }
}
