package io.lb4j.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lb4j.impl.authorization.AllowList;
import io.lb4j.testkit.junit.Closer;
import io.lb4j.testkit.pki.PemFiles;
import io.lb4j.testkit.pki.TestPki;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.Base64;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Session-ticket keys shared through a file: a session begun on one {@link
 * io.lb4j.impl.LoadBalancer} resumes on another that reads the same file. The client is the real
 * {@code openssl s_client}, which says {@code Reused} or {@code New} for each connection; skipped,
 * with a message, where there is no {@code openssl} binary on the PATH, failed there in CI.
 */
@Timeout(120)
class SessionTicketKeysTest {

  private static final TestPki PKI = TestPki.create();
  private static final SecureRandom RANDOM = new SecureRandom();

  @TempDir static Path shared;
  private static TlsFixture fixture;
  private static PemFiles alice;

  @TempDir Path dir;
  @RegisterExtension final Closer closer = new Closer();

  private EchoUpstream echo;
  private Path keyFile;
  private Path session;

  @BeforeAll
  static void writeMaterial() {
    fixture = TlsFixture.write(shared, PKI, PKI.server("localhost", "127.0.0.1"));
    alice = PKI.client("alice").writePem(shared, "alice");
  }

  @BeforeEach
  void startHost() {
    echo = closer.track(Upstreams.echo());
    keyFile = dir.resolve("tickets.keys");
    session = dir.resolve("session.pem");
  }

  @ParameterizedTest
  @ValueSource(strings = {"-tls1_3", "-tls1_2"})
  void sessionBegunOnOneInstanceResumesOnAnotherSharingTheKeyFile(String protocol)
      throws Exception {
    writeKeys(keyFile, randomKey());
    TlsBalancer first = balancer(keyFile);
    TlsBalancer second = balancer(keyFile);

    assertThat(connect(first, protocol, "-sess_out")).contains("New, TLSv1.");
    assertThat(connect(second, protocol, "-sess_in")).contains("Reused, TLSv1.");
  }

  @ParameterizedTest
  @ValueSource(strings = {"-tls1_3", "-tls1_2"})
  void sessionDoesNotResumeOnAnotherInstanceWithoutKeyFile(String protocol) throws Exception {
    TlsBalancer first = balancer(null);
    TlsBalancer second = balancer(null);

    assertThat(connect(first, protocol, "-sess_out")).contains("New, TLSv1.");
    // The control: the same instance resumes its own session.
    assertThat(connect(first, protocol, "-sess_in")).contains("Reused, TLSv1.");
    assertThat(connect(second, protocol, "-sess_in")).contains("New, TLSv1.");
  }

  @Test
  void ticketSealedWithOldKeyResumesWhileTheKeyIsInTheFileAndNotOnceDropped() throws Exception {
    String oldKey = randomKey();
    writeKeys(keyFile, oldKey);
    PemTlsContextFactory tls = factory(keyFile);
    TlsBalancer lb = closer.track(TlsBalancer.start(tls, echo, aliceOnly()));
    assertThat(connect(lb, "-tls1_3", "-sess_out")).contains("New, TLSv1.3");

    String newKey = randomKey();
    writeKeys(keyFile, newKey, oldKey);
    assertThat(tls.reload()).isTrue();
    assertThat(connect(lb, "-tls1_3", "-sess_in")).contains("Reused, TLSv1.3");

    writeKeys(keyFile, newKey);
    assertThat(tls.reload()).isTrue();
    assertThat(connect(lb, "-tls1_3", "-sess_in")).contains("New, TLSv1.3");
  }

  @Test
  void afterRotationNewTicketsAreSealedWithTheNewFirstKey() throws Exception {
    String oldKey = randomKey();
    String newKey = randomKey();
    writeKeys(keyFile, oldKey);
    PemTlsContextFactory tls = factory(keyFile);
    TlsBalancer lb = closer.track(TlsBalancer.start(tls, echo, aliceOnly()));
    writeKeys(keyFile, newKey, oldKey);
    assertThat(tls.reload()).isTrue();
    assertThat(connect(lb, "-tls1_3", "-sess_out")).contains("New, TLSv1.3");

    // An instance that knows the new key alone opens the ticket.
    Path newOnly = Files.writeString(dir.resolve("new-only.keys"), newKey + "\n");
    assertThat(connect(balancer(newOnly), "-tls1_3", "-sess_in")).contains("Reused, TLSv1.3");
  }

  @Test
  void keyFileThatDoesNotLoadLeavesTheKeysInUse() throws Exception {
    writeKeys(keyFile, randomKey());
    PemTlsContextFactory tls = factory(keyFile);
    TlsBalancer lb = closer.track(TlsBalancer.start(tls, echo, aliceOnly()));
    assertThat(connect(lb, "-tls1_3", "-sess_out")).contains("New, TLSv1.3");

    Files.writeString(keyFile, "not a key\n");
    assertThatThrownBy(tls::reload).isInstanceOf(TlsConfigException.class)
        .extracting(e -> ((TlsConfigException) e).setting()).isEqualTo("sessionTicketKeys");
    assertThat(connect(lb, "-tls1_3", "-sess_in")).contains("Reused, TLSv1.3");
  }

