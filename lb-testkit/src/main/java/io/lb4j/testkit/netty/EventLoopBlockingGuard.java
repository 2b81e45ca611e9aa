package io.lb4j.testkit.netty;

import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A JUnit 5 extension that fails a test in which a Netty event-loop thread made a blocking call,
 * even when the code under test swallowed the error BlockHound threw on that thread.
 *
 * <pre>{@code
 * // JUnit finds it by itself with junit.jupiter.extensions.autodetection.enabled=true, which
 * // lb4j's build sets for every module; otherwise:
 * @ExtendWith(EventLoopBlockingGuard.class)
 * class RelayTest { ... }
 * }</pre>
 *
 * <p>It does nothing unless BlockHound is installed with {@link Lb4jBlockHoundIntegration}, which
 * {@code blockhound-junit-platform} on the test class path does as JUnit starts (the JVM needs
 * {@code -XX:+AllowRedefinitionToAddDeleteMethods} on JDK 13+). A call caught between two tests
 * fails the next one. Tests that block an event loop on purpose take the report with
 * {@link #takeReports()}.
 *
 * <p>Needs {@code io.projectreactor.tools:blockhound} on the test class path; the testkit declares
 * it optional. Thread-safe.
 */
public final class EventLoopBlockingGuard implements BeforeEachCallback, AfterEachCallback {

  /** Creates the guard; JUnit calls this. */
  public EventLoopBlockingGuard() {}

  /**
   * Returns the blocking calls caught since the last take, each with the thread's name and stack,
   * and forgets them.
   *
   * @return the reports, oldest first; empty if no event loop blocked
   */
  public static List<String> takeReports() {
    return BlockingCalls.take();
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    fail(" before " + context.getDisplayName() + " started (so from earlier code)");
  }

  @Override
  public void afterEach(ExtensionContext context) {
    fail(" during " + context.getDisplayName());
  }

  private static void fail(String when) {
    List<String> reports = BlockingCalls.take();
    if (reports.isEmpty()) {
      return;
    }
    StringBuilder message =
        new StringBuilder("an event-loop thread blocked ").append(reports.size())
            .append(" time(s)").append(when).append(':');
    for (String report : reports) {
      message.append("\n\n").append(report);
    }
    throw new AssertionError(message.toString());
  }
}
