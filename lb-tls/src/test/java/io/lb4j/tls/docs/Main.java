package io.lb4j.tls.docs;

// The embedding example of docs/getting-started.md, compiled here and run by GettingStartedTest.
// The guide shows it in a package of the user's own (com.example); otherwise it is this file.

// --- getting-started example starts
import io.lb4j.api.Host;
import io.lb4j.api.Upstream;
import io.lb4j.impl.LoadBalancer;
import io.lb4j.impl.authorization.AllowList;
import io.lb4j.tls.PemTlsContextFactory;
import java.nio.file.Path;
import java.util.Arrays;

public final class Main {

  /** Arguments: a folder with server.pem, server-key.pem and ca.pem; host:port to listen on; the hosts. */
  public static void main(String[] args) throws Exception {
    Path certs = Path.of(args[0]);
    Host listen = Host.parse(args[1]);
    Upstream echo = Upstream.builder("echo")
        .hosts(Arrays.stream(args, 2, args.length).map(Host::parse).toList())
        .build();
    try (PemTlsContextFactory tls = PemTlsContextFactory.builder()
            .certificateChain(certs.resolve("server.pem"))
            .privateKey(certs.resolve("server-key.pem"))
            .clientCa(certs.resolve("ca.pem"))
            .build();
        LoadBalancer lb = LoadBalancer.builder()
            .upstream(echo, listen.toSocketAddress())
            .tls(tls)
            .authorizer(AllowList.builder().allow("echo", "alice").build())
            .build()
            .start()) {
      Runtime.getRuntime().addShutdownHook(new Thread(lb::close)); // Ctrl-C, SIGTERM: drain
      Thread.currentThread().join(); // lb4j's threads are daemons: keep main alive
    }
  }
}
// --- getting-started example ends
