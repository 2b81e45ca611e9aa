package io.lb4j.tls;

import javax.net.ssl.SSLSocket;

/** Socket settings the tests give their JDK clients. */
final class TlsClientSockets {

  private TlsClientSockets() {}

  static void tls12Only(SSLSocket socket) {
    socket.setEnabledProtocols(new String[] {"TLSv1.2"});
  }

  static void tls13Only(SSLSocket socket) {
    socket.setEnabledProtocols(new String[] {"TLSv1.3"});
  }

  static void protocol(SSLSocket socket, String protocol) {
    socket.setEnabledProtocols(new String[] {protocol});
  }
}
