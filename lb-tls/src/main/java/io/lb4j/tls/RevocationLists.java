package io.lb4j.tls;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CRL;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.security.auth.x500.X500Principal;

/**
 * The certificate revocation lists of one version of the material, checked against the client
 * CAs and indexed for the handshake: per issuer, a hash set of revoked serial numbers. Built once
 * per load; a lookup is a map read and a set read per certificate. Immutable and thread-safe.
 *
 * <p>A certificate is covered when a list of its issuer was configured; certificates of issuers
 * without a list are not checked for revocation (an operator lists the CAs they revoke for).
 * Besides the chain the client sent, the client CAs above its top certificate are checked too, so
 * an intermediate CA configured as a trust anchor is still refused once its parent revokes it.
 */
final class RevocationLists {

  /** No lists: nothing is checked. */
  static final RevocationLists NONE = new RevocationLists(Map.of(), Map.of(), List.of(), true);

  private static final String PEM_LABEL = "X509 CRL";
  private static final int CRL_SIGN = 6;
  // Deeper than any real CA hierarchy; bounds the walk up the anchors if a bundle loops.
  private static final int MAX_ANCHOR_DEPTH = 8;

  private final Map<X500Principal, Issuer> byIssuer;
  private final Map<X500Principal, X509Certificate> anchorsBySubject;
  private final List<CrlStatus> statuses;
  private final boolean acceptStale;

  /** The lists of one CA, merged: revoked serials and the latest promised next update. */
  private record Issuer(String name, Set<BigInteger> serials, long nextUpdateMillis) {}

  private RevocationLists(Map<X500Principal, Issuer> byIssuer,
      Map<X500Principal, X509Certificate> anchorsBySubject, List<CrlStatus> statuses,
      boolean acceptStale) {
    this.byIssuer = byIssuer;
    this.anchorsBySubject = anchorsBySubject;
    this.statuses = statuses;
    this.acceptStale = acceptStale;
  }

  /**
   * Parses the lists and checks each is signed by one of {@code clientCas}.
   *
   * @param files the configured files, in order
   * @param contents their bytes, in the same order: PEM ({@code BEGIN X509 CRL}) or DER, each with
   *     one or more lists
   * @param acceptStale whether a list past its next update still lets certificates through
   * @throws TlsConfigException naming {@code crls} and the file that cannot be used
   */
  static RevocationLists parse(List<Path> files, List<byte[]> contents,
      List<X509Certificate> clientCas, boolean acceptStale) {
    if (files.isEmpty()) {
      return NONE;
    }
    Map<X500Principal, X509Certificate> anchors = new HashMap<>();
    for (X509Certificate ca : clientCas) {
      anchors.putIfAbsent(ca.getSubjectX500Principal(), ca);
    }
    Map<X500Principal, Issuer> byIssuer = new HashMap<>();
    List<CrlStatus> statuses = new ArrayList<>();
    for (int i = 0; i < files.size(); i++) {
      Path file = files.get(i);
      for (X509CRL crl : read(file, contents.get(i))) {
        checkSignedByClientCa(file, crl, clientCas);
        Collection<? extends X509CRLEntry> entries = crl.getRevokedCertificates();
        Set<BigInteger> serials = new HashSet<>();
        if (entries != null) {
          for (X509CRLEntry entry : entries) {
            serials.add(entry.getSerialNumber());
          }
        }
        long nextUpdate =
            crl.getNextUpdate() == null ? Long.MAX_VALUE : crl.getNextUpdate().getTime();
        X500Principal issuer = crl.getIssuerX500Principal();
        byIssuer.merge(issuer, new Issuer(issuer.getName(), serials, nextUpdate), (old, added) -> {
          // Two lists of one CA (an old one not yet removed): a serial in either is revoked, and
          // the newer promise of an update decides staleness.
          Set<BigInteger> union = new HashSet<>(old.serials);
          union.addAll(added.serials);
          return new Issuer(old.name, union, Math.max(old.nextUpdateMillis, nextUpdate));
        });
        statuses.add(new CrlStatus(file, issuer.getName(), crl.getThisUpdate().toInstant(),
            Optional.ofNullable(crl.getNextUpdate()).map(java.util.Date::toInstant),
            serials.size()));
      }
    }
    return new RevocationLists(
        Map.copyOf(byIssuer), Map.copyOf(anchors), List.copyOf(statuses), acceptStale);
  }

  /** True when no list is configured. */
  boolean isEmpty() {
    return byIssuer.isEmpty();
  }

  /** Returns each list as loaded, in file order. */
  List<CrlStatus> statuses() {
    return statuses;
  }

