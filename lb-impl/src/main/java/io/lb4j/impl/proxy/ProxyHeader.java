package io.lb4j.impl.proxy;

import io.lb4j.api.ClientIdentity;
import io.lb4j.api.ConnectionInfo;
import io.lb4j.api.ProxyProtocol;
import io.lb4j.api.ProxyTlv;
import io.lb4j.api.ProxyTlvSource;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.handler.codec.haproxy.HAProxySSLTLV;
import io.netty.handler.codec.haproxy.HAProxyTLV;
import io.netty.util.NetUtil;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * The PROXY protocol header of one connection to a host, built with Netty's codec-haproxy types.
 * Written by hand here, because the codec lacks them: the v1 {@code UNKNOWN} line (its encoder
 * needs addresses), named constants for the unique id (0x05) and the SSL sub-types 0x23 to 0x25
 * (they travel as {@code OTHER} with their type byte), and everything lb4j-specific: which TLVs
 * an upstream sends, their encodings, and the size check of the whole header.
 *
 * <p>Stateless; called on event loops.
 */
public final class ProxyHeader {

  static final byte PP2_TYPE_UNIQUE_ID = 0x05;
  static final byte PP2_SUBTYPE_SSL_CIPHER = 0x23;
  static final byte PP2_SUBTYPE_SSL_SIG_ALG = 0x24;
  static final byte PP2_SUBTYPE_SSL_KEY_ALG = 0x25;
  static final byte PP2_CLIENT_SSL = 0x01;
  static final byte PP2_CLIENT_CERT_CONN = 0x02;
  static final byte PP2_CLIENT_CERT_SESS = 0x04;

  /** What a v1 header says when the addresses cannot be given; a receiver then uses its own. */
  private static final byte[] V1_UNKNOWN = "PROXY UNKNOWN\r\n".getBytes(StandardCharsets.US_ASCII);

  /** The v2 header's length field counts the addresses and TLVs in 16 bits. */
  private static final int V2_MAX_BODY = 0xFFFF;

  private ProxyHeader() {}

  /**
   * What the TLS handshake told about a connection, kept from the handshake to the connect.
   *
   * @param serverName the SNI host name, or null
   * @param protocol for example {@code TLSv1.3}
   * @param cipherSuite the suite's name as the engine reports it
   * @param clientCertificate the client's verified leaf certificate
   * @param localCertificate the certificate lb4j presented, or null if the engine does not say
   * @param certificateOnThisConnection false when the session was resumed, so the certificate was
   *     presented on an earlier connection
   */
  public record TlsFacts(
      String serverName,
      String protocol,
      String cipherSuite,
      X509Certificate clientCertificate,
      X509Certificate localCertificate,
      boolean certificateOnThisConnection) {

    /**
     * Reads the facts out of a session whose handshake has completed.
     *
     * @param acceptedMillis wall-clock time the connection was accepted: a session created in an
     *     earlier second was resumed from an earlier connection
     */
    public static TlsFacts of(SSLSession session, String serverName, long acceptedMillis) {
      X509Certificate client = null;
      try {
        Certificate[] peer = session.getPeerCertificates();
        if (peer.length > 0 && peer[0] instanceof X509Certificate x509) {
          client = x509;
        }
      } catch (SSLPeerUnverifiedException e) {
        // Admission refuses such a client; a header is never built for it.
      }
      Certificate[] local = session.getLocalCertificates();
      X509Certificate own =
          local != null && local.length > 0 && local[0] instanceof X509Certificate x ? x : null;
      return new TlsFacts(
          serverName,
          session.getProtocol(),
          session.getCipherSuite(),
          client,
          own,
          // BoringSSL keeps a session's creation time in whole seconds: compare seconds, so a
          // session resumed within the second it was made counts as made on this connection.
          session.getCreationTime() / 1000 >= acceptedMillis / 1000);
    }
  }

  /** Returns the header of a health check: v2 {@code LOCAL}, or the v1 {@code UNKNOWN} line. */
  public static Object forHealthCheck(ProxyProtocol.Version version) {
    return version == ProxyProtocol.Version.V2
        ? new HAProxyMessage(
            HAProxyProtocolVersion.V2,
            HAProxyCommand.LOCAL,
            HAProxyProxiedProtocol.UNKNOWN,
            null,
            null,
            0,
            0)
        : Unpooled.wrappedBuffer(V1_UNKNOWN);
  }

