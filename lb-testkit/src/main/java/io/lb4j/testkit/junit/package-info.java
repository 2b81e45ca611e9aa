/**
 * JUnit 5 helpers for tests of lb4j and of applications embedding it. They need
 * {@code junit-jupiter-api} on the test class path (the testkit declares it optional).
 */
package io.lb4j.testkit.junit;
