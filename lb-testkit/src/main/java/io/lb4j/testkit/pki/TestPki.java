package io.lb4j.testkit.pki;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.IPAddress;

/**
 * A certificate authority made at run time, and the server and client certificates it issues:
 * good ones, and the bad ones a mutual-TLS server must refuse.
 *
 * <pre>{@code
 * TestPki pki = TestPki.create();
 * IssuedCertificate server = pki.server("localhost", "127.0.0.1");
 * IssuedCertificate alice = pki.client("alice");
 * Path caFile = pki.writeCaPem(dir.resolve("ca.pem"));
 * PemFiles serverFiles = server.writePem(dir, "server");
 * // ... start a server on those files, then connect as alice:
 * SSLSocket socket = (SSLSocket) pki.clientContext(alice).getSocketFactory()
 *     .createSocket("127.0.0.1", port);
 * }</pre>
 *
 * <p>Every subject has {@code O=lb4j test}. Certificates carry subject and authority key
 * identifiers, basic constraints (CA only for the CA) and key usage (digitalSignature, plus
 * keyEncipherment for RSA keys); serial numbers are random. The CA is valid from a week before it
 * was made for a year; server certificates from an hour before issuing for 30 days; client
 * certificates from an hour before issuing for a day. "Now" is the {@link Builder#clock clock}'s.
 *
 * <p>A certificate from another CA is one from another {@code TestPki}; a self-signed one comes
 * from {@link #selfSigned(String)}; a chain through an intermediate CA from
 * {@link #intermediate(String)}. Revocation lists signed by the CA come from {@link #crl}, and are
 * written with {@link #writeCrlPem} or {@link #writeCrlDer}.
 *
 * <p>Thread-safe: issuing only reads the CA and draws from a {@link SecureRandom}. Keys are made
 * with the JDK's providers; BouncyCastle builds and encodes certificates and is never registered
 * as a provider.
 */
public final class TestPki {

  /** The organisation of every subject this class issues for. */
  public static final String ORGANIZATION = "lb4j test";

  private static final List<String> DEFAULT_SERVER_NAMES = List.of("localhost", "127.0.0.1");
  private static final Duration BACKDATE = Duration.ofHours(1);
  private static final Duration CA_BACKDATE = Duration.ofDays(7);
  private static final Duration CA_LIFETIME = Duration.ofDays(365);
  private static final Duration SERVER_LIFETIME = Duration.ofDays(30);
  private static final Duration CLIENT_LIFETIME = Duration.ofDays(1);
  private static final Duration CRL_LIFETIME = Duration.ofDays(30);

  private final Clock clock;
  private final SecureRandom random;
  private final IssuedCertificate ca;
  private final X500Name caName;
  private final X509Certificate root;
  private final AtomicLong crlNumber = new AtomicLong();

  private TestPki(Clock clock, SecureRandom random, IssuedCertificate ca, X500Name caName) {
    this.clock = clock;
    this.random = random;
    this.ca = ca;
    this.caName = caName;
    this.root = ca.chain().get(ca.chain().size() - 1);
  }

  private static TestPki root(String caCommonName, KeyType caKeyType, Clock clock) {
    SecureRandom random = new SecureRandom();
    X500Name name = subject(caCommonName, List.of());
    KeyPair keys = caKeyType.generate(random);
    Instant now = clock.instant();
    Template template = new Template(name, keys.getPublic(), now.minus(CA_BACKDATE),
        now.plus(CA_LIFETIME), true, List.of(), List.of());
    X509Certificate certificate =
        Signer.sign(template, name, keys.getPublic(), keys.getPrivate(), random);
    IssuedCertificate ca =
        new IssuedCertificate(certificate, List.of(certificate), keys.getPrivate());
    return new TestPki(clock, random, ca, name);
  }

  /**
   * Makes a new CA with an EC P-256 key, called {@code lb4j test CA <random hex>} so that two
   * test PKIs are told apart by name as well as by key.
   *
   * @return a new PKI
   */
  public static TestPki create() {
    return builder().build();
  }

