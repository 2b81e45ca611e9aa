package io.lb4j.testkit.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.junit.platform.testkit.engine.Events;
import reactor.blockhound.BlockingOperationError;

/** BlockHound is installed in this JVM by blockhound-junit-platform, as in every lb4j module. */
class EventLoopBlockingGuardTest {

  private final EventLoopGroup loops =
      new DefaultEventLoopGroup(1, new DefaultThreadFactory("guard-test", true));

  @AfterEach
  void stopLoops() {
    loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  @Test
  void sleepOnEventLoopFailsWithBlockHoundError() {
    Future<?> slept = sleepOnLoop(loops);

    assertThat(slept.cause())
        .isInstanceOf(BlockingOperationError.class)
        .hasMessageContaining("java.lang.Thread.sleep");
    assertThat(EventLoopBlockingGuard.takeReports())
        .singleElement(InstanceOfAssertFactories.STRING)
        .contains("java.lang.Thread.sleep", "guard-test", "sleepOnLoop");
  }

  @Test
  void sleepOnOtherThreadIsAllowed() throws Exception {
    Thread.sleep(1);

    assertThat(EventLoopBlockingGuard.takeReports()).isEmpty();
  }

  @Test
  void failsTheTestWhoseEventLoopBlockedEvenWhenTheErrorWasSwallowed() {
    Events tests = EngineTestKit.engine("junit-jupiter")
        .selectors(selectClass(BlockingTests.class))
        .execute()
        .testEvents();

    tests.assertStatistics(stats -> stats.started(2).succeeded(1).failed(1));
    Event failure = tests.failed().list().get(0);
    assertThat(failure.getTestDescriptor().getDisplayName()).isEqualTo("blocksTheLoop()");
    assertThat(failure.getPayload(TestExecutionResult.class).flatMap(r -> r.getThrowable()))
        .get(InstanceOfAssertFactories.THROWABLE)
        .isInstanceOf(AssertionError.class)
        .hasMessageStartingWith("an event-loop thread blocked 1 time(s) during blocksTheLoop()")
        .hasMessageContaining("java.lang.Thread.sleep");
  }

  private static Future<?> sleepOnLoop(EventLoopGroup loops) {
    return loops.submit(() -> {
      Thread.sleep(10);
      return null;
    }).awaitUninterruptibly();
  }

  /** Run only through the engine test kit above; Surefire skips nested classes. */
  @ExtendWith(EventLoopBlockingGuard.class)
  static class BlockingTests {
    private final EventLoopGroup loops =
        new DefaultEventLoopGroup(1, new DefaultThreadFactory("guarded", true));

    @AfterEach
    void stopLoops() {
      loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void blocksTheLoop() {
      // The error is lost in the future, as a handler's error often is in Netty.
      sleepOnLoop(loops);
    }

    @Test
    void leavesTheLoopAlone() {
      loops.submit(() -> 1).awaitUninterruptibly();
    }
  }
}
