package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the demo writes into its folder, and what it keeps of what it found there. */
class DemoFilesTest {

  @TempDir Path dir;

  @Test
  void anEarlierConfigurationIsKeptAndTheUserIsTold() throws Exception {
    try (Demo first = Demo.prepare(dir, 0, 0)) {
      assertThat(first.hostsOnlyInstructions("java -jar lb.jar")).doesNotContain("kept as");
    }
    Path config = dir.resolve("lb.yaml");
    String edited = Files.readString(config) + "# edited by hand\n";
    Files.writeString(config, edited, StandardCharsets.UTF_8);

    try (Demo second = Demo.prepare(dir, 0, 0)) {
      assertThat(dir.resolve("lb.yaml.bak")).hasContent(edited);
      assertThat(Files.readString(config)).doesNotContain("# edited by hand");
      assertThat(second.hostsOnlyInstructions("java -jar lb.jar"))
          .contains("An earlier lb.yaml was in " + dir + ": it is kept as " + dir.resolve("lb.yaml.bak"));
    }
  }

  @Test
  void printedOpensslCommandsNameTheServerSoOpensslSendsSni() {
    try (Demo demo = Demo.prepare(dir, 0, 0)) {
      assertThat(demo.opensslCommand("alice")).contains("-servername localhost");
    }
  }
}
