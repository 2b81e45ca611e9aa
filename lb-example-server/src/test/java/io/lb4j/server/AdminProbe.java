package io.lb4j.server;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;

/**
 * Asks an admin listener for {@code /healthz} and {@code /metrics} the way a readiness probe and a
 * Prometheus scrape do: with a deadline, after which the answer counts as none.
 */
final class AdminProbe {

  /**
   * What both endpoints answered.
   *
   * @param healthz the status code, a space and the body of {@code /healthz}
   * @param metricsStatus the status code of {@code /metrics}
   * @param metrics the body of {@code /metrics}
   */
  record Answers(String healthz, int metricsStatus, String metrics) {

    /** Returns the value of a metrics sample, as {@link Metrics#value} reads it. */
    double sample(String name, String... labels) {
      return Metrics.value(metrics, name, labels);
    }
  }

  private final InetSocketAddress admin;
  private final Duration within;
  private final HttpClient http;

  AdminProbe(InetSocketAddress admin, Duration within) {
    this.admin = admin;
    this.within = within;
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(within)
        .build();
  }

  /**
   * Asks both endpoints, one after the other.
   *
   * @return both answers, or null when the listener no longer takes connections (it has stopped)
   * @throws AssertionError if either endpoint takes longer than the deadline to answer
   */
  Answers ask() {
    HttpResponse<String> healthz = get("/healthz");
    if (healthz == null) {
      return null;
    }
    HttpResponse<String> metrics = get("/metrics");
    if (metrics == null) {
      return null;
    }
    return new Answers(healthz.statusCode() + " " + healthz.body(), metrics.statusCode(), metrics.body());
  }

  private HttpResponse<String> get(String path) {
    URI uri = URI.create("http://" + admin.getHostString() + ":" + admin.getPort() + path);
    try {
      return http.send(HttpRequest.newBuilder(uri).timeout(within).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (HttpTimeoutException e) {
      throw new AssertionError("GET " + path + " did not answer within " + within, e);
    } catch (IOException e) {
      // Refused or cut: the listener has stopped, which the caller checks against what it expects.
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
