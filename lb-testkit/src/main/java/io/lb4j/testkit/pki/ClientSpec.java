package io.lb4j.testkit.pki;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.security.auth.x500.X500Principal;

/**
 * What a client certificate from {@link TestPki#client(ClientSpec)} should say: the identity
 * lb4j extracts from it and how to make it.
 *
 * <pre>{@code
 * IssuedCertificate alice = pki.client(ClientSpec.commonName("alice")
 *     .groups("ops", "dev")                       // OU=ops, OU=dev
 *     .uris("spiffe://lb4j.test/alice")
 *     .keyType(KeyType.RSA_2048)
 *     .build());
 * }</pre>
 *
 * <p>The subject is {@code CN=<commonName>, OU=<each group>, O=lb4j test}, unless the spec was
 * started from a {@linkplain #subject(String) raw subject}, which is written as given: the way to
 * make the subjects a builder of names cannot, such as a multi-valued RDN
 * ({@code OU=ops+CN=bob}), several CNs, none, or escaped characters. Without
 * {@link Builder#validity validity} the certificate is valid from an hour before it is issued
 * until a day after; without a {@link Builder#keyType key type} it has an EC P-256 key.
 *
 * <p>Immutable and thread-safe; the builder is not thread-safe.
 */
public final class ClientSpec {

  private final String commonName;
  private final String subject;
  private final List<String> groups;
  private final List<String> dnsNames;
  private final List<String> uris;
  private final Instant notBefore;
  private final Instant notAfter;
  private final KeyType keyType;
  private final boolean serverAuthOnly;
  private final String ocspResponder;

  private ClientSpec(Builder b) {
    this.commonName = b.commonName;
    this.subject = b.subject;
    this.groups = b.groups;
    this.dnsNames = b.dnsNames;
    this.uris = b.uris;
    this.notBefore = b.notBefore;
    this.notAfter = b.notAfter;
    this.keyType = b.keyType;
    this.serverAuthOnly = b.serverAuthOnly;
    this.ocspResponder = b.ocspResponder;
  }

  /**
   * Starts a spec for a client called {@code commonName}.
   *
   * @param commonName the subject's CN, not blank
   * @return a builder with every other setting at its default
   * @throws NullPointerException if {@code commonName} is null
   * @throws IllegalArgumentException if {@code commonName} is blank
   */
  public static Builder commonName(String commonName) {
    return new Builder(notBlank("commonName", commonName), null);
  }

