/** A real DNS server for tests: dnsmasq on a loopback port, serving the records a test writes. */
package io.lb4j.testkit.dns;
