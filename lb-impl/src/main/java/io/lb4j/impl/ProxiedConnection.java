package io.lb4j.impl;

import io.lb4j.api.ClientIdentity;
import io.lb4j.api.CloseReason;
import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.ConnectionInfo;
import io.lb4j.api.Decision;
import io.lb4j.api.Defaults;
import io.lb4j.api.Host;
import io.lb4j.api.RefusalReason;
import io.lb4j.api.Refuse;
import io.lb4j.api.Upstream;
import io.lb4j.impl.pool.HostPool;
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
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
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

  private enum State { HANDSHAKING, ADMITTING, CONNECTING, FORWARDING, CLOSED }

  private final ForwardingCore core;
  private final Channel client;
  private final Admission admission;
  private final long acceptedAt;
  private ConnectionInfo info;
  private State state = State.HANDSHAKING;
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

  ProxiedConnection(ForwardingCore core, Channel client, Route route, long id) {
    this.core = core;
    this.client = client;
    this.admission = new Admission(core, route, this);
    this.acceptedAt = core.nanoTime();
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
    if (core.tls() != null) {
      try {
        SSLEngine engine = core.tls().newEngine();
        boolean openSsl = TlsHalfClose.keepOutputOpen(engine);
        SslHandler ssl = new SslHandler(engine);
        ssl.setHandshakeTimeoutMillis(core.settings().handshakeTimeout().toMillis());
        if (openSsl) {
          closeNotifyWatched = engine;
        } else {
          alertWatch = Tls12AlertWatch.ahead(ssl);
          client.pipeline().addLast("tls12-alerts", alertWatch);
        }
        client.pipeline().addLast("tls", ssl);
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
    core.listenerOnAccepted(info);
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
    if (core.tls() == null) {
      state = State.ADMITTING;
      admission.admitWithoutTls();
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
    } else if (evt instanceof IdleStateEvent) {
      end(CloseReason.IDLE_TIMEOUT, null, null);
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
      refuse(Decision.refuse(RefusalReason.TLS_FAILED, detail), cause);
      return;
    }
    SSLSession session = ctx.pipeline().get(SslHandler.class).engine().getSession();
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
                  ? "no healthy host in upstream " + info.upstream()
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
    state = State.FORWARDING;
    core.listenerOnConnected(info, forwardedTo);
    client.pipeline().addBefore("lb4j", "idle", idleHandler(pool.upstream().idleTimeout()));
    if (early != null) {
      ByteBuf buf;
      while ((buf = early.poll()) != null) {
        upstream.write(buf, upstream.voidPromise());
      }
      earlyBytes = 0;
      early = null;
      upstream.flush();
    }
    if (clientInputShut) {
      shutdownOutput(upstream);
    } else {
      client.config().setAutoRead(true);
    }
    upstream.config().setAutoRead(true);
  }

  private static IdleStateHandler idleHandler(Duration idle) {
    return new IdleStateHandler(0, 0, Nanos.saturated(idle), TimeUnit.NANOSECONDS);
  }

  // ---- client → upstream

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf buf)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    bytesFromClient += buf.readableBytes();
    if (state == State.FORWARDING) {
      upstream.write(buf, upstream.voidPromise());
      if (!upstream.isWritable()) {
        client.config().setAutoRead(false);
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
    }
    // While admitting or connecting, the held bytes and the shutdown go out once connected.
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (state == State.HANDSHAKING && core.tls() != null) {
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
    if (state == State.HANDSHAKING) {
      // SslHandler reports a failed handshake as an event too; whichever comes first refuses.
      refuse(Decision.refuse(RefusalReason.TLS_FAILED, "handshake failed: " + Failures.describe(cause)), cause);
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
      bytesToClient += buf.readableBytes();
      client.write(buf, client.voidPromise());
      if (!client.isWritable()) {
        upstream.config().setAutoRead(false);
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      if (state == State.FORWARDING) {
        client.flush();
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (state == State.FORWARDING && upstream.isWritable() && !clientInputShut) {
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
    core.listenerOnRefused(info, refusal);
    end(CloseReason.REFUSED, refusal, cause);
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
