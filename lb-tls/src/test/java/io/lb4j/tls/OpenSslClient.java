package io.lb4j.tls;

import io.lb4j.testkit.junit.Peers;
import io.lb4j.testkit.pki.TestPki;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The {@code openssl s_client} binary against a loopback port, trusting a test PKI's CA, with an
 * empty OpenSSL configuration so that the machine's {@code openssl.cnf} (which may forbid old
 * protocols client-side) does not decide what the client offers. Skips the calling test, saying
 * why, where there is no {@code openssl} on the PATH, and fails it there under {@code CI=true}.
 */
final class OpenSslClient {

  private OpenSslClient() {}

  /**
   * Starts {@code openssl s_client -connect 127.0.0.1:port -CAfile <ca> -verify_return_error
   * -brief options...}, its output and errors merged.
   *
   * @param dir a folder for the CA file and the empty configuration
   */
  static Process start(Path dir, TestPki serverPki, int port, String... options)
      throws IOException {
    Peers.assumeAvailable(Peers.onPath("openssl"), "the openssl binary",
        () -> "no openssl on the PATH (Debian package openssl)");
    Path emptyConfig = Files.writeString(dir.resolve("openssl-empty.cnf"), "");
    Path ca = serverPki.writeCaPem(dir.resolve("s_client-ca.pem"));
    List<String> command = new ArrayList<>(List.of("openssl", "s_client",
        "-connect", "127.0.0.1:" + port, "-CAfile", ca.toString(), "-verify_return_error",
        "-brief"));
    command.addAll(List.of(options));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("OPENSSL_CONF", emptyConfig.toString());
    return builder.start();
  }

  /** Waits up to 30 s for a started client to exit, or fails the test. */
  static void awaitExit(Process process) throws InterruptedException {
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("openssl s_client did not finish within 30 s: " + process.info());
    }
  }

  /** Runs the client once with its standard input closed and returns what it printed. */
  static String run(Path dir, TestPki serverPki, int port, String... options)
      throws IOException, InterruptedException {
    Process process = start(dir, serverPki, port, options);
    process.getOutputStream().close();
    awaitExit(process);
    return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
  }
}
