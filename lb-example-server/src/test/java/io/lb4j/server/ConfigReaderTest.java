package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lb4j.api.Defaults;
import io.lb4j.api.HealthCheck;
import io.lb4j.api.Host;
import io.lb4j.impl.OnRevoke;
import io.lb4j.ratelimit.ClientLimit;
import io.lb4j.server.ServerConfig.UpstreamConfig;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import io.lb4j.api.ProxyProtocol;
import io.lb4j.api.ProxyTlv;
import java.util.EnumSet;
import org.junit.jupiter.api.io.TempDir;

class ConfigReaderTest {

  @TempDir Path dir;

  /** A tls section whose files need not exist to be read; shared with AdminConfigTest. */
  static final String TLS = """
      tls:
        certificate: server.pem
        privateKey: server-key.pem
        clientCa: ca.pem
      """;

  /** One plain upstream; shared with AdminConfigTest. */
  static final String ONE_UPSTREAM = """
      upstreams:
        - name: echo
          listen: 127.0.0.1:9443
          hosts: [127.0.0.1:7001]
      """;

  private ServerConfig parse(String yaml) {
    return ConfigReader.parse(yaml.getBytes(StandardCharsets.UTF_8), dir.resolve("lb.yaml"), "lb.yaml");
  }

  private void assertRejected(String yaml, String message) {
    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(ConfigException.class)
        .hasMessage(message);
  }

