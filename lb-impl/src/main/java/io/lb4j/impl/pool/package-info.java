/**
 * The hosts of each upstream with their connection counts and health: {@link
 * io.lb4j.impl.pool.HostPool}, its {@link io.lb4j.impl.pool.Lease}s and the constant-time count
 * order. Not exported by lb4j's module: strategies see the pool only through {@link
 * io.lb4j.api.BalancingStrategy.Candidates}, users through {@link
 * io.lb4j.impl.balancing.HostStatus}.
 */
package io.lb4j.impl.pool;
