package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.core.ConsoleAppender;
import java.util.ServiceLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LogSetupTest {

  private final LoggerContext context = new LoggerContext();

  @AfterEach
  void stop() {
    context.stop();
  }

  @Test
  void theServerLogsToStandardOutputAndTheAccessLogThroughAQueueThatDropsNothing() {
    LogSetup.apply(context);

    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    assertThat(root.getLevel()).isEqualTo(Level.INFO);
    assertThat(root.getAppender("STDOUT")).isInstanceOf(ConsoleAppender.class);

    Logger access = context.getLogger("lb4j.access");
    assertThat(access.isAdditive()).isFalse();
    AsyncAppender queue = (AsyncAppender) access.getAppender("ACCESS");
    assertThat(queue.isStarted()).isTrue();
    assertThat(queue.getQueueSize()).isEqualTo(LogSetup.ACCESS_QUEUE_LINES);
    assertThat(queue.getDiscardingThreshold()).isZero();
    assertThat(queue.getAppender("ACCESS_STDOUT")).isInstanceOf(ConsoleAppender.class);

    Logger audit = context.getLogger(AdminApi.AUDIT_LOGGER);
    assertThat(audit.isAdditive()).isFalse();
    assertThat(audit.getAppender("AUDIT_STDOUT")).isInstanceOf(ConsoleAppender.class);

    assertThat(context.getLogger("io.netty").getLevel()).isEqualTo(Level.WARN);
    assertThat(context.getLogger("io.lb4j").getEffectiveLevel()).isEqualTo(Level.INFO);
  }

  @Test
  void logbackFindsItAndItStepsAsideForATestConfiguration() {
    assertThat(ServiceLoader.load(ch.qos.logback.classic.spi.Configurator.class).stream()
        .<Class<?>>map(p -> p.type()))
        .contains(LogSetup.class);
    // This module's tests carry logback-test.xml: Logback must read it, not this set-up.
    assertThat(new LogSetup().configure(context)).isEqualTo(ExecutionStatus.INVOKE_NEXT_IF_ANY);
    assertThat(context.getLogger("lb4j.access").getAppender("ACCESS")).isNull();
  }
}
