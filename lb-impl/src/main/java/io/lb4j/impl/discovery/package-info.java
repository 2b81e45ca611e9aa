/**
 * Hosts that come from DNS: {@link io.lb4j.impl.discovery.DnsDiscovery}, the built-in
 * {@link io.lb4j.api.HostSource}, and {@link io.lb4j.impl.discovery.DiscoveryStatus}, how an
 * upstream's discovery fares.
 */
package io.lb4j.impl.discovery;
