package io.lb4j.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import io.netty.util.ResourceLeakDetector;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * The command line of the lb4j reference server.
 *
 * <pre>
 * java -jar lb-example-server.jar --config lb.yaml     # serve a configuration file
 * java -jar lb-example-server.jar demo                 # make certificates and echo hosts, and serve them
 * java -jar lb-example-server.jar --help
 * </pre>
 *
 * <p>Exit status: 0 after a normal stop, 2 for a bad configuration or bad arguments (one line on
 * standard error naming the file and the field), 1 for anything unexpected. A server stopped by
 * SIGTERM or Ctrl-C drains its connections first and exits as the JVM does for that signal (143
 * or 130). See {@code docs/server.md} for the configuration format.
 */
public final class Main {

  /** Exit status of a bad configuration or bad arguments. */
  static final int BAD_CONFIGURATION = CommandLine.ExitCode.USAGE;

  /** Set once the JVM is shutting down, after which the main thread must not call exit. */
  private static final AtomicBoolean SHUTTING_DOWN = new AtomicBoolean();

  private Main() {}

  /**
   * Runs the command line and exits with its status.
   *
   * @param args the arguments, as {@code --help} describes them
   */
  public static void main(String[] args) {
    pooledBuffers();
    quietLeakDetection();
    int status = run(args, System.out, System.err);
    if (!SHUTTING_DOWN.get()) {
      System.exit(status);
    }
  }

  /**
   * Chooses Netty's pooled buffer allocator unless the command line chose one
   * ({@code -Dio.netty.allocator.type}); must run before Netty's buffer classes load. Netty 4.2's
   * default, the adaptive allocator, hands the TLS engine a fresh {@code ByteBuffer} view of its
   * memory for every record it decrypts: about half the bytes the event loop allocated per relayed
   * 1 KiB request. The pooled allocator keeps one view per buffer.
   */
  static void pooledBuffers() {
    if (System.getProperty(ALLOCATOR_TYPE) == null) {
      System.setProperty(ALLOCATOR_TYPE, "pooled");
    }
  }

  /** Netty's system property that names its default buffer allocator. */
  static final String ALLOCATOR_TYPE = "io.netty.allocator.type";

  /**
   * Turns off Netty's sampling leak detector unless the command line chose a level. Sampling
   * builds a stack-trace record for about one buffer in a hundred and cost 3-4% of the event
   * loop's CPU in a request/response profile; lb4j's own tests run with it at its strictest
   * instead. {@code -Dio.netty.leakDetection.level=simple} turns it back on.
   */
  static void quietLeakDetection() {
    if (System.getProperty("io.netty.leakDetection.level") == null
        && System.getProperty("io.netty.leakDetectionLevel") == null) {
      ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    }
  }

  /** Runs the command line, writing to the given streams; returns the exit status. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    CommandLine cl = commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new ServeCommand());
    cl.setParameterExceptionHandler(Main::badArguments);
    cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      PrintWriter err = commandLine.getErr();
      boolean verbose = parseResult.matchedOption("--verbose") != null
          || parseResult.subcommands().stream().anyMatch(p -> p.matchedOption("--verbose") != null);
      if (e instanceof ConfigException) {
        err.println(e.getMessage());
        if (verbose && e.getCause() != null) {
          e.getCause().printStackTrace(err);
        }
        err.flush();
        return BAD_CONFIGURATION;
      }
      err.println("lb-example-server: " + e);
      if (verbose) {
        e.printStackTrace(err);
      } else {
        err.println("run again with --verbose for the stack trace");
      }
      err.flush();
      return CommandLine.ExitCode.SOFTWARE;
    });
    return cl;
  }

  /**
   * Prints one line for bad arguments, with the closest option where one is close, instead of
   * picocli's message followed by the whole usage.
   */
  private static int badArguments(CommandLine.ParameterException e, String[] args) {
    CommandLine cl = e.getCommandLine();
    StringBuilder line = new StringBuilder(e.getMessage());
    if (e instanceof CommandLine.UnmatchedArgumentException unmatched) {
      List<String> close = unmatched.getSuggestions();
      if (close.isEmpty()) {
        close = closestOption(cl, unmatched.getUnmatched());
      }
      if (!close.isEmpty()) {
        line.append(" (did you mean ").append(String.join(" or ", close)).append("?)");
      }
    }
    line.append("; see ").append(cl.getCommandSpec().qualifiedName()).append(" --help");
    cl.getErr().println(line);
    cl.getErr().flush();
    return BAD_CONFIGURATION;
  }

  /** Picocli misses swapped letters ({@code --prot}); edit distance does not. */
  private static List<String> closestOption(CommandLine cl, List<String> unmatched) {
    List<String> names = new ArrayList<>();
    cl.getCommandSpec().options().forEach(o -> names.addAll(List.of(o.names())));
    return unmatched.stream()
        .filter(arg -> arg.startsWith("--"))
        .map(arg -> arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg)
        .findFirst()
        .flatMap(arg -> Spelling.closest(arg, names))
        .map(List::of)
        .orElse(List.of());
  }

  /**
   * Serves until the JVM is told to stop (SIGTERM, Ctrl-C), then drains the server and closes the
   * rest in order. Blocks the calling thread until that is done.
   *
   * @param server the running server, or null when only {@code alsoClose} runs
   * @param alsoClose closed after the server, in order; for the demo's echo hosts
   */
  static int serveUntilStopped(LbServer server, AutoCloseable... alsoClose) {
    CountDownLatch done = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      SHUTTING_DOWN.set(true);
      if (server != null) {
        LoggerFactory.getLogger("lb4j.server").info("stopping: draining open connections");
        server.close();
      }
      for (AutoCloseable c : alsoClose) {
        try {
          c.close();
        } catch (Exception e) {
          LoggerFactory.getLogger("lb4j.server").warn("closing {} failed", c, e);
        }
      }
      LoggerFactory.getLogger("lb4j.server").info("stopped");
      stopLogging();
      done.countDown();
    }, "lb4j-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      done.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return CommandLine.ExitCode.OK;
  }

  /** Flushes the access log's queue: Logback's own shutdown hook is not installed. */
  private static void stopLogging() {
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    if (factory instanceof LoggerContext context) {
      context.stop();
    }
  }

  /** Turns lb4j's own loggers up to DEBUG, for {@code --verbose}. */
  static void verboseLogging() {
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    if (factory instanceof LoggerContext context) {
      context.getLogger("io.lb4j").setLevel(Level.DEBUG);
      context.getLogger("lb4j.server").setLevel(Level.DEBUG);
    }
  }

  /** Reads {@code 2s}-style durations for options. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      try {
        Duration d = Durations.parse(value);
        if (d.isZero()) {
          throw new CommandLine.TypeConversionException("must be more than 0 but was '" + value + "'");
        }
        return d;
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  /** The version, from the file Maven fills in at build time. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      Properties p = new Properties();
      try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
        if (in != null) {
          p.load(in);
        }
      } catch (IOException e) {
        // Fall through to "unknown": a version line is not worth failing for.
      }
      return new String[] {
        "lb-example-server " + p.getProperty("version", "unknown"),
        "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"
      };
    }
  }
}
