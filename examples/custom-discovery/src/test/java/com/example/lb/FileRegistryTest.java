package com.example.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.Host;
import io.lb4j.api.HostSource.Failure;
import io.lb4j.api.Upstream;
import io.lb4j.impl.LoadBalancer;
import io.lb4j.impl.balancing.HostStatus;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file registry in a real LoadBalancer: hosts follow the file, a bad file keeps the last. */
class FileRegistryTest {

  @TempDir Path dir;

  private static Set<Host> serving(LoadBalancer lb) {
    return lb.hostStatus("api").stream()
        .filter(s -> !s.draining())
        .map(HostStatus::host)
        .collect(Collectors.toSet());
  }

  private static void echo(InetSocketAddress address) throws Exception {
    try (Socket s = new Socket(address.getAddress(), address.getPort())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      out.write("ping".getBytes());
      assertThat(in.readNBytes(4)).isEqualTo("ping".getBytes());
    }
  }

  @Test
  void hostsFollowTheFileAndABrokenFileKeepsTheLastOnes() throws Exception {
    Path file = dir.resolve("api.txt");
    try (EchoUpstream a = Upstreams.echo();
        EchoUpstream b = Upstreams.echo()) {
      Files.writeString(file, a.host() + " 3  # the first host\n");
      Upstream api = Upstream.builder("api")
          .discover(new FileRegistry(file, Duration.ofMillis(50)))
          .build();
      try (LoadBalancer lb = LoadBalancer.builder()
          .upstream(api, new InetSocketAddress("127.0.0.1", 0))
          .build()
          .start()) {
        await().until(() -> serving(lb).equals(Set.of(a.host())));
        echo(lb.boundAddress("api"));
        assertThat(lb.origin("api", a.host())).contains("line 1");

        Files.writeString(file, a.host() + "\n" + b.host() + "\n");
        await().until(() -> serving(lb).equals(Set.of(a.host(), b.host())));

        Files.writeString(file, "not a host\n");
        await().until(() -> lb.discoveryStatus("api").orElseThrow().failures(Failure.ERROR) > 0);
        assertThat(serving(lb)).containsExactlyInAnyOrder(a.host(), b.host());
        echo(lb.boundAddress("api"));
      }
    }
  }
}
