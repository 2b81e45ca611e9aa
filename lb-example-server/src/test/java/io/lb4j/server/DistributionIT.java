package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.testkit.upstream.EchoUpstream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution archive as a user gets it: unpacked with tar, started through {@code bin/lb4j},
 * serving an mTLS client, stopped with SIGTERM.
 */
@Timeout(180)
class DistributionIT {

  @TempDir Path dir;
  private Path home;
  private ServerFixture f;

  @BeforeEach
  void unpack() throws Exception {
    String archive = System.getProperty("lb4j.server.dist");
    assertThat(archive).as("lb4j.server.dist (set by failsafe)").isNotNull();
    Process tar = new ProcessBuilder("tar", "xzf", archive, "-C", dir.toString())
        .redirectErrorStream(true).start();
    assertThat(tar.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(tar.exitValue()).as(new String(tar.getInputStream().readAllBytes())).isZero();
    try (Stream<Path> top = Files.list(dir)) {
      List<Path> entries = top.toList();
      assertThat(entries).hasSize(1);
      home = entries.get(0);
    }
    assertThat(home.getFileName().toString()).startsWith("lb4j-server-");
  }

  @AfterEach
  void tearDown() throws Exception {
    if (f != null) {
      f.close();
    }
  }

  @Test
  void holdsTheLauncherTheJarTheLicenceAnExampleAndAServiceUnit() throws IOException {
    assertThat(home.resolve("bin/lb4j")).isExecutable();
    assertThat(home.resolve("lib/lb-example-server.jar")).isRegularFile();
    assertThat(Files.readString(home.resolve("LICENSE"))).contains("Apache License");

    // The example is valid, and its relative paths are to files next to it in conf/.
    Path example = home.resolve("conf/lb.yaml");
    ServerConfig config = ConfigReader.read(example, "conf/lb.yaml");
    assertThat(config.tls().certificate()).isEqualTo(home.resolve("conf/server.pem"));
    assertThat(config.upstreams()).isNotEmpty();

    String unit = Files.readString(home.resolve("share/lb4j.service"));
    assertThat(unit.lines().filter(l -> !l.startsWith("#")).toList())
        .contains("User=lb4j", "Restart=on-failure", "KillSignal=SIGTERM", "SuccessExitStatus=143")
        .anyMatch(l -> l.matches("LimitNOFILE=[0-9]+"));
    // systemd must wait longer than the example's drain, or it would kill the server mid-drain.
    Duration stopTimeout = unit.lines().filter(l -> l.startsWith("TimeoutStopSec="))
        .map(l -> Durations.parse(l.substring("TimeoutStopSec=".length())))
        .findFirst().orElseThrow(() -> new AssertionError("no TimeoutStopSec in " + unit));
    assertThat(stopTimeout).isGreaterThan(config.drainTimeout());
  }

  @Test
  void launcherServesAnMtlsClientAndDrainsOnSigterm() throws Exception {
    f = new ServerFixture(home.resolve("conf"));
    EchoUpstream host = f.echo();
    int port = ServerFixture.freePort();
    int adminPort = ServerFixture.freePort();
    Files.writeString(home.resolve("conf/it.yaml"),
        ServerFixture.echoWithAdmin(port, host, adminPort, "5s"), StandardCharsets.UTF_8);

    Path classLog = dir.resolve("classes.log");
    JarProcess server = f.track(JarProcess.start(home,
        List.of(home.resolve("bin/lb4j").toString(), "--config", "conf/it.yaml"),
        Map.of("JAVA_HOME", System.getProperty("java.home"),
            "JAVA_OPTS", "-XX:TieredStopAtLevel=1 -Xmx200m -Xlog:class+load=info:file=" + classLog)));
    // The first start makes the class-data archive (a training run of the server) before serving.
    server.awaitStdout("admin listener on", Duration.ofSeconds(120));

    // exec: the launched process is the JVM itself, with the launcher's options, then JAVA_OPTS.
    ProcessHandle.Info info = server.handle().info();
    assertThat(info.command()).hasValueSatisfying(c -> assertThat(c).endsWith("/java"));
    assertThat(info.arguments()).hasValueSatisfying(args -> assertThat(List.of(args))
        .containsSubsequence("--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-Xmx256m",
            "-XX:TieredStopAtLevel=1", "-Xmx200m", "-jar")
        .endsWith("--config", "conf/it.yaml"));

    // The archive was made once, in the distribution's cds/, and this start maps its classes.
    String archiveOption = Runtime.version().feature() >= 25 ? "-XX:AOTCache=" : "-XX:SharedArchiveFile=";
    try (Stream<Path> archives = Files.list(home.resolve("cds"))) {
      assertThat(archives.map(p -> p.getFileName().toString()))
          .singleElement().asString().matches("lb4j-[0-9]+\\.(jsa|aot)");
    }
    assertThat(info.arguments()).hasValueSatisfying(args -> assertThat(List.of(args))
        .anyMatch(a -> a.startsWith(archiveOption + home.resolve("cds"))));
    assertThat(Files.readAllLines(classLog))
        .anyMatch(l -> l.contains(" io.lb4j.server.LbServer source: shared objects file"))
        // Main chose Netty's pooled allocator before Netty's buffers loaded (Main.pooledBuffers).
        .anyMatch(l -> l.contains(" io.netty.buffer.PooledByteBufAllocator source:"))
        .noneMatch(l -> l.contains(" io.netty.buffer.AdaptivePoolingAllocator source:"));

    SSLSocket alice = f.connect(new InetSocketAddress("127.0.0.1", port), f.alice, null);
    assertThat(TlsClient.roundTrip(alice, "through the archive\n")).isEqualTo("through the archive\n");
    alice.close();
    // The server's logging (LogSetup): the access line, through its queue, with its prefix.
    await().until(() -> server.stdout().lines()
        .anyMatch(l -> l.matches(".* ACCESS conn=[0-9]+ .* identity=alice .*")));

    assertThat(server.terminate(Duration.ofSeconds(60))).isEqualTo(143);
    // Printed by the JVM's own shutdown: the signal reached it, not only a shell in between.
    assertThat(server.stdout()).contains("stopping: draining open connections");
  }
}
