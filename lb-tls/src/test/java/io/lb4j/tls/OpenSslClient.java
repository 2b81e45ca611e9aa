package io.lb4j.tls;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lb4j.testkit.pki.TestPki;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs the {@code openssl s_client} binary once against a loopback port, with its standard input
 * closed, and returns what it printed. Skips the calling test, saying why, where there is no
 * {@code openssl} on the PATH.
 */
final class OpenSslClient {

  private OpenSslClient() {}

  static String run(Path dir, TestPki serverPki, int port, String... options)
      throws IOException, InterruptedException {
    String openssl = Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
        .map(folder -> Path.of(folder, "openssl"))
        .filter(Files::isExecutable)
        .map(Path::toString)
        .findFirst()
        .orElse(null);
    assumeTrue(openssl != null, "no openssl binary on the PATH (Debian package openssl)");
    Path emptyConfig = Files.writeString(dir.resolve("openssl-empty.cnf"), "");
    Path ca = serverPki.writeCaPem(dir.resolve("s_client-ca.pem"));
    List<String> command = new ArrayList<>(List.of(openssl, "s_client",
        "-connect", "127.0.0.1:" + port, "-CAfile", ca.toString(), "-verify_return_error",
        "-brief"));
    command.addAll(List.of(options));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    // Independent of the machine's openssl.cnf, which may forbid old protocols client-side.
    builder.environment().put("OPENSSL_CONF", emptyConfig.toString());
    Process process = builder.start();
    process.getOutputStream().close();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("openssl s_client did not finish within 30 s: " + command);
    }
    return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
  }
}
