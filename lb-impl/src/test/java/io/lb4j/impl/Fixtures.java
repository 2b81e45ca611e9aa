package io.lb4j.impl;

import io.lb4j.api.Host;
import io.lb4j.api.Upstream;
import io.lb4j.testkit.upstream.TestUpstream;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;

/** Small builders shared by the forwarding tests. */
final class Fixtures {
  private Fixtures() {}

  static final InetSocketAddress ANY_PORT = new InetSocketAddress("127.0.0.1", 0);

  static Upstream.Builder upstream(String name, TestUpstream... hosts) {
    return Upstream.builder(name).hosts(Arrays.stream(hosts).map(TestUpstream::host).toList());
  }

  static Upstream.Builder upstream(String name, List<Host> hosts) {
    return Upstream.builder(name).hosts(hosts);
  }

  static LoadBalancer start(Upstream upstream, RecordingListener listener) {
    return LoadBalancer.builder().upstream(upstream, ANY_PORT).listener(listener).build().start();
  }
}
