/**
 * The API of lb4j: value types and the service-provider interfaces, on the JDK alone.
 *
 * <p>The module name equals the {@code Automatic-Module-Name} in this jar's manifest, so a class-path
 * user and a module-path user name it the same way.
 */
module io.lb4j.api {
  // Parses the subject distinguished name of a certificate (LdapName).
  requires java.naming;

  exports io.lb4j.api;
}
