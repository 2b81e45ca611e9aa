package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.testkit.pki.TestPki;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of bad configuration, given to the packaged jar as a user would: one line on standard
 * error naming the file and the field, exit status 2, no stack trace, nothing left running.
 */
@Timeout(120)
class BadConfigurationIT {

  @TempDir static Path dir;

  @BeforeAll
  static void certificates() {
    TestPki pki = TestPki.create();
    pki.writeCaPem(dir.resolve("ca.pem"));
    pki.server().writePem(dir, "server");
    // A revocation list of another CA: not signed by any CA of clientCa.
    TestPki other = TestPki.create("another CA");
    TestPki.writeCrlPem(dir.resolve("other.crl.pem"), other.crl());
  }

  private static final String TLS = """
      tls:
        certificate: server.pem
        privateKey: server-key.pem
        clientCa: ca.pem
      """;

  private static String upstream(String listen, String extra) {
    return """
        upstreams:
          - name: echo
            listen: %s
            hosts: [127.0.0.1:7001]
        """.formatted(listen) + extra;
  }

  /** Runs the jar on {@code yaml} (written as {@code name}) and returns its one line of error. */
  private static String rejected(String name, String yaml) throws IOException {
    Files.writeString(dir.resolve(name), yaml);
    return run("--config", name);
  }

  private static String run(String... args) {
    try (JarProcess p = JarProcess.start(dir, args)) {
      int status = p.waitFor(Duration.ofSeconds(60));
      String err = p.stderr();
      assertThat(status).as("exit status; stderr: %s", err).isEqualTo(2);
      assertThat(err.lines()).as("stderr").hasSize(1);
      assertThat(err).doesNotContain("Exception").doesNotContain("\tat ");
      assertThat(p.stdout()).as("stdout").doesNotContain("lb4j started");
      return err.strip();
    }
  }

  @Test
  void unknownFieldIsNamedWithTheFieldMeant() throws IOException {
    assertThat(rejected("unknown.yaml", TLS + upstream("127.0.0.1:0", "    conectTimeout: 2s\n")))
        .isEqualTo("unknown.yaml: upstreams[0].conectTimeout: unknown field, did you mean"
            + " connectTimeout?");
  }

  @Test
  void missingConfigurationFileIsNamed() {
    assertThat(run("--config", "nowhere.yaml")).isEqualTo("nowhere.yaml: file not found");
  }

  @Test
  void missingCertificateFileIsNamedWithItsField() throws IOException {
    assertThat(rejected("nocert.yaml",
        TLS.replace("server.pem", "missing.pem") + upstream("127.0.0.1:0", "")))
        .isEqualTo("nocert.yaml: tls.certificate: " + dir.resolve("missing.pem") + ": file not found");
  }

  @Test
  void revocationListOfAnotherCaIsNamedWithItsField() throws IOException {
    assertThat(rejected("crl.yaml", TLS + "  crl: other.crl.pem\n" + upstream("127.0.0.1:0", "")))
        .startsWith("crl.yaml: tls.crl: " + dir.resolve("other.crl.pem") + ": ");
  }

  @Test
  void cipherSuiteOutsideThePolicyIsNamed() throws IOException {
    assertThat(rejected("cipher.yaml",
        TLS + "  cipherSuites: [ECDHE-RSA-AES128-GCM-SHA256, AES128-SHA]\n" + upstream("127.0.0.1:0", "")))
        .startsWith("cipher.yaml: tls.cipherSuites[1]: AES128-SHA is not allowed (allowed: ");
  }

  @Test
  void portInUseIsNamedWithTheListenerField() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      String listen = "127.0.0.1:" + taken.getLocalPort();
      assertThat(rejected("inuse.yaml", TLS + upstream(listen, "    allow: [alice]\n")))
          .startsWith("inuse.yaml: upstreams[0].listen: cannot listen on " + listen + ": ")
          .containsIgnoringCase("in use");
    }
  }

  @Test
  void adminPortInUseIsNamed() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      String listen = "127.0.0.1:" + taken.getLocalPort();
      assertThat(rejected("admin.yaml", upstream("127.0.0.1:0", "admin:\n  listen: " + listen + "\n")))
          .startsWith("admin.yaml: admin.listen: cannot listen on " + listen + ": ");
    }
  }

  @Test
  void unknownPrincipalFormIsNamed() throws IOException {
    assertThat(rejected("principal.yaml",
        TLS + upstream("127.0.0.1:0", "    allow: [alice, \"foo:bar\"]\n")))
        .isEqualTo("principal.yaml: upstreams[0].allow[1]: principal 'foo:bar' is of an unknown form"
            + " (use a common name such as alice, cn:name, group:name, uri:value or dns:name)");
  }

  @Test
  void badDurationIsNamedWithTheFormsThatWork() throws IOException {
    assertThat(rejected("duration.yaml", TLS + upstream("127.0.0.1:0", "    connectTimeout: 2x\n")))
        .isEqualTo("duration.yaml: upstreams[0].connectTimeout: '2x' is not a duration"
            + " (use 500ms, 2s, 1m, 1h)");
  }

  @Test
  void missingRequiredFieldIsNamed() throws IOException {
    assertThat(rejected("required.yaml", TLS + """
        upstreams:
          - name: echo
            hosts: [127.0.0.1:7001]
        """)).isEqualTo("required.yaml: upstreams[0].listen: is required");
  }

  @Test
  void brokenYamlNamesTheLine() throws IOException {
    assertThat(rejected("broken.yaml", "upstreams:\n  - name: echo\n   listen: x\n"))
        .startsWith("broken.yaml: not valid YAML: line 3, column 4: ");
  }

  @Test
  void verboseAddsTheStackTrace() throws IOException {
    Files.writeString(dir.resolve("verbose.yaml"), upstream("127.0.0.1:0", "drainTimeout: soon\n"));
    try (JarProcess p = JarProcess.start(dir, "--verbose", "--config", "verbose.yaml")) {
      assertThat(p.waitFor(Duration.ofSeconds(60))).isEqualTo(2);
      assertThat(p.stderr())
          .startsWith("verbose.yaml: drainTimeout: 'soon' is not a duration (use 500ms, 2s, 1m, 1h)\n")
          .contains("\tat io.lb4j.server.");
    }
  }
}
