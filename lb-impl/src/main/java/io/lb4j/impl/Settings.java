package io.lb4j.impl;

import io.lb4j.api.Authorizer;
import io.lb4j.api.ConnectionListener;
import io.lb4j.api.RateLimiter;
import io.lb4j.api.TlsContextFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The settings a {@link LoadBalancer} and a {@link Forwarder} share, as their builders collected
 * them. Immutable. An empty {@code nameServers} means the system's resolver configuration.
 */
record Settings(
    TlsContextFactory tls,
    Duration handshakeTimeout,
    Authorizer authorizer,
    RateLimiter rateLimiter,
    ConnectionListener listener,
    Duration drainTimeout,
    int ioThreads,
    LongSupplier nanoClock,
    Duration dnsQueryTimeout,
    List<InetSocketAddress> nameServers,
    OnRevoke onRevoke) {}
