package io.lb4j.api;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * The PROXY protocol header lb4j sends to an upstream's hosts: the first bytes a host receives on
 * every connection, before any byte of the client, telling who connected.
 *
 * <pre>{@code
 * Upstream api = Upstream.builder("api")
 *     .hosts(List.of(Host.parse("10.0.0.7:8080")))
 *     .proxyProtocol(ProxyProtocol.v2().withTlvs(EnumSet.of(ProxyTlv.URIS, ProxyTlv.GROUPS)))
 *     .build();
 * }</pre>
 *
 * <p>Version 1 is a text line with the client's and the listener's addresses and ports. Version 2
 * is binary: the same addresses, then TLVs: the server name the client asked for, lb4j's
 * connection id, the standard SSL TLV (protocol, cipher, the client certificate's CN, the
 * listener certificate's algorithms) and lb4j's own {@link ProxyTlv}s, then an embedder's
 * {@link ProxyTlvSource}. {@code docs/server.md} lists every field and its encoding. Health
 * checks of such an upstream send a header too, with the {@code LOCAL} command (v2) or
 * {@code UNKNOWN} family (v1), so a host that requires the header accepts them.
 *
 * <p>Immutable and thread-safe; the {@code with} methods return changed copies.
 */
public final class ProxyProtocol {

  /** The two versions of the PROXY protocol. */
  public enum Version {
    /** The human-readable line: addresses and ports only. */
    V1,
    /** The binary header: addresses, ports and TLVs. */
    V2
  }

  private static final Set<ProxyTlv> DEFAULT_TLVS =
      Set.copyOf(EnumSet.complementOf(EnumSet.of(ProxyTlv.CLIENT_CERTIFICATE)));

  private static final ProxyProtocol V1 = new ProxyProtocol(Version.V1, Set.of(), null);
  private static final ProxyProtocol V2 = new ProxyProtocol(Version.V2, DEFAULT_TLVS, null);

  private final Version version;
  private final Set<ProxyTlv> tlvs;
  private final ProxyTlvSource extraTlvs;

  private ProxyProtocol(Version version, Set<ProxyTlv> tlvs, ProxyTlvSource extraTlvs) {
    this.version = version;
    this.tlvs = tlvs;
    this.extraTlvs = extraTlvs;
  }

  /** Returns version 1: the text line with addresses and ports, and no identity. */
  public static ProxyProtocol v1() {
    return V1;
  }

  /**
   * Returns version 2 with the standard TLVs and every {@link ProxyTlv} except
   * {@link ProxyTlv#CLIENT_CERTIFICATE}.
   */
  public static ProxyProtocol v2() {
    return V2;
  }

  /**
   * Returns a copy that sends exactly these of lb4j's own TLVs (the standard ones are always sent).
   *
   * @param tlvs the TLVs, possibly none
   * @return the copy
   * @throws InvalidSettingException if this is version 1, which has no TLVs (setting
   *     {@code proxyTlvs})
   */
  public ProxyProtocol withTlvs(Set<ProxyTlv> tlvs) {
    Objects.requireNonNull(tlvs, "tlvs");
    requireV2("proxyTlvs", tlvs);
    return new ProxyProtocol(version, Set.copyOf(tlvs), extraTlvs);
  }

  /**
   * Returns a copy that appends the TLVs of {@code source} to each header.
   *
   * @param source the embedder's TLVs, or null for none
   * @return the copy
   * @throws InvalidSettingException if this is version 1, which has no TLVs (setting
   *     {@code extraTlvs})
   */
  public ProxyProtocol withExtraTlvs(ProxyTlvSource source) {
    requireV2("extraTlvs", source);
    return new ProxyProtocol(version, tlvs, source);
  }

  private void requireV2(String setting, Object value) {
    InvalidSettingException.requireArgument(
        version == Version.V2, setting, value, "needs PROXY protocol v2 but the version is v1");
  }

  /** Returns the version. */
  public Version version() {
    return version;
  }

  /** Returns lb4j's own TLVs that are sent; empty for version 1. An immutable set. */
  public Set<ProxyTlv> tlvs() {
    return tlvs;
  }

  /** Returns whether {@code tlv} is sent. */
  public boolean sends(ProxyTlv tlv) {
    return tlvs.contains(tlv);
  }

  /** Returns the embedder's source of extra TLVs, or null when there is none. */
  public ProxyTlvSource extraTlvs() {
    return extraTlvs;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ProxyProtocol other
        && other.version == version
        && other.tlvs.equals(tlvs)
        && Objects.equals(other.extraTlvs, extraTlvs);
  }

  @Override
  public int hashCode() {
    return Objects.hash(version, tlvs, extraTlvs);
  }

  @Override
  public String toString() {
    return "ProxyProtocol[" + version + (version == Version.V2 ? " " + tlvs : "") + "]";
  }
}
