package io.lb4j.impl;

import io.lb4j.api.Authorizer;
import io.lb4j.api.ConnectionListener;
import io.lb4j.api.RateLimiter;
import io.lb4j.api.TlsContextFactory;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * The settings a {@link LoadBalancer} and a {@link Forwarder} share, as their builders collected
 * them. Immutable.
 */
record Settings(
    TlsContextFactory tls,
    Duration handshakeTimeout,
    Authorizer authorizer,
    RateLimiter rateLimiter,
    ConnectionListener listener,
    Duration drainTimeout,
    int ioThreads,
    LongSupplier nanoClock) {}
