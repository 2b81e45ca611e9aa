package io.lb4j.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.api.ClientIdentity;
import io.lb4j.testkit.pki.ClientSpec;
import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.pki.KeyType;
import io.lb4j.testkit.pki.TestPki;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.util.ReferenceCountUtil;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class MutualTlsHandshakeTest {

  private static TestPki pki;
  private static IssuedCertificate ecServer;
  private static IssuedCertificate rsaServer;

  @TempDir Path dir;

  @BeforeAll
  static void issueServerCertificates() {
    pki = TestPki.create();
    ecServer = pki.server();
    rsaServer = pki.server(KeyType.RSA_2048);
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void trustedClientCompletesTls13(TlsEngine engine) {
    try (PemTlsContextFactory factory = TlsFixture.write(dir, pki, ecServer).factory(engine);
        TlsEchoServer server = TlsEchoServer.start(factory)) {
      TlsClient.Result result = TlsClient.exchange(pki.clientContext(pki.client("alice")),
          server.port());

      assertThat(result).isInstanceOfSatisfying(TlsClient.Echoed.class,
          echoed -> assertThat(echoed.protocol()).isEqualTo("TLSv1.3"));
      TlsEchoServer.Succeeded handshake = server.nextSuccess();
      assertThat(handshake.protocol()).isEqualTo("TLSv1.3");
      assertThat(handshake.identity().commonName()).isEqualTo("alice");
    }
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void trustedClientCompletesTls12WithEcdsaServerKey(TlsEngine engine) {
    try (PemTlsContextFactory factory = TlsFixture.write(dir, pki, ecServer).factory(engine);
        TlsEchoServer server = TlsEchoServer.start(factory)) {
      TlsClient.Result result = TlsClient.exchange(pki.clientContext(pki.client("alice")),
          server.port(), socket -> {
            socket.setEnabledProtocols(new String[] {"TLSv1.2"});
            socket.setEnabledCipherSuites(new String[] {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"});
          });

      assertThat(result).isInstanceOf(TlsClient.Echoed.class);
      TlsEchoServer.Succeeded handshake = server.nextSuccess();
      assertThat(handshake.protocol()).isEqualTo("TLSv1.2");
      assertThat(handshake.cipherSuite()).isEqualTo("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
      assertThat(handshake.identity().commonName()).isEqualTo("alice");
    }
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void trustedClientCompletesTls12WithRsaServerKey(TlsEngine engine) {
    try (PemTlsContextFactory factory = TlsFixture.write(dir, pki, rsaServer).factory(engine);
        TlsEchoServer server = TlsEchoServer.start(factory)) {
      TlsClient.Result result = TlsClient.exchange(pki.clientContext(pki.client("alice")),
          server.port(), socket -> {
            socket.setEnabledProtocols(new String[] {"TLSv1.2"});
            socket.setEnabledCipherSuites(new String[] {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"});
          });

      assertThat(result).isInstanceOfSatisfying(TlsClient.Echoed.class, echoed ->
          assertThat(echoed.serverCertificate()).isEqualTo(rsaServer.certificate()));
      TlsEchoServer.Succeeded handshake = server.nextSuccess();
      assertThat(handshake.cipherSuite()).isEqualTo("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    }
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void readsEveryIdentityFieldFromTheClientCertificate(TlsEngine engine) throws Exception {
    IssuedCertificate alice = pki.client(ClientSpec.commonName("alice")
        .groups("ops", "dev")
        .dnsNames("alice.lb4j.test", "a.lb4j.test")
        .uris("spiffe://lb4j.test/ns/prod/sa/alice")
        .build());
    try (PemTlsContextFactory factory = TlsFixture.write(dir, pki, ecServer).factory(engine);
        TlsEchoServer server = TlsEchoServer.start(factory)) {
      TlsClient.exchange(pki.clientContext(alice), server.port());

      ClientIdentity identity = server.nextSuccess().identity();
      assertThat(identity.commonName()).isEqualTo("alice");
      assertThat(identity.groups()).containsExactly("ops", "dev");
      assertThat(identity.dnsNames()).containsExactly("alice.lb4j.test", "a.lb4j.test");
      assertThat(identity.uris()).containsExactly("spiffe://lb4j.test/ns/prod/sa/alice");
      assertThat(identity.sha256Fingerprint()).isEqualTo(HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(alice.certificate().getEncoded())));
      assertThat(identity.notAfter()).isEqualTo(alice.certificate().getNotAfter().toInstant());
    }
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void remembersTheIdentityOfAReconnectingClient(TlsEngine engine) {
    SSLContext alice = pki.clientContext(pki.client("alice"));
    try (PemTlsContextFactory factory = TlsFixture.write(dir, pki, ecServer).factory(engine);
        TlsEchoServer server = TlsEchoServer.start(factory)) {
      TlsClient.exchange(alice, server.port());
      TlsClient.exchange(pki.clientContext(pki.client("bob")), server.port());
      TlsClient.exchange(alice, server.port());

      ClientIdentity first = server.nextSuccess().identity();
      ClientIdentity bob = server.nextSuccess().identity();
      ClientIdentity again = server.nextSuccess().identity();
      assertThat(bob.commonName()).isEqualTo("bob");
      assertThat(again).isSameAs(first);
    }
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void identifiesAClientThatResumesItsTls12Session(TlsEngine engine) throws Exception {
    SSLContext alice = pki.clientContext(pki.client("alice"));
    try (PemTlsContextFactory factory = TlsFixture.write(dir, pki, ecServer).factory(engine);
        TlsEchoServer server = TlsEchoServer.start(factory)) {
      SSLSession first;
      SSLSession second;
      try (TlsClient client = TlsClient.open(alice, server.port(), TlsClientSockets::tls12Only)) {
        client.echo("one");
        first = client.session();
      }
      try (TlsClient client = TlsClient.open(alice, server.port(), TlsClientSockets::tls12Only)) {
        client.echo("two");
        second = client.session();
      }

      // The JDK client reuses its cached session object only when the server resumed it.
      assertThat(second).as("the second connection resumed the first one's session")
          .isSameAs(first);
      assertThat(server.nextSuccess().identity().commonName()).isEqualTo("alice");
      assertThat(server.nextSuccess().identity().commonName()).isEqualTo("alice");
    }
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void handsOutEnginesExactlyAsNettyMadeThem(TlsEngine engine) {
    try (PemTlsContextFactory factory = TlsFixture.write(dir, pki, ecServer).factory(engine)) {
      SSLEngine made = factory.newEngine();
      try {
        assertThat(factory.engine()).isEqualTo(engine);
        if (engine == TlsEngine.OPENSSL) {
          assertThat(made).isInstanceOf(ReferenceCountedOpenSslEngine.class);
        } else {
          assertThat(made.getClass().getName()).isEqualTo("sun.security.ssl.SSLEngineImpl");
        }
        assertThat(made.getUseClientMode()).isFalse();
        assertThat(made.getNeedClientAuth()).isTrue();
        // Netty's OpenSSL engine also lists the pseudo-protocol SSLv2Hello, which BoringSSL cannot
        // parse; no real protocol beyond the policy may appear.
        assertThat(made.getEnabledProtocols()).filteredOn(p -> !p.equals("SSLv2Hello"))
            .containsExactlyInAnyOrder("TLSv1.3", "TLSv1.2");
        assertThat(made.getEnabledCipherSuites())
            .containsExactlyInAnyOrderElementsOf(TlsPolicy.CIPHER_SUITES);
      } finally {
        ReferenceCountUtil.release(made);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"AUTO"})
  void autoChoosesBoringSslWhereItLoads(TlsEngine engine) {
    try (PemTlsContextFactory factory = TlsFixture.write(dir, pki, ecServer).factory(engine)) {
      assertThat(factory.engine()).isEqualTo(
          io.netty.handler.ssl.OpenSsl.isAvailable() ? TlsEngine.OPENSSL : TlsEngine.JDK);
    }
  }
}
