package io.lb4j.bench.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslContextOption;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.internal.tcnative.SSL;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;

/**
 * The load generator's side of the wire: mutual-TLS client connections to one target, on Netty
 * with native epoll and BoringSSL (netty-tcnative), each with its own {@link SslHandler} in front
 * of the measure's handler.
 *
 * <p>By default engines are made without a peer host and port, so the client never caches nor
 * offers a session: every handshake is a full one. With {@code resume}, engines are made for the
 * target's host and port, so Netty's client session cache keeps the sessions (TLS 1.3 tickets)
 * the target hands out and each new connection offers one: after the first handshakes, every
 * handshake is a resumption, as long as the target resumes. The key-exchange groups the client offers are given
 * (the comparison offers X25519, then P-256): Netty's default with BoringSSL puts the
 * post-quantum X25519MLKEM768 first, which a BoringSSL server accepts and OpenSSL 3.0 does not,
 * so two targets would otherwise do different key exchanges. P-256 must be offered for TLS 1.2,
 * where the groups also name the curves the server's ECDSA certificate may use. The server's name is not checked against its
 * certificate (the client trusts only the bench CA, and the targets are loopback addresses).
 *
 * <p>Thread-safe: {@link #connect} may be called from any thread, including event loops.
 */
final class LoadClient implements AutoCloseable {

  /** Which protocol versions the client offers. */
  enum Tls {
    /** TLS 1.3 and 1.2 offered; a target under lb4j's policy negotiates 1.3. */
    ANY(List.of("TLSv1.3", "TLSv1.2"), null),
    /** TLS 1.3 only, BoringSSL's suites. */
    TLS13(List.of("TLSv1.3"), null),
    /** TLS 1.2 only, with the one suite the comparison pins: ECDHE-ECDSA-AES128-GCM-SHA256. */
    TLS12(List.of("TLSv1.2"), List.of("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"));

    final List<String> protocols;
    final List<String> ciphers;

    Tls(List<String> protocols, List<String> ciphers) {
      this.protocols = protocols;
      this.ciphers = ciphers;
    }

    static Tls parse(String text) {
      return switch (text.toLowerCase(Locale.ROOT)) {
        case "any" -> ANY;
        case "1.3", "tls13", "tlsv1.3" -> TLS13;
        case "1.2", "tls12", "tlsv1.2" -> TLS12;
        default -> throw new Args.UsageException("--tls must be any, 1.3 or 1.2 but was '" + text + "'");
      };
    }
  }

  private static final int CONNECT_TIMEOUT_MILLIS = 10_000;
  private static final long HANDSHAKE_TIMEOUT_MILLIS = 10_000;
  private static final WriteBufferWaterMark WATER_MARK =
      new WriteBufferWaterMark(512 * 1024, 1024 * 1024);

  private final InetSocketAddress target;
  private final boolean resume;
  private final SslContext ssl;
  private final LoopTransport transport;
  private final EventLoopGroup group;
  private final Bootstrap bootstrap;

  LoadClient(InetSocketAddress target, Path certificate, Path privateKey, Path ca, Tls tls,
      List<String> groups, int threads, boolean resume) {
    this.target = target;
    this.resume = resume;
    this.ssl = context(certificate, privateKey, ca, tls, groups);
    this.transport = LoopTransport.best();
    this.group = transport.newGroup(threads, "load");
    this.bootstrap = new Bootstrap()
        .group(group)
        .channel(transport.socketChannel())
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)
        .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK);
  }

  private static SslContext context(Path certificate, Path privateKey, Path ca, Tls tls,
      List<String> groups) {
    if (!OpenSsl.isAvailable()) {
      throw new IllegalStateException("BoringSSL (netty-tcnative) does not load here: "
          + OpenSsl.unavailabilityCause());
    }
    try {
      SslContextBuilder builder = SslContextBuilder.forClient()
          .sslProvider(SslProvider.OPENSSL)
          .keyManager(certificate.toFile(), privateKey.toFile())
          .trustManager(ca.toFile())
          .endpointIdentificationAlgorithm(null)
          .protocols(tls.protocols)
          .option(OpenSslContextOption.GROUPS, groups.toArray(new String[0]));
      if (tls.ciphers != null) {
        builder.ciphers(tls.ciphers);
      }
      return builder.build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new IllegalStateException("cannot build the client TLS context from " + certificate
          + ", " + privateKey + " and " + ca + ": " + e.getMessage(), e);
    }
  }

  InetSocketAddress target() {
    return target;
  }

  /** Whether connections offer the sessions of earlier ones (see the class comment). */
  boolean resumes() {
    return resume;
  }

  LoopTransport transport() {
    return transport;
  }

  /** Returns one of the client's event loops, for scheduling retries. */
  EventLoop executor() {
    return group.next();
  }

  /**
   * Opens a connection whose pipeline is a fresh {@link SslHandler}, then {@code handler}. The
   * handler learns the end of the handshake from an {@code SslHandshakeCompletionEvent}.
   */
  ChannelFuture connect(Supplier<ChannelHandler> handler) {
    return bootstrap.clone()
        .handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            SslHandler tls = resume
                ? ssl.newHandler(ch.alloc(), target.getHostString(), target.getPort())
                : ssl.newHandler(ch.alloc());
            tls.setHandshakeTimeoutMillis(HANDSHAKE_TIMEOUT_MILLIS);
            ch.pipeline().addLast(tls, handler.get());
          }
        })
        .connect(target);
  }

  /**
   * Returns the negotiated protocol, cipher suite and key-exchange group of a connection, as
   * "TLSv1.3 TLS_AES_128_GCM_SHA256 X25519".
   */
  static String negotiated(Channel ch) {
    SslHandler tls = ch.pipeline().get(SslHandler.class);
    if (tls == null) {
      return "no TLS";
    }
    SSLSession session = tls.engine().getSession();
    String text = session.getProtocol() + " " + session.getCipherSuite();
    if (tls.engine() instanceof ReferenceCountedOpenSslEngine engine) {
      try {
        text += " " + SSL.getGroupName(engine.sslPointer());
      } catch (Exception e) {
        // Older BoringSSL builds cannot name the group; the rest is still worth printing.
      }
    }
    return text;
  }

  /** Returns whether a connection's handshake resumed a session instead of a full handshake. */
  static boolean resumed(Channel ch) {
    SslHandler tls = ch.pipeline().get(SslHandler.class);
    return tls != null && tls.engine() instanceof ReferenceCountedOpenSslEngine engine
        && SSL.isSessionReused(engine.sslPointer());
  }

  /**
   * Closes every channel at once (each sends its close_notify) and waits for them all, up to
   * {@code timeout} in all.
   */
  static void closeAll(Collection<Channel> channels, Duration timeout) {
    List<ChannelFuture> closes = new ArrayList<>(channels.size());
    for (Channel ch : channels) {
      closes.add(ch.close());
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    for (ChannelFuture close : closes) {
      long left = deadline - System.nanoTime();
      if (left <= 0 || !close.awaitUninterruptibly(left, TimeUnit.NANOSECONDS)) {
        return;
      }
    }
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    ReferenceCountUtil.release(ssl);
  }
}
