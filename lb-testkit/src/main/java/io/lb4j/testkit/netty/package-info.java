/**
 * Netty support for tests: {@link io.lb4j.testkit.netty.NettyLeakDetector} fails tests that leak
 * buffers; {@link io.lb4j.testkit.netty.EventLoopBlockingGuard} fails tests in which an event loop
 * blocked, as BlockHound sees it. Needs Netty (and BlockHound for the guard) on the class path,
 * which the testkit declares optional.
 */
package io.lb4j.testkit.netty;
