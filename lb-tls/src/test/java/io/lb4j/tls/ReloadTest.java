package io.lb4j.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.pki.TestPki;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ReloadTest {

  private static final Duration POLL = Duration.ofMillis(50);

  private static TestPki pki;
  private static IssuedCertificate alice;

  @TempDir Path dir;

  @BeforeAll
  static void issueClient() {
    pki = TestPki.create();
    alice = pki.client("alice");
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void newHandshakesGetTheNewCertificateWhileOpenConnectionsKeepWorking(TlsEngine engine)
      throws IOException {
    IssuedCertificate before = pki.server();
    TlsFixture files = TlsFixture.write(dir, pki, before);
    SSLContext client = pki.clientContext(alice);
    try (PemTlsContextFactory factory = files.factory(engine);
        TlsEchoServer echo = TlsEchoServer.start(factory);
        TlsClient open = TlsClient.open(client, echo.port(), socket -> {})) {
      open.echo("before reload");
      assertThat(open.serverCertificate()).isEqualTo(before.certificate());

      IssuedCertificate after = pki.server("reloaded.lb4j.test");
      after.writePem(dir, "server");
      boolean reloaded = factory.reload();

      assertThat(reloaded).isTrue();
      open.echo("after reload, on the old connection");
      assertThat(TlsClient.exchange(client, echo.port())).isInstanceOfSatisfying(
          TlsClient.Echoed.class,
          echoed -> assertThat(echoed.serverCertificate()).isEqualTo(after.certificate()));
      assertThat(factory.certificate()).isEqualTo(after.certificate());
    }
  }

  @Test
  void reportsUnchangedFilesWithoutReloading() {
    try (PemTlsContextFactory factory =
        TlsFixture.write(dir, pki, pki.server()).factory(TlsEngine.JDK)) {
      assertThat(factory.reload()).isFalse();
    }
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void keepsTheCurrentMaterialWhenTheNewKeyIsBroken(TlsEngine engine) throws IOException {
    IssuedCertificate before = pki.server();
    TlsFixture files = TlsFixture.write(dir, pki, before);
    try (PemTlsContextFactory factory = files.factory(engine);
        TlsEchoServer echo = TlsEchoServer.start(factory)) {
      pki.server().writePem(dir, "server");
      Files.writeString(files.key(), "-----BEGIN PRIVATE KEY-----\nnot base64!\n"
          + "-----END PRIVATE KEY-----\n");

      assertThatThrownBy(factory::reload)
          .isInstanceOf(TlsConfigException.class)
          .hasMessageStartingWith("privateKey: " + files.key() + ": ");
      assertThat(TlsClient.exchange(pki.clientContext(alice), echo.port())).isInstanceOfSatisfying(
          TlsClient.Echoed.class,
          echoed -> assertThat(echoed.serverCertificate()).isEqualTo(before.certificate()));
    }
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void watcherLoadsACertificateFromANewCaWhenTheFilesChange(TlsEngine engine) throws IOException {
    TlsFixture files = TlsFixture.write(dir, pki, pki.server());
    try (PemTlsContextFactory factory = files.factory(engine, b -> b.watch(POLL));
        TlsEchoServer echo = TlsEchoServer.start(factory);
        TlsClient open = TlsClient.open(pki.clientContext(alice), echo.port(), socket -> {})) {
      open.echo("before");

      TestPki newServerCa = TestPki.create();
      IssuedCertificate after = newServerCa.server();
      after.writePem(dir, "server");
      await().atMost(Duration.ofSeconds(20))
          .until(() -> factory.certificate().equals(after.certificate()));

      open.echo("after, on the old connection");
      // A client that trusts the new server CA, still presenting alice (the client CA is unchanged).
      assertThat(TlsClient.exchange(newServerCa.clientContext(alice), echo.port()))
          .isInstanceOfSatisfying(TlsClient.Echoed.class, echoed ->
              assertThat(echoed.serverCertificate()).isEqualTo(after.certificate()));
    }
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void watcherKeepsServingWhileTheFilesAreBrokenAndLoadsTheFix(TlsEngine engine)
      throws IOException {
    IssuedCertificate before = pki.server();
    TlsFixture files = TlsFixture.write(dir, pki, before);
    try (PemTlsContextFactory factory = files.factory(engine, b -> b.watch(POLL));
        TlsEchoServer echo = TlsEchoServer.start(factory)) {
      Files.writeString(files.clientCa(), "this is not a CA bundle\n");

      await().atMost(Duration.ofSeconds(20)).until(factory::watchFailure, Optional::isPresent);
      assertThat(factory.watchFailure()).hasValue(
          "clientCa: " + files.clientCa() + ": not a PEM file (no -----BEGIN line)");
      assertThat(TlsClient.exchange(pki.clientContext(alice), echo.port())).isInstanceOfSatisfying(
          TlsClient.Echoed.class,
          echoed -> assertThat(echoed.serverCertificate()).isEqualTo(before.certificate()));

      IssuedCertificate fixed = pki.server("fixed.lb4j.test");
      fixed.writePem(dir, "server");
      pki.writeCaPem(files.clientCa());
      await().atMost(Duration.ofSeconds(20))
          .until(() -> factory.certificate().equals(fixed.certificate()));
      assertThat(factory.watchFailure()).isEmpty();
    }
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void aReloadedClientCaDecidesWhichClientsAreTrusted(TlsEngine engine) {
    TlsFixture files = TlsFixture.write(dir, pki, pki.server());
    TestPki newClientCa = TestPki.create();
    try (PemTlsContextFactory factory = files.factory(engine);
        TlsEchoServer echo = TlsEchoServer.start(factory)) {
      newClientCa.writeCaPem(files.clientCa());
      assertThat(factory.reload()).isTrue();

      assertThat(TlsClient.exchange(pki.clientContext(alice), echo.port()))
          .isInstanceOf(TlsClient.Refused.class);
      assertThat(echo.nextFailure().reasons()).contains("unable to find valid certification path");
      assertThat(TlsClient.exchange(pki.clientContext(newClientCa.client("carol")), echo.port()))
          .isInstanceOf(TlsClient.Echoed.class);
      assertThat(echo.nextSuccess().identity().commonName()).isEqualTo("carol");
    }
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void closingTheFactoryLeavesOpenConnectionsAndRefusesNewEngines(TlsEngine engine)
      throws IOException {
    PemTlsContextFactory factory = TlsFixture.write(dir, pki, pki.server()).factory(engine);
    try (TlsEchoServer echo = TlsEchoServer.start(factory);
        TlsClient open = TlsClient.open(pki.clientContext(alice), echo.port(), socket -> {})) {
      open.echo("before close");

      factory.close();

      open.echo("after close");
      assertThatThrownBy(factory::newEngine)
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("the TLS context factory is closed");
    } finally {
      factory.close();
    }
  }
}
