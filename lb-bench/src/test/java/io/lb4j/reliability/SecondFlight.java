package io.lb4j.reliability;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.Random;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;

/**
 * A real TLS client (the JDK's engine, driven by hand over a blocking socket) that plays its
 * handshake honestly up to its second flight (TLS 1.2: Certificate, ClientKeyExchange,
 * CertificateVerify, ChangeCipherSpec, Finished; TLS 1.3: the encrypted Certificate,
 * CertificateVerify and Finished), then damages that flight before sending it: the server has
 * done its key exchange and must now parse and verify what the client made of it. Bits are
 * flipped only inside record bodies, where every change breaks a signature, a MAC or a parse, so
 * a server must refuse every such handshake; or the flight is cut short.
 */
final class SecondFlight {

  private SecondFlight() {}

  /**
   * Runs one damaged handshake on {@code socket}, then leaves the socket for the caller to read
   * until the server closes.
   *
   * @return a description of the damage, for failure messages
   */
  static String sendDamaged(SSLContext context, String protocol, Socket socket, Random random)
      throws IOException {
    SSLEngine engine = context.createSSLEngine(); // no peer: no session to resume
    engine.setUseClientMode(true);
    engine.setEnabledProtocols(new String[] {protocol});
    int packet = engine.getSession().getPacketBufferSize();
    ByteBuffer netIn = ByteBuffer.allocate(4 * packet);
    ByteBuffer netOut = ByteBuffer.allocate(packet);
    ByteBuffer app = ByteBuffer.allocate(4 * engine.getSession().getApplicationBufferSize());
    ByteArrayOutputStream flight = new ByteArrayOutputStream();
    InputStream in = socket.getInputStream();
    boolean serverSpoke = false;
    // TLS 1.3 clients send a ChangeCipherSpec as soon as the ServerHello arrives, before the rest
    // of the server's flight: the flight has begun only with a record of another type.
    boolean flightBegun = false;
    engine.beginHandshake();
    for (int step = 0; step < 200; step++) {
      HandshakeStatus status = engine.getHandshakeStatus();
      if (status == HandshakeStatus.NEED_TASK) {
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) {
          task.run();
        }
      } else if (status == HandshakeStatus.NEED_WRAP) {
        netOut.clear();
        engine.wrap(ByteBuffer.allocate(0), netOut);
        netOut.flip();
        byte[] out = new byte[netOut.remaining()];
        netOut.get(out);
        if (serverSpoke) {
          flight.writeBytes(out);
          flightBegun |= out.length > 0 && out[0] != 20;
        } else {
          socket.getOutputStream().write(out);
        }
      } else if (status == HandshakeStatus.NEED_UNWRAP || status == HandshakeStatus.NEED_UNWRAP_AGAIN) {
        if (flightBegun) {
          break; // TLS 1.2: the client's flight is complete, the server's Finished is next
        }
        netIn.flip();
        SSLEngineResult r = engine.unwrap(netIn, app);
        netIn.compact();
        app.clear();
        if (r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW) {
          int n = in.read(netIn.array(), netIn.position(), netIn.remaining());
          if (n < 0) {
            return "the server closed before its first flight ended";
          }
          netIn.position(netIn.position() + n);
        } else if (r.bytesConsumed() > 0) {
          serverSpoke = true;
        }
      } else {
        break; // TLS 1.3: the client is done once its flight is written
      }
    }
    byte[] bytes = flight.toByteArray();
    String damage = damage(bytes, random);
    socket.getOutputStream().write(damage.startsWith("cut") ? cut(bytes, random) : bytes);
    return protocol + " second flight of " + bytes.length + " bytes, " + damage;
  }

  private static byte[] cut(byte[] bytes, Random random) {
    return java.util.Arrays.copyOf(bytes, random.nextInt(bytes.length));
  }

  // Flips bits inside record bodies (never the 5-byte record headers), or decides to cut.
  private static String damage(byte[] bytes, Random random) {
    if (random.nextInt(8) == 0) {
      return "cut short";
    }
    int flips = 1 + random.nextInt(8);
    int done = 0;
    for (int attempt = 0; done < flips && attempt < 1000; attempt++) {
      int at = random.nextInt(bytes.length);
      if (!inBody(bytes, at)) {
        continue;
      }
      bytes[at] ^= (byte) (1 << random.nextInt(8));
      done++;
    }
    return done + " bit(s) flipped in record bodies";
  }

  private static boolean inBody(byte[] records, int index) {
    int p = 0;
    while (p + 5 <= records.length) {
      int length = ((records[p + 3] & 0xff) << 8) | (records[p + 4] & 0xff);
      if (index < p + 5) {
        return false;
      }
      if (index < p + 5 + length) {
        return true;
      }
      p += 5 + length;
    }
    return false;
  }
}
