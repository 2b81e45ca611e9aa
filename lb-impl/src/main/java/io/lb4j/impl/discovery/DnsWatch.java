package io.lb4j.impl.discovery;

import io.lb4j.api.Defaults;
import io.lb4j.api.DiscoveredHost;
import io.lb4j.api.Host;
import io.lb4j.api.HostSource;
import io.lb4j.api.HostSource.Failure;
import io.lb4j.impl.resolve.DnsClients;
import io.lb4j.impl.transport.Failures;
import io.lb4j.impl.transport.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.channel.AddressedEnvelope;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverTimeoutException;
import io.netty.resolver.dns.DnsServerAddressStream;
import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.FutureListener;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running DNS lookups of one upstream: one daemon event-loop thread, one Netty DNS client on
 * it, and one lookup at a time, each scheduled when the previous one ends. Everything but
 * {@link #close()} runs on that thread, so the state needs no lock.
 */
final class DnsWatch implements HostSource.Watch {

  private static final Logger log = LoggerFactory.getLogger(DnsWatch.class);

  private final DnsDiscovery settings;
  private final HostSource.Sink sink;
  private final EventLoopGroup group;
  private final EventLoop loop;
  private final DnsNameResolver dns;
  private final DnsServerAddressStreamProvider servers;
  private volatile boolean closed;

  // Confined to the loop.
  private int failuresInRow;
  private ScheduledFuture<?> next;

  private DnsWatch(DnsDiscovery settings, String upstream, HostSource.Sink sink) {
    this.settings = settings;
    this.sink = sink;
    Transport transport = Transport.best();
    this.group = transport.newGroup(1, new DefaultThreadFactory("lb4j-discovery-" + upstream, true));
    this.loop = group.next();
    this.servers = DnsClients.servers(settings.resolvers());
    this.dns = DnsClients.builder(transport, settings.queryTimeout(), servers).eventLoop(loop).build();
  }

  static DnsWatch start(DnsDiscovery settings, String upstream, HostSource.Sink sink) {
    DnsWatch watch = new DnsWatch(settings, upstream, sink);
    watch.loop.execute(watch::lookup);
    return watch;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      loop.execute(() -> {
        if (next != null) {
          next.cancel(false);
        }
        dns.close();
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // Already shutting down.
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  // ---- one lookup, on the loop

  private void lookup() {
    if (closed) {
      return;
    }
    Future<Found> found =
        settings.kind() == DnsDiscovery.Kind.SRV
            ? srv(settings.name())
            : addresses(settings.name(), settings.fixedPort(), Defaults.HOST_WEIGHT);
    found.addListener((FutureListener<Found>) this::done);
  }

  private void done(Future<Found> f) {
    if (closed) {
      return;
    }
    Duration delay;
    if (f.isSuccess()) {
      failuresInRow = 0;
      Found found = f.getNow();
      publish(found.hosts());
      delay = afterSuccess(found.ttl());
    } else {
      failuresInRow++;
      LookupFailed failure = f.cause() instanceof LookupFailed lf
          ? lf
          : new LookupFailed(Failure.ERROR, settings + ": " + Failures.describe(f.cause()));
      if (!(f.cause() instanceof LookupFailed)) {
        log.debug("lookup of {} failed unexpectedly", settings, f.cause());
      }
      report(failure);
      delay = afterFailure();
    }
    next = loop.schedule(this::lookup, delay.toNanos(), TimeUnit.NANOSECONDS);
  }

  private void publish(List<DiscoveredHost> hosts) {
    try {
      sink.publish(hosts);
    } catch (RuntimeException e) {
      log.warn("lb4j could not apply the hosts found by {}", settings, e);
    }
  }

  private void report(LookupFailed failure) {
    try {
      sink.failed(failure.kind, failure.getMessage());
    } catch (RuntimeException e) {
      log.warn("lb4j could not take the failure of {}", settings, e);
    }
  }

  private Duration afterSuccess(long ttlSeconds) {
    if (settings.refresh().isPresent()) {
      return settings.refresh().get();
    }
    Duration ttl = Duration.ofSeconds(Math.max(0, ttlSeconds));
    if (ttl.compareTo(settings.minRefresh()) < 0) {
      return settings.minRefresh();
    }
    return ttl.compareTo(settings.maxRefresh()) > 0 ? settings.maxRefresh() : ttl;
  }

  private Duration afterFailure() {
    Duration ceiling = settings.refresh().orElse(settings.maxRefresh());
    Duration pause = settings.minRefresh();
    for (int i = 1; i < failuresInRow && pause.compareTo(ceiling) < 0; i++) {
      pause = pause.multipliedBy(2);
    }
    return pause.compareTo(ceiling) > 0 ? ceiling : pause;
  }

  // ---- A and AAAA

  /** What one lookup found: the hosts in a stable order, and the smallest TTL of the records. */
  private record Found(List<DiscoveredHost> hosts, long ttl) {}

  /** An address from an A or AAAA record, with the record's TTL. */
  private record Address(InetAddress address, long ttl) {}

  /** The records of one answer that discovery reads; copied out, so nothing holds the buffer. */
  private record Answer(List<Address> addresses, List<SrvRecord> srv, Map<String, List<Address>> additional) {}

  private Future<Found> addresses(String name, int port, int weight) {
    Promise<Found> promise = loop.newPromise();
    Future<Answer> a = ask(name, DnsRecordType.A);
    Future<Answer> aaaa = ask(name, DnsRecordType.AAAA);
    both(a, aaaa, () -> {
      LookupFailed failed = firstFailure(a, aaaa);
      if (failed != null) {
        promise.setFailure(failed);
        return;
      }
      List<Address> found = new ArrayList<>(a.getNow().addresses());
      found.addAll(aaaa.getNow().addresses());
      if (found.isEmpty()) {
        promise.setFailure(new LookupFailed(Failure.EMPTY, "A/AAAA " + name + ": no address record"));
        return;
      }
      promise.setSuccess(new Found(hostsOf(found, port, weight, name), minTtl(found)));
    });
    return promise;
  }

  private static List<DiscoveredHost> hostsOf(List<Address> found, int port, int weight, String origin) {
    List<DiscoveredHost> hosts = new ArrayList<>();
    for (Address a : found) {
      hosts.add(new DiscoveredHost(Host.of(NetUtil.toAddressString(a.address()), port), weight, origin));
    }
    // Servers rotate their records; a stable order keeps an unchanged set unchanged.
    hosts.sort(Comparator.comparing((DiscoveredHost h) -> h.host().name()).thenComparingInt(h -> h.host().port()));
    return hosts;
  }

  private static long minTtl(List<Address> found) {
    return found.stream().mapToLong(Address::ttl).min().orElse(0);
  }

  /** The failure to report of two queries for one name: A's first, as it names the problem. */
  private static LookupFailed firstFailure(Future<Answer> a, Future<Answer> aaaa) {
    for (Future<Answer> f : List.of(a, aaaa)) {
      if (!f.isSuccess()) {
        return f.cause() instanceof LookupFailed lf
            ? lf
            : new LookupFailed(Failure.ERROR, Failures.describe(f.cause()));
      }
    }
    return null;
  }

  // ---- SRV

  private Future<Found> srv(String name) {
    Promise<Found> promise = loop.newPromise();
    ask(name, DnsRecordType.SRV).addListener((FutureListener<Answer>) f -> {
      if (!f.isSuccess()) {
        promise.setFailure(f.cause());
        return;
      }
      Answer answer = f.getNow();
      List<SrvRecord> offered = answer.srv().stream().filter(r -> !r.notOffered()).toList();
      if (offered.isEmpty()) {
        promise.setFailure(new LookupFailed(Failure.EMPTY, "SRV " + name + ": "
            + (answer.srv().isEmpty() ? "no SRV record" : "the service is not offered (target .)")));
        return;
      }
      resolveTargets(name, offered, answer.additional(), promise);
    });
    return promise;
  }

  /** Finds the addresses of every target, from the additional section or by lookups. */
  private void resolveTargets(
      String name, List<SrvRecord> records, Map<String, List<Address>> additional, Promise<Found> promise) {
    Map<String, Future<Answer>> lookups = new LinkedHashMap<>();
    Map<String, List<Address>> known = new HashMap<>();
    for (SrvRecord r : records) {
      String target = r.target().toLowerCase(Locale.ROOT);
      List<Address> given = additional.get(target);
      if (given != null) {
        known.put(target, given);
      } else if (!lookups.containsKey(target + "/A")) {
        lookups.put(target + "/A", ask(target, DnsRecordType.A));
        lookups.put(target + "/AAAA", ask(target, DnsRecordType.AAAA));
      }
    }
    all(List.copyOf(lookups.values()), () -> {
      Map<String, LookupFailed> failed = new HashMap<>();
      lookups.forEach((key, f) -> {
        String target = key.substring(0, key.lastIndexOf('/'));
        if (f.isSuccess()) {
          known.computeIfAbsent(target, t -> new ArrayList<>()).addAll(f.getNow().addresses());
        } else if (f.cause() instanceof LookupFailed lf
            && (lf.kind == Failure.NOT_FOUND || lf.kind == Failure.EMPTY)) {
          known.computeIfAbsent(target, t -> new ArrayList<>());
        } else {
          failed.putIfAbsent(target, f.cause() instanceof LookupFailed lf
              ? lf
              : new LookupFailed(Failure.ERROR, target + ": " + Failures.describe(f.cause())));
        }
      });
      pickGroup(name, records, known, failed, promise);
    });
  }

  /**
   * Uses the lowest priority group with a host. A group with a target whose lookup failed (other
   * than "no such name") fails the whole lookup: a higher group would take over only because DNS
   * hiccupped.
   */
  private static void pickGroup(
      String name,
      List<SrvRecord> records,
      Map<String, List<Address>> known,
      Map<String, LookupFailed> failed,
      Promise<Found> promise) {
    TreeMap<Integer, List<SrvRecord>> groups = new TreeMap<>();
    for (SrvRecord r : records) {
      groups.computeIfAbsent(r.priority(), p -> new ArrayList<>()).add(r);
    }
    for (List<SrvRecord> group : groups.values()) {
      List<DiscoveredHost> hosts = new ArrayList<>();
      long ttl = Long.MAX_VALUE;
      int maxWeight = group.stream().mapToInt(SrvRecord::weight).max().orElse(0);
      for (SrvRecord r : group) {
        String target = r.target().toLowerCase(Locale.ROOT);
        LookupFailed f = failed.get(target);
        if (f != null) {
          promise.setFailure(new LookupFailed(f.kind, "SRV " + name + ": target " + f.getMessage()));
          return;
        }
        List<Address> addresses = known.getOrDefault(target, List.of());
        if (addresses.isEmpty()) {
          continue;
        }
        ttl = Math.min(ttl, Math.min(r.ttl(), minTtl(addresses)));
        hosts.addAll(hostsOf(addresses, r.port(), weight(r.weight(), maxWeight), target));
      }
      if (!hosts.isEmpty()) {
        promise.setSuccess(new Found(List.copyOf(hosts), ttl));
        return;
      }
    }
    promise.setFailure(new LookupFailed(Failure.EMPTY, "SRV " + name + ": no target of any record has an address"));
  }

  /** An SRV weight (0 to 65535) as a host weight (1 to 256), keeping the group's proportions. */
  static int weight(int srvWeight, int maxInGroup) {
    if (maxInGroup <= Defaults.MAX_HOST_WEIGHT) {
      return Math.max(1, srvWeight);
    }
    long scaled = Math.round((double) srvWeight * Defaults.MAX_HOST_WEIGHT / maxInGroup);
    return (int) Math.max(1, scaled);
  }

  // ---- queries

  /** Asks the resolvers in turn until one answers with something other than SERVFAIL or REFUSED. */
  private Future<Answer> ask(String name, DnsRecordType type) {
    Promise<Answer> promise = loop.newPromise();
    askFrom(nameServers(name), 0, name, type, promise, null);
    return promise;
  }

  private List<InetSocketAddress> nameServers(String name) {
    if (!settings.resolvers().isEmpty()) {
      return settings.resolvers();
    }
    DnsServerAddressStream stream = servers.nameServerAddressStream(name);
    List<InetSocketAddress> list = new ArrayList<>();
    for (int i = 0; i < stream.size(); i++) {
      list.add(stream.next());
    }
    return list;
  }

  private void askFrom(
      List<InetSocketAddress> servers, int index, String name, DnsRecordType type,
      Promise<Answer> promise, LookupFailed last) {
    if (index >= servers.size()) {
      promise.setFailure(last != null
          ? last
          : new LookupFailed(Failure.ERROR, type.name() + " " + name + ": no resolver to ask"));
      return;
    }
    InetSocketAddress server = servers.get(index);
    String what = type.name() + " " + name;
    dns.query(server, new DefaultDnsQuestion(name, type))
        .addListener((FutureListener<AddressedEnvelope<DnsResponse, InetSocketAddress>>) f -> {
          if (!f.isSuccess()) {
            Failure kind = isTimeout(f.cause()) ? Failure.TIMEOUT : Failure.ERROR;
            String why = kind == Failure.TIMEOUT
                ? "no answer from " + hostPort(server) + " within " + settings.queryTimeout().toMillis() + " ms"
                : Failures.describe(f.cause()) + " asking " + hostPort(server);
            askFrom(servers, index + 1, name, type, promise, new LookupFailed(kind, what + ": " + why));
            return;
          }
          AddressedEnvelope<DnsResponse, InetSocketAddress> envelope = f.getNow();
          try {
            DnsResponse response = envelope.content();
            DnsResponseCode code = response.code();
            if (code == DnsResponseCode.SERVFAIL || code == DnsResponseCode.REFUSED) {
              askFrom(servers, index + 1, name, type, promise,
                  new LookupFailed(Failure.SERVER_FAILURE, what + ": " + codeName(code) + " from " + hostPort(server)));
            } else if (code == DnsResponseCode.NXDOMAIN) {
              promise.setFailure(new LookupFailed(Failure.NOT_FOUND, what + ": NXDOMAIN from " + hostPort(server)));
            } else if (code != DnsResponseCode.NOERROR) {
              promise.setFailure(new LookupFailed(Failure.ERROR, what + ": " + codeName(code) + " from " + hostPort(server)));
            } else {
              promise.setSuccess(read(response));
            }
          } catch (IllegalArgumentException malformed) {
            promise.tryFailure(new LookupFailed(Failure.ERROR, what + ": " + malformed.getMessage()));
          } finally {
            envelope.release();
          }
        });
  }

  private static boolean isTimeout(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof DnsNameResolverTimeoutException) {
        return true;
      }
    }
    return false;
  }

  private static String codeName(DnsResponseCode code) {
    String text = code.toString();
    int paren = text.indexOf('(');
    return (paren > 0 ? text.substring(0, paren) : text).toUpperCase(Locale.ROOT);
  }

  private static String hostPort(InetSocketAddress a) {
    return Host.of(a.getAddress().getHostAddress(), a.getPort()).toString();
  }

  /** Copies the addresses and SRV records of an answer out of its buffers. */
  private static Answer read(DnsResponse response) {
    List<Address> addresses = new ArrayList<>();
    List<SrvRecord> srv = new ArrayList<>();
    for (int i = 0; i < response.count(DnsSection.ANSWER); i++) {
      DnsRecord r = response.recordAt(DnsSection.ANSWER, i);
      if (r.type() == DnsRecordType.SRV && r instanceof DnsRawRecord raw) {
        srv.add(SrvRecord.parse(raw));
      } else {
        Address a = address(r);
        if (a != null) {
          addresses.add(a);
        }
      }
    }
    Map<String, List<Address>> additional = new HashMap<>();
    for (int i = 0; i < response.count(DnsSection.ADDITIONAL); i++) {
      DnsRecord r = response.recordAt(DnsSection.ADDITIONAL, i);
      Address a = address(r);
      if (a != null) {
        additional.computeIfAbsent(plain(r.name()), n -> new ArrayList<>()).add(a);
      }
    }
    return new Answer(addresses, srv, additional);
  }

  /** A DNS name as discovery keeps it: lower case, without the trailing dot. */
  private static String plain(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.endsWith(".") && n.length() > 1 ? n.substring(0, n.length() - 1) : n;
  }

  /** The address of an A or AAAA record (owner names are not compared: a CNAME chain is fine). */
  private static Address address(DnsRecord r) {
    if (!(r instanceof DnsRawRecord raw)) {
      return null;
    }
    int expected = r.type() == DnsRecordType.A ? 4 : r.type() == DnsRecordType.AAAA ? 16 : -1;
    ByteBuf data = raw.content();
    if (expected < 0 || data.readableBytes() != expected) {
      return null;
    }
    byte[] bytes = new byte[expected];
    data.getBytes(data.readerIndex(), bytes);
    try {
      return new Address(InetAddress.getByAddress(bytes), r.timeToLive());
    } catch (UnknownHostException e) {
      throw new AssertionError("4 or 16 bytes are always an address", e);
    }
  }

  // ---- futures on the loop

  private void both(Future<?> a, Future<?> b, Runnable then) {
    all(List.of(a, b), then);
  }

  private void all(List<? extends Future<?>> futures, Runnable then) {
    if (futures.isEmpty()) {
      then.run();
      return;
    }
    int[] left = {futures.size()};
    for (Future<?> f : futures) {
      // Every listener runs on the loop, so the count needs no lock.
      f.addListener(done -> {
        if (--left[0] == 0) {
          then.run();
        }
      });
    }
  }

  /** A lookup that failed in a way discovery reports, with one line that says what and why. */
  static final class LookupFailed extends Exception {
    final Failure kind;

    LookupFailed(Failure kind, String message) {
      super(message, null, false, false);
      this.kind = kind;
    }
  }
}
