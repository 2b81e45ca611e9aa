package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CommandLineTest {

  @TempDir Path dir;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void helpDescribesTheOptionsAndTheDemoCommand() {
    assertThat(run("--help")).isZero();
    assertThat(out()).contains("--config=FILE", "--reload-interval", "--verbose", "demo");
  }

  @Test
  void demoHelpDescribesItsOptions() {
    assertThat(run("demo", "--help")).isZero();
    assertThat(out()).contains("--dir=DIR", "--port=PORT", "--admin-port=PORT", "--hosts-only");
  }

  @Test
  void versionNamesTheProjectVersion() {
    assertThat(run("--version")).isZero();
    assertThat(out()).startsWith("lb-example-server ").doesNotContain("unknown")
        .doesNotContain("${");
  }

  @Test
  void withoutConfigItIsAUsageErrorOfOneLine() {
    assertThat(run()).isEqualTo(2);
    assertThat(err().lines()).hasSize(1);
    assertThat(err()).startsWith("Missing required option: '--config=FILE'")
        .contains("see lb-example-server --help");
  }

  @Test
  void helpPointsToTheConfigurationReferenceAUserWithOnlyTheJarCanOpen() {
    assertThat(run("--help")).isZero();
    assertThat(out()).contains("https://", "docs/server.md").contains("demo");
  }

  @Test
  void aMistypedOptionIsOneLineNamingTheOptionMeant() {
    assertThat(run("--conf", "x.yaml")).isEqualTo(2);
    assertThat(err().lines()).hasSize(1);
    assertThat(err()).contains("'--conf'").contains("did you mean --config?");
  }

  @Test
  void aBadOptionOfTheDemoIsOneLine() {
    assertThat(run("demo", "--prot", "9443")).isEqualTo(2);
    assertThat(err().lines()).hasSize(1);
    assertThat(err()).contains("did you mean --port?").contains("see lb-example-server demo --help");
  }

  @Test
  void badConfigurationPrintsOneLineAndReturnsTwo() throws Exception {
    Files.writeString(dir.resolve("lb.yaml"), "upstreams: []\n");
    String file = dir.resolve("lb.yaml").toString();

    assertThat(run("--config", file)).isEqualTo(2);
    assertThat(err()).isEqualTo(file + ": upstreams: at least one upstream is needed" + System.lineSeparator());
  }

  @Test
  void badReloadIntervalIsAUsageError() {
    assertThat(run("--reload-interval", "often", "--config", "x.yaml")).isEqualTo(2);
    assertThat(err()).contains("'often' is not a duration (use 500ms, 2s, 1m, 1h)");
    assertThat(err().lines()).hasSize(1);
  }

  @Test
  void demoPortOutOfRangeIsAUsageError() {
    assertThat(run("demo", "--dir", dir.toString(), "--port", "70000")).isEqualTo(2);
    assertThat(err()).startsWith("--port must be from 0 to 65535 but was 70000");
  }

  @Test
  void demoOnAPortInUseSaysWhichOptionChangesIt() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      String port = String.valueOf(taken.getLocalPort());

      assertThat(run("demo", "--dir", dir.toString(), "--port", port, "--admin-port", "0"))
          .isEqualTo(2);

      assertThat(err().lines()).hasSize(1);
      assertThat(err())
          .startsWith(dir.resolve("lb.yaml") + ": upstreams[0].listen: cannot listen on 127.0.0.1:"
              + port + ": ")
          .contains("(choose another port with --port, or --port 0 for any free one)");
    }
  }

  @Test
  void optionsOfTheMainCommandAlsoWorkAfterDemo() {
    CommandLine cl = Main.commandLine();
    cl.parseArgs("demo", "--verbose", "--reload-interval", "5s");
    ServeCommand serve = cl.getCommand();

    assertThat(serve.verbose).isTrue();
    assertThat(serve.reloadInterval).isEqualTo(Duration.ofSeconds(5));
  }
}
