package io.lb4j.bench.soak;

import io.lb4j.api.CloseReason;
import io.lb4j.api.RefusalReason;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a soak run saw, from the clients' side and from lb4j's.
 *
 * @param config the settings of the run
 * @param engine the TLS engine lb4j used
 * @param elapsed how long the traffic ran
 * @param actions how many client actions ran, by kind
 * @param streamsCompleted echo and download streams that completed intact: connections served
 * @param streamsCutByFaults streams that ended early because an injected fault hit their host
 *     (lb4j reported the upstream's error or the idle timeout), with every byte that arrived intact
 * @param bytesSentCompleted bytes the clients sent on completed echo streams
 * @param bytesVerifiedCompleted bytes that came back on completed echo streams, all verified
 * @param bytesVerified every byte any client received and checked, including downloads and the
 *     intact prefixes of cut streams
 * @param refusalsExpected connections of hostile or untrusted clients that lb4j refused, as it must
 * @param faults faults injected, by kind
 * @param accepted connections lb4j accepted
 * @param closed connections lb4j closed (must equal accepted at the end)
 * @param closeReasons lb4j's close events by reason
 * @param refusals lb4j's refusals by reason
 * @param errorCount failures of lb4j: corrupt or hung streams, streams cut without a fault to
 *     explain it, hostile clients served, anything left open at the end
 * @param errors the first errors, described
 * @param baseline resources after start-up, before the traffic
 * @param peak the largest value of each resource figure during the run
 * @param after resources once the traffic ended and every connection was closed
 * @param openConnectionsAfter connections lb4j still had open after the traffic
 * @param activeLeasesAfter host leases still held after the traffic
 * @param leaks Netty's leak reports during the run (-1 if leaks were not watched by the soak)
 */
public record SoakReport(
    SoakConfig config,
    String engine,
    Duration elapsed,
    Map<String, Long> actions,
    long streamsCompleted,
    long streamsCutByFaults,
    long bytesSentCompleted,
    long bytesVerifiedCompleted,
    long bytesVerified,
    long refusalsExpected,
    Map<String, Long> faults,
    long accepted,
    long closed,
    Map<CloseReason, Long> closeReasons,
    Map<RefusalReason, Long> refusals,
    long errorCount,
    List<String> errors,
    Resources baseline,
    Resources peak,
    Resources after,
    int openConnectionsAfter,
    int activeLeasesAfter,
    long leaks) {

  /** Returns whether the run found nothing wrong. */
  public boolean passed() {
    return errorCount == 0 && leaks <= 0 && openConnectionsAfter == 0 && activeLeasesAfter == 0
        && accepted == closed;
  }

  /** Returns the report as a few lines of text, as the soak command prints it. */
  public String toText() {
    StringBuilder s = new StringBuilder();
    line(s, "lb4j soak report: %s", passed() ? "PASSED" : "FAILED");
    line(s, "  run: %s of traffic, %d clients, a fault every %s, seed %d, TLS engine %s",
        human(elapsed), config.clients(), human(config.faultInterval()), config.seed(), engine);
    line(s, "  client actions: %s", actions);
    line(s, "  connections served (streams completed intact): %d", streamsCompleted);
    line(s, "  streams cut by injected faults (prefix intact): %d", streamsCutByFaults);
    line(s, "  hostile or untrusted connections refused: %d", refusalsExpected);
    line(s, "  bytes verified end to end: %d (%s); on completed echo streams %d of %d sent",
        bytesVerified, Resources.mib(bytesVerified), bytesVerifiedCompleted, bytesSentCompleted);
    line(s, "  faults injected: %s", faults);
    line(s, "  lb4j connections: %d accepted, %d closed; close reasons %s", accepted, closed,
        closeReasons);
    line(s, "  refusals by reason: %s", refusals);
    line(s, "  errors: %d%s", errorCount,
        errorCount > errors.size() ? " (the first " + errors.size() + " below)" : "");
    for (String e : errors) {
      line(s, "    - %s", e);
    }
    line(s, "  resources at start: %s", baseline);
    line(s, "  resources at peak:  %s", peak);
    line(s, "  resources at end:   %s", after);
    line(s, "  maximum heap in use %s, maximum file descriptors %d (start %d, end %d)",
        Resources.mib(peak.heapUsed()), peak.descriptors(), baseline.descriptors(),
        after.descriptors());
    line(s, "  after the traffic: %d connections open, %d leases held, %s",
        openConnectionsAfter, activeLeasesAfter,
        leaks < 0 ? "leaks watched by the caller" : leaks + " leak reports");
    return s.toString();
  }

  private static void line(StringBuilder s, String format, Object... args) {
    s.append(String.format(Locale.ROOT, format, args)).append('\n');
  }

  private static String human(Duration d) {
    long seconds = d.toSeconds();
    return seconds >= 120 ? (seconds / 60) + " min " + (seconds % 60) + " s"
        : String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
  }
}
