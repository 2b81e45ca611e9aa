package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.testkit.upstream.EchoUpstream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The file's ioThreads reaches the load balancer: its connections run on that many event loops. */
@Timeout(60)
class IoThreadsTest {

  /** Netty's DefaultThreadFactory names the load balancer's threads lb4j-io-POOL-N. */
  private static final Pattern IO_THREAD = Pattern.compile("lb4j-io-(\\d+)-\\d+");

  @TempDir Path dir;
  private ServerFixture f;

  @AfterEach
  void tearDown() throws Exception {
    f.close();
  }

  @Test
  void connectionsAreSpreadOverExactlyTheConfiguredNumberOfEventLoops() throws Exception {
    f = new ServerFixture(dir);
    EchoUpstream host = f.echo();
    Set<String> before = ioThreadNames();
    LbServer server = f.start(ServerFixture.tlsSection() + """
        upstreams:
          - name: echo
            listen: 127.0.0.1:0
            hosts: %s
            allow: [alice]
        ioThreads: 3
        """.formatted(ServerFixture.hostList(List.of(host))));

    // Netty starts a loop's thread on its first task and hands out loops in turn: more
    // connections than loops start every loop there is, and no more.
    for (int i = 0; i < 8; i++) {
      SSLSocket s = f.connect(server, "echo", f.alice);
      assertThat(TlsClient.roundTrip(s, "hello " + i + "\n")).isEqualTo("hello " + i + "\n");
    }

    Map<String, Long> newThreadsByPool = ioThreadNames().stream()
        .filter(name -> !before.contains(name))
        .collect(Collectors.groupingBy(IoThreadsTest::pool, Collectors.counting()));
    assertThat(newThreadsByPool).hasSize(1).containsValue(3L);
  }

  private static Set<String> ioThreadNames() {
    return Thread.getAllStackTraces().keySet().stream()
        .map(Thread::getName)
        .filter(name -> IO_THREAD.matcher(name).matches())
        .collect(Collectors.toSet());
  }

  private static String pool(String threadName) {
    Matcher m = IO_THREAD.matcher(threadName);
    if (!m.matches()) {
      throw new IllegalArgumentException(threadName);
    }
    return m.group(1);
  }
}
