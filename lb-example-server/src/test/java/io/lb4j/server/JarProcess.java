package io.lb4j.server;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The packaged server jar run as a user runs it, {@code java -jar lb-example-server.jar ...}, in a
 * working folder, with its output going to files there.
 */
final class JarProcess implements AutoCloseable {

  private final Process process;
  private final Path stdout;
  private final Path stderr;

  private JarProcess(Process process, Path stdout, Path stderr) {
    this.process = process;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  static Path jar() {
    String path = System.getProperty("lb4j.server.jar");
    if (path == null) {
      throw new IllegalStateException(
          "lb4j.server.jar is not set: run the integration tests through Maven (failsafe)");
    }
    Path jar = Path.of(path);
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " does not exist: run after the package phase");
    }
    return jar;
  }

  /** Starts {@code java -jar <server jar> args...} in {@code workDir}. */
  static JarProcess start(Path workDir, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // A short-lived process spends its time starting up: the first compiler tier is enough.
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-Xmx256m");
    command.add("-jar");
    command.add(jar().toString());
    command.addAll(List.of(args));
    return start(workDir, command, Map.of());
  }

  /**
   * Starts any command that runs the server (the distribution's launcher, say) in {@code workDir},
   * with {@code environment} added to this process's.
   */
  static JarProcess start(Path workDir, List<String> command, Map<String, String> environment) {
    try {
      Path out = Files.createTempFile(workDir, "stdout", ".txt");
      Path err = Files.createTempFile(workDir, "stderr", ".txt");
      ProcessBuilder builder = new ProcessBuilder(command);
      builder.environment().putAll(environment);
      Process p = builder
          .directory(workDir.toFile())
          .redirectOutput(out.toFile())
          .redirectError(err.toFile())
          .redirectInput(ProcessBuilder.Redirect.PIPE)
          .start();
      return new JarProcess(p, out, err);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs to the end, up to {@code timeout}, and returns the exit status. */
  int waitFor(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("the server did not exit within " + timeout
            + "; stdout: " + stdout() + " stderr: " + stderr());
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Waits until standard output holds {@code text}. */
  String awaitStdout(String text, Duration timeout) {
    try {
      await().atMost(timeout).until(() -> stdout().contains(text) || !process.isAlive());
    } catch (ConditionTimeoutException e) {
      throw new AssertionError("the server did not print '" + text + "' within " + timeout
          + "; stdout: " + stdout() + " stderr: " + stderr(), e);
    }
    String out = stdout();
    if (!out.contains(text)) {
      throw new AssertionError("the server exited with " + process.exitValue()
          + " before printing '" + text + "'; stdout: " + out + " stderr: " + stderr());
    }
    return out;
  }

  String stdout() {
    return read(stdout);
  }

  String stderr() {
    return read(stderr);
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Sends SIGTERM, as a service manager or Ctrl-C does, and returns the exit status. */
  int terminate(Duration timeout) {
    process.destroy();
    return waitFor(timeout);
  }

  /** Sends SIGTERM and returns at once. */
  void terminateAsync() {
    process.destroy();
  }

  /** The process's id: the JVM's when a launcher exec'd it. */
  ProcessHandle handle() {
    return process.toHandle();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  @Override
  public void close() {
    // A launcher that failed to exec leaves the JVM as its child: it goes too.
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
