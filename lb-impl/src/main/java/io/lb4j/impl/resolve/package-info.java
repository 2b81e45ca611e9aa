/**
 * How lb4j turns the hosts of an upstream into addresses: IP literals directly, names through
 * Netty's asynchronous DNS resolver on the connecting event loop, never through the JDK's blocking
 * resolver.
 */
package io.lb4j.impl.resolve;
