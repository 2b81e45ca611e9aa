package io.lb4j.bench.soak;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;

/**
 * Real ClientHello records, as the running JDK's TLS client writes them, captured once without
 * any network: the seeds that {@link MalformedTls} mutates.
 */
final class ClientHellos {

  /** A host name with a dot, so that the JDK sends it as SNI. */
  private static final String SERVER_NAME = "lb4j.test";

  private static final List<byte[]> CAPTURED = capture();

  private ClientHellos() {}

  /** Returns the captured records: TLS 1.3 and 1.2, each with and without SNI. */
  static List<byte[]> all() {
    return CAPTURED;
  }

  private static List<byte[]> capture() {
    SSLContext context;
    try {
      context = SSLContext.getInstance("TLS");
      context.init(null, null, null);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK offers no TLS client context", e);
    }
    List<String[]> protocolSets =
        List.of(
            new String[] {"TLSv1.3", "TLSv1.2"},
            new String[] {"TLSv1.3"},
            new String[] {"TLSv1.2"});
    List<byte[]> hellos = new ArrayList<>();
    for (String[] protocols : protocolSets) {
      for (boolean sni : new boolean[] {true, false}) {
        SSLEngine engine =
            sni ? context.createSSLEngine(SERVER_NAME, 443) : context.createSSLEngine();
        engine.setUseClientMode(true);
        engine.setEnabledProtocols(protocols);
        hellos.add(firstRecord(engine));
      }
    }
    return List.copyOf(hellos);
  }

  private static byte[] firstRecord(SSLEngine engine) {
    ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
    try {
      engine.wrap(ByteBuffer.allocate(0), out);
    } catch (SSLException e) {
      throw new IllegalStateException("the JDK's TLS client cannot start a handshake", e);
    }
    out.flip();
    byte[] record = Arrays.copyOf(out.array(), out.limit());
    if (record.length < 9 || record[0] != 22 || record[5] != 1) {
      throw new IllegalStateException("the JDK's first TLS record is not a ClientHello");
    }
    return record;
  }
}