  /**
   * Makes a new CA with an EC P-256 key and the common name {@code caCommonName}.
   *
   * @param caCommonName the CA's CN, not blank
   * @return a new PKI
   * @throws IllegalArgumentException if the name is blank
   */
  public static TestPki create(String caCommonName) {
    return builder().caCommonName(caCommonName).build();
  }

  /**
   * Starts a builder, for a CA with another key type or a PKI on a test's clock.
   *
   * @return a builder with every setting at its default
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Issues a client certificate signed by its own key, not by any CA: what a server must refuse
   * as untrusted. EC P-256, extended key usage clientAuth, valid from an hour ago for a day.
   *
   * @param commonName the subject's CN, not blank
   * @return the certificate, its key, and a chain of just itself
   * @throws IllegalArgumentException if the name is blank
   */
  public static IssuedCertificate selfSigned(String commonName) {
    ClientSpec spec = ClientSpec.commonName(commonName).build();
    SecureRandom random = new SecureRandom();
    KeyPair keys = KeyType.EC_P256.generate(random);
    Instant now = Instant.now();
    X500Name name = subject(spec.commonName(), List.of());
    Template template = new Template(name, keys.getPublic(), now.minus(BACKDATE),
        now.plus(CLIENT_LIFETIME), false, List.of(), List.of(KeyPurposeId.id_kp_clientAuth));
    X509Certificate certificate =
        Signer.sign(template, name, keys.getPublic(), keys.getPrivate(), random);
    return new IssuedCertificate(certificate, List.of(certificate), keys.getPrivate());
  }

  /**
   * Returns the certificate of the CA that signs this PKI's certificates: the root for a PKI from
   * {@link #create()}, the intermediate for one from {@link #intermediate(String)}.
   */
  public X509Certificate caCertificate() {
    return ca.certificate();
  }

  /**
   * Returns the self-signed root certificate: the trust anchor for everything this PKI issues,
   * the same as {@link #caCertificate()} unless this PKI is an {@link #intermediate(String)}.
   */
  public X509Certificate rootCertificate() {
    return root;
  }

  /**
   * Returns the signing CA's certificate and key; its chain is the CA certificate alone for a
   * root, and [intermediate, ..., root] for an intermediate.
   */
  public IssuedCertificate ca() {
    return ca;
  }

  /**
   * Makes an intermediate CA signed by this PKI's CA, with a key of the same type, valid from a
   * week ago for a year. The returned PKI issues certificates whose chains run leaf,
   * intermediate, ..., root; it trusts (and writes as {@link #writeCaPem(Path) its CA PEM}) the
   * same root as this one, so a server that trusts only the root must follow the chain.
   *
   * @param commonName the intermediate's CN, not blank
   * @return a PKI sharing this one's root and clock
   * @throws NullPointerException if the name is null
   * @throws IllegalArgumentException if the name is blank
   */
  public TestPki intermediate(String commonName) {
    Objects.requireNonNull(commonName, "commonName");
    if (commonName.isBlank()) {
      throw new IllegalArgumentException(
          "commonName must not be blank but was '" + commonName + "'");
    }
    X500Name name = subject(commonName, List.of());
    KeyPair keys = KeyType.of(ca.privateKey()).generate(random);
    Instant now = clock.instant();
    Template template = new Template(name, keys.getPublic(), now.minus(CA_BACKDATE),
        now.plus(CA_LIFETIME), true, List.of(), List.of());
    X509Certificate certificate = Signer.sign(template, caName, ca.certificate().getPublicKey(),
        ca.privateKey(), random);
    List<X509Certificate> chain = new ArrayList<>();
    chain.add(certificate);
    chain.addAll(ca.chain());
    return new TestPki(clock, random, new IssuedCertificate(certificate, chain, keys.getPrivate()),
        name);
  }

  /**
   * Issues an EC P-256 server certificate; see {@link #server(KeyType, String...)}.
   *
   * @param names subject alternative names; none for {@code localhost} and {@code 127.0.0.1}
   * @return the certificate, its key, and its chain up to the root
   * @throws IllegalArgumentException if a name is blank
   */
  public IssuedCertificate server(String... names) {
    return server(KeyType.EC_P256, names);
  }

