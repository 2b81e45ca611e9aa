package com.example.lb;

import io.lb4j.api.DiscoveredHost;
import io.lb4j.api.Host;
import io.lb4j.api.HostSource;
import io.lb4j.api.InvalidSettingException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A {@link HostSource} over a registry of its own: here a text file that a deployment tool
 * rewrites, one host a line as {@code host:port [weight]}, with {@code #} comments. It stands for
 * ZooKeeper, Eureka or any registry an application already has: the shape is the same.
 *
 * <pre>{@code
 * Upstream api = Upstream.builder("api")
 *     .discover(new FileRegistry(Path.of("/etc/hosts.d/api.txt"), Duration.ofSeconds(2)))
 *     .build();
 * }</pre>
 *
 * <p>Each watch has one daemon thread that reads the file every {@code interval} and publishes the
 * hosts when they changed. A missing file, an unreadable one, a bad line or an empty list is
 * reported as a failure: lb4j keeps the hosts it had and says so. The thread blocks on file I/O,
 * which is why it is the source's own thread and never one of lb4j's.
 */
public final class FileRegistry implements HostSource {

  private final Path file;
  private final Duration interval;

  /**
   * @param file the registry file
   * @param interval how often it is read
   */
  public FileRegistry(Path file, Duration interval) {
    this.file = Objects.requireNonNull(file, "file");
    this.interval = InvalidSettingException.requirePositive(interval, "interval");
  }

  @Override
  public Watch watch(String upstream, Sink sink) {
    ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "file-registry-" + upstream);
      t.setDaemon(true);
      return t;
    });
    Reader reader = new Reader(sink);
    thread.scheduleWithFixedDelay(reader::read, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    return thread::shutdownNow;
  }

  @Override
  public String toString() {
    return "file " + file;
  }

  /** The state of one watch, touched by its thread only. */
  private final class Reader {
    private final Sink sink;
    private List<DiscoveredHost> last;

    Reader(Sink sink) {
      this.sink = sink;
    }

    void read() {
      List<DiscoveredHost> hosts;
      try {
        hosts = parse(Files.readAllLines(file, StandardCharsets.UTF_8));
      } catch (NoSuchFileException e) {
        sink.failed(Failure.NOT_FOUND, file + " does not exist");
        return;
      } catch (IOException e) {
        sink.failed(Failure.ERROR, file + " cannot be read: " + e.getMessage());
        return;
      } catch (IllegalArgumentException e) {
        sink.failed(Failure.ERROR, file + ": " + e.getMessage());
        return;
      }
      if (hosts.isEmpty()) {
        sink.failed(Failure.EMPTY, file + " lists no host");
      } else if (!hosts.equals(last)) {
        last = hosts;
        sink.publish(hosts);
      }
    }

    private List<DiscoveredHost> parse(List<String> lines) {
      List<DiscoveredHost> hosts = new ArrayList<>();
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i).replaceFirst("#.*", "").strip();
        if (line.isEmpty()) {
          continue;
        }
        String[] parts = line.split("\\s+");
        try {
          int weight = parts.length > 1 ? Integer.parseInt(parts[1]) : 1;
          hosts.add(new DiscoveredHost(Host.parse(parts[0]), weight, "line " + (i + 1)));
        } catch (RuntimeException e) {
          throw new IllegalArgumentException("line " + (i + 1) + ": " + e.getMessage(), e);
        }
      }
      return hosts;
    }
  }
}
