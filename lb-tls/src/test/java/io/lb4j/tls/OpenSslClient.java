package io.lb4j.tls;

import static org.awaitility.Awaitility.await;

import io.lb4j.testkit.junit.Peers;
import io.lb4j.testkit.pki.PemFiles;
import io.lb4j.testkit.pki.TestPki;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;

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
    List<String> brief = new ArrayList<>(List.of("-brief"));
    brief.addAll(List.of(options));
    return launch(dir, serverPki, port, brief);
  }

  private static Process launch(Path dir, TestPki serverPki, int port, List<String> options)
      throws IOException {
    Peers.assumeAvailable(Peers.onPath("openssl"), "the openssl binary",
        () -> "no openssl on the PATH (Debian package openssl)");
    Path emptyConfig = Files.writeString(dir.resolve("openssl-empty.cnf"), "");
    Path ca = serverPki.writeCaPem(dir.resolve("s_client-ca.pem"));
    List<String> command = new ArrayList<>(List.of("openssl", "s_client",
        "-connect", "127.0.0.1:" + port, "-CAfile", ca.toString(), "-verify_return_error"));
    command.addAll(options);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("OPENSSL_CONF", emptyConfig.toString());
    return builder.start();
  }

  /**
   * Runs {@code openssl s_client} as {@code client} until its handshake is reported and, in TLS
   * 1.3, the server's session ticket (sent after the handshake) has arrived, or until it exits
   * (the server closed the connection); then closes it. Without {@code -brief}, so the output
   * says {@code New} or {@code Reused} for the session.
   *
   * @param protocol {@code -tls1_3} or {@code -tls1_2}
   * @param sessionOption {@code -sess_out} to save the session in {@code sessionFile}, or
   *     {@code -sess_in} to offer the one saved there
   * @return everything the client printed
   */
  static String session(Path dir, TestPki serverPki, int port, PemFiles client, String protocol,
      String sessionOption, Path sessionFile) throws IOException, InterruptedException {
    Process process = launch(dir, serverPki, port, List.of(
        "-cert", client.certificate().toString(), "-key", client.privateKey().toString(),
        protocol, sessionOption, sessionFile.toString()));
    StringBuffer output = new StringBuffer();
    Thread reader = new Thread(() -> {
      try {
        process.getInputStream().transferTo(new OutputStream() {
          @Override
          public void write(int b) {
            output.append((char) b);
          }

          @Override
          public void write(byte[] b, int off, int len) {
            output.append(new String(b, off, len, StandardCharsets.ISO_8859_1));
          }
        });
      } catch (IOException e) {
        output.append("\n(read failed: ").append(e).append(")\n");
      }
    }, "s_client-output");
    reader.start();
    try (OutputStream in = process.getOutputStream()) {
      // Data from the client makes the server flush what it has, the TLS 1.3 ticket included.
      in.write("ping\n".getBytes(StandardCharsets.US_ASCII));
      in.flush();
      try {
        await().atMost(Duration.ofSeconds(20)).until(() -> !process.isAlive()
            || output.toString().contains("Verify return code")
                && (!protocol.equals("-tls1_3")
                    || output.toString().contains("New Session Ticket arrived")));
      } catch (ConditionTimeoutException e) {
        throw new AssertionError("no session within 20 s; s_client said:\n" + output);
      }
    } catch (IOException closedByServer) {
      // The server ended the connection, and s_client with it, before the ping was written.
    } finally {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
      reader.join(10_000);
    }
    return output.toString();
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
