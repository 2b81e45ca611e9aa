/**
 * Real TCP servers on loopback ports for tests: {@link io.lb4j.testkit.upstream.Upstreams} makes
 * echo, sink, source, black-hole, resetting and unresponsive upstreams, and refusing hosts. Plain
 * JDK sockets; no Netty needed.
 */
package io.lb4j.testkit.upstream;
