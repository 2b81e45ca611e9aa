package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PooledBuffersDefaultTest {

  private String property;

  @BeforeEach
  void remember() {
    property = System.getProperty(Main.ALLOCATOR_TYPE);
  }

  @AfterEach
  void restore() {
    if (property == null) {
      System.clearProperty(Main.ALLOCATOR_TYPE);
    } else {
      System.setProperty(Main.ALLOCATOR_TYPE, property);
    }
  }

  @Test
  void theServerChoosesThePooledAllocatorWhenNoneWasChosen() {
    System.clearProperty(Main.ALLOCATOR_TYPE);

    Main.pooledBuffers();

    assertThat(System.getProperty(Main.ALLOCATOR_TYPE)).isEqualTo("pooled");
  }

  @Test
  void anAllocatorChosenOnTheCommandLineIsKept() {
    System.setProperty(Main.ALLOCATOR_TYPE, "adaptive");

    Main.pooledBuffers();

    assertThat(System.getProperty(Main.ALLOCATOR_TYPE)).isEqualTo("adaptive");
  }
}
