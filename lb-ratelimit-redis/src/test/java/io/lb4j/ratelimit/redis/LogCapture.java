package io.lb4j.ratelimit.redis;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Copies what slf4j-simple writes to standard error while it is open. */
final class LogCapture implements AutoCloseable {

  private final PrintStream original = System.err;
  private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

  LogCapture() {
    PrintStream tee = new PrintStream(captured, true, StandardCharsets.UTF_8) {
      @Override
      public void write(byte[] buf, int off, int len) {
        super.write(buf, off, len);
        original.write(buf, off, len);
      }
    };
    System.setErr(tee);
  }

  /** Returns how many captured lines contain all of {@code parts}. */
  synchronized long lines(String... parts) {
    return captured.toString(StandardCharsets.UTF_8).lines()
        .filter(line -> {
          for (String part : parts) {
            if (!line.contains(part)) {
              return false;
            }
          }
          return true;
        })
        .count();
  }

  @Override
  public void close() {
    System.setErr(original);
  }
}
