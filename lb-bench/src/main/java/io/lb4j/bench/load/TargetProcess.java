package io.lb4j.bench.load;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The CPU time and resident memory of a process, read from Linux's {@code /proc}: the proxy
 * under test (by pid), or this load generator itself.
 *
 * <p>CPU time is user + system time of every thread of the process, living or ended, from fields
 * 14 and 15 of {@code /proc/<pid>/stat}, in clock ticks of {@code getconf CLK_TCK} (usually 100 a
 * second, so a reading is exact to 10 ms: measures run for seconds). Memory is {@code VmRSS} of
 * {@code /proc/<pid>/status}.
 */
final class TargetProcess {

  private static final long TICKS_PER_SECOND = clockTicks();

  private final long pid;
  private final Path stat;
  private final Path status;

  private TargetProcess(long pid) {
    this.pid = pid;
    this.stat = Path.of("/proc", Long.toString(pid), "stat");
    this.status = Path.of("/proc", Long.toString(pid), "status");
  }

  /**
   * Returns the process {@code pid}.
   *
   * @throws IllegalArgumentException if there is no such process to read
   */
  static TargetProcess of(long pid) {
    TargetProcess process = new TargetProcess(pid);
    if (!Files.isReadable(process.stat)) {
      throw new IllegalArgumentException("no process " + pid + " to measure (no " + process.stat + ")");
    }
    return process;
  }

  static TargetProcess self() {
    return new TargetProcess(ProcessHandle.current().pid());
  }

  long pid() {
    return pid;
  }

  /** Returns the user + system CPU time the process has used so far, in seconds. */
  double cpuSeconds() {
    String line = read(stat);
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    String[] fields = line.substring(line.lastIndexOf(')') + 2).trim().split(" ");
    long utime = Long.parseLong(fields[11]);
    long stime = Long.parseLong(fields[12]);
    return (double) (utime + stime) / TICKS_PER_SECOND;
  }

  /** Returns the resident set size in KiB. */
  long rssKiB() {
    for (String line : read(status).split("\n")) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
      }
    }
    throw new IllegalStateException("no VmRSS in " + status);
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + " (did the process exit?)", e);
    }
  }

  private static long clockTicks() {
    try {
      Process getconf = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      try (InputStream out = getconf.getInputStream()) {
        String text = new String(out.readAllBytes(), StandardCharsets.US_ASCII).trim();
        if (getconf.waitFor(5, TimeUnit.SECONDS) && getconf.exitValue() == 0) {
          return Long.parseLong(text);
        }
      }
    } catch (IOException | NumberFormatException e) {
      // Fall through to Linux's fixed user-space value.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 100;
  }
}
