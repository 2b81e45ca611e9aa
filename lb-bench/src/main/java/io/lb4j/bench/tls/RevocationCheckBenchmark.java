package io.lb4j.bench.tls;

import io.lb4j.bench.load.PkiMain;
import io.lb4j.testkit.pki.PemFiles;
import io.lb4j.testkit.pki.TestPki;
import io.lb4j.tls.PemTlsContextFactory;
import io.lb4j.tls.TlsEngine;
import io.netty.handler.ssl.util.LazyX509Certificate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of the revocation check that a full mTLS handshake pays, with a 100,000-entry list
 * ({@code crl=100k}) against none ({@code crl=none}), for a client drawn at random from 256.
 *
 * <ul>
 *   <li>{@code check}: what the handshake does. BoringSSL hands the trust manager the client's
 *       chain as Netty's {@link LazyX509Certificate}s, fresh DER each handshake, which nothing
 *       parses for a client whose verification is remembered; the revocation check reads the
 *       issuer and serial, so it parses the certificate, then looks it up. Without lists nothing
 *       is parsed or looked up.
 *   <li>{@code parseOnly}: what {@code check} pays before the lookup: the fresh certificate
 *       parsed (the JDK's certificate factory answers a repeated encoding from its cache) for its
 *       serial number.
 *   <li>{@code lookupOnly}: the same check on certificates parsed once, beforehand: the lookup
 *       alone.
 *   <li>{@code pkixVerify}: for scale, the JDK's PKIX verification of the same fresh chain, which
 *       a client not yet remembered pays, with or without lists.
 * </ul>
 *
 * <p>The check is reached through {@link PemTlsContextFactory#revocationOf}, the same
 * {@code RevocationLists} lookup as the handshake's, minus the staleness test (a comparison of two
 * longs).
 *
 * <pre>{@code
 * java -jar lb-bench/target/lb-bench.jar RevocationCheck -f 1 -wi 3 -i 5 -w 1s -r 1s
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RevocationCheckBenchmark {

  private static final int CLIENTS = 256;
  private static final int ENTRIES = 100_000;

  @Param({"none", "100k"})
  public String crl;

  private Path dir;
  private PemTlsContextFactory tls;
  private byte[][] encoded;
  private List<List<X509Certificate>> parsed;
  private X509TrustManager pkix;
  private final SplittableRandom random = new SplittableRandom(42);

  @Setup
  public void setUp() throws IOException, GeneralSecurityException {
    dir = Files.createTempDirectory("lb4j-revocation-bench");
    TestPki pki = TestPki.create("lb4j bench CA");
    Path ca = pki.writeCaPem(dir.resolve("ca.pem"));
    PemFiles server = pki.server("localhost", "127.0.0.1").writePem(dir, "server");
    PemTlsContextFactory.Builder builder = PemTlsContextFactory.builder()
        .certificateChain(server.certificate())
        .privateKey(server.privateKey())
        .clientCa(ca)
        .engine(TlsEngine.JDK);
    if (crl.equals("100k")) {
      Path file = TestPki.writeCrlDer(dir.resolve("crl-100k.der"), PkiMain.largeCrl(pki, ENTRIES));
      builder.crls(List.of(file));
    }
    tls = builder.build();
    encoded = new byte[CLIENTS][];
    X509Certificate[] leaves = new X509Certificate[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
      leaves[i] = pki.client("client-" + i).certificate();
      encoded[i] = leaves[i].getEncoded();
    }
    parsed = Arrays.stream(leaves).map(List::of).toList();
    KeyStore anchors = KeyStore.getInstance("PKCS12");
    anchors.load(null, null);
    anchors.setCertificateEntry("ca", pki.caCertificate());
    TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
    factory.init(anchors);
    for (TrustManager manager : factory.getTrustManagers()) {
      if (manager instanceof X509TrustManager x509) {
        pkix = x509;
      }
    }
    // Nothing in the lists is any client's: each check is a miss, as for almost every client.
    for (List<X509Certificate> chain : parsed) {
      if (tls.revocationOf(chain).isPresent()) {
        throw new IllegalStateException("a bench client is revoked: " + chain.get(0));
      }
    }
  }

  @TearDown
  public void tearDown() throws IOException {
    tls.close();
    try (var files = Files.list(dir)) {
      for (Path file : files.toList()) {
        Files.delete(file);
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    Files.delete(dir);
  }

  @Benchmark
  public Optional<String> check() {
    return tls.revocationOf(List.of(new LazyX509Certificate(encoded[random.nextInt(CLIENTS)])));
  }

  @Benchmark
  public Object parseOnly() {
    return new LazyX509Certificate(encoded[random.nextInt(CLIENTS)]).getSerialNumber();
  }

  @Benchmark
  public Optional<String> lookupOnly() {
    return tls.revocationOf(parsed.get(random.nextInt(CLIENTS)));
  }

  @Benchmark
  public X509Certificate pkixVerify() throws CertificateException {
    X509Certificate[] chain = {new LazyX509Certificate(encoded[random.nextInt(CLIENTS)])};
    pkix.checkClientTrusted(chain, "EC");
    return chain[0];
  }
}
