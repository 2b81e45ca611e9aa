package io.lb4j.testkit.pki;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.testkit.junit.Peers;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks that the files are what the openssl tool reads; skipped where openssl is absent, failed
 * there in CI.
 */
class OpensslCompatibilityTest {

  private static final TestPki PKI = TestPki.create();

  @TempDir
  Path dir;

  @BeforeAll
  static void needsOpenssl() {
    Result version = run("openssl", "version");
    Peers.assumeAvailable(version.exitCode == 0, "the openssl binary",
        () -> "'openssl version' did not run: " + version.output.strip());
  }

  @Test
  void readsTheCertificateAndItsExtensions() {
    PemFiles files = PKI.client(ClientSpec.commonName("alice").groups("ops")
        .uris("spiffe://lb4j.test/alice").build()).writePem(dir, "alice");

    Result text = run("openssl", "x509", "-in", files.certificate().toString(), "-noout", "-text");

    assertThat(text.exitCode).as(text.output).isZero();
    assertThat(text.output)
        .contains("CN = alice", "OU = ops", "O = lb4j test")
        .contains("URI:spiffe://lb4j.test/alice")
        .contains("TLS Web Client Authentication")
        .contains("CA:FALSE")
        .contains("X509v3 Authority Key Identifier", "X509v3 Subject Key Identifier");
  }

  @Test
  void readsEveryKeyFormatAndTheKeyMatchesTheCertificate() {
    IssuedCertificate ec = PKI.client("alice");
    IssuedCertificate rsa = PKI.client(ClientSpec.commonName("bob").keyType(KeyType.RSA_2048)
        .build());
    for (IssuedCertificate issued : List.of(ec, rsa)) {
      for (KeyFormat format : KeyFormat.values()) {
        String name = issued.privateKey().getAlgorithm() + "-" + format;
        PemFiles files = issued.writePem(dir, name, format);

        Result check = run("openssl", "pkey", "-in", files.privateKey().toString(), "-noout");
        Result keyPublic = run("openssl", "pkey", "-in", files.privateKey().toString(), "-pubout");
        Result certificatePublic =
            run("openssl", "x509", "-in", files.certificate().toString(), "-noout", "-pubkey");

        assertThat(check.exitCode).as(name + ": " + check.output).isZero();
        assertThat(keyPublic.output).as(name).isEqualTo(certificatePublic.output)
            .contains("BEGIN PUBLIC KEY");
      }
    }
  }

  @Test
  void verifiesGoodCertificatesForTheirPurpose() {
    String ca = PKI.writeCaPem(dir.resolve("ca.pem")).toString();
    String client = PKI.client("alice").writePem(dir, "client").certificate().toString();
    String server = PKI.server().writePem(dir, "server").certificate().toString();

    Result clientCheck = run("openssl", "verify", "-CAfile", ca, "-purpose", "sslclient", client);
    Result serverCheck = run("openssl", "verify", "-CAfile", ca, "-purpose", "sslserver", server);

    assertThat(clientCheck.exitCode).as(clientCheck.output).isZero();
    assertThat(serverCheck.exitCode).as(serverCheck.output).isZero();
  }

  @Test
  void refusesBadClientCertificatesForTheReasonTheyAreBad() {
    String ca = PKI.writeCaPem(dir.resolve("ca.pem")).toString();
    String serverOnly = PKI.serverOnlyClient("carol").writePem(dir, "carol").certificate()
        .toString();
    String expired = PKI.expiredClient("dave").writePem(dir, "dave").certificate().toString();
    String stranger = TestPki.create().client("eve").writePem(dir, "eve").certificate()
        .toString();

    Result wrongPurpose =
        run("openssl", "verify", "-CAfile", ca, "-purpose", "sslclient", serverOnly);
    Result tooOld = run("openssl", "verify", "-CAfile", ca, "-purpose", "sslclient", expired);
    Result untrusted = run("openssl", "verify", "-CAfile", ca, "-purpose", "sslclient", stranger);

    assertThat(wrongPurpose.exitCode).isNotZero();
    assertThat(wrongPurpose.output).contains("certificate purpose");
    assertThat(tooOld.exitCode).isNotZero();
    assertThat(tooOld.output).contains("certificate has expired");
    assertThat(untrusted.exitCode).isNotZero();
    assertThat(untrusted.output).contains("unable to get local issuer certificate");
  }

  private record Result(int exitCode, String output) {}

  private static Result run(String... command) {
    try {
      Process process = new ProcessBuilder(new ArrayList<>(List.of(command)))
          .redirectErrorStream(true)
          .start();
      process.getOutputStream().close();
      String output = new String(process.getInputStream().readAllBytes(), UTF_8);
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        return new Result(-1, output + "\n(timed out)");
      }
      return new Result(process.exitValue(), output);
    } catch (IOException e) {
      return new Result(-1, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(-1, e.toString());
    }
  }
}
