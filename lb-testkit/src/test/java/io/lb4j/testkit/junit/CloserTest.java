package io.lb4j.testkit.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CloserTest {

  private final List<String> closed = new ArrayList<>();

  private AutoCloseable named(String name) {
    return () -> closed.add(name);
  }

  @Test
  void closesTheLastTrackedFirst() throws Exception {
    Closer closer = new Closer();
    AutoCloseable a = named("a");

    assertThat(closer.track(a)).isSameAs(a);
    closer.track(named("b"));
    closer.track(named("c"));
    closer.closeAll();

    assertThat(closed).containsExactly("c", "b", "a");
  }

  @Test
  void closesEverythingWhenOneFailsAndThrowsTheFirstFailure() {
    Closer closer = new Closer();
    closer.track(named("a"));
    closer.track(() -> {
      throw new IllegalStateException("b failed");
    });
    closer.track(() -> {
      throw new IllegalStateException("c failed");
    });

    assertThatThrownBy(closer::closeAll)
        .hasMessage("c failed")
        .satisfies(e -> assertThat(e.getSuppressed()).extracting(Throwable::getMessage)
            .containsExactly("b failed"));
    assertThat(closed).containsExactly("a");
  }

  @Test
  void closesEachResourceOnce() throws Exception {
    Closer closer = new Closer();
    closer.track(named("a"));

    closer.closeAll();
    closer.closeAll();

    assertThat(closed).containsExactly("a");
  }
}