  /**
   * Issues a server certificate: extended key usage serverAuth, subject
   * {@code CN=<first name>, O=lb4j test}, valid from an hour ago for 30 days. IP literals among
   * the names become IP address entries of the subject alternative names, the others DNS names.
   *
   * @param keyType the kind of key
   * @param names subject alternative names; none for {@code localhost} and {@code 127.0.0.1}
   * @return the certificate, its key, and its chain up to the root
   * @throws NullPointerException if an argument or name is null
   * @throws IllegalArgumentException if a name is blank
   */
  public IssuedCertificate server(KeyType keyType, String... names) {
    Objects.requireNonNull(keyType, "keyType");
    Objects.requireNonNull(names, "names");
    List<String> all = names.length == 0 ? DEFAULT_SERVER_NAMES : List.of(names);
    List<GeneralName> altNames = new ArrayList<>();
    for (String name : all) {
      if (name.isBlank()) {
        throw new IllegalArgumentException("server names must not be blank but was '" + name + "'");
      }
      altNames.add(IPAddress.isValid(name)
          ? new GeneralName(GeneralName.iPAddress, name)
          : new GeneralName(GeneralName.dNSName, name));
    }
    Instant now = clock.instant();
    return issue(keyType, subject(all.get(0), List.of()), now.minus(BACKDATE),
        now.plus(SERVER_LIFETIME), altNames, KeyPurposeId.id_kp_serverAuth, null);
  }

  /**
   * Issues an EC P-256 client certificate: extended key usage clientAuth, subject
   * {@code CN=<commonName>, O=lb4j test}, valid from an hour ago for a day.
   *
   * @param commonName the subject's CN, not blank
   * @return the certificate, its key, and its chain up to the root
   * @throws IllegalArgumentException if the name is blank
   */
  public IssuedCertificate client(String commonName) {
    return client(ClientSpec.commonName(commonName).build());
  }

  /**
   * Issues a client certificate as {@code spec} describes.
   *
   * @param spec the subject, names, validity, key type and key usage
   * @return the certificate, its key, and its chain up to the root
   * @throws NullPointerException if {@code spec} is null
   */
  public IssuedCertificate client(ClientSpec spec) {
    Objects.requireNonNull(spec, "spec");
    Instant now = clock.instant();
    List<GeneralName> altNames = new ArrayList<>();
    for (String dnsName : spec.dnsNames()) {
      altNames.add(new GeneralName(GeneralName.dNSName, dnsName));
    }
    for (String uri : spec.uris()) {
      altNames.add(new GeneralName(GeneralName.uniformResourceIdentifier, uri));
    }
    X500Name subject = spec.subject()
        .map(raw -> X500Name.getInstance(new X500Principal(raw).getEncoded()))
        .orElseGet(() -> subject(spec.commonName(), spec.groups()));
    return issue(spec.keyType(), subject,
        spec.notBefore().orElse(now.minus(BACKDATE)),
        spec.notAfter().orElse(now.plus(CLIENT_LIFETIME)),
        altNames,
        spec.serverAuthOnly() ? KeyPurposeId.id_kp_serverAuth : KeyPurposeId.id_kp_clientAuth,
        spec.ocspResponder().orElse(null));
  }

  /**
   * Issues the certificate of a delegated OCSP responder of this PKI's CA: extended key usage
   * OCSPSigning only, subject {@code CN=<commonName>, O=lb4j test}, EC P-256, valid from an hour
   * ago for 30 days. Its key may sign OCSP answers about the certificates this CA issues (RFC 6960,
   * 4.2.2.2); a responder certificate from another CA, or without that usage, may not.
   *
   * @param commonName the subject's CN, not blank
   * @return the certificate, its key, and its chain up to the root
   * @throws IllegalArgumentException if the name is blank
   */
  public IssuedCertificate ocspResponder(String commonName) {
    ClientSpec.commonName(commonName).build();
    Instant now = clock.instant();
    return issue(KeyType.EC_P256, subject(commonName, List.of()), now.minus(BACKDATE),
        now.plus(SERVER_LIFETIME), List.of(), KeyPurposeId.id_kp_OCSPSigning, null);
  }

