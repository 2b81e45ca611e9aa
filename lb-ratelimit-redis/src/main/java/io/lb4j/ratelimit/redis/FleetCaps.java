package io.lb4j.ratelimit.redis;

import static io.lb4j.ratelimit.redis.FleetScripts.bytes;

import io.lb4j.ratelimit.redis.BucketStore.RedisLink;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * This instance's share of the fleet-wide concurrent-connection counts: for each client with an
 * open connection under a cap, how many it holds, and the scripts that keep Redis's count of them.
 *
 * <h2>Exactness</h2>
 * A slot is taken by one atomic script on the client's own key, so concurrent decisions on every
 * instance never admit past the cap while Redis answers. Each client's commands go out on one
 * connection in the order this instance made them (under the client's {@link Holding} lock), so
 * Redis applies them in that order too; the renewal {@link #renew sets} Redis's count to this
 * instance's own only when no decision of the client is under way, so it never overwrites one.
 *
 * <h2>Leases and rebuilds</h2>
 * Every field this instance writes carries an end ({@code now + lease}, in Redis's time), renewed
 * by {@link #renew} three times per lease; an instance that stops renewing loses its slots to the
 * next decision on the client after the lease. What Redis lost (an outage, a failover to a replica
 * that missed the last writes) or counted wrongly meanwhile is put right from this instance's own
 * count by the next renewal, which {@link RedisRateLimiter} runs at once when Redis answers again.
 *
 * <p>Thread-safe; nothing here blocks: every Redis command is asynchronous.
 */
final class FleetCaps {

  private final String keyPrefix;
  private final String instanceId;
  private final byte[] instance;
  private final byte[] leaseMillis;
  private final ConcurrentHashMap<String, Holding> holdings = new ConcurrentHashMap<>();

  FleetCaps(String keyPrefix, String instanceId, Duration lease) {
    this.keyPrefix = keyPrefix;
    this.instanceId = instanceId;
    this.instance = bytes(instanceId);
    this.leaseMillis = bytes(lease.toMillis());
  }

  /** What this instance holds of one client. Guarded by its own monitor. */
  private static final class Holding {
    /** Connections of the client open through this instance and counted as its own. */
    int held;
    /** Commands about this client sent to Redis and not yet answered. */
    int pending;
    /** Whether Redis may count this client wrongly for this instance (a decision without Redis). */
    boolean dirty;
    /** Whether it left the map; a thread that still has it takes a fresh one. */
    boolean removed;
    /** Whether the client was added to this instance's record in Redis since the holding was made. */
    boolean recorded;
    /** The fleet's count as Redis last told it, or -1. */
    volatile long fleet = -1;
  }

  /** Returns the client's holding, made if it is not there; the caller locks it and checks removed. */
  private Holding holding(String cn) {
    return holdings.computeIfAbsent(cn, k -> new Holding());
  }

  /** Forgets a holding with nothing to remember; the caller holds its lock. */
  private void dropIfIdle(String cn, Holding h) {
    if (h.held == 0 && h.pending == 0 && !h.dirty && !h.removed) {
      h.removed = true;
      holdings.remove(cn, h);
    }
  }

  /**
   * Asks Redis for a slot of {@code cn} under {@code cap}. The stage completes with true (taken,
   * and counted here), false (the fleet holds the cap), or exceptionally when Redis did not
   * answer; then nothing is counted here: see {@link #admittedWithoutRedis}.
   */
  CompletableFuture<Boolean> acquire(String cn, int cap, RedisLink link) {
    for (;;) {
      Holding h = holding(cn);
      CompletableFuture<long[]> reply;
      synchronized (h) {
        if (h.removed) {
          continue;
        }
        if (!h.recorded) {
          // Recorded before the first slot is taken, so that a restart under the same id finds it.
          h.recorded = true;
          send(() -> FleetScripts.INDEX_ADD.run(link.scripts(), indexKey(), leaseMillis, bytes(cn)));
        }
        h.pending++;
        reply = send(() -> FleetScripts.ACQUIRE.run(
            link.scripts(), key(cn), instance, bytes(h.held), leaseMillis, bytes(cap)));
      }
      return reply.handle((r, error) -> {
        synchronized (h) {
          h.pending--;
          boolean taken = error == null && r[0] == 1;
          if (taken) {
            h.held++;
          }
          if (error == null) {
            h.fleet = r[1];
          }
          dropIfIdle(cn, h);
          if (error != null) {
            throw new FleetUnavailable(error);
          }
          return taken;
        }
      });
    }
  }

  /** Runs a script, turning a command that fails as it is sent into a failed stage. */
  private static CompletableFuture<long[]> send(Supplier<CompletableFuture<long[]>> script) {
    try {
      return script.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** The failure of a Redis command, passed through a stage. */
  static final class FleetUnavailable extends RuntimeException {
    FleetUnavailable(Throwable cause) {
      super(cause.getMessage(), cause, false, false);
    }
  }

  /**
   * Counts a connection admitted while Redis could not be asked (failing open): it is this
   * instance's, and the next renewal that reaches Redis counts it there.
   */
  void admittedWithoutRedis(String cn) {
    for (;;) {
      Holding h = holding(cn);
      synchronized (h) {
        if (h.removed) {
          continue;
        }
        h.held++;
        h.dirty = true;
        return;
      }
    }
  }

  /**
   * Gives back one slot of {@code cn}, if this instance holds one: at once here, and in Redis
   * through {@code link} (or by the next renewal when {@code link} is null or fails).
   *
   * @return whether this instance held a slot of the client
   */
  boolean release(String cn, RedisLink link) {
    Holding h = holdings.get(cn);
    if (h == null) {
      return false;
    }
    CompletableFuture<long[]> reply;
    synchronized (h) {
      if (h.removed || h.held == 0) {
        return false;
      }
      h.held--;
      if (link == null) {
        h.dirty = true;
        return true;
      }
      h.pending++;
      reply = send(() -> FleetScripts.RELEASE.run(
          link.scripts(), key(cn), instance, bytes(h.held), leaseMillis));
    }
    reply.whenComplete((r, error) -> {
      synchronized (h) {
        h.pending--;
        if (error != null) {
          h.dirty = true;
        } else {
          h.fleet = r[1];
        }
        dropIfIdle(cn, h);
      }
    });
    return true;
  }

  /**
   * Renews this instance's lease on every client it holds and puts Redis's count of them right,
   * then records which clients they are (so that a restart under the same instance id can clear
   * them). Never blocks.
   *
   * @param link the connection
   * @param failed told of each command that failed
   */
  void renew(RedisLink link, Consumer<Throwable> failed) {
    List<String> held = new ArrayList<>();
    for (var e : holdings.entrySet()) {
      String cn = e.getKey();
      Holding h = e.getValue();
      CompletableFuture<long[]> reply;
      synchronized (h) {
        if (h.removed) {
          continue;
        }
        boolean exact = h.pending == 0;
        if (exact) {
          h.dirty = false;
        }
        if (h.held > 0) {
          held.add(cn);
        }
        h.pending++;
        reply = send(() -> FleetScripts.RENEW.run(
            link.scripts(), key(cn), instance, bytes(h.held), leaseMillis, bytes(exact ? 1 : 0)));
      }
      reply.whenComplete((r, error) -> {
        synchronized (h) {
          h.pending--;
          if (error != null) {
            h.dirty = true;
            failed.accept(error);
          } else {
            h.fleet = r[1];
          }
          dropIfIdle(cn, h);
        }
      });
    }
    byte[][] args = new byte[held.size() + 1][];
    args[0] = leaseMillis;
    for (int i = 0; i < held.size(); i++) {
      args[i + 1] = bytes(held.get(i));
    }
    send(() -> FleetScripts.INDEX.run(link.scripts(), indexKey(), args))
        .whenComplete((r, error) -> {
          if (error != null) {
            failed.accept(error);
          }
        });
  }

  /**
   * Clears what an earlier run under this instance id left in Redis (a crash, then a restart with
   * the same id): sets its count of every client it recorded to zero. Run before the first
   * decision. Never blocks.
   *
   * @return a stage that completes with the number of clients cleared, or exceptionally
   */
  CompletableFuture<Integer> clearPreviousRun(RedisLink link) {
    return FleetScripts.MEMBERS.runForList(link.scripts(), indexKey()).thenCompose(members -> {
      List<CompletableFuture<long[]>> clearing = new ArrayList<>();
      for (Object member : members) {
        byte[] cn = (byte[]) member;
        clearing.add(FleetScripts.RENEW.run(
            link.scripts(), key(new String(cn, StandardCharsets.UTF_8)), instance, bytes(0),
            leaseMillis, bytes(1)));
      }
      return CompletableFuture.allOf(clearing.toArray(CompletableFuture[]::new))
          .thenApply(done -> clearing.size());
    });
  }

  /** Returns the fleet's count of {@code cn} as Redis last told this instance, or -1. */
  long lastFleetCount(String cn) {
    Holding h = holdings.get(cn);
    return h == null ? -1 : h.fleet;
  }

  /** Asks Redis for the fleet's count of {@code cn}. Never blocks. */
  CompletableFuture<Long> fleetCount(String cn, RedisLink link) {
    return send(() -> FleetScripts.COUNT.run(
        link.scripts(), key(cn), instance, bytes(0), leaseMillis)).thenApply(r -> r[1]);
  }

  /** Returns the clients this instance holds slots of. */
  int clientsHeld() {
    return holdings.size();
  }

  /** The key of a client's holdings: its CN as the hash tag, so that it shares the bucket's slot. */
  byte[] key(String cn) {
    return bytes(keyPrefix + "{" + cn + "}:conc");
  }

  private byte[] indexKey() {
    return bytes(keyPrefix + "instance:{" + instanceId + "}");
  }
}
