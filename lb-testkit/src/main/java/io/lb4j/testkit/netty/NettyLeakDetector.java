package io.lb4j.testkit.netty;

import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A JUnit 5 extension that fails a test when Netty reports a leaked {@code ByteBuf} during it or
 * right after it.
 *
 * <pre>{@code
 * @ExtendWith(NettyLeakDetector.class)
 * class RelayTest {
 *   @Test
 *   void relaysBytes() { ... }    // fails if a buffer it allocated is never released
 * }
 * }</pre>
 *
 * <p>It sets Netty's {@code ResourceLeakDetector} level to PARANOID, so every buffer is tracked
 * with a record of where it was touched, and listens for leak reports. After each test it runs
 * the garbage collector, waits for the JDK to queue the collected buffers' trackers, and
 * allocates and releases a few pooled buffers, which is when Netty reports; any report fails the
 * test with Netty's records. After all tests of a class it checks once more, for leaks of
 * class-level resources.
 *
 * <p>Limits, all Netty's: only buffers are watched (other Netty resources have detectors of their
 * own); Netty reports each distinct leak record once per JVM; and it reports a leak when it notices
 * it, not when it happened, so a report may belong to earlier code. Reports already waiting when a
 * test starts are still reported, but marked as coming from before the test. Run leak-checked
 * tests one at a time for exact blame. The level stays PARANOID after the tests, and the
 * extension's listener replaces any other set with {@code ByteBufUtil.setLeakListener}.
 *
 * <p>This class needs {@code netty-buffer}, {@code netty-common} and {@code junit-jupiter-api} on
 * the test class path; the testkit declares them optional, so projects that do not use Netty do
 * not get Netty, and must not use this class. Thread-safe: one listener serves the whole JVM.
 */
public final class NettyLeakDetector
    implements BeforeEachCallback, AfterEachCallback, AfterAllCallback {

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(NettyLeakDetector.class);
  private static final String EARLIER = "reports-before-test";

  /** Makes a detector, installing the JVM's leak listener and turning detection to PARANOID. */
  public NettyLeakDetector() {
    LeakReports.install();
  }

  /**
   * Collects garbage, has Netty report what leaked, and returns the reports heard since the last
   * call (by any detector in this JVM). Blocks for the garbage collection, usually well under a
   * second and at most a few seconds.
   *
   * @return the leak reports, each with Netty's records of the buffer; empty if nothing leaked
   */
  public List<String> collectLeaks() {
    LeakReports.nudge();
    return LeakReports.drain();
  }

  /**
   * Fails if Netty reports a leak now: {@link #collectLeaks()}, then an error listing the reports.
   *
   * @throws AssertionError if any buffer leaked
   */
  public void assertNoLeaks() {
    fail("", List.of(), collectLeaks());
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    LeakReports.install();
    context.getStore(NAMESPACE).put(EARLIER, LeakReports.drain());
  }

  @Override
  public void afterEach(ExtensionContext context) {
    @SuppressWarnings("unchecked")
    List<String> earlier = context.getStore(NAMESPACE).remove(EARLIER, List.class);
    fail(" during or right after " + context.getDisplayName(),
        earlier == null ? List.of() : earlier, collectLeaks());
  }

  @Override
  public void afterAll(ExtensionContext context) {
    fail(" after all tests of " + context.getDisplayName(), List.of(), collectLeaks());
  }

  private static void fail(String when, List<String> earlier, List<String> reports) {
    if (earlier.isEmpty() && reports.isEmpty()) {
      return;
    }
    StringBuilder message = new StringBuilder()
        .append("Netty reported ").append(earlier.size() + reports.size())
        .append(" leaked buffer(s)").append(when).append('.');
    for (String report : reports) {
      message.append("\n\n").append(report);
    }
    for (String report : earlier) {
      message.append("\n\nreported before the test started, so from earlier code: ")
          .append(report);
    }
    throw new AssertionError(message.toString());
  }
}
