package io.lb4j.server;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code lb-example-server demo}: writes a CA, a server certificate and two client certificates
 * and a configuration into a folder, starts three echo hosts, serves them, and prints the
 * {@code openssl s_client} commands of an allowed and a refused client.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    sortOptions = false,
    description = {
      "Serves a ready-made example that needs nothing else.",
      "Writes certificates (a CA, a server, clients alice and mallory) and a configuration into"
          + " DIR, starts three echo hosts on loopback, serves them as upstream 'echo' (alice"
          + " allowed, mallory not), and prints openssl commands to try both. Stop with Ctrl-C."
    })
final class DemoCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @ParentCommand ServeCommand parent;

  @Option(
      names = "--dir",
      paramLabel = "DIR",
      defaultValue = "lb4j-demo",
      description = "Where the certificates and lb.yaml are written (default: ${DEFAULT-VALUE}).")
  Path dir;

  @Option(
      names = "--port",
      paramLabel = "PORT",
      defaultValue = "9443",
      description = "The TLS listener's port on 127.0.0.1; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--admin-port",
      paramLabel = "PORT",
      defaultValue = "9090",
      description = "The admin listener's port on 127.0.0.1; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int adminPort;

  @Option(
      names = "--hosts-only",
      description = "Write the files and run the echo hosts, but do not serve: then serve lb.yaml"
          + " with --config from another process.")
  boolean hostsOnly;

  @Override
  public Integer call() {
    if (parent.verbose) {
      Main.verboseLogging();
    }
    checkPort(port, "--port");
    checkPort(adminPort, "--admin-port");
    PrintWriter out = spec.commandLine().getOut();
    Demo demo =
        Demo.prepare(dir, port, adminPort, line -> {
          out.println(line);
          out.flush();
        });
    try {
      if (hostsOnly) {
        out.print(demo.hostsOnlyInstructions(jarCommand()));
        out.flush();
        return Main.serveUntilStopped(null, demo);
      }
      ServerConfig config = ConfigReader.read(demo.configFile(), demo.configLabel());
      LbServer server = LbServer.start(config, parent.reloadInterval);
      out.print(demo.instructions(server, jarCommand()));
      out.flush();
      return Main.serveUntilStopped(server, demo);
    } catch (ConfigException e) {
      demo.close();
      if ("upstreams[0].listen".equals(e.field())) {
        throw e.withHint("(choose another port with --port, or --port 0 for any free one)");
      }
      if ("admin.listen".equals(e.field())) {
        throw e.withHint("(choose another port with --admin-port, or --admin-port 0 for any free one)");
      }
      throw e;
    } catch (RuntimeException e) {
      demo.close();
      throw e;
    }
  }

  private void checkPort(int value, String option) {
    if (value < 0 || value > 65535) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), option + " must be from 0 to 65535 but was " + value);
    }
  }

  /** How the user started this program, for the commands printed: the jar if it runs from one. */
  static String jarCommand() {
    try {
      Path location = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (location.toString().endsWith(".jar")) {
        Path here = Path.of("").toAbsolutePath();
        Path shown = location.startsWith(here) ? here.relativize(location) : location;
        return "java -jar " + Demo.shellQuote(shown.toString());
      }
    } catch (Exception e) {
      // Not worth failing over: fall back to the jar's usual name.
    }
    return "java -jar lb-example-server.jar";
  }
}
