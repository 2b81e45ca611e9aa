package io.lb4j.bench.load;

import io.lb4j.api.Host;
import io.lb4j.api.ProxyProtocol;
import io.lb4j.api.Upstream;
import io.lb4j.impl.LoadBalancer;
import io.lb4j.impl.authorization.AllowList;
import io.lb4j.ratelimit.ClientLimit;
import io.lb4j.ratelimit.LocalRateLimiter;
import io.lb4j.tls.PemTlsContextFactory;
import io.lb4j.tls.TlsEngine;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * lb4j in a process of its own, built from the library alone: one upstream {@code bench} of the
 * given hosts under least connections, mutual TLS from PEM files, a chosen number of event-loop
 * threads. The comparison's stand-in for the reference server, and the way to measure the library
 * without the server's features.
 *
 * <pre>{@code
 * java -cp lb-bench/target/lb-bench.jar io.lb4j.bench.load.Lb4jMain --listen 127.0.0.1:18410 \
 *     --hosts 127.0.0.1:18401,127.0.0.1:18402,127.0.0.1:18403 \
 *     --cert server.pem --key server-key.pem --ca ca.pem --io-threads 1
 * }</pre>
 *
 * <p>{@code --engine auto|openssl|jdk} chooses the TLS engine (default auto: BoringSSL where it
 * loads). Options {@code --allow CN} (an allow list with that one principal) and
 * {@code --rate-limit} (a local rate limiter whose limits are far above the load, so it is
 * consulted on every connection but never refuses), {@code --bandwidth BYTES} (the same limiter with
 * a bandwidth limit of that many bytes per second per client and direction, so every read is
 * counted against the client's byte budget) turn on those features' hot paths,
 * {@code --crl FILE} checks clients against that revocation list, and {@code --proxy v1|v2} sends
 * a PROXY header to the hosts (which then need {@code BenchHosts --accept-proxy}). Prints
 * {@code lb4j ready on ...} once listening and serves until the process is stopped.
 */
public final class Lb4jMain {

  private Lb4jMain() {}

  /** Starts lb4j and blocks until the process ends. */
  public static void main(String[] argv) throws InterruptedException {
    LoadBalancer lb;
    try {
      Args args = Args.parse(argv);
      InetSocketAddress listen = Host.parse(args.required("listen")).toSocketAddress();
      List<Host> hosts = new ArrayList<>();
      for (String host : args.required("hosts").split(",")) {
        hosts.add(Host.parse(host));
      }
      PemTlsContextFactory.Builder tlsBuilder = PemTlsContextFactory.builder()
          .certificateChain(args.path("cert"))
          .privateKey(args.path("key"))
          .clientCa(args.path("ca"))
          .engine(TlsEngine.valueOf(args.string("engine", "auto").toUpperCase(java.util.Locale.ROOT)));
      String crl = args.string("crl", null);
      if (crl != null) {
        tlsBuilder.crls(List.of(java.nio.file.Path.of(crl)));
      }
      PemTlsContextFactory tls = tlsBuilder.build();
      int ioThreads = args.integer("io-threads", 1);
      String allow = args.string("allow", null);
      boolean rateLimit = args.has("rate-limit");
      long bandwidth = Long.parseLong(args.string("bandwidth", "0"));
      String proxy = args.string("proxy", "none");
      args.rejectUnused();

      Upstream.Builder upstream = Upstream.builder("bench").hosts(hosts);
      switch (proxy) {
        case "none" -> {}
        case "v1" -> upstream.proxyProtocol(ProxyProtocol.v1());
        case "v2" -> upstream.proxyProtocol(ProxyProtocol.v2());
        default -> throw new IllegalArgumentException("--proxy must be none, v1 or v2 but was " + proxy);
      }
      Upstream bench = upstream.build();
      LoadBalancer.Builder builder = LoadBalancer.builder()
          .upstream(bench, listen)
          .tls(tls)
          .ioThreads(ioThreads)
          .drainTimeout(Duration.ofSeconds(1));
      if (allow != null) {
        builder.authorizer(AllowList.builder().allow("bench", allow).build());
      }
      if (rateLimit || bandwidth > 0) {
        ClientLimit limit = rateLimit
            ? ClientLimit.rate(1_000_000, 1_000_000).withMaxConcurrent(1_000_000)
            : ClientLimit.unlimited();
        builder.rateLimiter(LocalRateLimiter.builder()
            .defaults(limit.withBandwidth(bandwidth, 0))
            .build());
      }
      lb = builder.build().start();
      System.out.println("lb4j ready on " + listen.getHostString() + ":" + listen.getPort()
          + " (" + ioThreads + " io thread" + (ioThreads == 1 ? "" : "s") + ", TLS engine "
          + tls.engine() + ", hosts " + hosts + (allow == null ? "" : ", allow " + allow)
          + (rateLimit ? ", rate limiter on" : "")
          + (bandwidth > 0 ? ", bandwidth " + bandwidth + " B/s per client" : "")
          + (proxy.equals("none") ? "" : ", PROXY " + proxy + " to the hosts")
          + (crl == null ? "" : ", revocation list " + crl) + ")");
      System.out.flush();
    } catch (RuntimeException e) {
      System.err.println("lb4j: " + e.getMessage());
      System.exit(2);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    LoadBalancer running = lb;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      running.close();
      stopped.countDown();
    }, "lb4j-stop"));
    stopped.await();
  }
}
