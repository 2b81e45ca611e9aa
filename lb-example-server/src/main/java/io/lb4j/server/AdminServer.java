package io.lb4j.server;

import io.lb4j.api.ClientIdentity;
import io.lb4j.api.Decision;
import io.lb4j.api.Refuse;
import io.lb4j.api.TlsContextFactory;
import io.lb4j.impl.authorization.AllowList;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin listener: {@code GET /metrics} answers the Prometheus text format, {@code GET /healthz}
 * answers 200 {@code ok} while the server serves and 503 {@code draining} once it shuts down,
 * {@code GET /} lists the endpoints, and {@code /api/...} is the {@link AdminApi}.
 *
 * <h2>Who may use it</h2>
 * With TLS (its own certificates or the top-level section's, through lb-tls), every client must
 * present a certificate the CA verifies; {@code /metrics}, {@code /healthz} and {@code /} then
 * answer any such client, and {@code /api/} only an identity its allow list names (the principals
 * of upstream allow lists, matched by {@link AllowList}). Without TLS the API is served only when
 * the configuration allowed it, which it does on a loopback address alone.
 *
 * <h2>Bounds</h2>
 * A request line of at most 4 KiB, headers of at most 8 KiB, a body of at most
 * {@value #MAX_BODY} bytes (413 beyond); a request must arrive whole within {@link #REQUEST_TIME}
 * of the connection's last answer or of its start, else the connection is closed; a connection's
 * requests are answered one at a time, in order (reading pauses while one is worked on, and a
 * client that pipelines more than one ahead is closed).
 *
 * <p>One event loop thread does the I/O and answers {@code /healthz} itself; the rest of the work (a
 * scrape, an API call, a reload) runs on a few daemon threads of its own, so a slow scrape never
 * holds up a health probe, and none of it waits on the load balancer's drain.
 */
final class AdminServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
  private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
  private static final String TEXT = "text/plain; charset=utf-8";
  static final String JSON = "application/json";
  /** A probe, and a scrape or two from more than one Prometheus, at the same time. */
  private static final int THREADS = 4;
  /** The largest request body taken; the API's bodies are a few dozen bytes. */
  static final int MAX_BODY = 16 * 1024;
  /** How long a whole request may take to arrive. */
  static final Duration REQUEST_TIME = Duration.ofSeconds(10);
  /** The principal list's key in the allow list: the admin API as if it were an upstream. */
  private static final String API = "admin API";

  private static final String INDEX = String.join("\n",
      "lb4j admin listener",
      "",
      "GET    /metrics                                        Prometheus metrics",
      "GET    /healthz                                        ok while serving, 503 draining",
      "GET    /api/upstreams                                  upstreams and their hosts",
      "GET    /api/upstreams/{upstream}                       one upstream",
      "PUT    /api/upstreams/{upstream}/hosts/{host:port}/state   {\"state\": \"drain|disable|enable\", \"grace\": \"10s\"}",
      "PUT    /api/upstreams/{upstream}/hosts/{host:port}/weight  {\"weight\": 3}",
      "GET    /api/clients/{identity}                         a client's rate limit state",
      "DELETE /api/clients/{identity}                         reset it",
      "POST   /api/reload                                     reload configuration and certificates",
      "GET    /api/config                                     the configuration in force",
      "",
      "See docs/operations.md.",
      "");

  /** A request, read whole, and who sent it. */
  record Request(String method, String path, byte[] body, Caller caller) {}

  /**
   * Who sent a request.
   *
   * @param identity the verified client certificate's identity, or null without TLS
   * @param remote the client's address
   */
  record Caller(ClientIdentity identity, InetSocketAddress remote) {
    /** How the audit log names the caller: identity and address. */
    String who() {
      String address = remote.getAddress() == null
          ? remote.getHostString()
          : remote.getAddress().getHostAddress();
      String name = identity == null ? "-" : identity.displayName();
      return name + "@" + address + ":" + remote.getPort();
    }
  }

  /**
   * An answer.
   *
   * @param allow the methods the path allows, sent with a 405; null otherwise
   */
  record Response(int status, String contentType, String body, String allow) {
    Response(int status, String contentType, String body) {
      this(status, contentType, body, null);
    }

    static Response json(int status, String body) {
      return new Response(status, JSON, body);
    }
  }

  /** What answers {@code /api/...}; runs on the admin threads, may block briefly. */
  interface Api {
    /** Answers an authorized request; never throws. */
    Response handle(Request request);

    /** Answers an identity the allow list refused; never throws. */
    Response denied(Request request, Refuse refusal);
  }

  private final Channel server;
  private final EventLoopGroup group;
  private final ExecutorService executor;
  private final boolean tls;

  private AdminServer(Channel server, EventLoopGroup group, ExecutorService executor, boolean tls) {
    this.server = server;
    this.group = group;
    this.executor = executor;
    this.tls = tls;
  }

  /**
   * What the listener serves and to whom.
   *
   * @param address where to listen; port 0 picks a free one
   * @param tls the TLS factory whose engines it serves with, or null for plain HTTP
   * @param allow who may use the API with TLS; ignored without
   * @param api answers {@code /api/}, or null when the API is off
   * @param metrics produces the metrics text
   * @param serving whether {@code /healthz} reports ok
   */
  record Settings(
      InetSocketAddress address,
      TlsContextFactory tls,
      AllowList allow,
      Api api,
      Supplier<String> metrics,
      BooleanSupplier serving) {}

  /**
   * Binds and starts the listener.
   *
   * @throws UncheckedIOException if the address cannot be bound
   */
  static AdminServer start(Settings settings) {
    AtomicInteger threads = new AtomicInteger();
    ExecutorService executor = Executors.newFixedThreadPool(THREADS, r -> {
      Thread t = new Thread(r, "lb4j-admin-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    warmUp(executor);
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(
        1, new DefaultThreadFactory("lb4j-admin-io", true), NioIoHandler.newFactory());
    ServerBootstrap bootstrap = new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            if (settings.tls() != null) {
              SslHandler ssl = new SslHandler(settings.tls().newEngine());
              ssl.setHandshakeTimeoutMillis(REQUEST_TIME.toMillis());
              ch.pipeline().addLast("tls", ssl);
            }
            ch.pipeline()
                .addLast("http", new HttpServerCodec(4096, 8192, 8192))
                .addLast("body", new BoundedBody())
                .addLast("exchange", new Exchange(settings, executor));
          }
        });
    try {
      Channel server = bootstrap.bind(settings.address()).syncUninterruptibly().channel();
      return new AdminServer(server, group, executor, settings.tls() != null);
    } catch (Exception e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      executor.shutdownNow();
      throw new UncheckedIOException(
          e instanceof IOException io ? io : new IOException(e.getMessage(), e));
    }
  }

  /**
   * Passes one request and its answer through the HTTP codec in memory and starts the worker
   * threads, so that the first probe is not the one that loads the codec's classes: on a loaded
   * machine that took longer than the 1 s a Kubernetes probe waits by default.
   */
  private static void warmUp(ExecutorService executor) {
    EmbeddedChannel ch = new EmbeddedChannel(new HttpServerCodec(), new BoundedBody());
    try {
      ch.writeInbound(Unpooled.copiedBuffer(
          "GET /healthz HTTP/1.1\r\nHost: lb4j\r\n\r\n", StandardCharsets.US_ASCII));
      FullHttpRequest request = ch.readInbound();
      if (request != null) {
        HttpUtil.isKeepAlive(request);
        request.release();
      }
      ch.writeOutbound(response(new Response(200, TEXT, "ok\n"), false));
    } finally {
      ch.finishAndReleaseAll();
    }
    if (executor instanceof ThreadPoolExecutor pool) {
      pool.prestartAllCoreThreads();
    }
  }

  /** Returns the bound address, which tells the port when 0 was asked for. */
  InetSocketAddress address() {
    return (InetSocketAddress) server.localAddress();
  }

  /** Returns the URL of the listener's index, as the start line prints it. */
  String url() {
    InetSocketAddress a = address();
    String host = a.getAddress() != null && a.getAddress() instanceof java.net.Inet6Address
        ? "[" + a.getHostString() + "]"
        : a.getHostString();
    return (tls ? "https" : "http") + "://" + host + ":" + a.getPort() + "/";
  }

  /** Stops answering at once: open connections are closed. Idempotent. */
  @Override
  public void close() {
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    executor.shutdownNow();
  }

  /** Answers what the admin threads worked out, or closes a connection that broke a bound. */
  private static FullHttpResponse response(Response r, boolean head) {
    byte[] bytes = r.body().getBytes(StandardCharsets.UTF_8);
    FullHttpResponse out = new DefaultFullHttpResponse(
        HttpVersion.HTTP_1_1,
        HttpResponseStatus.valueOf(r.status()),
        head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bytes));
    out.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
    out.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
    return out;
  }

  /** The error body of the API: one line of JSON. */
  static String error(String message) {
    return AdminApi.errorJson(message);
  }

  /**
   * Refuses a body over {@link #MAX_BODY} with a JSON error, and closes the connection once the
   * rest of that body has been read and dropped (or the request's time ran out): closing while the
   * client still sends would reset the connection, and the client could lose the answer.
   */
  private static final class BoundedBody extends HttpObjectAggregator {
    private boolean closeAfterBody;

    BoundedBody() {
      super(MAX_BODY);
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
      FullHttpResponse out = response(Response.json(413,
          error("request body is larger than " + MAX_BODY + " bytes")), false);
      out.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      ctx.writeAndFlush(out);
      if (oversized instanceof LastHttpContent) {
        ctx.close();
      } else {
        closeAfterBody = true;
      }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
      boolean last = msg instanceof LastHttpContent;
      super.channelRead(ctx, msg);
      if (closeAfterBody && last) {
        ctx.close();
      }
    }
  }

  /**
   * One connection's requests, one at a time. Every field is touched on the channel's event loop
   * only; the work runs on the executor and its answer is written back from the loop.
   */
  private static final class Exchange extends SimpleChannelInboundHandler<FullHttpRequest> {

    /** What the loop keeps of a request while the executor works on it. */
    private record Pending(String method, String uri, byte[] body, boolean keepAlive,
        String malformed) {}

    private final Settings settings;
    private final ExecutorService executor;
    private boolean busy;
    private Pending queued;
    private ScheduledFuture<?> deadline;
    /** The client's identity once read from its TLS session. */
    private ClientIdentity identity;

    Exchange(Settings settings, ExecutorService executor) {
      this.settings = settings;
      this.executor = executor;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      arm(ctx);
      ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      disarm();
      ctx.fireChannelInactive();
    }

    private void arm(ChannelHandlerContext ctx) {
      disarm();
      deadline = ctx.executor().schedule(
          () -> {
            log.debug("admin connection {} closed: no whole request within {}",
                ctx.channel().remoteAddress(), REQUEST_TIME);
            ctx.close();
          },
          REQUEST_TIME.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void disarm() {
      if (deadline != null) {
        deadline.cancel(false);
        deadline = null;
      }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      String malformed = request.decoderResult().isFailure()
          ? String.valueOf(request.decoderResult().cause().getMessage())
          : null;
      Pending p = new Pending(
          request.method().name(),
          request.uri(),
          ByteBufUtil.getBytes(request.content()),
          malformed == null && HttpUtil.isKeepAlive(request),
          malformed);
      if (busy) {
        if (queued != null) {
          // More than one request ahead of its answers: this client does not wait for them.
          ctx.close();
          return;
        }
        queued = p;
        return;
      }
      work(ctx, p);
    }

    private void work(ChannelHandlerContext ctx, Pending p) {
      busy = true;
      disarm();
      ctx.channel().config().setAutoRead(false);
      InetSocketAddress remote = (InetSocketAddress) ctx.channel().remoteAddress();
      Caller caller;
      String unverified = null;
      try {
        caller = new Caller(identify(ctx.pipeline().get(SslHandler.class)), remote);
      } catch (SSLPeerUnverifiedException | RuntimeException e) {
        caller = new Caller(null, remote);
        unverified = String.valueOf(e.getMessage());
      }
      Caller who = caller;
      String refusedCertificate = unverified;
      if (p.malformed() == null && p.uri().equals("/healthz")) {
        // A probe's answer is one volatile read: given at once on the loop, with no thread hop.
        write(ctx, p, answer(p, who, refusedCertificate));
        return;
      }
      try {
        executor.execute(() -> {
          Response r = answer(p, who, refusedCertificate);
          ctx.executor().execute(() -> write(ctx, p, r));
        });
      } catch (RejectedExecutionException e) {
        ctx.close();
      }
    }

    private void write(ChannelHandlerContext ctx, Pending p, Response r) {
      FullHttpResponse out = response(r, p.method().equals("HEAD"));
      if (r.allow() != null) {
        out.headers().set(HttpHeaderNames.ALLOW, r.allow());
      }
      boolean keepAlive = p.keepAlive() && r.status() != 413;
      if (!keepAlive) {
        out.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
        return;
      }
      ctx.writeAndFlush(out).addListener(f -> {
        if (!f.isSuccess()) {
          ctx.close();
          return;
        }
        busy = false;
        Pending next = queued;
        queued = null;
        if (next != null) {
          work(ctx, next);
        } else {
          arm(ctx);
          ctx.channel().config().setAutoRead(true);
        }
      });
    }

    /** Works out the answer; runs on the executor. */
    private Response answer(Pending p, Caller caller, String refusedCertificate) {
      if (p.malformed() != null) {
        return Response.json(400, error("malformed request: " + p.malformed()));
      }
      String path;
      try {
        path = new QueryStringDecoder(p.uri()).rawPath();
      } catch (IllegalArgumentException e) {
        return Response.json(400, error("malformed request target: " + e.getMessage()));
      }
      switch (path) {
        case "/metrics" -> {
          return readOnly(p, () -> {
            try {
              return new Response(200, PROMETHEUS_TEXT, settings.metrics().get());
            } catch (RuntimeException e) {
              log.warn("metrics could not be produced", e);
              return new Response(500, TEXT, "metrics failed: " + e + "\n");
            }
          });
        }
        case "/healthz" -> {
          return readOnly(p, () -> {
            boolean ok = settings.serving().getAsBoolean();
            return new Response(ok ? 200 : 503, TEXT, ok ? "ok\n" : "draining\n");
          });
        }
        case "/" -> {
          return readOnly(p, () -> new Response(200, TEXT, INDEX));
        }
        default -> {
          // handled below
        }
      }
      if (!path.equals("/api") && !path.startsWith("/api/")) {
        return new Response(404, TEXT, "not found: GET / lists the endpoints\n");
      }
      if (settings.api() == null) {
        return Response.json(404, error("the admin API is off on this listener (admin.api: false)"));
      }
      if (refusedCertificate != null) {
        return Response.json(403, error("no verified client certificate: " + refusedCertificate));
      }
      Request request = new Request(p.method(), path, p.body(), caller);
      if (settings.tls() != null) {
        Decision d = settings.allow().authorize(caller.identity(), API);
        if (d instanceof Refuse refusal) {
          return settings.api().denied(request, refusal);
        }
      }
      return settings.api().handle(request);
    }

    private ClientIdentity identify(SslHandler ssl) throws SSLPeerUnverifiedException {
      if (ssl == null) {
        return null;
      }
      ClientIdentity known = identity;
      if (known == null) {
        known = settings.tls().identify(ssl.engine().getSession());
        identity = known;
      }
      return known;
    }

    private static Response readOnly(Pending p, Supplier<Response> answer) {
      if (p.method().equals("GET") || p.method().equals("HEAD")) {
        return answer.get();
      }
      return new Response(405, TEXT, "method not allowed\n", "GET, HEAD");
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      log.debug("admin connection {} failed", ctx.channel().remoteAddress(), cause);
      ctx.close();
    }
  }

  /** The allow list of the API, built from the principals of {@code admin.allow}. */
  static AllowList allowList(java.util.List<String> principals) {
    return AllowList.builder().allow(API, principals).build();
  }
}
