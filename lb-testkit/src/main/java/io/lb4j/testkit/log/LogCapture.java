package io.lb4j.testkit.log;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Keeps what is written to standard error while it is open, and still writes it there. slf4j-simple,
 * the logger lb4j's tests run with, writes every line to {@link System#err} as it is when the line
 * is logged, so this sees the log lines of every thread.
 *
 * <pre>{@code
 * try (LogCapture log = LogCapture.start()) {
 *   factory.reload();
 *   assertThat(log.lines("WARN", "expired at")).isEqualTo(1);
 * }
 * }</pre>
 *
 * <p>It replaces {@link System#err} for the whole JVM: open one at a time, and close it (the
 * original stream comes back). {@link #lines} is thread-safe.
 */
public final class LogCapture implements AutoCloseable {

  private final PrintStream original;
  private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

  private LogCapture() {
    this.original = System.err;
    PrintStream tee = new PrintStream(captured, true, StandardCharsets.UTF_8) {
      @Override
      public void write(byte[] buf, int off, int len) {
        super.write(buf, off, len);
        original.write(buf, off, len);
      }
    };
    System.setErr(tee);
  }

  /**
   * Starts keeping what is written to standard error from now on.
   *
   * @return the open capture; close it to stop
   */
  public static LogCapture start() {
    return new LogCapture();
  }

  /**
   * Returns how many of the lines kept so far contain every one of {@code parts}.
   *
   * @param parts texts a line must contain, none null
   * @return the number of such lines
   */
  public long lines(String... parts) {
    return captured.toString(StandardCharsets.UTF_8).lines()
        .filter(line -> Arrays.stream(parts).allMatch(line::contains))
        .count();
  }

  /** Puts the original standard error back. Idempotent. */
  @Override
  public void close() {
    System.setErr(original);
  }
}
