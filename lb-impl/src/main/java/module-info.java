/**
 * The forwarder, the {@code LoadBalancer}, the shipped balancing strategies, the allow list and
 * DNS discovery.
 *
 * <p>Only {@code io.lb4j.impl}, {@code io.lb4j.impl.balancing}, {@code io.lb4j.impl.authorization}
 * , {@code io.lb4j.impl.discovery} and {@code io.lb4j.impl.admin} are API. The host pool, the
 * health checks, name resolution and the Netty transport live in packages this module does not
 * export.
 *
 * <p>On the module path, keeping a half-closing client's reply with BoringSSL needs
 * {@code --add-opens io.netty.handler/io.netty.handler.ssl=io.lb4j.impl}: lb4j reads one flag of
 * Netty's OpenSSL engine (see {@code TlsHalfClose}); without it lb4j logs a warning once and such a
 * client may lose the end of its reply. On the class path nothing is needed.
 */
module io.lb4j.impl {
  requires transitive io.lb4j.api;
  requires transitive io.netty.transport;
  requires io.netty.buffer;
  requires io.netty.common;
  requires io.netty.handler;
  requires io.netty.resolver;
  requires io.netty.resolver.dns;
  requires io.netty.codec;
  requires io.netty.codec.dns;
  requires io.netty.codec.haproxy;
  requires io.netty.transport.classes.epoll;
  requires io.netty.transport.unix.common;
  // Only read for engines that netty-tcnative made, which a TLS module that requires it provides.
  requires static io.netty.tcnative.classes.openssl;
  requires org.slf4j;

  exports io.lb4j.impl;
  exports io.lb4j.impl.balancing;
  exports io.lb4j.impl.authorization;
  exports io.lb4j.impl.discovery;
  exports io.lb4j.impl.admin;
}
