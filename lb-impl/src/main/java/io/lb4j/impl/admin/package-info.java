/**
 * What an operator reads and orders through {@link io.lb4j.impl.Admin}: the views of upstreams and
 * hosts, and a host's administrative state, kept apart from its health.
 */
package io.lb4j.impl.admin;