  /**
   * Issues a client certificate that expired a day ago (valid from two days ago until one).
   *
   * @param commonName the subject's CN, not blank
   * @return the certificate, its key, and its chain up to the root
   * @throws IllegalArgumentException if the name is blank
   */
  public IssuedCertificate expiredClient(String commonName) {
    Instant now = clock.instant();
    return client(ClientSpec.commonName(commonName)
        .validity(now.minus(Duration.ofDays(2)), now.minus(Duration.ofDays(1)))
        .build());
  }

  /**
   * Issues a client certificate that becomes valid in a day (valid from one day ahead to two).
   *
   * @param commonName the subject's CN, not blank
   * @return the certificate, its key, and its chain up to the root
   * @throws IllegalArgumentException if the name is blank
   */
  public IssuedCertificate notYetValidClient(String commonName) {
    Instant now = clock.instant();
    return client(ClientSpec.commonName(commonName)
        .validity(now.plus(Duration.ofDays(1)), now.plus(Duration.ofDays(2)))
        .build());
  }

  /**
   * Issues a certificate for a client whose extended key usage is serverAuth only: a TLS server
   * verifying client certificates must refuse it.
   *
   * @param commonName the subject's CN, not blank
   * @return the certificate, its key, and its chain up to the root
   * @throws IllegalArgumentException if the name is blank
   */
  public IssuedCertificate serverOnlyClient(String commonName) {
    return client(ClientSpec.commonName(commonName).serverAuthOnly().build());
  }

  /**
   * Writes the root CA certificate (the trust anchor) as PEM to {@code file}, creating folders as
   * needed and replacing the file in one rename. For a PKI that is not an
   * {@link #intermediate(String)} the root is the CA.
   *
   * @param file where to write
   * @return {@code file}
   * @throws java.io.UncheckedIOException if the file cannot be written
   */
  public Path writeCaPem(Path file) {
    Objects.requireNonNull(file, "file");
    return Pem.write(file, Pem.certificates(List.of(root)), false);
  }

