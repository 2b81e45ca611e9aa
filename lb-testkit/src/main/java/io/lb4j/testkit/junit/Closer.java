package io.lb4j.testkit.junit;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A JUnit 5 extension that closes what a test opened, after the test, last opened first.
 *
 * <pre>{@code
 * class RelayTest {
 *   @RegisterExtension final Closer closer = new Closer();
 *
 *   @Test
 *   void relaysBytes() {
 *     EchoUpstream echo = closer.track(Upstreams.echo());
 *     LoadBalancer lb = closer.track(LoadBalancer.builder()...build().start());
 *     ...
 *   }
 * }
 * }</pre>
 *
 * <p>Registered on an instance field, it runs after the test's {@code @AfterEach} methods and
 * before extensions registered on the class (such as a leak check), so those see everything
 * closed. Every resource is closed even when one fails to; the first failure is thrown with the
 * others suppressed. Needs {@code junit-jupiter-api} on the test class path. Thread-safe.
 */
public final class Closer implements AfterEachCallback {

  private final List<AutoCloseable> open = new ArrayList<>();

  /**
   * Closes {@code resource} after the test.
   *
   * @param resource what to close
   * @param <T> its type
   * @return {@code resource}
   */
  public synchronized <T extends AutoCloseable> T track(T resource) {
    open.add(resource);
    return resource;
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    closeAll();
  }

  /**
   * Closes what was tracked, last first, and forgets it.
   *
   * @throws Exception the first failure to close, the others suppressed in it
   */
  public void closeAll() throws Exception {
    List<AutoCloseable> toClose;
    synchronized (this) {
      toClose = new ArrayList<>(open);
      open.clear();
    }
    Exception first = null;
    for (int i = toClose.size() - 1; i >= 0; i--) {
      try {
        toClose.get(i).close();
      } catch (Exception e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
