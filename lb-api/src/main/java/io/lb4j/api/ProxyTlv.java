package io.lb4j.api;

/**
 * lb4j's own TLVs of a PROXY protocol v2 header, in the range the specification leaves to
 * applications (0xE0 to 0xEF). Each carries one fact of the client's verified identity or of the
 * connection; {@code docs/server.md} gives the encoding of each. lb4j uses types 0xE0 to 0xE7; an
 * embedder's {@link ProxyTlvSource} uses 0xE8 to 0xEF.
 *
 * <p>The standard TLVs (the authority, the unique id and the SSL TLV) are always sent with v2;
 * which of these are sent is chosen per upstream with {@link ProxyProtocol#withTlvs}.
 */
public enum ProxyTlv {
  /** The client certificate's URI subject alternative names, the first SPIFFE ID first. */
  URIS(0xE0),
  /** The client certificate's DNS subject alternative names. */
  DNS_NAMES(0xE1),
  /** The client's groups: the organisational units (OU) of its certificate's subject. */
  GROUPS(0xE2),
  /** The SHA-256 fingerprint of the client certificate: 32 bytes. */
  FINGERPRINT(0xE3),
  /** The name of the upstream the client was routed to. */
  UPSTREAM(0xE4),
  /** The client's leaf certificate, DER-encoded; not sent unless asked for. */
  CLIENT_CERTIFICATE(0xE5);

  private final int type;

  ProxyTlv(int type) {
    this.type = type;
  }

  /**
   * Returns the name a configuration gives this TLV: the constant's name in camel case, as
   * {@code uris}, {@code dnsNames}, {@code clientCertificate}.
   */
  public String configName() {
    String[] words = name().toLowerCase(java.util.Locale.ROOT).split("_");
    StringBuilder b = new StringBuilder(words[0]);
    for (int i = 1; i < words.length; i++) {
      b.append(Character.toUpperCase(words[i].charAt(0))).append(words[i], 1, words[i].length());
    }
    return b.toString();
  }

  /**
   * Returns the TLV a configuration names.
   *
   * @param configName as {@link #configName()} gives it
   * @return the TLV
   * @throws InvalidSettingException if no TLV has that name (setting {@code proxyTlvs})
   */
  public static ProxyTlv named(String configName) {
    for (ProxyTlv t : values()) {
      if (t.configName().equals(configName)) {
        return t;
      }
    }
    java.util.List<String> names = new java.util.ArrayList<>();
    for (ProxyTlv t : values()) {
      names.add(t.configName());
    }
    throw InvalidSettingException.of(
        "proxyTlvs", configName, "must be one of " + names + " but was '" + configName + "'");
  }

  /** Returns the TLV's type byte, from 0xE0 to 0xE7. */
  public int type() {
    return type;
  }
}
