package io.lb4j.testkit.ocsp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The certificate database of {@code openssl ca}, which {@code openssl ocsp -index} answers from:
 * one line per certificate, valid or revoked. A certificate not listed is {@code unknown} to the
 * responder.
 *
 * <pre>{@code
 * Path index = new OcspIndex().valid(alice.certificate()).revoked(mallory.certificate(), now)
 *     .write(dir.resolve("index.txt"));
 * }</pre>
 *
 * <p>Each line is tab-separated: status ({@code V} or {@code R}), expiry, revocation time (empty
 * for a valid one), serial in upper-case hex, file name ({@code unknown}) and subject. Not
 * thread-safe.
 */
public final class OcspIndex {

  // OpenSSL's UTCTime form, as the index stores dates.
  private static final DateTimeFormatter UTC_TIME =
      DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);

  private final List<String> lines = new ArrayList<>();

  /** Starts an empty index: every certificate is unknown. */
  public OcspIndex() {}

  /**
   * Lists {@code certificate} as valid: the responder answers {@code good}.
   *
   * @return this index
   */
  public OcspIndex valid(X509Certificate certificate) {
    return add("V", certificate, "");
  }

  /**
   * Lists {@code certificate} as revoked at {@code when}, for key compromise: the responder
   * answers {@code revoked}.
   *
   * @return this index
   */
  public OcspIndex revoked(X509Certificate certificate, Instant when) {
    Objects.requireNonNull(when, "when");
    return add("R", certificate, UTC_TIME.format(when) + ",keyCompromise");
  }

  private OcspIndex add(String status, X509Certificate certificate, String revocation) {
    Objects.requireNonNull(certificate, "certificate");
    String serial = certificate.getSerialNumber().toString(16).toUpperCase(Locale.ROOT);
    if (serial.length() % 2 != 0) {
      serial = "0" + serial;
    }
    lines.add(String.join("\t", status,
        UTC_TIME.format(certificate.getNotAfter().toInstant()), revocation, serial, "unknown",
        "/" + certificate.getSubjectX500Principal().getName().replace(',', '/')));
    return this;
  }

  /**
   * Writes the index to {@code file}, replacing it in one rename.
   *
   * @return {@code file}
   * @throws UncheckedIOException if it cannot be written
   */
  public Path write(Path file) {
    Objects.requireNonNull(file, "file");
    try {
      Path part = file.resolveSibling(file.getFileName() + ".part");
      StringBuilder text = new StringBuilder();
      for (String line : lines) {
        text.append(line).append('\n');
      }
      Files.writeString(part, text, StandardCharsets.US_ASCII);
      return Files.move(part, file, StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the OCSP index " + file, e);
    }
  }
}