  @Test
  void changedClientCaEndsResumptionEvenWithSharedKeys() throws Exception {
    writeKeys(keyFile, randomKey());
    Path ca = Files.copy(fixture.clientCa(), dir.resolve("client-ca.pem"));
    PemTlsContextFactory tls = closer.track(new TlsFixture(fixture.chain(), fixture.key(), ca)
        .builder(TlsEngine.OPENSSL).sessionTicketKeys(keyFile).build());
    TlsBalancer lb = closer.track(TlsBalancer.start(tls, echo, aliceOnly()));
    assertThat(connect(lb, "-tls1_3", "-sess_out")).contains("New, TLSv1.3");

    // The same CA plus another: alice is still trusted, but a resumed session would skip the
    // check made under the new bundle.
    Files.writeString(ca, Files.readString(ca)
        + Files.readString(TestPki.create("other CA").writeCaPem(dir.resolve("other-ca.pem"))));
    assertThat(tls.reload()).isTrue();
    assertThat(connect(lb, "-tls1_3", "-sess_in")).contains("New, TLSv1.3");
  }

  @Test
  void jdkEngineRefusesSessionTicketKeys() throws IOException {
    writeKeys(keyFile, randomKey());

    assertThatThrownBy(() -> fixture.builder(TlsEngine.JDK).sessionTicketKeys(keyFile).build())
        .isInstanceOf(TlsConfigException.class)
        .hasMessageStartingWith("sessionTicketKeys: " + keyFile + ": ")
        .hasMessageContaining("need the OPENSSL engine");
  }

  @Test
  void refusesKeyThatIsNotBase64WithItsLine() throws IOException {
    Files.writeString(keyFile, "# fleet keys\n\n" + randomKey() + "\nnot*base64\n");

    assertThatThrownBy(() -> factory(keyFile))
        .isInstanceOf(TlsConfigException.class)
        .hasMessageStartingWith("sessionTicketKeys: " + keyFile + ": line 4: not base64");
  }

  @Test
  void refusesKeyOfWrongLengthWithItsLine() throws IOException {
    byte[] shortKey = new byte[32];
    Files.writeString(keyFile, Base64.getEncoder().encodeToString(shortKey) + "\n");

    assertThatThrownBy(() -> factory(keyFile))
        .isInstanceOf(TlsConfigException.class)
        .hasMessage("sessionTicketKeys: " + keyFile
            + ": line 1: the key has 32 bytes, not 48 (16 name, 16 HMAC, 16 AES)");
  }

  @Test
  void refusesFileWithoutKey() throws IOException {
    Files.writeString(keyFile, "# nothing yet\n\n");

    assertThatThrownBy(() -> factory(keyFile))
        .isInstanceOf(TlsConfigException.class)
        .hasMessageStartingWith("sessionTicketKeys: " + keyFile + ": no key found");
  }

  @Test
  void refusesMissingFile() {
    assertThatThrownBy(() -> factory(dir.resolve("absent.keys")))
        .isInstanceOf(TlsConfigException.class)
        .hasMessage("sessionTicketKeys: " + dir.resolve("absent.keys") + ": file not found");
  }

  private PemTlsContextFactory factory(Path keys) {
    PemTlsContextFactory.Builder builder = fixture.builder(TlsEngine.OPENSSL);
    if (keys != null) {
      builder.sessionTicketKeys(keys);
    }
    return closer.track(builder.build());
  }

  private TlsBalancer balancer(Path keys) {
    return closer.track(TlsBalancer.start(factory(keys), echo, aliceOnly()));
  }

  private static AllowList aliceOnly() {
    return AllowList.builder().allow("hc", "alice").build();
  }

  private static String randomKey() {
    byte[] key = new byte[48];
    RANDOM.nextBytes(key);
    return Base64.getEncoder().encodeToString(key);
  }

  // Written whole and renamed into place, as an operator should.
  private static void writeKeys(Path file, String... keys) throws IOException {
    Path part = file.resolveSibling(file.getFileName() + ".part");
    Files.writeString(part, "# lb4j session-ticket keys, newest first\n"
        + String.join("\n", keys) + "\n");
    Files.move(part, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** Runs {@code openssl s_client} as alice through the balancer; see {@link OpenSslClient#session}. */
  private String connect(TlsBalancer lb, String protocol, String sessionOption)
      throws IOException, InterruptedException {
    return OpenSslClient.session(dir, PKI, lb.address().getPort(), alice, protocol, sessionOption,
        session);
  }
}
