package io.lb4j.bench.load;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * Bytes each thread of a JVM allocated over a stretch of time, from a Flight Recorder recording of
 * {@code jdk.ThreadAllocationStatistics}.
 *
 * <p>That event is periodic: at every period JFR emits, for every live Java thread, the bytes it
 * has allocated on the heap since it started (TLABs included, the figure of {@code
 * ThreadMXBean.getThreadAllocatedBytes}). One emission is a <em>sample</em>: events a few
 * milliseconds apart at most. Within a window, the first and the last sample bound a span; a
 * thread's bytes over the span are its count in the last sample less its count in the first, or
 * its whole count if it started in between. A thread that ended before the last sample is not
 * counted: this is for a steady state, where threads live for the whole run.
 */
final class JfrAllocations {

  /** The event read. */
  static final String EVENT = "jdk.ThreadAllocationStatistics";

  // Events of one sample are emitted together; samples are a period (250 ms or so) apart.
  private static final Duration SAME_SAMPLE = Duration.ofMillis(50);

  /** Bytes one thread allocated over the span. */
  record ThreadBytes(String thread, long bytes) {}

  /**
   * What a window held.
   *
   * @param from the first sample in the window
   * @param to the last sample in the window
   * @param threads every thread alive at the last sample, most bytes first
   */
  record Span(Instant from, Instant to, List<ThreadBytes> threads) {

    double seconds() {
      return Duration.between(from, to).toNanos() / 1e9;
    }

    /** Bytes of the threads whose name starts with one of {@code prefixes}. */
    long bytes(List<String> prefixes) {
      return threads.stream()
          .filter(t -> prefixes.stream().anyMatch(p -> t.thread().startsWith(p)))
          .mapToLong(ThreadBytes::bytes).sum();
    }

    /** Bytes of every thread whose name starts with none of {@code prefixes}. */
    long bytesExcept(List<String> prefixes) {
      return threads.stream()
          .filter(t -> prefixes.stream().noneMatch(p -> t.thread().startsWith(p)))
          .mapToLong(ThreadBytes::bytes).sum();
    }
  }

  private record Sample(Instant at, Map<Long, ThreadBytes> byThreadId) {}

  private JfrAllocations() {}

  /**
   * Reads the samples of {@code recording} taken from {@code from} to {@code to}.
   *
   * @throws IllegalStateException if fewer than two samples fall in the window (a window shorter
   *     than two periods of the event, or a recording without it)
   * @throws IOException if the recording cannot be read
   */
  static Span read(Path recording, Instant from, Instant to) throws IOException {
    List<RecordedEvent> events = new ArrayList<>();
    for (RecordedEvent event : RecordingFile.readAllEvents(recording)) {
      if (event.getEventType().getName().equals(EVENT) && !event.getStartTime().isBefore(from)
          && !event.getStartTime().isAfter(to)) {
        events.add(event);
      }
    }
    events.sort(Comparator.comparing(RecordedEvent::getStartTime));
    List<Sample> samples = new ArrayList<>();
    Sample current = null;
    for (RecordedEvent event : events) {
      Instant at = event.getStartTime();
      if (current == null || Duration.between(current.at(), at).compareTo(SAME_SAMPLE) > 0) {
        current = new Sample(at, new LinkedHashMap<>());
        samples.add(current);
      }
      RecordedThread thread = event.getThread("thread");
      if (thread != null) {
        current.byThreadId().put(thread.getJavaThreadId(),
            new ThreadBytes(thread.getJavaName(), event.getLong("allocated")));
      }
    }
    if (samples.size() < 2) {
      throw new IllegalStateException("the recording " + recording + " has " + samples.size()
          + " sample(s) of " + EVENT + " from " + from + " to " + to
          + ": two are needed (a longer window, or a shorter period)");
    }
    Sample first = samples.get(0);
    Sample last = samples.get(samples.size() - 1);
    Map<Long, ThreadBytes> merged = new TreeMap<>();
    for (Map.Entry<Long, ThreadBytes> e : last.byThreadId().entrySet()) {
      ThreadBytes before = first.byThreadId().get(e.getKey());
      long bytes = e.getValue().bytes() - (before == null ? 0 : before.bytes());
      merged.put(e.getKey(), new ThreadBytes(e.getValue().thread(), bytes));
    }
    List<ThreadBytes> threads = new ArrayList<>(merged.values());
    threads.sort(Comparator.comparingLong(ThreadBytes::bytes).reversed());
    return new Span(first.at(), last.at(), List.copyOf(threads));
  }
}
