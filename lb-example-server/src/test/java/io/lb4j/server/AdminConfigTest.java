package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin section: who may use the API, and no API open to anyone off loopback. */
class AdminConfigTest {

  @TempDir Path dir;

  private static final String TLS = ConfigReaderTest.TLS;
  private static final String ONE_UPSTREAM = ConfigReaderTest.ONE_UPSTREAM;

  private ServerConfig parse(String yaml) {
    return ConfigReader.parse(yaml.getBytes(StandardCharsets.UTF_8), dir.resolve("lb.yaml"), "lb.yaml");
  }

  private void assertRejected(String yaml, String message) {
    assertThatThrownBy(() -> parse(yaml)).isInstanceOf(ConfigException.class).hasMessage(message);
  }

  @Test
  void reusesTheMainTlsSectionWithItsOwnAllowList() {
    ServerConfig c = parse(TLS + ONE_UPSTREAM + """
        admin:
          listen: 0.0.0.0:9090
          tls: main
          allow: ["group:sre", alice]
        """);

    assertThat(c.admin().listen()).isEqualTo(new InetSocketAddress("0.0.0.0", 9090));
    assertThat(c.admin().mainTls()).isTrue();
    assertThat(c.admin().tls()).isNull();
    assertThat(c.admin().allow()).containsExactly("group:sre", "alice");
    assertThat(c.admin().api()).isTrue();
  }

  @Test
  void hasTlsOfItsOwnResolvedBesideTheFile() {
    ServerConfig c = parse(ONE_UPSTREAM + """
        admin:
          listen: 10.0.0.1:9090
          tls:
            certificate: admin.pem
            privateKey: admin-key.pem
            clientCa: ops-ca.pem
          allow: ["group:sre"]
        """);

    assertThat(c.admin().tls().certificate()).isEqualTo(dir.resolve("admin.pem"));
    assertThat(c.admin().tls().clientCa()).isEqualTo(dir.resolve("ops-ca.pem"));
    assertThat(c.admin().authenticated()).isTrue();
  }

  @Test
  void plainListenerOnLoopbackServesTheApi() {
    ServerConfig c = parse(ONE_UPSTREAM + "admin:\n  listen: 127.0.0.1:9090\n");
    assertThat(c.admin().api()).isTrue();
    assertThat(c.admin().authenticated()).isFalse();
  }

  @Test
  void plainListenerElsewhereIsRefusedUnlessTheApiIsOff() {
    assertRejected(ONE_UPSTREAM + "admin:\n  listen: 0.0.0.0:9090\n",
        "lb.yaml: admin.listen: 0.0.0.0:9090 is not a loopback address, and without admin.tls"
            + " anyone who reaches it could change the load balancer: add admin.tls and"
            + " admin.allow, listen on loopback, or set admin.api: false to serve only /metrics"
            + " and /healthz there");

    ServerConfig metricsOnly = parse(ONE_UPSTREAM + "admin:\n  listen: 0.0.0.0:9090\n  api: false\n");
    assertThat(metricsOnly.admin().api()).isFalse();
  }

  @Test
  void allowNeedsTlsAndTlsNeedsAllow() {
    assertRejected(ONE_UPSTREAM + "admin:\n  listen: 127.0.0.1:9090\n  allow: [alice]\n",
        "lb.yaml: admin.allow: needs admin.tls: without it clients have no certificate to be"
            + " recognised by");
    assertRejected(TLS + ONE_UPSTREAM + "admin:\n  listen: 127.0.0.1:9090\n  tls: main\n",
        "lb.yaml: admin.allow: is required with admin.tls: it names who may use the admin API");
  }

  @Test
  void badTlsValuesAreNamed() {
    assertRejected(ONE_UPSTREAM + "admin:\n  listen: 127.0.0.1:9090\n  tls: main\n  allow: [a]\n",
        "lb.yaml: admin.tls: 'main' reuses the top-level tls section, which is not configured");
    assertRejected(TLS + ONE_UPSTREAM + "admin:\n  listen: 127.0.0.1:9090\n  tls: yes-please\n",
        "lb.yaml: admin.tls: 'yes-please' is not 'main' (which reuses the top-level tls section)"
            + " or a mapping of certificate, privateKey and clientCa");
    assertRejected(ONE_UPSTREAM + "admin:\n  listen: 127.0.0.1:9090\n  tls: {certificate: a.pem,"
            + " clientCa: ca.pem}\n  allow: [a]\n",
        "lb.yaml: admin.tls.privateKey: is required");
    assertRejected(ONE_UPSTREAM + "admin:\n  listen: 127.0.0.1:9090\n  tls: {certificate: a.pem,"
            + " privateKey: k.pem, clientCa: ca.pem, colour: red}\n  allow: [a]\n",
        "lb.yaml: admin.tls.colour: unknown field");
    assertRejected(TLS + ONE_UPSTREAM
            + "admin:\n  listen: 127.0.0.1:9090\n  tls: main\n  allow: [\"nope:x\"]\n",
        "lb.yaml: admin.allow[0]: principal 'nope:x' is of an unknown form (use a common name"
            + " such as alice, cn:name, group:name, uri:value or dns:name)");
  }

  @Test
  void serverRefusesAnUnauthenticatedApiOffLoopbackWithExitTwoAndOneLine() throws Exception {
    Path file = Files.writeString(dir.resolve("lb.yaml"),
        ONE_UPSTREAM + "admin:\n  listen: 0.0.0.0:0\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    int status = Main.run(new String[] {"--config", file.toString()},
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));

    assertThat(status).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).hasLineCount(1)
        .startsWith(file + ": admin.listen: 0.0.0.0:0 is not a loopback address");
  }

  @Test
  void effectiveConfigurationHidesRedisPasswords() {
    assertThat(EffectiveConfig.withoutPassword("redis://:s3cret@127.0.0.1:6379/0"))
        .isEqualTo("redis://:***@127.0.0.1:6379/0");
    assertThat(EffectiveConfig.withoutPassword("rediss://lb:s3cret@cache:6380"))
        .isEqualTo("rediss://lb:***@cache:6380");
    assertThat(EffectiveConfig.withoutPassword(
        "redis-sentinel://:s3cret@h1:26379,h2:26379?sentinelMasterId=m"))
        .isEqualTo("redis-sentinel://:***@h1:26379,h2:26379?sentinelMasterId=m");
    assertThat(EffectiveConfig.withoutPassword("redis://127.0.0.1:6379"))
        .isEqualTo("redis://127.0.0.1:6379");
  }
}
