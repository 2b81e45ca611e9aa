package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LeakDetectionDefaultTest {

  private static final String PROPERTY = "io.netty.leakDetection.level";

  private ResourceLeakDetector.Level level;
  private String property;

  @BeforeEach
  void remember() {
    level = ResourceLeakDetector.getLevel();
    property = System.getProperty(PROPERTY);
  }

  @AfterEach
  void restore() {
    ResourceLeakDetector.setLevel(level);
    if (property == null) {
      System.clearProperty(PROPERTY);
    } else {
      System.setProperty(PROPERTY, property);
    }
  }

  @Test
  void theServerTurnsSamplingOffWhenNoLevelWasChosen() {
    System.clearProperty(PROPERTY);
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);

    Main.quietLeakDetection();

    assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.DISABLED);
  }

  @Test
  void aLevelChosenOnTheCommandLineIsKept() {
    System.setProperty(PROPERTY, "paranoid");
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);

    Main.quietLeakDetection();

    assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
  }
}