  /**
   * Returns a new PKCS#12 store holding the root CA certificate as a trusted entry (alias
   * {@code ca}), for a JDK {@link TrustManagerFactory}.
   *
   * @return a loaded key store with no password
   */
  public KeyStore trustStore() {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setCertificateEntry("ca", root);
      return store;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build a PKCS12 trust store", e);
    }
  }

  /**
   * Returns a JDK TLS context for a client that presents {@code client} and trusts servers whose
   * certificates chain to this PKI's root. The client presents its certificate whenever the
   * server accepts its key type, even when the server names other issuers, so tests see how a
   * server treats a certificate it should refuse (expired, wrong CA, wrong key usage).
   *
   * <p>Hostnames are not checked unless the socket or engine asks for it with
   * {@code SSLParameters.setEndpointIdentificationAlgorithm("HTTPS")}.
   *
   * @param client the certificate and key to present; may be from another PKI
   * @return a new context for TLS 1.3 and 1.2
   * @throws NullPointerException if {@code client} is null
   */
  public SSLContext clientContext(IssuedCertificate client) {
    Objects.requireNonNull(client, "client");
    return context(new PresentingKeyManager(client));
  }

  /**
   * Returns a JDK TLS context for a client without a certificate that trusts servers whose
   * certificates chain to this PKI's root.
   *
   * @return a new context for TLS 1.3 and 1.2
   */
  public SSLContext clientContext() {
    return context(null);
  }

  /**
   * Returns a JDK TLS context for a server that presents {@code server} and trusts client
   * certificates that chain to this PKI's root. Whether a client certificate is asked for is the
   * socket's or engine's setting ({@code setNeedClientAuth(true)}).
   *
   * @param server the certificate and key to present
   * @return a new context for TLS 1.3 and 1.2
   * @throws NullPointerException if {@code server} is null
   */
  public SSLContext serverContext(IssuedCertificate server) {
    Objects.requireNonNull(server, "server");
    return context(new PresentingKeyManager(server));
  }

  /**
   * Issues a revocation list signed by this PKI's CA (the intermediate for a PKI from
   * {@link #intermediate(String)}), issued an hour ago and due for its next update in 30 days.
   *
   * @param revokedSerials the serial numbers it revokes, for example
   *     {@code alice.certificate().getSerialNumber()}; none for an empty list
   * @return the signed list
   */
  public X509CRL crl(BigInteger... revokedSerials) {
    Instant now = clock.instant();
    return crl(List.of(revokedSerials), now.minus(BACKDATE), now.plus(CRL_LIFETIME));
  }

  /**
   * Issues a revocation list signed by this PKI's CA, with an authority key identifier and a CRL
   * number; every entry is dated {@code thisUpdate} with reason keyCompromise. A list whose
   * {@code nextUpdate} is past is stale.
   *
   * @param revokedSerials the serial numbers it revokes; may be empty, may be large
   * @param thisUpdate when it claims to be issued
   * @param nextUpdate when it promises the next list, after {@code thisUpdate}
   * @return the signed list
   * @throws IllegalArgumentException if {@code nextUpdate} is not after {@code thisUpdate}
   */
  public X509CRL crl(Collection<BigInteger> revokedSerials, Instant thisUpdate,
      Instant nextUpdate) {
    Objects.requireNonNull(revokedSerials, "revokedSerials");
    Objects.requireNonNull(thisUpdate, "thisUpdate");
    Objects.requireNonNull(nextUpdate, "nextUpdate");
    if (!nextUpdate.isAfter(thisUpdate)) {
      throw new IllegalArgumentException("nextUpdate must be after thisUpdate (" + thisUpdate
          + ") but was " + nextUpdate);
    }
    try {
      Date revoked = Date.from(thisUpdate);
      X509v2CRLBuilder builder = new X509v2CRLBuilder(caName, revoked);
      builder.setNextUpdate(Date.from(nextUpdate));
      for (BigInteger serial : revokedSerials) {
        builder.addCRLEntry(serial, revoked, CRLReason.keyCompromise);
      }
      builder.addExtension(Extension.authorityKeyIdentifier, false,
          new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(ca.certificate().getPublicKey()));
      builder.addExtension(Extension.cRLNumber, false,
          new CRLNumber(BigInteger.valueOf(crlNumber.incrementAndGet())));
      return new JcaX509CRLConverter().getCRL(builder.build(
          new JcaContentSignerBuilder(KeyType.of(ca.privateKey()).signatureAlgorithm())
              .setSecureRandom(random).build(ca.privateKey())));
    } catch (GeneralSecurityException | OperatorCreationException | CertIOException e) {
      throw new IllegalStateException("cannot sign a revocation list for " + caName, e);
    }
  }

  /**
   * Writes revocation lists to {@code file} as PEM ({@code BEGIN X509 CRL} blocks, in order),
   * replacing it at once as {@link #writeCaPem(Path)} does.
   *
   * @return {@code file}
   * @throws java.io.UncheckedIOException if the file cannot be written
   */
  public static Path writeCrlPem(Path file, X509CRL... crls) {
    Objects.requireNonNull(file, "file");
    return Pem.write(file, Pem.crls(List.of(crls)), false);
  }

  /**
   * Writes revocation lists to {@code file} as DER, one after another, replacing it at once.
   *
   * @return {@code file}
   * @throws java.io.UncheckedIOException if the file cannot be written
   */
  public static Path writeCrlDer(Path file, X509CRL... crls) {
    Objects.requireNonNull(file, "file");
    ByteArrayOutputStream der = new ByteArrayOutputStream();
    for (X509CRL crl : crls) {
      der.writeBytes(Pem.der(crl));
    }
    return Pem.write(file, der.toByteArray(), false);
  }

  /** Returns the CA's subject name. */
  @Override
  public String toString() {
    return "TestPki[" + ca.certificate().getSubjectX500Principal().getName() + "]";
  }

  private SSLContext context(KeyManager keyManager) {
    try {
      TrustManagerFactory trust = TrustManagerFactory.getInstance("PKIX");
      trust.init(trustStore());
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keyManager == null ? null : new KeyManager[] {keyManager},
          trust.getTrustManagers(), random);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK cannot make a TLS context", e);
    }
  }

  private IssuedCertificate issue(KeyType keyType, X500Name subject, Instant notBefore,
      Instant notAfter, List<GeneralName> altNames, KeyPurposeId purpose, String ocspResponder) {
    KeyPair keys = keyType.generate(random);
    Template template = new Template(subject, keys.getPublic(), notBefore, notAfter, false,
        altNames, List.of(purpose), ocspResponder);
    X509Certificate certificate = Signer.sign(template, caName, ca.certificate().getPublicKey(),
        ca.privateKey(), random);
    List<X509Certificate> chain = new ArrayList<>();
    chain.add(certificate);
    chain.addAll(ca.chain());
    return new IssuedCertificate(certificate, chain, keys.getPrivate());
  }

  // Encoded most general first (O, then OUs, then CN), so RFC 2253 text, which reverses the
  // encoding, reads CN=..., OU=<first group>, ..., O=lb4j test.
  private static X500Name subject(String commonName, List<String> groups) {
    X500NameBuilder name = new X500NameBuilder(BCStyle.INSTANCE);
    name.addRDN(BCStyle.O, ORGANIZATION);
    for (int i = groups.size() - 1; i >= 0; i--) {
      name.addRDN(BCStyle.OU, groups.get(i));
    }
    name.addRDN(BCStyle.CN, commonName);
    return name.build();
  }

  /**
   * Builds a {@link TestPki}; each setter checks its argument at once. Not thread-safe.
   *
   * <pre>{@code
   * TestPki pki = TestPki.builder()
   *     .caCommonName("staging CA")
   *     .caKeyType(KeyType.RSA_2048)
   *     .clock(Clock.fixed(Instant.parse("2030-01-01T00:00:00Z"), ZoneOffset.UTC))
   *     .build();
   * }</pre>
   */
  public static final class Builder {

    private String caCommonName;
    private KeyType caKeyType = KeyType.EC_P256;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /**
     * Sets the CA's common name; by default {@code lb4j test CA <8 random hex digits>}.
     *
     * @param caCommonName the CN, not blank
     * @return this builder
     * @throws NullPointerException if the name is null
     * @throws IllegalArgumentException if the name is blank
     */
    public Builder caCommonName(String caCommonName) {
      Objects.requireNonNull(caCommonName, "caCommonName");
      if (caCommonName.isBlank()) {
        throw new IllegalArgumentException(
            "caCommonName must not be blank but was '" + caCommonName + "'");
      }
      this.caCommonName = caCommonName;
      return this;
    }

    /**
     * Sets the kind of the CA's key, which also decides the signature algorithm of everything it
     * issues; by default EC P-256.
     *
     * @param caKeyType the key type
     * @return this builder
     * @throws NullPointerException if {@code caKeyType} is null
     */
    public Builder caKeyType(KeyType caKeyType) {
      this.caKeyType = Objects.requireNonNull(caKeyType, "caKeyType");
      return this;
    }

    /**
     * Sets the clock that says "now" for every validity period; by default the system's UTC
     * clock. A fixed clock makes certificates that are valid or not at a chosen time.
     *
     * @param clock the clock
     * @return this builder
     * @throws NullPointerException if {@code clock} is null
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Makes the CA.
     *
     * @return a new PKI
     */
    public TestPki build() {
      String name = caCommonName;
      if (name == null) {
        byte[] suffix = new byte[4];
        new SecureRandom().nextBytes(suffix);
        name = "lb4j test CA " + HexFormat.of().formatHex(suffix);
      }
      return root(name, caKeyType, clock);
    }
  }
}
