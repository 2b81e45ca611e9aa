package io.lb4j.testkit.netty;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The blocking calls that BlockHound caught on non-blocking threads in this JVM, until a guard
 * takes them. Free of BlockHound's types, so the guard loads where BlockHound is absent.
 * Thread-safe: any thread may report, the test thread takes.
 */
final class BlockingCalls {

  private static final ConcurrentLinkedQueue<String> reports = new ConcurrentLinkedQueue<>();

  private BlockingCalls() {}

  static void add(String report) {
    reports.add(report);
  }

  static List<String> take() {
    List<String> taken = new ArrayList<>();
    String report;
    while ((report = reports.poll()) != null) {
      taken.add(report);
    }
    return taken;
  }
}
