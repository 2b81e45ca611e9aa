package io.lb4j.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin listener: {@code GET /metrics} answers the Prometheus text format, {@code GET /healthz}
 * answers 200 {@code ok} while the server serves and 503 {@code draining} once it shuts down. Runs
 * on a few daemon threads of its own, away from the event loops, so a slow scrape never holds up
 * a health probe; neither endpoint waits on the load balancer's drain.
 */
final class AdminServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
  private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
  /** A probe, and a scrape or two from more than one Prometheus, at the same time. */
  private static final int THREADS = 4;

  private final HttpServer http;
  private final ExecutorService executor;

  private AdminServer(HttpServer http, ExecutorService executor) {
    this.http = http;
    this.executor = executor;
  }

  /**
   * Binds and starts the listener.
   *
   * @param address where to listen; port 0 picks a free one
   * @param metrics produces the metrics text
   * @param serving whether {@code /healthz} reports ok
   * @throws UncheckedIOException if the address cannot be bound
   */
  static AdminServer start(InetSocketAddress address, Supplier<String> metrics, BooleanSupplier serving) {
    HttpServer http;
    try {
      http = HttpServer.create(address, 16);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    AtomicInteger threads = new AtomicInteger();
    ExecutorService executor = Executors.newFixedThreadPool(THREADS, r -> {
      Thread t = new Thread(r, "lb4j-admin-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    http.setExecutor(executor);
    http.createContext("/metrics", exchange -> {
      if (allowGet(exchange)) {
        String body;
        try {
          body = metrics.get();
        } catch (RuntimeException e) {
          log.warn("metrics could not be produced", e);
          respond(exchange, 500, "text/plain; charset=utf-8", "metrics failed: " + e + "\n");
          return;
        }
        respond(exchange, 200, PROMETHEUS_TEXT, body);
      }
    });
    http.createContext("/healthz", exchange -> {
      if (allowGet(exchange)) {
        boolean ok = serving.getAsBoolean();
        respond(exchange, ok ? 200 : 503, "text/plain; charset=utf-8", ok ? "ok\n" : "draining\n");
      }
    });
    http.createContext("/", exchange ->
        respond(exchange, 404, "text/plain; charset=utf-8", "not found: try /metrics or /healthz\n"));
    http.start();
    return new AdminServer(http, executor);
  }

  /** Returns the bound address, which tells the port when 0 was asked for. */
  InetSocketAddress address() {
    return http.getAddress();
  }

  private static boolean allowGet(HttpExchange exchange) throws IOException {
    String method = exchange.getRequestMethod();
    if (method.equals("GET") || method.equals("HEAD")) {
      // An exact path only: /metricsfoo is not /metrics.
      String path = exchange.getRequestURI().getPath();
      if (!path.equals(exchange.getHttpContext().getPath())) {
        respond(exchange, 404, "text/plain; charset=utf-8", "not found\n");
        return false;
      }
      return true;
    }
    exchange.getResponseHeaders().set("Allow", "GET, HEAD");
    respond(exchange, 405, "text/plain; charset=utf-8", "method not allowed\n");
    return false;
  }

  private static void respond(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
    exchange.close();
  }

  /** Stops answering at once. Idempotent. */
  @Override
  public void close() {
    http.stop(0);
    executor.shutdownNow();
  }
}