  /**
   * Returns the header for one connection: an {@link HAProxyMessage} for Netty's encoder, or the
   * bytes of a v1 {@code UNKNOWN} line when an address is not an IP address.
   *
   * @param settings the upstream's PROXY protocol
   * @param info the connection, routed and authenticated; its client address is the one a
   *     balancer in front reported, when there is one
   * @param tls the handshake's facts, or null without TLS
   * @throws IllegalStateException if the v2 header would exceed 64 KiB
   * @throws RuntimeException what the embedder's {@link ProxyTlvSource} threw
   */
  public static Object forConnection(ProxyProtocol settings, ConnectionInfo info, TlsFacts tls) {
    InetAddress source = ip(info.clientAddress());
    InetAddress destination = ip(info.localAddress());
    if (settings.version() == ProxyProtocol.Version.V1) {
      if (source == null || destination == null) {
        return Unpooled.wrappedBuffer(V1_UNKNOWN);
      }
      boolean v4 = source instanceof Inet4Address && destination instanceof Inet4Address;
      return new HAProxyMessage(
          HAProxyProtocolVersion.V1,
          HAProxyCommand.PROXY,
          v4 ? HAProxyProxiedProtocol.TCP4 : HAProxyProxiedProtocol.TCP6,
          text(source, v4),
          text(destination, v4),
          info.clientAddress().getPort(),
          info.localAddress().getPort());
    }
    List<HAProxyTLV> tlvs = tlvs(settings, info, tls);
    int body = 0;
    for (HAProxyTLV t : tlvs) {
      body += 3 + size(t);
    }
    HAProxyMessage message;
    if (source == null || destination == null) {
      message =
          new HAProxyMessage(
              HAProxyProtocolVersion.V2, HAProxyCommand.PROXY, HAProxyProxiedProtocol.UNKNOWN,
              null, null, 0, 0, tlvs);
    } else {
      boolean v4 = source instanceof Inet4Address && destination instanceof Inet4Address;
      body += v4 ? 12 : 36;
      message =
          new HAProxyMessage(
              HAProxyProtocolVersion.V2,
              HAProxyCommand.PROXY,
              v4 ? HAProxyProxiedProtocol.TCP4 : HAProxyProxiedProtocol.TCP6,
              text(source, v4),
              text(destination, v4),
              info.clientAddress().getPort(),
              info.localAddress().getPort(),
              tlvs);
    }
    if (body > V2_MAX_BODY) {
      message.release();
      throw new IllegalStateException(
          "PROXY v2 header of " + body + " bytes after its first 16 exceeds the protocol's "
              + V2_MAX_BODY + "; send fewer TLVs (proxyTlvs) or a shorter extra TLV");
    }
    return message;
  }

  private static int size(HAProxyTLV tlv) {
    if (tlv instanceof HAProxySSLTLV ssl) {
      int n = 5;
      for (HAProxyTLV sub : ssl.encapsulatedTLVs()) {
        n += 3 + sub.content().readableBytes();
      }
      return n;
    }
    return tlv.content().readableBytes();
  }

  private static List<HAProxyTLV> tlvs(ProxyProtocol settings, ConnectionInfo info, TlsFacts tls) {
    List<HAProxyTLV> tlvs = new ArrayList<>(10);
    ClientIdentity identity = info.identity();
    if (tls != null && tls.serverName() != null) {
      tlvs.add(new HAProxyTLV(HAProxyTLV.Type.PP2_TYPE_AUTHORITY, utf8(tls.serverName())));
    }
    tlvs.add(new HAProxyTLV(PP2_TYPE_UNIQUE_ID, ascii(Long.toString(info.id()))));
    if (tls != null) {
      tlvs.add(ssl(identity, tls));
    }
    if (settings.sends(ProxyTlv.URIS) && !identity.uris().isEmpty()) {
      tlvs.add(custom(ProxyTlv.URIS, spiffeFirst(identity.uris())));
    }
    if (settings.sends(ProxyTlv.DNS_NAMES) && !identity.dnsNames().isEmpty()) {
      tlvs.add(custom(ProxyTlv.DNS_NAMES, identity.dnsNames()));
    }
    if (settings.sends(ProxyTlv.GROUPS) && !identity.groups().isEmpty()) {
      tlvs.add(custom(ProxyTlv.GROUPS, identity.groups()));
    }
    if (settings.sends(ProxyTlv.FINGERPRINT) && !identity.sha256Fingerprint().isEmpty()) {
      tlvs.add(
          new HAProxyTLV(
              (byte) ProxyTlv.FINGERPRINT.type(),
              Unpooled.wrappedBuffer(HexFormat.of().parseHex(identity.sha256Fingerprint()))));
    }
    if (settings.sends(ProxyTlv.UPSTREAM) && !info.upstream().isEmpty()) {
      tlvs.add(new HAProxyTLV((byte) ProxyTlv.UPSTREAM.type(), utf8(info.upstream())));
    }
    if (settings.sends(ProxyTlv.CLIENT_CERTIFICATE) && tls != null && tls.clientCertificate() != null) {
      try {
        tlvs.add(
            new HAProxyTLV(
                (byte) ProxyTlv.CLIENT_CERTIFICATE.type(),
                Unpooled.wrappedBuffer(tls.clientCertificate().getEncoded())));
      } catch (CertificateEncodingException e) {
        throw new IllegalStateException("client certificate cannot be encoded", e);
      }
    }
    ProxyTlvSource extra = settings.extraTlvs();
    if (extra != null) {
      List<ProxyTlvSource.Tlv> own = extra.tlvs(info);
      if (own == null) {
        throw new IllegalStateException("the ProxyTlvSource returned null instead of a list");
      }
      for (ProxyTlvSource.Tlv t : own) {
        tlvs.add(new HAProxyTLV((byte) t.type(), Unpooled.wrappedBuffer(t.value())));
      }
    }
    return tlvs;
  }

