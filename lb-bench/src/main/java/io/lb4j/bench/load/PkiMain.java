package io.lb4j.bench.load;

import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.pki.PemFiles;
import io.lb4j.testkit.pki.TestPki;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Writes the comparison's certificates, made by lb-testkit's {@link TestPki} (EC P-256): a CA,
 * a server certificate for {@code localhost} and {@code 127.0.0.1}, and a client certificate
 * with common name {@code bench}.
 *
 * <pre>{@code
 * java -cp lb-bench/target/lb-bench.jar io.lb4j.bench.load.PkiMain --dir /tmp/bench-pki
 * }</pre>
 *
 * <p>Files: {@code ca.pem}, {@code server.pem} (leaf, then CA), {@code server-key.pem} (PKCS#8),
 * {@code client.pem}, {@code client-key.pem}, and {@code haproxy.pem}: the server chain followed
 * by its key, the one-file form HAProxy's {@code crt} takes; and {@code crl-100k.pem}, a revocation
 * list of the CA with 100,000 serials (none the client's), for measuring the revocation check.
 */
public final class PkiMain {

  /** How many serials {@code crl-100k.pem} revokes. */
  private static final int REVOKED = 100_000;

  /** The client certificate's common name, which an allow list names. */
  static final String CLIENT = "bench";

  private PkiMain() {}

  /**
   * Returns a revocation list of {@code pki}'s CA as a large CA keeps one: {@code entries} random
   * 128-bit serials (the same ones for the same count), valid for 30 days from an hour ago. A
   * certificate TestPki issues is in it only by a one-in-2^127 chance.
   */
  public static X509CRL largeCrl(TestPki pki, int entries) {
    List<BigInteger> revoked = new ArrayList<>(entries);
    Random random = new Random(entries);
    for (int i = 0; i < entries; i++) {
      revoked.add(new BigInteger(128, random).setBit(127));
    }
    Instant now = Instant.now();
    return pki.crl(revoked, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(30)));
  }

  /** Writes the files; exit status 2 if the folder cannot be written. */
  public static void main(String[] argv) {
    Path dir;
    try {
      Args args = Args.parse(argv);
      dir = args.path("dir");
      args.rejectUnused();
    } catch (Args.UsageException e) {
      System.err.println("pki: " + e.getMessage());
      System.exit(2);
      return;
    }
    try {
      TestPki pki = TestPki.create("lb4j bench CA");
      pki.writeCaPem(dir.resolve("ca.pem"));
      IssuedCertificate server = pki.server("localhost", "127.0.0.1");
      PemFiles serverFiles = server.writePem(dir, "server");
      pki.client(CLIENT).writePem(dir, "client");
      // A revocation list as a large CA keeps one: 100,000 serials, none of them the client's.
      TestPki.writeCrlPem(dir.resolve("crl-100k.pem"), largeCrl(pki, REVOKED));
      Path haproxy = dir.resolve("haproxy.pem");
      Files.writeString(haproxy, Files.readString(serverFiles.certificate())
          + Files.readString(serverFiles.privateKey()));
      System.out.println("certificates written to " + dir);
    } catch (IOException | UncheckedIOException e) {
      System.err.println("pki: cannot write into " + dir + ": " + e.getMessage());
      System.exit(2);
    }
  }
}
