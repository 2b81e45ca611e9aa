package io.lb4j.ratelimit.redis;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The Lua scripts of the fleet-wide concurrency caps. Each works on one key, a client's holdings:
 * a hash with, per lb4j instance, {@code c:<instance>} (how many of the client's connections that
 * instance holds) and {@code e:<instance>} (until when, in Redis's own milliseconds, its lease
 * runs). Every script first drops the fields of instances whose lease lapsed, so their slots
 * return, then sums the live counts. One key per script keeps it on one Cluster slot; Redis's own
 * clock ({@code TIME}) keeps instances' clocks out of the lease.
 *
 * <p>An instance whose own field is missing (its lease lapsed, or Redis lost the data in an
 * outage or failover) is counted with what it says it holds: the count is rebuilt from the
 * instance's open connections, never guessed.
 */
final class FleetScripts {

  /** Reads {@code now} and the live holdings; sets {@code total} and {@code mine} (nil if absent). */
  private static final String PRELUDE = """
      local key, me, lease = KEYS[1], ARGV[1], tonumber(ARGV[3])
      local t = redis.call('TIME')
      local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
      local all = redis.call('HGETALL', key)
      local counts, ends = {}, {}
      for i = 1, #all, 2 do
        local kind, id = string.sub(all[i], 1, 2), string.sub(all[i], 3)
        if kind == 'c:' then counts[id] = tonumber(all[i + 1]) else ends[id] = tonumber(all[i + 1]) end
      end
      local total, mine = 0, nil
      for id, n in pairs(counts) do
        local e = ends[id]
        if e == nil or e <= now then
          redis.call('HDEL', key, 'c:' .. id, 'e:' .. id)
        else
          total = total + n
          if id == me then mine = n end
        end
      end
      for id, e in pairs(ends) do
        if counts[id] == nil then redis.call('HDEL', key, 'e:' .. id) end
      end
      local function keep(n)
        if n > 0 then
          redis.call('HSET', key, 'c:' .. me, n, 'e:' .. me, now + lease)
          if redis.call('PTTL', key) < lease then redis.call('PEXPIRE', key, lease) end
        else
          redis.call('HDEL', key, 'c:' .. me, 'e:' .. me)
        end
      end
      """;

  /**
   * Takes a slot unless the fleet holds the cap. ARGV: instance, what it holds (for a rebuild),
   * lease ms, cap. Returns {1 or 0, the fleet's count after}.
   */
  static final FleetScripts.Script ACQUIRE = new Script(PRELUDE + """
      if mine == nil then mine = tonumber(ARGV[2]); total = total + mine end
      if total >= tonumber(ARGV[4]) then
        keep(mine)
        return {0, total}
      end
      keep(mine + 1)
      return {1, total + 1}
      """);

  /**
   * Gives a slot back. ARGV: instance, what it holds after the release (for a rebuild), lease ms.
   * Returns {1, the fleet's count after}.
   */
  static final FleetScripts.Script RELEASE = new Script(PRELUDE + """
      local was = mine or 0
      if mine == nil then mine = tonumber(ARGV[2]) else mine = math.max(mine - 1, 0) end
      keep(mine)
      return {1, total - was + mine}
      """);

  /**
   * Renews the lease. ARGV: instance, what it holds, lease ms, 1 to set the count to what it holds
   * (no decision of this instance is under way for the client) or 0 to renew only. Returns {1, the
   * fleet's count after}.
   */
  static final FleetScripts.Script RENEW = new Script(PRELUDE + """
      local was = mine or 0
      if mine == nil or ARGV[4] == '1' then mine = tonumber(ARGV[2]) end
      keep(mine)
      return {1, total - was + mine}
      """);

  /** Counts without changing anything but lapsed leases. ARGV: instance, 0, lease ms. */
  static final FleetScripts.Script COUNT = new Script(PRELUDE + """
      return {1, total}
      """);

  /** Replaces the set of clients an instance holds. KEYS[1] the set, ARGV: lease ms, clients... */
  static final FleetScripts.Script INDEX = new Script("""
      redis.call('DEL', KEYS[1])
      if #ARGV > 1 then
        for i = 2, #ARGV do redis.call('SADD', KEYS[1], ARGV[i]) end
        redis.call('PEXPIRE', KEYS[1], ARGV[1])
      end
      return {1, #ARGV - 1}
      """);

  /** Records one more client an instance holds. KEYS[1] the set, ARGV: lease ms, client. */
  static final FleetScripts.Script INDEX_ADD = new Script("""
      local n = redis.call('SADD', KEYS[1], ARGV[2])
      if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
      return {1, n}
      """);

  /** Lists the clients an instance recorded. KEYS[1] the set. */
  static final FleetScripts.Script MEMBERS = new Script("""
      return redis.call('SMEMBERS', KEYS[1])
      """);

  private FleetScripts() {}

  /**
   * One script, sent whole with each run ({@code EVAL}; Redis compiles it once and keeps it).
   * Running by digest ({@code EVALSHA}) would save the bytes, but a new master after a failover
   * knows no digest, and resending the source after its refusal lets a later command of the same
   * client overtake the refused one: the counts depend on the order of a client's commands.
   */
  static final class Script {
    private final byte[] source;

    Script(String source) {
      this.source = source.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Runs the script; the stage completes with its two numbers, or with Lettuce's exception.
     * Never blocks.
     */
    CompletableFuture<long[]> run(
        RedisScriptingAsyncCommands<byte[], byte[]> redis, byte[] key, byte[]... args) {
      return runForList(redis, key, args).thenApply(Script::numbers);
    }

    /** Runs the script; the stage completes with its reply as Lettuce reads it. Never blocks. */
    CompletableFuture<List<Object>> runForList(
        RedisScriptingAsyncCommands<byte[], byte[]> redis, byte[] key, byte[]... args) {
      byte[][] keys = {key};
      return redis.<List<Object>>eval(source, ScriptOutputType.MULTI, keys, args)
          .toCompletableFuture();
    }

    private static long[] numbers(List<Object> reply) {
      return new long[] {(Long) reply.get(0), (Long) reply.get(1)};
    }
  }

  static byte[] bytes(long n) {
    return Long.toString(n).getBytes(StandardCharsets.US_ASCII);
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
