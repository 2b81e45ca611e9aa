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
import javax.naming.NamingException;
import javax.naming.directory.Attribute;
import javax.naming.directory.Attributes;
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
 * <p>How {@link #fromCertificate} reads the subject, when it is unusual:
 *
 * <ul>
 *   <li>Several CNs: the most specific wins, the one written first in the subject's RFC 2253 text
 *       (the last one encoded), as the JDK's host name check picks it. {@code CN=bob, CN=ops}
 *       is {@code bob}.
 *   <li>A multi-valued RDN: each of its attributes counts, so {@code OU=ops+CN=bob} is CN
 *       {@code bob} in group {@code ops}. Its attributes form a set with no order; several of one
 *       type in it are taken in sorted order.
 *   <li>No CN: the common name is the empty string; the groups and names still count.
 *   <li>Escaped or quoted characters are read as the characters they stand for
 *       ({@code CN=a\,b} is {@code a,b}; {@code CN="x+y"} is {@code x+y}, one attribute;
 *       {@code CN=\#1} is {@code #1}); non-ASCII names are kept as they are.
 *   <li>A CN or OU whose value is not a string type (which RFC 2253 text shows in hex,
 *       {@code #0403...}) cannot be read: {@link #fromCertificate} throws, and the connection is
 *       refused rather than given a garbled name.
 * </ul>
 *
 * @param commonName the subject's most specific CN, or the empty string when it has none
 * @param groups the subject's organisational units (OU), in the order of the subject's RFC 2253
 *     text (most specific RDN first, the reverse of the encoding)
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
   * <p>See the class description for subjects with several CNs, none, multi-valued RDNs or
   * escaped characters.
   *
   * @param certificate the client's leaf certificate
   * @return its identity
   * @throws NullPointerException if {@code certificate} is null
   * @throws IllegalArgumentException if the certificate cannot be encoded, its names cannot be
   *     parsed, or a CN or OU is not a string
   */
  public static ClientIdentity fromCertificate(X509Certificate certificate) {
    Objects.requireNonNull(certificate, "certificate");
    String cn = "";
    List<String> ous = new ArrayList<>(2);
    try {
      LdapName subject =
          new LdapName(certificate.getSubjectX500Principal().getName(X500Principal.RFC2253));
      // LdapName numbers RDNs from the rightmost of the text (the first encoded, most general):
      // walk from the end to read them as the text does, most specific first.
      List<Rdn> rdns = subject.getRdns();
      for (int i = rdns.size() - 1; i >= 0; i--) {
        // A multi-valued RDN (OU=ops+CN=bob) carries several attributes; Rdn.getType() names only
        // the first of them, so read them all.
        Attributes attributes = rdns.get(i).toAttributes();
        List<String> cns = values(attributes, "CN");
        if (cn.isEmpty() && !cns.isEmpty()) {
          cn = cns.get(0);
        }
        ous.addAll(values(attributes, "OU"));
      }
    } catch (NamingException e) {
      throw new IllegalArgumentException(
          "certificate subject cannot be parsed: " + e.getMessage(), e);
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

  // The string values of one attribute type in one RDN, in the order Rdn keeps them (sorted).
  private static List<String> values(Attributes attributes, String type) throws NamingException {
    Attribute attribute = attributes.get(type);
    if (attribute == null) {
      return List.of();
    }
    List<String> values = new ArrayList<>(attribute.size());
    for (int i = 0; i < attribute.size(); i++) {
      Object value = attribute.get(i);
      if (!(value instanceof String text)) {
        // RFC 2253 text gives a value in hex (#04...) only when it is not a string type.
        throw new IllegalArgumentException(
            "certificate subject " + type + " must be a string but was #"
                + HexFormat.of().formatHex((byte[]) value));
      }
      values.add(text);
    }
    return values;
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