  /**
   * Checks a client chain that PKIX verification accepted (or a resumed session's chain).
   *
   * @param chain the client's chain, leaf first
   * @param nowMillis the wall clock, for staleness
   * @throws RevocationException if a certificate in it, or a client CA above it, is revoked, or
   *     (unless stale lists are accepted) covered by a list past its next update
   */
  void check(X509Certificate[] chain, long nowMillis) throws RevocationException {
    if (byIssuer.isEmpty() || chain == null || chain.length == 0) {
      return;
    }
    for (X509Certificate certificate : chain) {
      check(certificate, nowMillis);
    }
    X509Certificate top = chain[chain.length - 1];
    for (int depth = 0; depth < MAX_ANCHOR_DEPTH && !isSelfIssued(top); depth++) {
      X509Certificate anchor = anchorsBySubject.get(top.getIssuerX500Principal());
      if (anchor == null) {
        return;
      }
      check(anchor, nowMillis);
      top = anchor;
    }
  }

  private void check(X509Certificate certificate, long nowMillis) throws RevocationException {
    if (isSelfIssued(certificate)) {
      // A root cannot be revoked by a list it signs itself.
      return;
    }
    Issuer issuer = byIssuer.get(certificate.getIssuerX500Principal());
    if (issuer == null) {
      return;
    }
    if (issuer.serials.contains(certificate.getSerialNumber())) {
      throw RevocationException.revoked("certificate revoked: serial "
          + certificate.getSerialNumber().toString(16) + " issuer " + issuer.name);
    }
    if (!acceptStale && nowMillis >= issuer.nextUpdateMillis) {
      throw RevocationException.stale("revocation list of " + issuer.name
          + " is stale: its next update was due at " + Instant.ofEpochMilli(issuer.nextUpdateMillis)
          + "; refusing serial " + certificate.getSerialNumber().toString(16)
          + " (acceptStaleCrls accepts stale lists)");
    }
  }

  private static boolean isSelfIssued(X509Certificate certificate) {
    return certificate.getIssuerX500Principal().equals(certificate.getSubjectX500Principal());
  }

  private static List<X509CRL> read(Path file, byte[] content) {
    List<X509CRL> crls = new ArrayList<>();
    CertificateFactory factory;
    try {
      factory = CertificateFactory.getInstance("X.509");
    } catch (CertificateException e) {
      throw new IllegalStateException("every JDK reads X.509 revocation lists", e);
    }
    if (isPem(content)) {
      for (Pem.Block block : Pem.blocks("crls", file, content)) {
        if (block.label().equals(PEM_LABEL)) {
          crls.add(parseOne(factory, file, block.der(), crls.size() + 1));
        }
      }
    } else {
      try {
        for (CRL crl : factory.generateCRLs(new ByteArrayInputStream(content))) {
          crls.add((X509CRL) crl);
        }
      } catch (CRLException | RuntimeException e) {
        throw Pem.fail("crls", file, "not a PEM or DER revocation list: " + oneLine(e), e);
      }
    }
    if (crls.isEmpty()) {
      throw Pem.fail("crls", file, "no revocation list found", null);
    }
    return crls;
  }

  private static X509CRL parseOne(CertificateFactory factory, Path file, byte[] der, int number) {
    try {
      return (X509CRL) factory.generateCRL(new ByteArrayInputStream(der));
    } catch (CRLException | RuntimeException e) {
      throw Pem.fail("crls", file,
          "revocation list " + number + " does not parse: " + oneLine(e), e);
    }
  }

  // DER starts with a SEQUENCE tag; anything else is read as PEM text, which reports what is wrong.
  private static boolean isPem(byte[] content) {
    return content.length == 0 || content[0] != 0x30;
  }

  private static void checkSignedByClientCa(
      Path file, X509CRL crl, List<X509Certificate> clientCas) {
    X500Principal issuer = crl.getIssuerX500Principal();
    for (X509Certificate ca : clientCas) {
      if (!ca.getSubjectX500Principal().equals(issuer)) {
        continue;
      }
      try {
        crl.verify(ca.getPublicKey());
      } catch (GeneralSecurityException | RuntimeException e) {
        continue;
      }
      boolean[] keyUsage = ca.getKeyUsage();
      if (keyUsage != null && (keyUsage.length <= CRL_SIGN || !keyUsage[CRL_SIGN])) {
        throw Pem.fail("crls", file, "the list of " + issuer.getName()
            + " is signed by a client CA whose key usage does not allow cRLSign", null);
      }
      return;
    }
    throw Pem.fail("crls", file, "the list of " + issuer.getName()
        + " is not signed by a certificate in clientCa", null);
  }

  private static String oneLine(Exception e) {
    String message = e.getMessage();
    return message == null ? e.getClass().getSimpleName() : message.replace('\n', ' ');
  }
}
