package io.lb4j.server;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * The reference server's logging, set up in code rather than read from an XML file: parsing
 * {@code logback.xml} loaded some 600 classes (Logback's Joran and the JDK's XML parser) and was a
 * tenth of the time from exec to listening.
 *
 * <p>Everything goes to standard output (standard error is kept for one-line configuration errors):
 * the server's own lines, the access log ({@code lb4j.access}, prefix {@code ACCESS}) through a
 * queue that drops nothing (a full queue of 8192 lines makes the writer wait) so that writing it
 * never holds up an event loop for long, and the admin API's audit lines ({@code lb4j.audit},
 * prefix {@code AUDIT}), written at once: there are few, and each should be on record before its
 * answer is sent. Netty, Lettuce and Reactor log at WARN and above.
 *
 * <p>With {@code -Dlogback.configurationFile=...}, or a {@code logback-test.xml} on the class path
 * (the server's tests), this steps aside and Logback reads that file.
 * Logback finds this class through {@code META-INF/services}.
 */
public final class LogSetup extends ContextAwareBase implements Configurator {

  /** Queue of the access log's asynchronous appender, in lines. */
  static final int ACCESS_QUEUE_LINES = 8192;

  private static final String TIME = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX}";

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (System.getProperty("logback.configurationFile") != null
        || LogSetup.class.getClassLoader().getResource("logback-test.xml") != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    apply(context);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /** Sets up {@code context} as the class comment says, whatever files are around. */
  static void apply(LoggerContext context) {
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.INFO);
    root.addAppender(console(context, "STDOUT", TIME + " %-5level %logger{30} - %msg%n"));

    AsyncAppender access = new AsyncAppender();
    access.setContext(context);
    access.setName("ACCESS");
    access.setQueueSize(ACCESS_QUEUE_LINES);
    access.setDiscardingThreshold(0);
    access.addAppender(console(context, "ACCESS_STDOUT", TIME + " ACCESS %msg%n"));
    access.start();
    own(context, "lb4j.access", access);
    own(context, "lb4j.audit", console(context, "AUDIT_STDOUT", TIME + " AUDIT %msg%n"));

    for (String quiet : new String[] {"io.netty", "io.lettuce", "reactor"}) {
      context.getLogger(quiet).setLevel(Level.WARN);
    }
  }

  /** Gives a logger its own appender at INFO, its lines going nowhere else. */
  private static void own(LoggerContext context, String name, Appender<ILoggingEvent> appender) {
    Logger logger = context.getLogger(name);
    logger.setLevel(Level.INFO);
    logger.setAdditive(false);
    logger.addAppender(appender);
  }

  private static ConsoleAppender<ILoggingEvent> console(
      LoggerContext context, String name, String pattern) {
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(pattern);
    encoder.start();
    ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
    appender.setContext(context);
    appender.setName(name);
    appender.setEncoder(encoder);
    appender.start();
    return appender;
  }
}
