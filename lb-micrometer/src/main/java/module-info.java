/**
 * lb4j's connection meters in any Micrometer {@code MeterRegistry}: the counters and timers the
 * reference server exposes, for an application that embeds lb4j. Exports
 * {@code io.lb4j.micrometer}.
 */
@SuppressWarnings("requires-automatic")
module io.lb4j.micrometer {
  requires transitive io.lb4j.api;
  requires transitive micrometer.core;

  exports io.lb4j.micrometer;
}
