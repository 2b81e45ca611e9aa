/**
 * The API of lb4j: value types ({@link io.lb4j.api.Host}, {@link io.lb4j.api.Upstream},
 * {@link io.lb4j.api.ClientIdentity}, {@link io.lb4j.api.Decision}) and the service-provider
 * interfaces a user may implement: {@link io.lb4j.api.BalancingStrategy},
 * {@link io.lb4j.api.RateLimiter}, {@link io.lb4j.api.Authorizer},
 * {@link io.lb4j.api.TlsContextFactory} and {@link io.lb4j.api.ConnectionListener}.
 *
 * <p>This package depends on the JDK alone. Every type is immutable or an interface; each
 * interface's javadoc states which thread calls it and whether it may block.
 */
package io.lb4j.api;