  /**
   * Starts a spec whose subject is exactly {@code subject}, a distinguished name in RFC 2253 text
   * (most specific RDN first; {@code +} joins the attributes of a multi-valued RDN; RFC 1779
   * quotes are accepted too), as {@link X500Principal#X500Principal(String)}
   * reads it. Nothing is added: no {@code O=lb4j test}, and no CN unless the text has one.
   *
   * <pre>{@code
   * pki.client(ClientSpec.subject("OU=ops+CN=bob").build());
   * }</pre>
   *
   * @param subject the whole subject, for example {@code "OU=ops+CN=bob, O=lb4j test"}
   * @return a builder with every other setting at its default; it takes no {@link Builder#groups}
   * @throws NullPointerException if {@code subject} is null
   * @throws IllegalArgumentException if {@code subject} is not a distinguished name
   */
  public static Builder subject(String subject) {
    Objects.requireNonNull(subject, "subject");
    try {
      new X500Principal(subject);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "subject must be a distinguished name but was '" + subject + "': " + e.getMessage(), e);
    }
    return new Builder(null, subject);
  }

  /**
   * Returns the subject's common name as given to {@link #commonName(String)}, or the empty string
   * for a spec started from a {@linkplain #subject(String) raw subject}.
   */
  public String commonName() {
    return commonName == null ? "" : commonName;
  }

  /**
   * Returns the raw subject this spec was started from, or empty when the subject is made from
   * the common name and the groups.
   */
  public Optional<String> subject() {
    return Optional.ofNullable(subject);
  }

  /** Returns the groups, each an OU attribute of the subject, in the order given. */
  public List<String> groups() {
    return groups;
  }

  /** Returns the DNS names of the subject alternative name extension. */
  public List<String> dnsNames() {
    return dnsNames;
  }

  /** Returns the URIs of the subject alternative name extension, as SPIFFE IDs are carried. */
  public List<String> uris() {
    return uris;
  }

  /** Returns the start of validity, or empty for the default (an hour before issuing). */
  public Optional<Instant> notBefore() {
    return Optional.ofNullable(notBefore);
  }

  /** Returns the end of validity, or empty for the default (a day after issuing). */
  public Optional<Instant> notAfter() {
    return Optional.ofNullable(notAfter);
  }

  /** Returns the kind of key the certificate is issued for. */
  public KeyType keyType() {
    return keyType;
  }

  /**
   * Returns whether the certificate's extended key usage is serverAuth only, which a verifying
   * TLS server must refuse for a client; otherwise it is clientAuth.
   */
  public boolean serverAuthOnly() {
    return serverAuthOnly;
  }

  /**
   * Returns the OCSP responder URL the certificate names in its authority information access, if
   * any.
   */
  public Optional<String> ocspResponder() {
    return Optional.ofNullable(ocspResponder);
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof ClientSpec)) {
      return false;
    }
    ClientSpec that = (ClientSpec) o;
    return serverAuthOnly == that.serverAuthOnly
        && Objects.equals(commonName, that.commonName)
        && Objects.equals(subject, that.subject)
        && groups.equals(that.groups)
        && dnsNames.equals(that.dnsNames)
        && uris.equals(that.uris)
        && Objects.equals(notBefore, that.notBefore)
        && Objects.equals(notAfter, that.notAfter)
        && keyType == that.keyType
        && Objects.equals(ocspResponder, that.ocspResponder);
  }

  @Override
  public int hashCode() {
    return Objects.hash(commonName, subject, groups, dnsNames, uris, notBefore, notAfter, keyType,
        serverAuthOnly, ocspResponder);
  }

  @Override
  public String toString() {
    return "ClientSpec[commonName=" + commonName() + ", subject=" + subject + ", groups=" + groups + ", dnsNames="
        + dnsNames + ", uris=" + uris + ", notBefore=" + notBefore + ", notAfter=" + notAfter
        + ", keyType=" + keyType + ", serverAuthOnly=" + serverAuthOnly
        + ", ocspResponder=" + ocspResponder + "]";
  }

  /**
   * Builds a {@link ClientSpec}; each setter checks its argument at once. List setters replace
   * what an earlier call set. Not thread-safe.
   */
  public static final class Builder {

    private final String commonName;
    private final String subject;
    private List<String> groups = List.of();
    private List<String> dnsNames = List.of();
    private List<String> uris = List.of();
    private Instant notBefore;
    private Instant notAfter;
    private KeyType keyType = KeyType.EC_P256;
    private boolean serverAuthOnly;
    private String ocspResponder;

    private Builder(String commonName, String subject) {
      this.commonName = commonName;
      this.subject = subject;
    }

    /**
     * Sets the groups, each written as an OU attribute of the subject.
     *
     * @param groups the group names, none blank
     * @return this builder
     * @throws NullPointerException if the array or an element is null
     * @throws IllegalArgumentException if a name is blank
     * @throws IllegalStateException if the spec was started from a raw subject, which already says
     *     every OU
     */
    public Builder groups(String... groups) {
      if (subject != null) {
        throw new IllegalStateException(
            "groups cannot be added to the raw subject '" + subject + "': write them in it as OU");
      }
      this.groups = allNotBlank("groups", groups);
      return this;
    }

    /**
     * Sets the DNS names of the subject alternative name extension.
     *
     * @param dnsNames the names, none blank
     * @return this builder
     * @throws NullPointerException if the array or an element is null
     * @throws IllegalArgumentException if a name is blank
     */
    public Builder dnsNames(String... dnsNames) {
      this.dnsNames = allNotBlank("dnsNames", dnsNames);
      return this;
    }

    /**
     * Sets the URIs of the subject alternative name extension, such as SPIFFE IDs
     * ({@code spiffe://lb4j.test/alice}).
     *
     * @param uris absolute URIs
     * @return this builder
     * @throws NullPointerException if the array or an element is null
     * @throws IllegalArgumentException if one is not an absolute URI
     */
    public Builder uris(String... uris) {
      List<String> checked = allNotBlank("uris", uris);
      for (String uri : checked) {
        boolean absolute;
        try {
          absolute = new URI(uri).isAbsolute();
        } catch (URISyntaxException e) {
          absolute = false;
        }
        if (!absolute) {
          throw new IllegalArgumentException("uris must be absolute URIs but was '" + uri + "'");
        }
      }
      this.uris = checked;
      return this;
    }

    /**
     * Sets the validity period, which may lie wholly in the past or the future. Certificates keep
     * whole seconds, so sub-second parts are dropped.
     *
     * @param notBefore the first instant of validity
     * @param notAfter the last instant of validity, after {@code notBefore}
     * @return this builder
     * @throws NullPointerException if either is null
     * @throws IllegalArgumentException if {@code notAfter} is not after {@code notBefore}
     */
    public Builder validity(Instant notBefore, Instant notAfter) {
      Objects.requireNonNull(notBefore, "notBefore");
      Objects.requireNonNull(notAfter, "notAfter");
      if (!notAfter.isAfter(notBefore)) {
        throw new IllegalArgumentException("validity must end after it starts but was "
            + notBefore + " to " + notAfter);
      }
      this.notBefore = notBefore;
      this.notAfter = notAfter;
      return this;
    }

    /**
     * Sets the kind of key.
     *
     * @param keyType the key type
     * @return this builder
     * @throws NullPointerException if {@code keyType} is null
     */
    public Builder keyType(KeyType keyType) {
      this.keyType = Objects.requireNonNull(keyType, "keyType");
      return this;
    }

    /**
     * Makes the extended key usage serverAuth only, without clientAuth: a certificate a TLS server
     * must refuse from a client.
     *
     * @return this builder
     */
    public Builder serverAuthOnly() {
      this.serverAuthOnly = true;
      return this;
    }

    /**
     * Names an OCSP responder in the certificate's authority information access extension, as a
     * CA does for a server that checks certificates with OCSP.
     *
     * @param url an absolute URL, typically {@code http://127.0.0.1:<port>}
     * @return this builder
     * @throws NullPointerException if {@code url} is null
     * @throws IllegalArgumentException if it is not an absolute URI
     */
    public Builder ocspResponder(String url) {
      notBlank("ocspResponder", url);
      boolean absolute;
      try {
        absolute = new URI(url).isAbsolute();
      } catch (URISyntaxException e) {
        absolute = false;
      }
      if (!absolute) {
        throw new IllegalArgumentException(
            "ocspResponder must be an absolute URI but was '" + url + "'");
      }
      this.ocspResponder = url;
      return this;
    }

    /**
     * Returns the spec.
     *
     * @return an immutable spec holding the settings made so far
     */
    public ClientSpec build() {
      return new ClientSpec(this);
    }

    private static List<String> allNotBlank(String setting, String[] values) {
      Objects.requireNonNull(values, setting);
      for (String value : values) {
        notBlank(setting, value);
      }
      return List.of(values);
    }
  }

  private static String notBlank(String setting, String value) {
    Objects.requireNonNull(value, setting);
    if (value.isBlank()) {
      throw new IllegalArgumentException(setting + " must not be blank but was '" + value + "'");
    }
    return value;
  }
}
