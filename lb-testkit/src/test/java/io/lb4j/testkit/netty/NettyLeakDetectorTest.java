package io.lb4j.testkit.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.UUID;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.junit.platform.testkit.engine.Events;

class NettyLeakDetectorTest {

  private final NettyLeakDetector detector = new NettyLeakDetector();

  @BeforeEach
  void startClean() {
    detector.collectLeaks();
  }

  @Test
  void reportsABufferThatWasNeverReleased() {
    String hint = "leaked on purpose " + UUID.randomUUID();
    leakOneBuffer(hint);

    assertThatThrownBy(detector::assertNoLeaks)
        .isInstanceOf(AssertionError.class)
        .hasMessageStartingWith("Netty reported 1 leaked buffer(s).")
        .hasMessageContaining(hint)
        .hasMessageContaining("leakOneBuffer");
  }

  @Test
  void passesWhenEveryBufferIsReleased() {
    ByteBuf buffer = PooledByteBufAllocator.DEFAULT.directBuffer(16);
    buffer.writeLong(42);
    buffer.release();

    assertThatCode(detector::assertNoLeaks).doesNotThrowAnyException();
  }

  @Test
  void turnsDetectionToParanoid() {
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);

    new NettyLeakDetector();

    assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
  }

  @Test
  void failsTheLeakingTestThroughTheExtension() {
    Events tests = EngineTestKit.engine("junit-jupiter")
        .selectors(selectClass(LeakingTests.class))
        .execute()
        .testEvents();

    tests.assertStatistics(stats -> stats.started(2).succeeded(1).failed(1));
    Event failure = tests.failed().list().get(0);
    assertThat(failure.getTestDescriptor().getDisplayName()).isEqualTo("leaks()");
    assertThat(failure.getPayload(TestExecutionResult.class).flatMap(r -> r.getThrowable()))
        .get(InstanceOfAssertFactories.THROWABLE)
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("during or right after leaks()")
        .hasMessageContaining("leaked by a nested test");
  }

  /** Run only through the engine test kit above; Surefire skips nested classes. */
  @ExtendWith(NettyLeakDetector.class)
  static class LeakingTests {

    @Test
    void leaks() {
      leakOneBuffer("leaked by a nested test " + UUID.randomUUID());
    }

    @Test
    void releases() {
      PooledByteBufAllocator.DEFAULT.heapBuffer(8).release();
    }
  }

  // A method of its own, so no local variable of the caller keeps the buffer reachable.
  private static void leakOneBuffer(String hint) {
    ByteBuf buffer = PooledByteBufAllocator.DEFAULT.directBuffer(16);
    buffer.touch(hint);
    buffer.writeInt(1);
  }
}
