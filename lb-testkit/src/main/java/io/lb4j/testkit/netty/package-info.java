/**
 * Netty support for tests: {@link io.lb4j.testkit.netty.NettyLeakDetector} fails tests that leak
 * buffers. Needs Netty on the class path, which the testkit declares optional.
 */
package io.lb4j.testkit.netty;
