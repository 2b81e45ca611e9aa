/**
 * A real OCSP responder for tests: OpenSSL's {@code openssl ocsp} server ({@link
 * io.lb4j.testkit.ocsp.OpenSslOcspResponder}) over an {@code index.txt} of certificate statuses
 * ({@link io.lb4j.testkit.ocsp.OcspIndex}).
 */
package io.lb4j.testkit.ocsp;
