package io.lb4j.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** {@code lb-example-server --config lb.yaml}: serves a configuration file until stopped. */
@Command(
    name = "lb-example-server",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    sortOptions = false,
    subcommands = {DemoCommand.class},
    description = {
      "Layer-4 load balancer with mutual TLS: serves the upstreams of a YAML configuration file."
          + " Changes to the file and to the certificate files apply while running.",
      "",
      "Exit status: 2 for a bad configuration or bad arguments (one line on standard error), 1 for"
          + " anything unexpected. SIGTERM or Ctrl-C drains open connections, then exits with 143"
          + " or 130."
    },
    footer = {
      "",
      "Try it first: lb-example-server demo (makes certificates, echo hosts and a lb.yaml).",
      "The configuration format: " + ServeCommand.SERVER_DOC
    })
final class ServeCommand implements Callable<Integer> {

  /** Where the configuration is described, for a user who has only the jar. */
  static final String SERVER_DOC = "https://github.com/lb4j/lb4j/blob/main/docs/server.md";

  @Spec CommandSpec spec;

  @Option(
      names = {"-c", "--config"},
      paramLabel = "FILE",
      description = "The YAML configuration file; relative paths in it are relative to its folder.")
  Path config;

  @Option(
      names = "--reload-interval",
      paramLabel = "DURATION",
      defaultValue = "2s",
      converter = Main.DurationConverter.class,
      scope = ScopeType.INHERIT,
      description = "How often the configuration and certificate files are checked for changes"
          + " (default: ${DEFAULT-VALUE}).")
  Duration reloadInterval;

  @Option(
      names = {"-v", "--verbose"},
      scope = ScopeType.INHERIT,
      description = "Log lb4j at DEBUG and print stack traces with errors.")
  boolean verbose;

  @Override
  public Integer call() {
    if (config == null) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "Missing required option: '--config=FILE' (or try the demo command)");
    }
    if (verbose) {
      Main.verboseLogging();
    }
    ServerConfig parsed = ConfigReader.read(config, config.toString());
    LbServer server = LbServer.start(parsed, reloadInterval);
    return Main.serveUntilStopped(server);
  }
}
