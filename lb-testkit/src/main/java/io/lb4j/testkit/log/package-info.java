/**
 * What a test's code logs: {@link io.lb4j.testkit.log.LogCapture} keeps the lines slf4j-simple
 * writes, so a test can assert that a warning was (or was not) given.
 */
package io.lb4j.testkit.log;
