/**
 * Mutual TLS for lb4j: {@link io.lb4j.tls.PemTlsContextFactory} serves PEM certificate material
 * under the {@link io.lb4j.tls.TlsPolicy} on BoringSSL or the JDK's TLS ({@link
 * io.lb4j.tls.TlsEngine}), verifies client certificates, reads client identities and reloads the
 * material when its files change.
 */
package io.lb4j.tls;
