package io.lb4j.testkit.netty;

import reactor.blockhound.BlockHound;
import reactor.blockhound.BlockingMethod;
import reactor.blockhound.BlockingOperationError;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * What lb4j's tests tell BlockHound beyond Netty's own integration: which more JDK calls block,
 * which blocking calls on an event loop are allowed and why, and that every blocking call caught
 * is reported to {@link EventLoopBlockingGuard}, which fails the test it happened in.
 *
 * <p>Loaded by BlockHound through {@link java.util.ServiceLoader} when it is installed, which
 * {@code blockhound-junit-platform} does as JUnit starts; not meant to be called.
 */
public final class Lb4jBlockHoundIntegration implements BlockHoundIntegration {

  /** Creates the integration; BlockHound's service loader calls this. */
  public Lb4jBlockHoundIntegration() {}

  @Override
  public void applyTo(BlockHound.Builder builder) {
    // The JDK's name lookup (getaddrinfo behind InetAddress.getByName, and so behind
    // new InetSocketAddress(name, port)) waits on the network, but BlockHound does not list it.
    // JDK 17 has the one-argument form, JDK 21+ the one with lookup characteristics.
    for (String impl : new String[] {"java.net.Inet4AddressImpl", "java.net.Inet6AddressImpl"}) {
      builder.markAsBlocking(impl, "lookupAllHostAddr", "(Ljava/lang/String;)[Ljava/net/InetAddress;");
      builder.markAsBlocking(impl, "lookupAllHostAddr", "(Ljava/lang/String;I)[Ljava/net/InetAddress;");
    }
    // Netty's adaptive allocator, when several threads contend for its shared magazines, grows
    // their set and frees the old ones under a StampedLock write lock held for a few field
    // writes. Netty's own integration allows the allocator's thread-local paths but not this
    // one; it is the allocator's bounded internal step, not a wait on I/O, and was seen here
    // under the reliability suite's load.
    builder.allowBlockingCallsInside(
        "io.netty.buffer.AdaptivePoolingAllocator$MagazineGroup", "tryExpandMagazines");
    // Caffeine's cache maintenance, which lb4j's per-client limiter runs on the calling thread
    // (executor(Runnable::run), so no pool is needed), takes the cache's eviction lock; two event
    // loops admitting clients at once may wait on it for the length of one drain of its buffers.
    // A bounded critical section of the library's own, not a wait on I/O.
    builder.allowBlockingCallsInside(
        "com.github.benmanes.caffeine.cache.BoundedLocalCache", "performCleanUp");
    // A Redis connection handed in by the application has timeouts lb4j does not control, so each
    // request is bounded by Bucket4j's timeout: a JDK delayed task, cancelled when Redis answers,
    // on Lettuce's event loop. The cancellation takes the JDK scheduler's queue lock for the
    // removal of one task. (lb4j's own connections use Lettuce's timer instead.)
    builder.allowBlockingCallsInside("java.util.concurrent.CompletableFuture$Canceller", "accept");
    builder.blockingMethodCallback(Lb4jBlockHoundIntegration::caught);
  }

  /** Remembers the call with its stack for the guard, then fails it where it happened. */
  private static void caught(BlockingMethod method) {
    Thread thread = Thread.currentThread();
    StringBuilder report =
        new StringBuilder("blocking call ").append(method).append(" on thread ")
            .append(thread.getName());
    StackTraceElement[] stack = thread.getStackTrace();
    for (int i = 1; i < stack.length; i++) {
      report.append("\n\tat ").append(stack[i]);
    }
    BlockingCalls.add(report.toString());
    throw new BlockingOperationError(method);
  }
}
