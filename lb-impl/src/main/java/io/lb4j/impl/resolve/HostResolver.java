package io.lb4j.impl.resolve;

import io.lb4j.api.Host;
import io.lb4j.impl.transport.Failures;
import io.lb4j.impl.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramChannel;
import io.netty.resolver.NameResolver;
import io.netty.resolver.SimpleNameResolver;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsErrorCauseException;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsNameResolverTimeoutException;
import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.FutureListener;
import io.netty.util.concurrent.Promise;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Turns a {@link Host} into a connection without blocking an event loop. An IP literal becomes an
 * address at once and never reaches DNS. A name is resolved by Netty's asynchronous DNS resolver on
 * the event loop of the connecting channel: the hosts file first, then the name servers of the
 * system's resolver configuration ({@code /etc/resolv.conf}) or the ones given; answers are cached
 * for their TTL, in one cache that every event loop shares, and failed lookups are not cached.
 *
 * <pre>{@code
 * HostResolver resolver = HostResolver.system(Transport.best(), Duration.ofSeconds(2));
 * ChannelFuture connected = resolver.connect(bootstrap, Host.parse("db.internal:5432"));
 * // at shutdown, before the event loops:
 * resolver.close();
 * }</pre>
 *
 * <p>A name that cannot be resolved fails the returned future with an {@link UnknownHostException}
 * whose message says why in one line, as {@code unknown host db.internal: NXDOMAIN}, and which
 * has no cause, so whoever reports the root cause of a failed connect reports that line.
 *
 * <p>Thread-safe. One resolver serves any number of event loops of its transport; it keeps one DNS
 * client (a UDP channel) per event loop that has looked up a name, created on the first lookup.
 */
public final class HostResolver implements AutoCloseable {

  private final Group group;

  private HostResolver(Transport transport, Duration queryTimeout, DnsServerAddressStreamProvider servers) {
    Objects.requireNonNull(transport, "transport");
    Objects.requireNonNull(queryTimeout, "queryTimeout");
    DnsNameResolverBuilder dns = DnsClients.builder(transport, queryTimeout, servers);
    this.group = new Group(dns, queryTimeout);
  }

  /**
   * Returns a resolver that asks the name servers of the system's resolver configuration, which
   * is read again every few minutes.
   *
   * @param transport the transport of the event loops that will connect
   * @param queryTimeout how long one DNS query may go unanswered before the next is tried
   * @return the resolver; the caller closes it
   * @throws NullPointerException if an argument is null
   */
  public static HostResolver system(Transport transport, Duration queryTimeout) {
    return new HostResolver(transport, queryTimeout, DnsClients.servers(List.of()));
  }

  /**
   * Returns a resolver that asks {@code nameServers}, in order, instead of the system's.
   *
   * @param transport the transport of the event loops that will connect
   * @param queryTimeout how long one DNS query may go unanswered before the next is tried
   * @param nameServers resolved addresses of DNS servers, at least one
   * @return the resolver; the caller closes it
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code nameServers} is empty
   */
  public static HostResolver using(
      Transport transport, Duration queryTimeout, List<InetSocketAddress> nameServers) {
    if (nameServers.isEmpty()) {
      throw new IllegalArgumentException("nameServers must not be empty");
    }
    return new HostResolver(transport, queryTimeout, DnsClients.servers(nameServers));
  }

  /**
   * Connects {@code bootstrap} to {@code host}, resolving its name first when it is not an IP
   * literal. Sets the bootstrap's resolver (or turns it off for a literal), so a bootstrap is
   * either used for one host or passed here before every connect.
   *
   * @param bootstrap a bootstrap with its group, channel and handler set; its event loops must be
   *     of this resolver's transport
   * @param host where to connect
   * @return the connect future, failed with an {@link UnknownHostException} if the name does not
   *     resolve
   */
  public ChannelFuture connect(Bootstrap bootstrap, Host host) {
    InetAddress literal = NetUtil.createInetAddressFromIpAddressString(host.name());
    if (literal != null) {
      return bootstrap.disableResolver().connect(new InetSocketAddress(literal, host.port()));
    }
    return bootstrap
        .resolver(group)
        .connect(InetSocketAddress.createUnresolved(host.name(), host.port()));
  }

  /**
   * Closes the DNS clients of every event loop; idempotent. Call it before the event loops shut
   * down. Lookups under way fail.
   */
  @Override
  public void close() {
    group.close();
  }

  /**
   * Netty's resolver group with its caches shared by every event loop, whose failures are renamed
   * into one line that names the host.
   */
  private static final class Group extends DnsAddressResolverGroup {
    private final long queryTimeoutMillis;

    Group(DnsNameResolverBuilder dns, Duration queryTimeout) {
      super(dns);
      this.queryTimeoutMillis = queryTimeout.toMillis();
    }

    @Override
    protected NameResolver<InetAddress> newNameResolver(
        EventLoop loop,
        ChannelFactory<? extends DatagramChannel> channelFactory,
        DnsServerAddressStreamProvider nameServerProvider)
        throws Exception {
      return new Explained(loop, super.newNameResolver(loop, channelFactory, nameServerProvider), this);
    }

    UnknownHostException unknownHost(String name, Throwable cause) {
      UnknownHostException e = new UnknownHostException("unknown host " + name + ": " + why(cause));
      e.addSuppressed(cause);
      return e;
    }

    private String why(Throwable cause) {
      for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
        if (t instanceof DnsErrorCauseException dns) {
          // The name server's own answer, by its usual name: NXDOMAIN, SERVFAIL, REFUSED...
          String code = dns.getCode().toString();
          int paren = code.indexOf('(');
          return (paren > 0 ? code.substring(0, paren) : code).toUpperCase(Locale.ROOT);
        }
        if (t instanceof DnsNameResolverTimeoutException) {
          return "no answer from a name server within " + queryTimeoutMillis + " ms";
        }
      }
      return Failures.describe(cause);
    }
  }

  /** A name resolver whose failures say in one line which name did not resolve and why. */
  private static final class Explained extends SimpleNameResolver<InetAddress> {
    private final NameResolver<InetAddress> dns;
    private final Group group;

    Explained(EventExecutor loop, NameResolver<InetAddress> dns, Group group) {
      super(loop);
      this.dns = dns;
      this.group = group;
    }

    @Override
    protected void doResolve(String name, Promise<InetAddress> promise) {
      dns.resolve(name).addListener((FutureListener<InetAddress>) f -> complete(name, f, promise));
    }

    @Override
    protected void doResolveAll(String name, Promise<List<InetAddress>> promise) {
      dns.resolveAll(name)
          .addListener(
              (FutureListener<List<InetAddress>>) f -> complete(name, f, promise));
    }

    private <T> void complete(String name, Future<T> answer, Promise<T> promise) {
      if (answer.isSuccess()) {
        promise.trySuccess(answer.getNow());
      } else {
        promise.tryFailure(group.unknownHost(name, answer.cause()));
      }
    }

    @Override
    public void close() {
      dns.close();
    }
  }
}
