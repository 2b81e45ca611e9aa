/**
 * Certificate fixtures made at run time with BouncyCastle: a CA ({@link
 * io.lb4j.testkit.pki.TestPki}), server and client certificates, and the bad ones a mutual-TLS
 * server must refuse (expired, not yet valid, wrong key usage, self-signed, another CA's), as
 * PEM files, key stores or JDK TLS contexts. The reference server's demo mode uses the same code.
 */
package io.lb4j.testkit.pki;
