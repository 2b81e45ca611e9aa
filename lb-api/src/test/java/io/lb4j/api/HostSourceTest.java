package io.lb4j.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The discovery SPI's values and the rules of an upstream whose hosts are discovered. */
class HostSourceTest {

  private static final Host A = Host.of("10.0.0.1", 80);

  @Test
  void anUpstreamWithHostsAndASourceIsRefusedNamingDiscover() {
    Upstream.Builder b = Upstream.builder("api").hosts(List.of(A)).discover(HostSource.fixed(List.of(A)));

    assertThatThrownBy(b::build)
        .isInstanceOfSatisfying(InvalidSettingException.class,
            e -> assertThat(e.setting()).isEqualTo("discover"))
        .hasMessageContaining("cannot be set together with hosts");
  }

  @Test
  void anUpstreamWithASourceHasNoListedHostsAndKeepsItsSourceInACopy() {
    HostSource source = HostSource.fixed(List.of(A));

    Upstream u = Upstream.builder("api").discover(source).build();

    assertThat(u.hosts()).isEmpty();
    assertThat(u.hostSource()).containsSame(source);
    assertThat(u.toBuilder().build().hostSource()).containsSame(source);
    assertThat(u.toBuilder().discover(null).build().hostSource()).isEmpty();
  }

  @Test
  void aFixedSourcePublishesItsHostsOnceAtWeightOne() {
    List<List<DiscoveredHost>> published = new ArrayList<>();

    HostSource.fixed(List.of(A)).watch("api", new HostSource.Sink() {
      @Override
      public void publish(List<DiscoveredHost> hosts) {
        published.add(hosts);
      }

      @Override
      public void failed(HostSource.Failure failure, String detail) {
        throw new AssertionError(detail);
      }
    }).close();

    assertThat(published).containsExactly(List.of(new DiscoveredHost(A, 1, null)));
  }

  @Test
  void aDiscoveredHostsWeightMustBeInTheHostRange() {
    assertThatThrownBy(() -> new DiscoveredHost(A, 0, null))
        .isInstanceOfSatisfying(InvalidSettingException.class, e -> assertThat(e.setting()).isEqualTo("weight"))
        .hasMessage("weight must be from 1 to 256 but was 0");
    assertThatThrownBy(() -> new DiscoveredHost(A, 257, null))
        .isInstanceOf(InvalidSettingException.class);
  }

  @Test
  void aDiscoveredHostsOriginMayBeAbsentButNotBlank() {
    assertThat(new DiscoveredHost(A, 1, null).origin()).isNull();
    assertThatThrownBy(() -> new DiscoveredHost(A, 1, " "))
        .isInstanceOfSatisfying(InvalidSettingException.class, e -> assertThat(e.setting()).isEqualTo("origin"));
  }

  @Test
  void failureTagsAreLowerCase() {
    assertThat(HostSource.Failure.SERVER_FAILURE.tag()).isEqualTo("server_failure");
  }
}
