package io.lb4j.api;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;

/**
 * Who a client is, as its verified certificate says. Authorization and rate limits key on it.
 *
 * <pre>{@code
 * ClientIdentity alice = ClientIdentity.fromCertificate(peerCertificate);
 * alice.commonName();   // "alice"
 * alice.groups();       // ["ops"], from the subject's OU attributes
 * }</pre>
 *
 * <p>A connection on a listener without TLS has the {@link #ANONYMOUS} identity.
 *
 * @param commonName the subject's CN, or the empty string when it has none
 * @param groups the subject's organisational units (OU), in certificate order
 * @param dnsNames the subject alternative names of type DNS
 * @param uris the subject alternative names of type URI, for example SPIFFE IDs
 * @param sha256Fingerprint lower-case hex SHA-256 of the certificate's DER encoding, or empty
 * @param notAfter the end of the certificate's validity, or {@link Instant#MAX} when anonymous
 */
public record ClientIdentity(
    String commonName,
    List<String> groups,
    List<String> dnsNames,
    List<String> uris,
    String sha256Fingerprint,
    Instant notAfter) {

  /** The identity of a client that presented no certificate, on a listener without TLS. */
  public static final ClientIdentity ANONYMOUS =
      new ClientIdentity("", List.of(), List.of(), List.of(), "", Instant.MAX);

  private static final int SAN_DNS = 2;
  private static final int SAN_URI = 6;

  /**
   * Copies the lists and checks for nulls.
   *
   * @throws NullPointerException if any part is null
   */
  public ClientIdentity {
    Objects.requireNonNull(commonName, "commonName");
    groups = List.copyOf(groups);
    dnsNames = List.copyOf(dnsNames);
    uris = List.copyOf(uris);
    Objects.requireNonNull(sha256Fingerprint, "sha256Fingerprint");
    Objects.requireNonNull(notAfter, "notAfter");
  }

  /**
   * Reads the identity out of a certificate. The caller has verified the certificate; this method
   * only reads it.
   *
   * @param certificate the client's leaf certificate
   * @return its identity
   * @throws IllegalArgumentException if the certificate cannot be encoded or its names parsed
   */
  public static ClientIdentity fromCertificate(X509Certificate certificate) {
    Objects.requireNonNull(certificate, "certificate");
    String cn = "";
    List<String> ous = new ArrayList<>(2);
    try {
      LdapName subject =
          new LdapName(certificate.getSubjectX500Principal().getName(X500Principal.RFC2253));
      // LdapName lists RDNs from the last (most significant) to the first; walk it in
      // certificate order so groups keep the order they were written in.
      List<Rdn> rdns = subject.getRdns();
      for (int i = rdns.size() - 1; i >= 0; i--) {
        Rdn rdn = rdns.get(i);
        if (rdn.getType().equalsIgnoreCase("CN") && cn.isEmpty()) {
          cn = String.valueOf(rdn.getValue());
        } else if (rdn.getType().equalsIgnoreCase("OU")) {
          ous.add(String.valueOf(rdn.getValue()));
        }
      }
    } catch (InvalidNameException e) {
      throw new IllegalArgumentException("certificate subject cannot be parsed: " + e.getMessage(), e);
    }
    List<String> dns = new ArrayList<>(2);
    List<String> uris = new ArrayList<>(1);
    try {
      Collection<List<?>> sans = certificate.getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          int type = (Integer) san.get(0);
          if (type == SAN_DNS) {
            dns.add((String) san.get(1));
          } else if (type == SAN_URI) {
            uris.add((String) san.get(1));
          }
        }
      }
    } catch (CertificateParsingException e) {
      throw new IllegalArgumentException(
          "certificate subject alternative names cannot be parsed: " + e.getMessage(), e);
    }
    return new ClientIdentity(
        cn, ous, dns, uris, fingerprint(certificate), certificate.getNotAfter().toInstant());
  }

  /** Returns whether this is the {@link #ANONYMOUS} identity. */
  public boolean isAnonymous() {
    return sha256Fingerprint.isEmpty() && commonName.isEmpty();
  }

  /**
   * Returns a short name for logs and metrics: the common name, else the first SAN URI, else the
   * first SAN DNS name, else {@code "-"}.
   */
  public String displayName() {
    if (!commonName.isEmpty()) {
      return commonName;
    }
    if (!uris.isEmpty()) {
      return uris.get(0);
    }
    if (!dnsNames.isEmpty()) {
      return dnsNames.get(0);
    }
    return "-";
  }

  private static String fingerprint(X509Certificate certificate) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    } catch (CertificateEncodingException e) {
      throw new IllegalArgumentException("certificate cannot be encoded: " + e.getMessage(), e);
    }
  }
}
