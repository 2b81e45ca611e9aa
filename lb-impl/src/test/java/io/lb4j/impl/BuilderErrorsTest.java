package io.lb4j.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lb4j.api.InvalidSettingException;
import io.lb4j.api.Upstream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The builders' refusals carry what they are about as fields, not only in their message. */
class BuilderErrorsTest {

  private static final InetSocketAddress SHARED = new InetSocketAddress("127.0.0.1", 9443);

  private static Upstream upstream(String name) {
    return Upstream.builder(name).build();
  }

  @Test
  void bindFailureNamesTheAddressAndTheUpstreamsOfTheListener() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      InetSocketAddress address = new InetSocketAddress("127.0.0.1", taken.getLocalPort());
      LoadBalancer lb = LoadBalancer.builder()
          .upstream(upstream("web"), address)
          .upstream(upstream("api"), new InetSocketAddress("127.0.0.1", 0))
          .build();

      assertThatThrownBy(lb::start)
          .isInstanceOfSatisfying(ListenerBindException.class, e -> {
            assertThat(e.address()).isEqualTo(address);
            assertThat(e.upstreams()).containsExactly("web");
            assertThat(e.getCause()).isNotNull();
          })
          .isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("cannot listen on 127.0.0.1:" + taken.getLocalPort() + ": ");
    }
  }

  @Test
  void twoUpstreamsWithoutServerNameOnOneListenerAreRefusedNamingBoth() {
    LoadBalancer.Builder b = LoadBalancer.builder().upstream(upstream("web"), SHARED);

    assertThatThrownBy(() -> b.upstream(upstream("api"), SHARED))
        .isInstanceOfSatisfying(ListenerConflictException.class, e -> {
          assertThat(e.setting()).isEqualTo("listen");
          assertThat(e.address()).isEqualTo(SHARED);
          assertThat(e.upstream()).isEqualTo("api");
          assertThat(e.sharedWith()).isEqualTo("web");
          assertThat(e.serverName()).isNull();
        })
        .hasMessage("upstreams 'web' and 'api' share listener " + SHARED
            + " and neither has a serverName to tell them apart");
  }

  @Test
  void oneServerNameTwiceOnOneListenerIsRefusedWhateverItsCase() {
    LoadBalancer.Builder b = LoadBalancer.builder().upstream(upstream("web"), SHARED, "x.example");

    assertThatThrownBy(() -> b.upstream(upstream("api"), SHARED, "X.Example"))
        .isInstanceOfSatisfying(ListenerConflictException.class, e -> {
          assertThat(e.setting()).isEqualTo("serverName");
          assertThat(e.serverName()).isEqualTo("x.example");
          assertThat(e.sharedWith()).isEqualTo("web");
        });
  }

  @Test
  void upstreamsOnPortZeroNeverShare() {
    InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);

    assertThat(LoadBalancer.builder().upstream(upstream("a"), any).upstream(upstream("b"), any)
        .build()).isNotNull();
  }

  @Test
  void routingByServerNameWithoutTlsNamesTls() {
    LoadBalancer.Builder b = LoadBalancer.builder().upstream(upstream("web"), SHARED, "web.example");

    assertThatThrownBy(b::build)
        .isInstanceOfSatisfying(InvalidSettingException.class,
            e -> assertThat(e.setting()).isEqualTo("tls"));
  }

  @Test
  void upstreamAddedTwiceAndMissingUpstreamsNameTheirSetting() {
    LoadBalancer.Builder b = LoadBalancer.builder().upstream(upstream("web"), SHARED);

    assertThatThrownBy(() -> b.upstream(upstream("web"), new InetSocketAddress("127.0.0.1", 1)))
        .isInstanceOfSatisfying(InvalidSettingException.class, e -> {
          assertThat(e.setting()).isEqualTo("upstream");
          assertThat(e.value()).isEqualTo("web");
        });
    assertThatThrownBy(() -> LoadBalancer.builder().build())
        .isInstanceOfSatisfying(InvalidSettingException.class,
            e -> assertThat(e.setting()).isEqualTo("upstreams"));
  }

  @Test
  void forwardingSettersNameThemselves() {
    LoadBalancer.Builder b = LoadBalancer.builder();

    assertThatThrownBy(() -> b.handshakeTimeout(Duration.ZERO))
        .isInstanceOfSatisfying(InvalidSettingException.class,
            e -> assertThat(e.setting()).isEqualTo("handshakeTimeout"));
    assertThatThrownBy(() -> b.drainTimeout(Duration.ofSeconds(-1)))
        .isInstanceOfSatisfying(InvalidSettingException.class,
            e -> assertThat(e.problem()).isEqualTo("must not be negative but was PT-1S"));
    assertThatThrownBy(() -> b.ioThreads(-1))
        .isInstanceOfSatisfying(InvalidSettingException.class,
            e -> assertThat(e.setting()).isEqualTo("ioThreads"))
        .hasMessage("ioThreads must not be negative but was -1");
    assertThatThrownBy(() -> b.nameServers(List.of(new InetSocketAddress("127.0.0.1", 0))))
        .isInstanceOfSatisfying(InvalidSettingException.class,
            e -> assertThat(e.setting()).isEqualTo("nameServers"));
  }

  @Test
  void acceptProxyMustNameAnUpstreamAddedBefore() {
    assertThatThrownBy(() -> LoadBalancer.builder().acceptProxy("api"))
        .isInstanceOfSatisfying(InvalidSettingException.class, e -> {
          assertThat(e.setting()).isEqualTo("acceptProxy");
          assertThat(e.value()).isEqualTo("api");
        });
  }

  @Test
  void upstreamsSharingAListenerMustAgreeOnAcceptProxy() {
    LoadBalancer.Builder b =
        LoadBalancer.builder()
            // Routing by server name needs TLS; the engine is never asked for before start.
            .tls(() -> {
              throw new UnsupportedOperationException();
            })
            .upstream(upstream("web"), SHARED, "web.test")
            .upstream(upstream("api"), SHARED, "api.test")
            .acceptProxy("web");

    assertThatThrownBy(b::build)
        .isInstanceOfSatisfying(InvalidSettingException.class, e -> {
          assertThat(e.setting()).isEqualTo("acceptProxy");
          assertThat(e.value()).isEqualTo("api");
          assertThat(e.problem()).contains("'web' accepts PROXY headers and 'api' does not");
        });
    b.acceptProxy("api");
    assertThat(b.build()).isNotNull();
  }
}