  private static HAProxySSLTLV ssl(ClientIdentity identity, TlsFacts tls) {
    List<HAProxyTLV> sub = new ArrayList<>(5);
    sub.add(new HAProxyTLV(HAProxyTLV.Type.PP2_TYPE_SSL_VERSION, ascii(tls.protocol())));
    if (!identity.commonName().isEmpty()) {
      sub.add(new HAProxyTLV(HAProxyTLV.Type.PP2_TYPE_SSL_CN, utf8(identity.commonName())));
    }
    sub.add(new HAProxyTLV(PP2_SUBTYPE_SSL_CIPHER, ascii(tls.cipherSuite())));
    X509Certificate own = tls.localCertificate();
    if (own != null) {
      sub.add(new HAProxyTLV(PP2_SUBTYPE_SSL_SIG_ALG, ascii(own.getSigAlgName())));
      sub.add(new HAProxyTLV(PP2_SUBTYPE_SSL_KEY_ALG, ascii(keyAlgorithm(own.getPublicKey()))));
    }
    byte client = PP2_CLIENT_SSL;
    if (tls.clientCertificate() != null) {
      client |= PP2_CLIENT_CERT_SESS;
      if (tls.certificateOnThisConnection()) {
        client |= PP2_CLIENT_CERT_CONN;
      }
    }
    // verify 0: lb4j forwards only clients whose certificate it verified.
    return new HAProxySSLTLV(0, client, sub);
  }

  /** The key's algorithm and size as HAProxy writes them: {@code EC256}, {@code RSA2048}. */
  static String keyAlgorithm(PublicKey key) {
    if (key instanceof RSAPublicKey rsa) {
      return "RSA" + rsa.getModulus().bitLength();
    }
    if (key instanceof ECPublicKey ec) {
      return "EC" + ec.getParams().getCurve().getField().getFieldSize();
    }
    return key.getAlgorithm();
  }

  /** The first SPIFFE ID first, the others in the certificate's order. */
  static List<String> spiffeFirst(List<String> uris) {
    for (int i = 0; i < uris.size(); i++) {
      if (uris.get(i).startsWith("spiffe://")) {
        if (i == 0) {
          return uris;
        }
        List<String> ordered = new ArrayList<>(uris.size());
        ordered.add(uris.get(i));
        for (int j = 0; j < uris.size(); j++) {
          if (j != i) {
            ordered.add(uris.get(j));
          }
        }
        return ordered;
      }
    }
    return uris;
  }

  /** A list as entries of a two-byte big-endian length and that many bytes of UTF-8. */
  private static HAProxyTLV custom(ProxyTlv type, List<String> values) {
    ByteBuf buf = Unpooled.buffer(values.size() * 32);
    for (String v : values) {
      byte[] bytes = v.getBytes(StandardCharsets.UTF_8);
      buf.writeShort(bytes.length);
      buf.writeBytes(bytes);
    }
    return new HAProxyTLV((byte) type.type(), buf);
  }

  private static InetAddress ip(InetSocketAddress address) {
    return address.isUnresolved() ? null : address.getAddress();
  }

  /** The address as the codec wants it: dotted IPv4, or IPv6 (IPv4 mapped when families mix). */
  private static String text(InetAddress address, boolean v4) {
    if (v4) {
      return address.getHostAddress();
    }
    if (address instanceof Inet4Address) {
      return "::ffff:" + address.getHostAddress();
    }
    // No scope id: the header has no room for one.
    return NetUtil.toAddressString(((Inet6Address) address));
  }

  private static ByteBuf utf8(String s) {
    return Unpooled.wrappedBuffer(s.getBytes(StandardCharsets.UTF_8));
  }

  private static ByteBuf ascii(String s) {
    return Unpooled.wrappedBuffer(s.getBytes(StandardCharsets.US_ASCII));
  }
}
