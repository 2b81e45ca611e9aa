package io.lb4j.api;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Adds an embedder's own TLVs to the PROXY protocol v2 header that lb4j sends to a host, from what
 * lb4j knows of the connection: its verified identity, its upstream, its addresses.
 *
 * <pre>{@code
 * ProxyTlvSource tenant = connection -> List.of(
 *     ProxyTlvSource.Tlv.of(0xE8, tenantOf(connection.identity()).getBytes(UTF_8)));
 * Upstream api = Upstream.builder("api")
 *     .proxyProtocol(ProxyProtocol.v2().withExtraTlvs(tenant))
 *     .build();
 * }</pre>
 *
 * <p>Called once per connection to an upstream whose PROXY protocol is v2, on the connection's
 * event loop, after the client was admitted and before its first byte reaches the host: it must
 * not block, and should be cheap. It may be called from several event loops at once. A source
 * that throws, or whose TLVs make the header longer than the protocol allows (64 KiB), ends that
 * connection with an error in its connection event; nothing reaches the host.
 */
@FunctionalInterface
public interface ProxyTlvSource {

  /**
   * Returns the TLVs to append to the header of one connection.
   *
   * @param connection the connection, routed and authenticated
   * @return the TLVs, in the order to send them; an empty list for none; never null
   */
  List<Tlv> tlvs(ConnectionInfo connection);

  /**
   * One type-length-value entry. Immutable: the value is copied in and out.
   */
  final class Tlv {
    /** The first type an embedder may use. */
    public static final int FIRST_TYPE = 0xE8;
    /** The last type an embedder may use. */
    public static final int LAST_TYPE = 0xEF;

    private final int type;
    private final byte[] value;

    private Tlv(int type, byte[] value) {
      this.type = type;
      this.value = value;
    }

    /**
     * Returns a TLV.
     *
     * @param type from {@link #FIRST_TYPE} to {@link #LAST_TYPE}: the part of the custom range
     *     that lb4j leaves to embedders
     * @param value the value; at most 65,535 bytes
     * @return the TLV
     * @throws InvalidSettingException if the type is outside its range (setting {@code type}) or
     *     the value is too long (setting {@code value})
     */
    public static Tlv of(int type, byte[] value) {
      Objects.requireNonNull(value, "value");
      InvalidSettingException.requireArgument(
          type >= FIRST_TYPE && type <= LAST_TYPE,
          "type",
          type,
          "must be from 0xE8 to 0xEF but was 0x" + Integer.toHexString(type));
      InvalidSettingException.requireArgument(
          value.length <= 0xFFFF,
          "value",
          value.length,
          "must be at most 65535 bytes but was " + value.length);
      return new Tlv(type, value.clone());
    }

    /** Returns the type byte. */
    public int type() {
      return type;
    }

    /** Returns a copy of the value. */
    public byte[] value() {
      return value.clone();
    }

    /** Returns the value's length in bytes. */
    public int length() {
      return value.length;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Tlv other && other.type == type && Arrays.equals(other.value, value);
    }

    @Override
    public int hashCode() {
      return 31 * type + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
      return "Tlv[0x" + Integer.toHexString(type) + ", " + value.length + " bytes]";
    }
  }
}
