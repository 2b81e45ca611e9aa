package io.lb4j.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plan's way of measuring a target from its first moment ({@code compare.sh}'s first-Ns):
 * the plan is ready before the target starts, waits until it listens, reads its pid and start
 * time from a file, and files the figures under the given measure. No figure of speed is
 * asserted.
 */
class PlanMainTest {

  @TempDir Path dir;

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private String[] plan(int port, Path pidFile, Path ready, Path results, String await,
      Lb4jUnderTest.Pki pki) {
    return new String[] {"--measures", "echo-1", "--targets",
        "lb4j=127.0.0.1:" + port + "@" + pidFile, "--cert",
        pki.client().certificate().toString(), "--key", pki.client().privateKey().toString(),
        "--ca", pki.ca().toString(), "--warmup", "0s", "--duration", "1s", "--await-listen", await,
        "--ready-file", ready.toString(), "--file-under", "first-1s", "--results",
        results.toString()};
  }

  @Test
  void aPlanWaitsForATargetStartedAfterItAndFilesItsFiguresUnderTheFirstSeconds()
      throws Exception {
    Lb4jUnderTest.Pki pki = Lb4jUnderTest.Pki.write(dir);
    int port = freePort();
    Path pidFile = dir.resolve("lb4j.pid");
    Path ready = dir.resolve("ready");
    Path results = dir.resolve("results.tsv");

    CompletableFuture<Integer> status = CompletableFuture.supplyAsync(() -> {
      try {
        return PlanMain.run(plan(port, pidFile, ready, results, "60s", pki));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return -1;
      }
    });
    Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> Files.exists(ready));
    assertThat(status).isNotDone();

    long startedAt = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
    try (Lb4jUnderTest lb4j = new Lb4jUnderTest(pki, port)) {
      Files.writeString(pidFile, ProcessHandle.current().pid() + " " + startedAt + "\n");
      assertThat(status.get(60, TimeUnit.SECONDS)).isZero();
      assertThat(lb4j.echo().bytesEchoed()).isPositive();
    }

    List<String[]> lines = Files.readAllLines(results, StandardCharsets.UTF_8).stream()
        .map(line -> line.split("\t")).toList();
    assertThat(lines).allSatisfy(f -> {
      assertThat(f[0]).isEqualTo("lb4j");
      assertThat(f[2]).isEqualTo("first-1s");
      assertThat(f[3]).startsWith("echo-1 ");
    });
    assertThat(lines).anySatisfy(f -> {
      assertThat(f[3]).isEqualTo("echo-1 throughput");
      assertThat(Double.parseDouble(f[6])).isPositive();
    });
    // Read from the pid file: the target's CPU was measured, and the load start is after it.
    assertThat(lines).anySatisfy(f -> assertThat(f[3]).isEqualTo("echo-1 target cpu per GB"));
    assertThat(lines).anySatisfy(f -> {
      assertThat(f[3]).isEqualTo("echo-1 load start after exec");
      assertThat(Double.parseDouble(f[6])).isNotNegative();
    });
  }

  @Test
  void aTargetThatNeverListensEndsThePlanWithAFailure() throws Exception {
    Lb4jUnderTest.Pki pki = Lb4jUnderTest.Pki.write(dir);
    Path results = dir.resolve("results.tsv");

    int status = PlanMain.run(plan(freePort(), dir.resolve("none.pid"), dir.resolve("ready"),
        results, "300ms", pki));

    assertThat(status).isEqualTo(1);
    assertThat(results).doesNotExist();
    assertThat(dir.resolve("ready")).exists();
  }
}