  @Test
  void readsEveryFieldOfAFullConfiguration() {
    ServerConfig c = parse("""
        tls:
          certificate: certs/server.pem
          privateKey: /etc/lb4j/server-key.pem
          clientCa: ca.pem
          protocols: [TLSv1.3]
          cipherSuites: [TLS_AES_128_GCM_SHA256, ECDHE-ECDSA-AES128-GCM-SHA256]
          handshakeTimeout: 500ms
        upstreams:
          - name: echo
            listen: 127.0.0.1:9443
            serverName: Echo.Local
            strategy: round-robin
            hosts: [127.0.0.1:7001, {address: "[::1]:7002", weight: 3}]
            connectTimeout: 2s
            idleTimeout: 1h
            connectAttempts: 2
            passiveDownTime: 1m
            slowStart: 30s
            healthCheck: {interval: 2s, timeout: 1s, rise: 2, fall: 3}
            allow: [alice, "group:ops"]
        rateLimit:
          default: {connectionsPerSecond: 10, burst: 20, maxConcurrent: 100}
          clients:
            alice: {connectionsPerSecond: 100, burst: 200}
          redis: {uri: "redis://127.0.0.1:6379", failOpen: false, keyPrefix: "lb:", commandTimeout: 100ms}
        admin:
          listen: 127.0.0.1:9090
        drainTimeout: 0s
        """);

    assertThat(c.tls().certificate()).isEqualTo(dir.resolve("certs/server.pem"));
    assertThat(c.tls().privateKey()).isEqualTo(Path.of("/etc/lb4j/server-key.pem"));
    assertThat(c.tls().protocols()).containsExactly("TLSv1.3");
    assertThat(c.tls().cipherSuites()).hasSize(2);
    assertThat(c.tls().handshakeTimeout()).isEqualTo(Duration.ofMillis(500));
    UpstreamConfig u = c.upstreams().get(0);
    assertThat(u.name()).isEqualTo("echo");
    assertThat(u.listen()).isEqualTo(new InetSocketAddress("127.0.0.1", 9443));
    assertThat(u.serverName()).isEqualTo("echo.local");
    assertThat(u.strategy()).isEqualTo("round-robin");
    assertThat(u.hosts()).containsExactly(Host.of("127.0.0.1", 7001), Host.of("::1", 7002));
    assertThat(u.connectTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(u.idleTimeout()).isEqualTo(Duration.ofHours(1));
    assertThat(u.connectAttempts()).isEqualTo(2);
    assertThat(u.passiveDownTime()).isEqualTo(Duration.ofMinutes(1));
    assertThat(u.slowStart()).isEqualTo(Duration.ofSeconds(30));
    assertThat(u.weights()).containsExactly(java.util.Map.entry(Host.of("::1", 7002), 3));
    assertThat(u.toUpstream(null).weight(Host.of("::1", 7002))).isEqualTo(3);
    assertThat(u.toUpstream(null).weight(Host.of("127.0.0.1", 7001))).isEqualTo(1);
    assertThat(u.toUpstream(null).slowStart()).isEqualTo(Duration.ofSeconds(30));
    assertThat(u.healthCheck())
        .isEqualTo(HealthCheck.of(Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3));
    assertThat(u.allow()).containsExactly("alice", "group:ops");
    assertThat(c.rateLimit().limits().defaults())
        .isEqualTo(ClientLimit.rate(10, 20).withMaxConcurrent(100));
    assertThat(c.rateLimit().limits().limitFor("alice")).isEqualTo(ClientLimit.rate(100, 200));
    assertThat(c.rateLimit().redis())
        .isEqualTo(new ServerConfig.RedisConfig(
            "redis://127.0.0.1:6379", null, false, "lb:", Duration.ofMillis(100), null, null));
    assertThat(c.admin().listen()).isEqualTo(new InetSocketAddress("127.0.0.1", 9090));
    assertThat(c.drainTimeout()).isZero();
  }

  @Test
  void leftOutSettingsTakeTheLibraryDefaults() {
    ServerConfig c = parse(TLS + ONE_UPSTREAM);

    UpstreamConfig u = c.upstreams().get(0);
    assertThat(u.connectTimeout()).isEqualTo(Defaults.CONNECT_TIMEOUT);
    assertThat(u.idleTimeout()).isEqualTo(Defaults.IDLE_TIMEOUT);
    assertThat(u.connectAttempts()).isEqualTo(Defaults.CONNECT_ATTEMPTS);
    assertThat(u.passiveDownTime()).isEqualTo(Defaults.PASSIVE_DOWN_TIME);
    assertThat(u.slowStart()).isEqualTo(Defaults.SLOW_START);
    assertThat(u.weights()).isEmpty();
    assertThat(u.strategy()).isEqualTo("least-connections");
    assertThat(u.healthCheck()).isNull();
    assertThat(u.allow()).isEmpty();
    assertThat(u.serverName()).isNull();
    assertThat(c.tls().handshakeTimeout()).isEqualTo(Defaults.HANDSHAKE_TIMEOUT);
    assertThat(c.tls().protocols()).isNull();
    assertThat(c.tls().cipherSuites()).isNull();
    assertThat(c.drainTimeout()).isEqualTo(Defaults.DRAIN_TIMEOUT);
    assertThat(c.rateLimit()).isEqualTo(ServerConfig.RateLimitConfig.NONE);
    assertThat(c.admin()).isNull();
    assertThat(c.ioThreads()).isEqualTo(Runtime.getRuntime().availableProcessors());
  }

  @Test
  void distributionExampleIsValid() {
    // Surefire runs in the module's folder; the archive ships this file as conf/lb.yaml.
    Path example = Path.of("src/dist/conf/lb.yaml").toAbsolutePath();
    ServerConfig c = ConfigReader.read(example, "conf/lb.yaml");

    assertThat(c.tls().clientCa()).isEqualTo(example.resolveSibling("client-ca.pem"));
    assertThat(c.upstreams()).extracting(UpstreamConfig::name).containsExactly("app");
    assertThat(c.admin().listen().getAddress().isLoopbackAddress()).isTrue();
  }

  @Test
  void ioThreadsIsReadAndMustBePositive() {
    assertThat(parse(ONE_UPSTREAM + "ioThreads: 3\n").ioThreads()).isEqualTo(3);
    assertRejected(ONE_UPSTREAM + "ioThreads: 0\n", "lb.yaml: ioThreads: must be at least 1 but was 0");
    assertRejected(ONE_UPSTREAM + "ioThreads: -2\n", "lb.yaml: ioThreads: must be at least 1 but was -2");
    assertRejected(ONE_UPSTREAM + "ioThreads: many\n", "lb.yaml: ioThreads: 'many' is not a whole number");
  }

  @Test
  void changingIoThreadsNeedsARestart() {
    ServerConfig running = parse(ONE_UPSTREAM + "ioThreads: 1\n");

    assertThat(ConfigChanges.needingRestart(running, parse(ONE_UPSTREAM + "ioThreads: 2\n")))
        .containsExactly("ioThreads changed");
    assertThat(ConfigChanges.needingRestart(running, parse(ONE_UPSTREAM + "ioThreads: 1\n"))).isEmpty();
  }

  @Test
  void rateLimitFieldsLeftOutMeanNoSuchLimit() {
    ServerConfig c = parse(ONE_UPSTREAM + """
        rateLimit:
          default: {maxConcurrent: 5}
        """);

    assertThat(c.rateLimit().limits().defaults()).isEqualTo(ClientLimit.concurrent(5));
  }

  @Test
  void portZeroListensOnAnyFreePort() {
    ServerConfig c = parse("""
        upstreams:
          - name: echo
            listen: 127.0.0.1:0
            hosts: []
        """);

    assertThat(c.upstreams().get(0).listen().getPort()).isZero();
    assertThat(c.upstreams().get(0).hosts()).isEmpty();
  }

  @Test
  void twoReadsOfOneFileAreEqual() throws Exception {
    Path file = Files.writeString(dir.resolve("lb.yaml"), TLS + ONE_UPSTREAM);

    assertThat(ConfigReader.read(file, "lb.yaml")).isEqualTo(ConfigReader.read(file, "lb.yaml"));
  }

  // ---- one clear line per mistake

  @Test
  void missingFileIsNamed() {
    assertThatThrownBy(() -> ConfigReader.read(dir.resolve("nope.yaml"), "nope.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("nope.yaml: file not found");
  }

  @Test
  void unknownFieldIsNamedWithItsPathAndTheFieldMeant() {
    assertRejected(TLS + ONE_UPSTREAM + "    conectTimeout: 2s\n",
        "lb.yaml: upstreams[0].conectTimeout: unknown field, did you mean connectTimeout?");
    assertRejected(TLS + ONE_UPSTREAM + "    ConnectAttempt: 2\n",
        "lb.yaml: upstreams[0].ConnectAttempt: unknown field, did you mean connectAttempts?");
  }

  @Test
  void unknownFieldFarFromAnyIsNamedWithTheKnownFields() {
    assertThatThrownBy(() -> parse(TLS + ONE_UPSTREAM + "    retries: 2\n"))
        .hasMessageStartingWith("lb.yaml: upstreams[0].retries: unknown field (known fields:"
            + " acceptProxy, allow, connectAttempts, connectTimeout,");
  }

  @Test
  void unknownTopLevelFieldIsNamed() {
    assertThatThrownBy(() -> parse(ONE_UPSTREAM + "listen: 1\n"))
        .hasMessageStartingWith("lb.yaml: listen: unknown field (known fields: admin, drainTimeout,");
  }

  @Test
  void badDurationIsQuotedWithTheFormsThatWork() {
    assertRejected(ONE_UPSTREAM + "    connectTimeout: 2x\n",
        "lb.yaml: upstreams[0].connectTimeout: '2x' is not a duration (use 500ms, 2s, 1m, 1h)");
  }

  @Test
  void durationWithoutUnitIsRejected() {
    assertRejected(ONE_UPSTREAM + "drainTimeout: 30\n",
        "lb.yaml: drainTimeout: '30' is not a duration (use 500ms, 2s, 1m, 1h)");
  }

  @Test
  void zeroTimeoutIsRejected() {
    assertRejected(ONE_UPSTREAM + "    idleTimeout: 0s\n",
        "lb.yaml: upstreams[0].idleTimeout: must be more than 0 but was '0s'");
  }

  @Test
  void missingRequiredFieldIsNamed() {
    assertRejected("""
        upstreams:
          - name: echo
            hosts: [127.0.0.1:7001]
        """, "lb.yaml: upstreams[0].listen: is required");
  }

  @Test
  void missingTlsFileFieldIsNamed() {
    assertRejected("""
        tls:
          certificate: server.pem
          clientCa: ca.pem
        """ + ONE_UPSTREAM, "lb.yaml: tls.privateKey: is required");
  }

  @Test
  void healthCheckFieldsLeftOutTakeTheLibraryDefaults() {
    ServerConfig c = parse(TLS + ONE_UPSTREAM + "    healthCheck: {rise: 5}\n");

    HealthCheck check = c.upstreams().get(0).healthCheck();
    assertThat(check.rise()).isEqualTo(5);
    assertThat(check.fall()).isEqualTo(Defaults.HEALTH_CHECK_FALL);
    assertThat(check.interval()).isEqualTo(Defaults.HEALTH_CHECK_INTERVAL);
    assertThat(check.timeout()).isEqualTo(Defaults.HEALTH_CHECK_TIMEOUT);
  }

  @Test
  void noUpstreamIsRejected() {
    assertRejected(TLS, "lb.yaml: upstreams: at least one upstream is needed");
  }

  @Test
  void unknownPrincipalFormIsNamedWithItsPath() {
    assertRejected(TLS + ONE_UPSTREAM + "    allow: [alice, \"foo:bar\"]\n",
        "lb.yaml: upstreams[0].allow[1]: principal 'foo:bar' is of an unknown form (use a common"
            + " name such as alice, cn:name, group:name, uri:value or dns:name)");
  }

  @Test
  void allowWithoutTlsIsRejected() {
    assertRejected(ONE_UPSTREAM + "    allow: [alice]\n",
        "lb.yaml: upstreams[0].allow: needs tls: without it clients have no certificate to be"
            + " recognised by");
  }

  @Test
  void cipherSuiteOutsideThePolicyIsNamed() {
    assertThatThrownBy(() -> parse("""
        tls:
          certificate: server.pem
          privateKey: server-key.pem
          clientCa: ca.pem
          cipherSuites: [TLS_AES_128_GCM_SHA256, TLS_RSA_WITH_AES_128_CBC_SHA]
        """ + ONE_UPSTREAM))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(
            "lb.yaml: tls.cipherSuites[1]: TLS_RSA_WITH_AES_128_CBC_SHA is not allowed (allowed: ");
  }

  @Test
  void revocationListIsOneFileOrAListAndTakesItsDefaults() {
    ServerConfig one = parse(TLS + "  crl: ca.crl\n" + ONE_UPSTREAM);
    assertThat(one.tls().crls()).extracting(p -> p.getFileName().toString()).containsExactly("ca.crl");
    assertThat(one.tls().acceptStaleCrls()).isFalse();
    assertThat(one.tls().crlExpiryWarning()).isEqualTo(Defaults.CRL_EXPIRY_WARNING);

    ServerConfig two = parse(TLS
        + "  crl: [a.crl, b.crl]\n  acceptStaleCrl: true\n  crlExpiryWarning: 48h\n" + ONE_UPSTREAM);
    assertThat(two.tls().crls()).extracting(p -> p.getFileName().toString())
        .containsExactly("a.crl", "b.crl");
    assertThat(two.tls().acceptStaleCrls()).isTrue();
    assertThat(two.tls().crlExpiryWarning()).hasHours(48);

    assertThat(parse(TLS + ONE_UPSTREAM).tls().crls()).isEmpty();
  }

  @Test
  void onRevokeIsKeepOrCloseAndKeepByDefault() {
    assertThat(parse(TLS + ONE_UPSTREAM).tls().onRevoke()).isEqualTo(OnRevoke.KEEP);
    assertThat(parse(TLS + "  onRevoke: close\n" + ONE_UPSTREAM).tls().onRevoke())
        .isEqualTo(OnRevoke.CLOSE);
    assertThat(parse(TLS + "  onRevoke: KEEP\n" + ONE_UPSTREAM).tls().onRevoke())
        .isEqualTo(OnRevoke.KEEP);
  }

  @Test
  void onRevokeOtherThanKeepOrCloseIsNamed() {
    assertRejected(TLS + "  onRevoke: drop\n" + ONE_UPSTREAM,
        "lb.yaml: tls.onRevoke: must be keep or close but was 'drop'");
  }

  @Test
  void sessionTicketKeyFileIsResolvedBesideTheConfiguration() {
    assertThat(parse(TLS + "  sessionTicketKeys: keys/tickets.txt\n" + ONE_UPSTREAM)
            .tls().sessionTicketKeys())
        .isEqualTo(dir.resolve("keys/tickets.txt").normalize());
    assertThat(parse(TLS + ONE_UPSTREAM).tls().sessionTicketKeys()).isNull();
  }

  @Test
  void ocspTakesItsDefaultsAndIsOffWithoutTheSection() {
    ServerConfig.OcspConfig hard = parse(TLS + "  ocsp:\n    mode: hard\n" + ONE_UPSTREAM)
        .tls().ocsp();
    assertThat(hard).isEqualTo(new ServerConfig.OcspConfig(io.lb4j.tls.OcspMode.HARD, null,
        Defaults.OCSP_TIMEOUT, Defaults.OCSP_CACHE_MAX));

    ServerConfig.OcspConfig soft = parse(TLS + "  ocsp:\n    mode: SOFT\n"
        + "    responderOverride: http://127.0.0.1:8080/ocsp\n    timeout: 500ms\n"
        + "    cacheMax: 20\n" + ONE_UPSTREAM).tls().ocsp();
    assertThat(soft).isEqualTo(new ServerConfig.OcspConfig(io.lb4j.tls.OcspMode.SOFT,
        java.net.URI.create("http://127.0.0.1:8080/ocsp"), Duration.ofMillis(500), 20));

    assertThat(parse(TLS + ONE_UPSTREAM).tls().ocsp()).isEqualTo(ServerConfig.OcspConfig.OFF);
  }

  @Test
  void badOcspFieldsAreNamed() {
    assertRejected(TLS + "  ocsp:\n    timeout: 1s\n" + ONE_UPSTREAM,
        "lb.yaml: tls.ocsp.mode: is required");
    assertRejected(TLS + "  ocsp:\n    mode: strict\n" + ONE_UPSTREAM,
        "lb.yaml: tls.ocsp.mode: must be off, soft or hard but was 'strict'");
    assertRejected(TLS + "  ocsp:\n    mode: hard\n    responderOverride: ldap://ca\n"
        + ONE_UPSTREAM,
        "lb.yaml: tls.ocsp.responderOverride: must be an http:// or https:// URL but was "
            + "'ldap://ca'");
    assertRejected(TLS + "  ocsp:\n    mode: hard\n    responderOverride: http://a b\n"
        + ONE_UPSTREAM,
        "lb.yaml: tls.ocsp.responderOverride: 'http://a b' is not a URL: Illegal character in "
            + "authority");
    assertRejected(TLS + "  ocsp:\n    mode: hard\n    timeout: 0s\n" + ONE_UPSTREAM,
        "lb.yaml: tls.ocsp.timeout: must be more than 0 but was '0s'");
    assertRejected(TLS + "  ocsp:\n    mode: hard\n    cacheMax: 0\n" + ONE_UPSTREAM,
        "lb.yaml: tls.ocsp.cacheMax: must be at least 1 but was 0");
  }

  @Test
  void blankRevocationListEntryIsNamedWithItsIndex() {
    assertRejected(TLS + "  crl: [a.crl, \" \"]\n" + ONE_UPSTREAM,
        "lb.yaml: tls.crl[1]: must not be blank");
  }

  @Test
  void protocolOutsideThePolicyIsNamed() {
    assertThatThrownBy(() -> parse(TLS + "  protocols: [TLSv1.1]\n" + ONE_UPSTREAM))
        .hasMessageStartingWith("lb.yaml: tls.protocols[0]: TLSv1.1 is not allowed");
  }

  @Test
  void hostThatIsNotHostAndPortIsNamed() {
    assertRejected("""
        upstreams:
          - name: echo
            listen: 127.0.0.1:9443
            hosts: [127.0.0.1:7001, localhost]
        """, "lb.yaml: upstreams[0].hosts[1]: address must be host:port but was 'localhost'");
  }

  @Test
  void readsBandwidthLimitsWithOneSecondOfBurstByDefault() {
    ServerConfig c = parse(ONE_UPSTREAM + """
        rateLimit:
          default: {bytesPerSecond: 1000000}
          clients:
            alice: {bytesPerSecond: 500, bytesBurst: 4096}
        """);

    assertThat(c.rateLimit().limits().defaults())
        .isEqualTo(ClientLimit.unlimited().withBandwidth(1_000_000, 1_000_000));
    assertThat(c.rateLimit().limits().overrides().get("alice"))
        .isEqualTo(ClientLimit.unlimited().withBandwidth(500, 4096));
  }

  @Test
  void bandwidthBurstWithoutARateIsNamed() {
    assertRejected(ONE_UPSTREAM + """
        rateLimit:
          clients:
            alice: {bytesBurst: 4096}
        """, "lb.yaml: rateLimit.clients.alice.bytesBurst: needs bytesPerSecond, which is 0"
            + " (no bandwidth limit), but was 4096");
  }

  @Test
  void hostWeightOutOfRangeIsNamed() {
    assertRejected("""
        upstreams:
          - name: echo
            listen: 127.0.0.1:9443
            hosts: [127.0.0.1:7001, {address: 127.0.0.1:7002, weight: 0}]
        """, "lb.yaml: upstreams[0].hosts[1].weight: must be from 1 to 256 but was 0");
  }

  @Test
  void hostWeightThatIsNotANumberIsNamed() {
    assertRejected("""
        upstreams:
          - name: echo
            listen: 127.0.0.1:9443
            hosts:
              - {address: 127.0.0.1:7002, weight: heavy}
        """, "lb.yaml: upstreams[0].hosts[0].weight: 'heavy' is not a whole number");
  }

  @Test
  void hostMappingWithoutAddressIsNamed() {
    assertRejected("""
        upstreams:
          - name: echo
            listen: 127.0.0.1:9443
            hosts:
              - {weight: 2}
        """, "lb.yaml: upstreams[0].hosts[0].address: is required");
  }

  @Test
  void unknownFieldOfAHostIsNamed() {
    assertThatThrownBy(() -> parse("""
        upstreams:
          - name: echo
            listen: 127.0.0.1:9443
            hosts:
              - {address: 127.0.0.1:7002, wieght: 2}
        """))
        .hasMessageStartingWith("lb.yaml: upstreams[0].hosts[0].wieght: unknown field");
  }

  @Test
  void badAddressInTheMappingFormIsNamed() {
    assertRejected("""
        upstreams:
          - name: echo
            listen: 127.0.0.1:9443
            hosts:
              - {address: localhost, weight: 2}
        """, "lb.yaml: upstreams[0].hosts[0]: address must be host:port but was 'localhost'");
  }

  @Test
  void slowStartThatIsNotADurationIsNamed() {
    assertThatThrownBy(() -> parse(ONE_UPSTREAM + "    slowStart: soon\n"))
        .hasMessageStartingWith("lb.yaml: upstreams[0].slowStart: ");
  }

  @Test
  void listenPortOutOfRangeIsNamed() {
    assertRejected("""
        upstreams:
          - name: echo
            listen: 127.0.0.1:70000
            hosts: []
        """, "lb.yaml: upstreams[0].listen: port must be from 0 to 65535 but was 70000");
  }

  @Test
  void unknownStrategyListsTheKnownOnes() {
    assertRejected(ONE_UPSTREAM + "    strategy: random\n",
        "lb.yaml: upstreams[0].strategy: 'random' is not a strategy (use least-connections,"
            + " round-robin, power-of-two-choices)");
  }

  @Test
  void upstreamNamedTwiceIsRejected() {
    assertRejected(ONE_UPSTREAM + """
          - name: echo
            listen: 127.0.0.1:9444
            hosts: []
        """, "lb.yaml: upstreams[1].name: 'echo' is also the name of upstreams[0]");
  }

  @Test
  void upstreamsSharingAListenerNeedServerNames() {
    assertRejected(TLS + ONE_UPSTREAM + """
          - name: api
            listen: 127.0.0.1:9443
            hosts: []
        """, "lb.yaml: upstreams[1].listen: 127.0.0.1:9443 is also the listener of upstreams[0]"
            + " and neither has a serverName to tell them apart");
  }

  @Test
  void upstreamsOnPortZeroGetAListenerEach() {
    ServerConfig c = parse("""
        upstreams:
          - name: a
            listen: 127.0.0.1:0
            hosts: []
          - name: b
            listen: 127.0.0.1:0
            hosts: []
        """);

    assertThat(c.upstreams()).hasSize(2);
  }

  @Test
  void serverNameUsedTwiceOnOneListenerIsRejected() {
    assertRejected(TLS + """
        upstreams:
          - name: a
            listen: 127.0.0.1:9443
            serverName: x.example
            hosts: []
          - name: b
            listen: 127.0.0.1:9443
            serverName: X.example
            hosts: []
        """, "lb.yaml: upstreams[1].serverName: 'x.example' is also the serverName of upstreams[0]"
            + " on listener 127.0.0.1:9443");
  }

  @Test
  void serverNameWithoutTlsIsRejected() {
    assertRejected(ONE_UPSTREAM + "    serverName: echo.local\n",
        "lb.yaml: upstreams[0].serverName: routing by server name (SNI) needs tls, which is not"
            + " configured");
  }

  @Test
  void wholeNumberFieldRejectsText() {
    assertRejected(ONE_UPSTREAM + "    connectAttempts: three\n",
        "lb.yaml: upstreams[0].connectAttempts: 'three' is not a whole number");
  }

  @Test
  void rateWithoutBurstIsRejected() {
    assertRejected(ONE_UPSTREAM + """
        rateLimit:
          clients:
            alice: {connectionsPerSecond: 5}
        """, "lb.yaml: rateLimit.clients.alice.burst: is required with connectionsPerSecond");
  }

  @Test
  void redisTakesASentinelSetWithLeaseAndInstanceId() {
    ServerConfig c = parse(ONE_UPSTREAM + """
        rateLimit:
          redis:
            uri: "redis-sentinel://:secret@10.0.0.1:26379,10.0.0.2:26379?sentinelMasterId=lb"
            leaseTime: 10s
            instanceId: lb-1
        """);

    assertThat(c.rateLimit().redis()).isEqualTo(new ServerConfig.RedisConfig(
        "redis-sentinel://:secret@10.0.0.1:26379,10.0.0.2:26379?sentinelMasterId=lb", null, null,
        null, null, Duration.ofSeconds(10), "lb-1"));
  }

  @Test
  void redisTakesAClusterOfSeedNodes() {
    ServerConfig c = parse(ONE_UPSTREAM + """
        rateLimit:
          redis:
            cluster: ["redis://10.0.0.1:7000", "rediss://:secret@10.0.0.2:7001"]
        """);

    assertThat(c.rateLimit().redis().cluster())
        .containsExactly("redis://10.0.0.1:7000", "rediss://:secret@10.0.0.2:7001");
    assertThat(c.rateLimit().redis().uri()).isNull();
  }

  @Test
  void redisWithBothUriAndClusterIsRejected() {
    assertRejected(ONE_UPSTREAM + """
        rateLimit:
          redis: {uri: "redis://10.0.0.1:6379", cluster: ["redis://10.0.0.1:7000"]}
        """, "lb.yaml: rateLimit.redis: needs exactly one of uri (a server, or a Sentinel set as"
        + " redis-sentinel://) and cluster (a list of redis:// node URIs)");
  }

  @Test
  void redisClusterNodeThatIsNotRedisIsNamed() {
    assertRejected(ONE_UPSTREAM + """
        rateLimit:
          redis: {cluster: ["http://10.0.0.1:7000"]}
        """, "lb.yaml: rateLimit.redis.cluster: must be a redis://, rediss:// or redis-sentinel://"
        + " URI but was http://10.0.0.1:7000");
  }

  @Test
  void redisLeaseShorterThanASecondIsRejected() {
    assertRejected(ONE_UPSTREAM + """
        rateLimit:
          redis: {uri: "redis://10.0.0.1:6379", leaseTime: 500ms}
        """, "lb.yaml: rateLimit.redis.leaseTime: must be at least 1s but was '500ms'");
  }

  @Test
  void negativeLimitIsNamed() {
    assertRejected(ONE_UPSTREAM + """
        rateLimit:
          default: {maxConcurrent: -1}
        """, "lb.yaml: rateLimit.default.maxConcurrent: must not be negative but was -1");
  }

  @Test
  void fieldWrittenTwiceIsRejected() {
    assertRejected("""
        upstreams:
          - name: echo
            name: again
        """, "lb.yaml: upstreams[0].name: appears twice");
  }

  @Test
  void brokenYamlNamesTheLine() {
    assertThatThrownBy(() -> parse("upstreams:\n  - name: echo\n   listen: 127.0.0.1:1\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("lb.yaml: not valid YAML: line 3, column 4: ")
        .hasMessageNotContaining("\n");
  }

  @Test
  void emptyFileIsRejected() {
    assertRejected("", "lb.yaml: the file is empty");
  }

  @Test
  void listWhereAMappingBelongsIsRejected() {
    assertRejected("- a\n- b\n",
        "lb.yaml: expected a mapping of settings (tls, upstreams, ...) at the top");
  }

  @Test
  void everyMessageIsOneLine() {
    assertThatThrownBy(() -> parse("upstreams: [\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageNotContaining("\n");
  }

  @Test
  void sameHostListInAnotherOrderIsAForwardingChange() {
    UpstreamConfig a = parse(ONE_UPSTREAM).upstreams().get(0);
    UpstreamConfig b = parse(ONE_UPSTREAM.replace("[127.0.0.1:7001]", "[127.0.0.1:7002]"))
        .upstreams().get(0);

    assertThat(ConfigChanges.sameForwarding(a, a)).isTrue();
    assertThat(ConfigChanges.sameForwarding(a, b)).isFalse();
    assertThat(ConfigChanges.describe(a, b)).isEqualTo("upstream echo +127.0.0.1:7002 -127.0.0.1:7001");
  }

  @Test
  void changesOfListenersUpstreamsAndTlsNeedARestart() {
    ServerConfig running = parse(TLS + ONE_UPSTREAM);
    ServerConfig next = parse(TLS.replace("ca.pem", "other-ca.pem") + """
        upstreams:
          - name: api
            listen: 127.0.0.1:9444
            hosts: []
        drainTimeout: 1s
        """);

    assertThat(ConfigChanges.needingRestart(running, next)).containsExactly(
        "tls.clientCa changed",
        "upstream api added",
        "upstream echo removed (it goes on being served)",
        "drainTimeout changed");
    assertThat(ConfigChanges.needingRestart(running, running)).isEmpty();
  }

  @Test
  void durationsReadAndWriteTheSameForms() {
    assertThat(List.of("500ms", "2s", "1m", "1h", "90s", "0s"))
        .allSatisfy(text -> assertThat(Durations.format(Durations.parse(text))).isEqualTo(text));
  }

  // ---- PROXY protocol

  @Test
  void readsProxyProtocolTlvsAndAcceptProxy() {
    ServerConfig c = parse(TLS + ONE_UPSTREAM
        + "    proxyProtocol: v2\n    proxyTlvs: [uris, clientCertificate]\n    acceptProxy: true\n");
    ServerConfig.UpstreamConfig u = c.upstreams().get(0);
    assertThat(u.proxyProtocol())
        .isEqualTo(ProxyProtocol.v2().withTlvs(EnumSet.of(ProxyTlv.URIS, ProxyTlv.CLIENT_CERTIFICATE)));
    assertThat(u.acceptProxy()).isTrue();
    assertThat(u.toUpstream(null).proxyProtocol()).contains(u.proxyProtocol());
    assertThat(parse(TLS + ONE_UPSTREAM).upstreams().get(0).proxyProtocol()).isNull();
    assertThat(parse(TLS + ONE_UPSTREAM + "    proxyProtocol: none\n").upstreams().get(0).proxyProtocol())
        .isNull();
  }

  @Test
  void badProxyProtocolSettingsNameTheirField() {
    assertRejected(TLS + ONE_UPSTREAM + "    proxyProtocol: v3\n",
        "lb.yaml: upstreams[0].proxyProtocol: must be none, v1 or v2 but was 'v3'");
    assertRejected(TLS + ONE_UPSTREAM + "    proxyProtocol: v1\n    proxyTlvs: [uris]\n",
        "lb.yaml: upstreams[0].proxyTlvs: needs proxyProtocol: v2");
    assertRejected(TLS + ONE_UPSTREAM + "    proxyProtocol: v2\n    proxyTlvs: [uris, spiffe]\n",
        "lb.yaml: upstreams[0].proxyTlvs[1]: must be one of [uris, dnsNames, groups, fingerprint,"
            + " upstream, clientCertificate] but was 'spiffe'");
  }

  @Test
  void upstreamsSharingAListenerMustAgreeOnAcceptProxy() {
    assertRejected(TLS + """
        upstreams:
          - name: red
            listen: 127.0.0.1:9443
            serverName: red.example
            hosts: [127.0.0.1:7001]
            acceptProxy: true
          - name: blue
            listen: 127.0.0.1:9443
            serverName: blue.example
            hosts: [127.0.0.1:7002]
        """,
        "lb.yaml: upstreams[1].acceptProxy: must be the same for upstreams sharing listener"
            + " /127.0.0.1:9443: 'red' accepts PROXY headers and 'blue' does not");
  }
}
