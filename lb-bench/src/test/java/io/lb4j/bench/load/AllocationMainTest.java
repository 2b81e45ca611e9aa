package io.lb4j.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link AllocationMain} end to end: {@code jcmd} starts and stops a Flight Recorder recording in
 * a running lb4j (this JVM, which jcmd attaches to from outside), requests go through it, and the
 * bytes per request land in the results file. Asserts that figures were taken and hang together,
 * not what they are.
 */
class AllocationMainTest {

  @TempDir Path dir;

  @Test
  void recordsTheBytesLb4jAllocatesPerRequest() throws Exception {
    Path results = dir.resolve("results.tsv");
    Path kept = dir.resolve("kept");
    int status;
    try (Lb4jUnderTest lb4j = new Lb4jUnderTest(dir)) {
      status = AllocationMain.run(new String[] {
          "--measures", "requests-4",
          "--target", "lb4j=127.0.0.1:" + lb4j.address().getPort() + "@"
              + ProcessHandle.current().pid(),
          "--cert", lb4j.client().certificate().toString(),
          "--key", lb4j.client().privateKey().toString(),
          "--ca", lb4j.client().ca().toString(),
          "--warmup", "300ms", "--duration", "1s",
          "--results", results.toString(), "--round", "2", "--keep", kept.toString()});
    }

    assertThat(status).isZero();
    assertThat(kept.resolve("allocation.jfr")).isNotEmptyFile();
    List<String[]> lines = Files.readAllLines(results, StandardCharsets.UTF_8).stream()
        .map(line -> line.split("\t")).toList();
    // Only the allocation figures: the recorded run itself is not for comparing.
    assertThat(lines).extracting(f -> f[3]).containsExactly("allocated per request",
        "loop allocated per request", "allocation rate");
    assertThat(lines).allSatisfy(f -> {
      assertThat(f[0]).isEqualTo("lb4j");
      assertThat(f[1]).isEqualTo("2");
      assertThat(f[2]).isEqualTo("requests-4");
    });
    double process = Double.parseDouble(lines.get(0)[6]);
    double loop = Double.parseDouble(lines.get(1)[6]);
    // The process here includes the load generator, which allocates for every request it sends
    // (a buffer wrapping it, at least); lb4j's event loop is a part of the process, and may one
    // day allocate nothing on the heap per request.
    assertThat(process).isPositive();
    assertThat(loop).isNotNegative().isLessThan(process);
  }
}
