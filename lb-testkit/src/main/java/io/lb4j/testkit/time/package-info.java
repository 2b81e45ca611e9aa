/**
 * Time for tests: a wall clock that moves only when the test moves it.
 */
package io.lb4j.testkit.time;
