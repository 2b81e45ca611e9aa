package io.lb4j.impl;

import io.lb4j.api.ByteBudget;
import io.lb4j.api.ClientIdentity;
import io.lb4j.api.CloseReason;
import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.ConnectionInfo;
import io.lb4j.api.Decision;
import io.lb4j.api.Defaults;
import io.lb4j.api.Host;
import io.lb4j.api.RateLimiter;
import io.lb4j.api.ProxyProtocol;
import io.lb4j.api.RefusalReason;
import io.lb4j.api.Refuse;
import io.lb4j.api.Upstream;
import io.lb4j.impl.pool.HostPool;
import io.lb4j.impl.proxy.ProxyHeader;
import io.lb4j.impl.pool.Lease;
import io.lb4j.impl.transport.Failures;
import io.lb4j.impl.transport.Nanos;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.security.cert.CertPathValidatorException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection from accept to close: the handshake outcome, the upstream connect with its
 * retries, the byte relay both ways with its half-closes, and the single close that releases
 * everything and reports the connection event. Whether the client may go on at all (identity,
 * route, authorization, rate limit) is its {@link Admission}'s decision.
 *
 * <p>It is the client channel's last handler, and {@link UpstreamSide} is the upstream channel's.
 * Both channels live on the same event loop, so every field is touched by one thread only and
 * needs no synchronisation; the few entries from other threads ({@link #closeFromOutside}, the
 * rate limiter's completion) hop onto the loop first.
 */
final class ProxiedConnection extends ChannelInboundHandlerAdapter implements Admission.Connection {

  private static final Logger log = LoggerFactory.getLogger(ProxiedConnection.class);

  /** How long a client may take to read what a failed upstream sent before lb4j closes it. */
  private static final long FLUSH_BEFORE_CLOSE_LIMIT_MS = 5_000;

  /**
   * The most TLV bytes accepted in a PROXY v2 header from a balancer in front: room for what cloud
   * balancers and HAProxy send (a few hundred bytes), far below the protocol's 64 KiB, so a peer
   * cannot make lb4j buffer much before it is refused.
   */
  private static final int ACCEPTED_TLV_LIMIT = 4096;

  private enum State { READING_HEADER, HANDSHAKING, ADMITTING, CONNECTING, FORWARDING, CLOSED }

  private final ForwardingCore core;
  private final Channel client;
  private final Admission admission;
  private final long acceptedAt;
  /** Wall clock at accept: a TLS session created before it was resumed (the PROXY SSL TLV). */
  private final long acceptedMillis;
  private final boolean acceptProxy;
  private ConnectionInfo info;
  private State state;
  /** The listener heard of this connection; held back until a balancer's header names the client. */
  private boolean announced;
  private ScheduledFuture<?> headerTimeout;
  /** The idle timeout's next check, from {@link #watchIdle} until the connection ends. */
  private ScheduledFuture<?> idleCheck;
  private long idleNanos;
  /** When either side last delivered bytes, by {@link System#nanoTime()}. */
  private long lastActivityNanos;
  /** The client's TLS session once the handshake succeeded, for the PROXY header to the host. */
  private SSLSession session;
  /** Set once the channel is active, so that the start runs once whichever event comes first. */
  private boolean activated;
  /** Why the TLS factory could not make an engine; refuses the client once it is active. */
  private RuntimeException engineFailure;

  private long handshakeNanos;
  private HostPool pool;
  private Lease lease;
  private int attempts;
  private Channel upstream;
  private Host forwardedTo;
  private ChannelFuture connecting;
  /** The host and cause of the latest failed connect attempt, for the refusal detail. */
  private String lastConnectFailure;

  private ArrayDeque<ByteBuf> early;
  private int earlyBytes;

  /** An engine that must be asked after reads whether the client's close_notify came (TlsHalfClose). */
  private SSLEngine closeNotifyWatched;
  /** Ahead of the TLS handler for other engines, until the handshake settles on TLS 1.3. */
  private Tls12AlertWatch alertWatch;
  private boolean clientInputShut;
  private boolean upstreamInputShut;
  /** Everything for that side was flushed and its output shut. */
  private boolean toUpstreamEnded;
  private boolean toClientEnded;
  private CloseReason firstShut;

  private long bytesFromClient;
  private long bytesToClient;

  /** The identity's bandwidth budgets, null when its bytes are not limited that way. */
  private ByteBudget fromClientBudget;
  private ByteBudget toClientBudget;
  /** Reads of that side are paused by the bandwidth limit until a scheduled resume. */
  private boolean clientReadsThrottled;
  private boolean upstreamReadsThrottled;

  ProxiedConnection(ForwardingCore core, Channel client, Route route, long id, boolean acceptProxy) {
    this.core = core;
    this.client = client;
    this.admission = new Admission(core, route, this);
    this.acceptedAt = core.nanoTime();
    this.acceptedMillis = System.currentTimeMillis();
    this.acceptProxy = acceptProxy;
    this.state = acceptProxy ? State.READING_HEADER : State.HANDSHAKING;
    this.info =
        new ConnectionInfo(
            id,
            addressOf(client.remoteAddress()),
            addressOf(client.localAddress()),
            route.upstreamBeforeHandshake(),
            ClientIdentity.ANONYMOUS);
  }

  private static InetSocketAddress addressOf(java.net.SocketAddress address) {
    return address instanceof InetSocketAddress inet
        ? inet
        : InetSocketAddress.createUnresolved("unknown", 0);
  }

  @Override
  public ConnectionInfo info() {
    return info;
  }

  /** Installs the pipeline on the client channel; called before or after it is registered. */
  void install() {
    client.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    if (acceptProxy) {
      // The balancer's header comes before the TLS handshake; TLS is installed once it is read.
      client.pipeline().addLast("proxy-header", new HAProxyMessageDecoder(ACCEPTED_TLV_LIMIT));
    } else if (core.tls() != null) {
      try {
        installTls(core.settings().handshakeTimeout().toMillis());
      } catch (RuntimeException e) {
        // A factory that cannot make an engine refuses this client once it is active, with an
        // event like any other refusal, instead of failing the accept silently.
        log.error("TLS context factory failed to create an engine; refusing the client", e);
        engineFailure = e;
      }
    }
    // The client is read from the start, also while admission and the upstream connect are under
    // way: its bytes are held (bounded), and a client that resets or leaves early is noticed.
    client.pipeline().addLast("lb4j", this);
  }

  /** Adds the TLS handlers ahead of this one (or last, before this one is added). */
  private void installTls(long handshakeTimeoutMillis) {
    SSLEngine engine = core.tls().newEngine();
    boolean openSsl = TlsHalfClose.keepOutputOpen(engine);
    SslHandler ssl = new SslHandler(engine);
    ssl.setHandshakeTimeoutMillis(handshakeTimeoutMillis);
    if (openSsl) {
      closeNotifyWatched = engine;
    } else {
      alertWatch = Tls12AlertWatch.ahead(ssl);
      addAheadOfThis("tls12-alerts", alertWatch);
    }
    addAheadOfThis("tls", ssl);
  }

  private void addAheadOfThis(String name, io.netty.channel.ChannelHandler handler) {
    if (client.pipeline().get("lb4j") == null) {
      client.pipeline().addLast(name, handler);
    } else {
      client.pipeline().addBefore("lb4j", name, handler);
    }
  }

  /** Tells the listener of the accept, once, with the client address known by then. */
  private void announce() {
    if (!announced) {
      announced = true;
      core.listenerOnAccepted(info);
    }
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    // A channel handed over already active (Forwarder.forward) never fires channelActive here.
    if (client.isActive() && client.isRegistered()) {
      onActive();
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    onActive();
    ctx.fireChannelActive();
  }

  private void onActive() {
    if (activated) {
      return;
    }
    activated = true;
    core.registered(this);
    if (!acceptProxy) {
      announce();
    }
    if (core.isClosing()) {
      refuse(Decision.refuse(RefusalReason.SHUTTING_DOWN, "lb4j is shutting down"));
      return;
    }
    if (engineFailure != null) {
      refuse(
          Decision.refuse(
              RefusalReason.TLS_FAILED, "no TLS engine: " + Failures.describe(engineFailure)),
          engineFailure);
      return;
    }
    if (acceptProxy) {
      long timeout = core.settings().handshakeTimeout().toMillis();
      headerTimeout =
          client.eventLoop().schedule(
              () -> {
                if (state == State.READING_HEADER) {
                  refuse(
                      Decision.refuse(
                          RefusalReason.PROTOCOL, "no PROXY header within " + timeout + " ms"));
                }
              },
              timeout,
              TimeUnit.MILLISECONDS);
    } else if (core.tls() == null) {
      state = State.ADMITTING;
      admission.admitWithoutTls();
    }
  }

  // ---- the header of a balancer in front (acceptProxy)

  private void onProxyHeader(HAProxyMessage header) {
    if (state != State.READING_HEADER) {
      return;
    }
    headerTimeout.cancel(false);
    HAProxyProxiedProtocol family = header.proxiedProtocol();
    if (header.command() == HAProxyCommand.PROXY) {
      if (family == HAProxyProxiedProtocol.TCP4 || family == HAProxyProxiedProtocol.TCP6) {
        info =
            new ConnectionInfo(
                info.id(),
                new InetSocketAddress(
                    NetUtil.createInetAddressFromIpAddressString(header.sourceAddress()),
                    header.sourcePort()),
                info.localAddress(),
                info.upstream(),
                info.identity());
      } else if (family != HAProxyProxiedProtocol.UNKNOWN) {
        refuse(
            Decision.refuse(
                RefusalReason.PROTOCOL, "PROXY header for " + family + ", not a TCP connection"));
        return;
      }
    }
    // A LOCAL header (the balancer's own health check) or an UNKNOWN family keeps the
    // connection's own addresses, as the protocol says.
    announce();
    state = State.HANDSHAKING;
    if (core.tls() == null) {
      state = State.ADMITTING;
      admission.admitWithoutTls();
      return;
    }
    long left =
        core.settings().handshakeTimeout().toMillis()
            - TimeUnit.NANOSECONDS.toMillis(core.nanoTime() - acceptedAt);
    try {
      // The header and the handshake share one timeout.
      installTls(Math.max(1, left));
    } catch (RuntimeException e) {
      log.error("TLS context factory failed to create an engine; refusing the client", e);
      refuse(
          Decision.refuse(RefusalReason.TLS_FAILED, "no TLS engine: " + Failures.describe(e)), e);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof SslHandshakeCompletionEvent done) {
      onHandshake(ctx, done);
    } else if (evt instanceof ChannelInputShutdownEvent
        || evt == SslCloseCompletionEvent.SUCCESS
        || evt == Tls12AlertWatch.CLIENT_ENDED) {
      // A TLS client's close_notify ends its stream as a FIN does: nothing more can come.
      onClientInputShut();
    }
    ReferenceCountUtil.release(evt);
  }

  private void onHandshake(ChannelHandlerContext ctx, SslHandshakeCompletionEvent done) {
    if (state != State.HANDSHAKING) {
      return;
    }
    handshakeNanos = core.nanoTime() - acceptedAt;
    if (!done.isSuccess()) {
      Throwable cause = done.cause();
      String detail =
          cause instanceof SslHandshakeTimeoutException
              ? "handshake timed out after " + core.settings().handshakeTimeout().toMillis() + " ms"
              : "handshake failed: " + Failures.describe(cause);
      refuse(new Refuse(RefusalReason.TLS_FAILED, detail, Duration.ZERO, RefusalCauses.of(cause)),
          cause);
      return;
    }
    session = ctx.pipeline().get(SslHandler.class).engine().getSession();
    if (alertWatch != null && !"TLSv1.2".equals(session.getProtocol())) {
      // A TLS 1.3 close_notify ends only the client's direction on every engine: no watch needed.
      ctx.pipeline().remove(alertWatch);
      alertWatch = null;
    }
    state = State.ADMITTING;
    admission.afterHandshake(session);
  }

  // ---- admission's answers (Admission.Connection), on the loop

  @Override
  public boolean inLoop() {
    return client.eventLoop().inEventLoop();
  }

  @Override
  public void onLoop(Runnable task) {
    client.eventLoop().execute(task);
  }

  @Override
  public void identified(ClientIdentity identity, String upstream) {
    info = info.with(upstream, identity);
  }

  @Override
  public void admitted(HostPool pool) {
    this.pool = pool;
    RateLimiter limiter = core.rateLimiter();
    try {
      fromClientBudget = limiter.bytesFromClient(info.identity());
      toClientBudget = limiter.bytesToClient(info.identity());
    } catch (RuntimeException e) {
      log.error("rate limiter threw for the byte budgets of {}; its bytes are not limited", info, e);
    }
    state = State.CONNECTING;
    connectOrEnd();
  }

  @Override
  public void refused(Refuse refusal, Throwable cause) {
    refuse(refusal, cause);
  }

  /** {@link #connect()}, ending the connection with the error if it throws instead of hanging it. */
  private void connectOrEnd() {
    try {
      connect();
    } catch (RuntimeException | Error e) {
      log.error("connecting {} to a host failed unexpectedly; closing it", info, e);
      end(CloseReason.UPSTREAM_ERROR, null, e);
    }
  }

  private void connect() {
    lease = pool.acquire(info);
    if (lease == null) {
      refuse(
          Decision.refuse(
              RefusalReason.NO_HOST,
              attempts == 0
                  ? noHostDetail()
                  : "no host of upstream " + info.upstream() + " accepted the connection after "
                      + attempts + " attempt(s); last: " + lastConnectFailure));
      return;
    }
    attempts++;
    Upstream settings = pool.upstream();
    Host host = lease.host();
    Bootstrap bootstrap =
        new Bootstrap()
            .group(client.eventLoop())
            .channel(core.transport().socketChannel())
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, settings.connectTimeout().toMillis()))
            .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
            .option(ChannelOption.AUTO_READ, false)
            .option(ChannelOption.TCP_NODELAY, true)
            .handler(new UpstreamSide());
    // A name is resolved on this event loop without blocking it; a lookup that fails fails this
    // attempt like a refused connect, and the next host is tried.
    connecting = core.resolver().connect(bootstrap, host);
    connecting.addListener(
        (ChannelFutureListener)
            f -> {
              if (!f.isSuccess()) {
                // Kept for the refusal when the pool runs out of hosts before the attempts do.
                lastConnectFailure = host + ": " + Failures.describe(f.cause());
              }
              onConnect(f);
            });
  }

  /** Why no host could be acquired before any attempt: the pool's own words, or the source's. */
  private String noHostDetail() {
    String why = pool.noHostDetail();
    return why != null ? why : "no healthy host in upstream " + info.upstream();
  }

  private void onConnect(ChannelFuture future) {
    if (state != State.CONNECTING) {
      future.channel().close();
      return;
    }
    connecting = null;
    if (!future.isSuccess()) {
      Lease failed = lease;
      lease = null;
      failed.connectFailed();
      log.debug("connect to {} for {} failed: {}", failed.host(), info, Failures.describe(future.cause()));
      if (attempts < pool.upstream().connectAttempts()) {
        connectOrEnd();
      } else {
        refuse(
            Decision.refuse(
                RefusalReason.NO_HOST,
                "no host of upstream " + info.upstream() + " accepted the connection after "
                    + attempts + " attempt(s); last: " + failed.host() + ": "
                    + Failures.describe(future.cause())));
      }
      return;
    }
    upstream = future.channel();
    forwardedTo = lease.host();
    ProxyProtocol proxy = pool.upstream().proxyProtocol().orElse(null);
    if (proxy != null && !sendProxyHeader(proxy)) {
      return;
    }
    state = State.FORWARDING;
    core.listenerOnConnected(info, forwardedTo);
    watchIdle(pool.upstream().idleTimeout());
    if (early != null) {
      ByteBuf buf;
      while ((buf = early.poll()) != null) {
        upstream.write(buf, upstream.voidPromise());
      }
      if (fromClientBudget != null) {
        spentFromClient(earlyBytes);
      }
      earlyBytes = 0;
      early = null;
      upstream.flush();
    } else if (proxy != null) {
      // The header goes out now, not with the client's first bytes: a host that speaks first
      // (a greeting, a banner) waits for it.
      upstream.flush();
    }
    if (clientInputShut) {
      shutdownOutput(upstream);
    } else if (!clientReadsThrottled) {
      client.config().setAutoRead(true);
    }
    upstream.config().setAutoRead(true);
  }

  /**
   * Writes the PROXY header to the just-connected host, ahead of every byte of the client (the
   * held ones included). Returns false when it could not be built; the connection has ended then.
   */
  private boolean sendProxyHeader(ProxyProtocol proxy) {
    Object header;
    try {
      ProxyHeader.TlsFacts tls =
          session == null
              ? null
              : ProxyHeader.TlsFacts.of(session, Admission.serverName(session), acceptedMillis);
      header = ProxyHeader.forConnection(proxy, info, tls);
    } catch (RuntimeException e) {
      log.error("PROXY header for {} could not be built; closing the connection", info, e);
      end(CloseReason.UPSTREAM_ERROR, null, e);
      return false;
    }
    if (header instanceof HAProxyMessage) {
      // Through Netty's encoder, in the pipeline only for this one write.
      upstream.pipeline().addFirst("proxy-header", HAProxyMessageEncoder.INSTANCE);
      upstream.write(header, upstream.voidPromise());
      upstream.pipeline().remove("proxy-header");
    } else {
      upstream.write(header, upstream.voidPromise());
    }
    return true;
  }

  /**
   * Starts the idle timeout. Every byte a relay writes to one side it has read from the other, so
   * reads on both channels are all the activity there is: a read batch stamps the time, and one
   * scheduled check per connection, re-armed for the time left, ends a connection quiet for the
   * whole timeout. (Netty's IdleStateHandler also watched the writes, through a listener on each
   * write's promise: a promise allocated for every relayed write.)
   */
  private void watchIdle(Duration idle) {
    idleNanos = Nanos.saturated(idle);
    lastActivityNanos = System.nanoTime();
    idleCheck = client.eventLoop().schedule(this::checkIdle, idleNanos, TimeUnit.NANOSECONDS);
  }

  private void checkIdle() {
    if (state != State.FORWARDING) {
      return;
    }
    long quiet = System.nanoTime() - lastActivityNanos;
    if (quiet >= idleNanos) {
      end(CloseReason.IDLE_TIMEOUT, null, null);
    } else {
      idleCheck = client.eventLoop().schedule(this::checkIdle, idleNanos - quiet, TimeUnit.NANOSECONDS);
    }
  }

  // ---- client → upstream

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf buf)) {
      if (msg instanceof HAProxyMessage header) {
        try {
          onProxyHeader(header);
        } finally {
          header.release();
        }
      } else {
        ReferenceCountUtil.release(msg);
      }
      return;
    }
    int bytes = buf.readableBytes();
    bytesFromClient += bytes;
    if (state == State.FORWARDING) {
      upstream.write(buf, upstream.voidPromise());
      if (!upstream.isWritable()) {
        client.config().setAutoRead(false);
      }
      if (fromClientBudget != null) {
        spentFromClient(bytes);
      }
    } else if (state == State.CLOSED) {
      buf.release();
    } else {
      holdEarly(buf);
    }
  }

  private void holdEarly(ByteBuf buf) {
    // Bytes right behind the client's Finished arrive before the upstream is connected; they are
    // held (bounded) and written once it is, or the client would hang waiting for its answer.
    if (early == null) {
      early = new ArrayDeque<>(4);
    }
    early.add(buf);
    earlyBytes += buf.readableBytes();
    if (earlyBytes >= Defaults.EARLY_DATA_LIMIT) {
      client.config().setAutoRead(false);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (state == State.FORWARDING) {
      lastActivityNanos = System.nanoTime();
      upstream.flush();
    }
    if (closeNotifyWatched != null
        && !clientInputShut
        && state != State.CLOSED
        && TlsHalfClose.closeNotifyReceived(closeNotifyWatched)) {
      onClientInputShut();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (state == State.FORWARDING && client.isWritable() && !upstreamInputShut
        && !upstreamReadsThrottled) {
      upstream.config().setAutoRead(true);
    }
  }

  // ---- bandwidth limits: a side whose identity overdrew its budget stops reading for a while

  private void spentFromClient(int bytes) {
    long pause = fromClientBudget.spend(bytes);
    if (pause > 0 && !clientReadsThrottled) {
      clientReadsThrottled = true;
      client.config().setAutoRead(false);
      client.eventLoop().schedule(this::clientBudgetRecovered, pause, TimeUnit.NANOSECONDS);
    }
  }

  private void clientBudgetRecovered() {
    clientReadsThrottled = false;
    if (state == State.FORWARDING && upstream.isWritable() && !clientInputShut) {
      client.config().setAutoRead(true);
    }
  }

  private void spentToClient(int bytes) {
    long pause = toClientBudget.spend(bytes);
    if (pause > 0 && !upstreamReadsThrottled) {
      upstreamReadsThrottled = true;
      upstream.config().setAutoRead(false);
      client.eventLoop().schedule(this::upstreamBudgetRecovered, pause, TimeUnit.NANOSECONDS);
    }
  }

  private void upstreamBudgetRecovered() {
    upstreamReadsThrottled = false;
    if (state == State.FORWARDING && client.isWritable() && !upstreamInputShut) {
      upstream.config().setAutoRead(true);
    }
  }

  private void onClientInputShut() {
    if (clientInputShut) {
      return;
    }
    clientInputShut = true;
    if (firstShut == null) {
      firstShut = CloseReason.CLIENT_CLOSED;
    }
    if (state == State.FORWARDING) {
      shutdownOutput(upstream);
    } else if (state == State.HANDSHAKING) {
      refuse(Decision.refuse(RefusalReason.TLS_FAILED, "client closed during the handshake"));
    } else if (state == State.READING_HEADER) {
      refuse(Decision.refuse(RefusalReason.PROTOCOL, "client closed before a complete PROXY header"));
    }
    // While admitting or connecting, the held bytes and the shutdown go out once connected.
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (state == State.READING_HEADER) {
      refuse(Decision.refuse(RefusalReason.PROTOCOL, "client closed before a complete PROXY header"));
    } else if (state == State.HANDSHAKING && core.tls() != null) {
      refuse(Decision.refuse(RefusalReason.TLS_FAILED, "client closed during the handshake"));
    } else if (state == State.ADMITTING || state == State.CONNECTING) {
      end(CloseReason.CLIENT_CLOSED, null, null);
    } else {
      end(clientInputShut ? CloseReason.CLIENT_CLOSED : CloseReason.CLIENT_ERROR, null, null);
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (state == State.READING_HEADER) {
      refuse(
          Decision.refuse(
              RefusalReason.PROTOCOL, "no valid PROXY header: " + Failures.describe(cause)),
          cause);
      return;
    }
    if (state == State.HANDSHAKING) {
      // SslHandler reports a failed handshake as an event too; whichever comes first refuses.
      refuse(new Refuse(RefusalReason.TLS_FAILED, "handshake failed: " + Failures.describe(cause),
          Duration.ZERO, RefusalCauses.of(cause)), cause);
      return;
    }
    log.debug("client side of {} failed", info, cause);
    end(CloseReason.CLIENT_ERROR, null, cause);
  }

  // ---- upstream → client

  /** The upstream channel's only handler. */
  private final class UpstreamSide extends ChannelInboundHandlerAdapter {

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof ByteBuf buf) || state != State.FORWARDING) {
        ReferenceCountUtil.release(msg);
        return;
      }
      int bytes = buf.readableBytes();
      bytesToClient += bytes;
      client.write(buf, client.voidPromise());
      if (!client.isWritable()) {
        upstream.config().setAutoRead(false);
      }
      if (toClientBudget != null) {
        spentToClient(bytes);
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      if (state == State.FORWARDING) {
        lastActivityNanos = System.nanoTime();
        client.flush();
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (state == State.FORWARDING && upstream.isWritable() && !clientInputShut
          && !clientReadsThrottled) {
        client.config().setAutoRead(true);
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) {
        onUpstreamInputShut();
      }
      ReferenceCountUtil.release(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (state == State.FORWARDING) {
        // Anything the upstream sent before it went away still reaches the client.
        end(upstreamInputShut ? CloseReason.UPSTREAM_CLOSED : CloseReason.UPSTREAM_ERROR, null, null);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (state == State.FORWARDING) {
        log.debug("upstream side of {} failed", info, cause);
        end(CloseReason.UPSTREAM_ERROR, null, cause);
      }
    }
  }

  private void onUpstreamInputShut() {
    if (upstreamInputShut) {
      return;
    }
    upstreamInputShut = true;
    if (firstShut == null) {
      firstShut = CloseReason.UPSTREAM_CLOSED;
    }
    SslHandler ssl = client.pipeline().get(SslHandler.class);
    if (ssl != null) {
      // close_notify first, so the client reads a clean end of the TLS stream.
      client.flush();
      ssl.closeOutbound().addListener(f -> shutdownOutput(client));
    } else {
      shutdownOutput(client);
    }
  }

  /**
   * Flushes what is queued for {@code channel}, then ends that direction: with a half-close while
   * the other direction still flows, or by closing the connection when this was the last one (the
   * close sends the FIN, and a half-close first would only cost a system call and Netty's
   * exception object).
   */
  private void shutdownOutput(Channel channel) {
    channel
        .writeAndFlush(Unpooled.EMPTY_BUFFER)
        .addListener(
            (ChannelFutureListener)
                f -> {
                  if (!f.isSuccess() || !(channel instanceof DuplexChannel duplex)) {
                    end(firstShut == null ? CloseReason.CLIENT_CLOSED : firstShut, null, f.cause());
                    return;
                  }
                  boolean toUpstream = channel == upstream;
                  if (toUpstream ? toClientEnded : toUpstreamEnded) {
                    end(firstShut, null, null);
                    return;
                  }
                  duplex.shutdownOutput().addListener(done -> directionEnded(toUpstream));
                });
  }

  private void directionEnded(boolean toUpstream) {
    if (toUpstream) {
      toUpstreamEnded = true;
    } else {
      toClientEnded = true;
    }
    if (toUpstreamEnded && toClientEnded) {
      end(firstShut, null, null);
    }
  }

  // ---- the single end of a connection

  private void refuse(Refuse refusal) {
    refuse(refusal, null);
  }

  private void refuse(Refuse refusal, Throwable cause) {
    if (state == State.CLOSED) {
      return;
    }
    announce();
    core.listenerOnRefused(info, refusal);
    end(CloseReason.REFUSED, refusal, cause);
  }

  /**
   * Asks the TLS factory, on this connection's loop, whether the client's chain is revoked now, and
   * closes the connection with {@link CloseReason#REVOKED} if it is. A connection still in its
   * handshake is left alone: its identification checks the chain against the trust of then.
   * Called from any thread, after the factory's trust changed.
   */
  void closeIfRevoked() {
    try {
      client.eventLoop().execute(this::checkRevoked);
    } catch (RejectedExecutionException stopped) {
      // The loop is shutting down, and this connection with it.
    }
  }

  private void checkRevoked() {
    if (state == State.HANDSHAKING || state == State.CLOSED) {
      return;
    }
    SslHandler ssl = client.pipeline().get(SslHandler.class);
    if (ssl == null) {
      return;
    }
    List<X509Certificate> chain = new ArrayList<>();
    try {
      for (Certificate c : ssl.engine().getSession().getPeerCertificates()) {
        if (c instanceof X509Certificate x509) {
          chain.add(x509);
        }
      }
    } catch (SSLPeerUnverifiedException e) {
      return;
    }
    if (chain.isEmpty()) {
      return;
    }
    Optional<String> revoked;
    try {
      revoked = core.tls().revocationOf(chain);
    } catch (RuntimeException e) {
      log.warn("the TLS context factory failed to check {} for revocation; it stays open", info, e);
      return;
    }
    if (revoked.isPresent()) {
      log.info("closing {}: its client certificate was revoked: {}", info, revoked.get());
      end(CloseReason.REVOKED, null, new CertPathValidatorException(
          revoked.get(), null, null, -1, CertPathValidatorException.BasicReason.REVOKED));
    }
  }

  /** Closes the connection from another thread: the owner's close or lb4j's shutdown. */
  /**
   * Closes this connection with {@code reason} if it is forwarded, or being connected, to
   * {@code host} of {@code hostPool}; from any thread, the check runs on the event loop.
   */
  void closeIfLeasing(HostPool hostPool, Host host, CloseReason reason) {
    Runnable check = () -> {
      if (pool == hostPool && lease != null && lease.host().equals(host)) {
        end(reason, null, null);
      }
    };
    if (client.eventLoop().inEventLoop()) {
      check.run();
    } else {
      client.eventLoop().execute(check);
    }
  }

  void closeFromOutside(CloseReason reason) {
    if (client.eventLoop().inEventLoop()) {
      end(reason, null, null);
    } else {
      client.eventLoop().execute(() -> end(reason, null, null));
    }
  }

  private void end(CloseReason reason, Refuse refusal, Throwable error) {
    if (state == State.CLOSED) {
      return;
    }
    state = State.CLOSED;
    announce();
    if (headerTimeout != null) {
      headerTimeout.cancel(false);
    }
    if (idleCheck != null) {
      idleCheck.cancel(false);
      idleCheck = null;
    }
    if (early != null) {
      early.forEach(ByteBuf::release);
      early = null;
    }
    if (connecting != null) {
      connecting.channel().close();
      connecting = null;
    }
    if (upstream != null) {
      upstream.close();
    }
    if (reason == CloseReason.UPSTREAM_ERROR && client.isActive()) {
      // What the upstream sent before it failed still goes to the client, within a bound.
      client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
      client.eventLoop().schedule(() -> client.close(), FLUSH_BEFORE_CLOSE_LIMIT_MS, TimeUnit.MILLISECONDS);
    } else {
      client.close();
    }
    if (lease != null) {
      lease.release();
      lease = null;
    }
    admission.end();
    core.unregistered(
        this,
        new ConnectionEvent(
            info,
            forwardedTo,
            bytesFromClient,
            bytesToClient,
            Duration.ofNanos(core.nanoTime() - acceptedAt),
            Duration.ofNanos(handshakeNanos),
            reason,
            refusal,
            error));
  }
}
