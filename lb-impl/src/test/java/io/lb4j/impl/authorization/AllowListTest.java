package io.lb4j.impl.authorization;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lb4j.api.ClientIdentity;
import io.lb4j.api.Decision;
import io.lb4j.api.RefusalReason;
import io.lb4j.api.Refuse;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AllowListTest {

  private static ClientIdentity identity(
      String cn, List<String> groups, List<String> dns, List<String> uris) {
    return new ClientIdentity(cn, groups, dns, uris, "ab12", Instant.MAX);
  }

  private static ClientIdentity named(String cn) {
    return identity(cn, List.of(), List.of(), List.of());
  }

  private static final ClientIdentity ALICE = named("alice");
  private static final ClientIdentity MALLORY = named("mallory");

  @Test
  void admitsClientWhoseCommonNameIsListed() {
    AllowList rules = AllowList.builder().allow("echo", "alice").build();

    assertThat(rules.authorize(ALICE, "echo")).isEqualTo(Decision.admit());
  }

  @Test
  void refusesClientWhoseCommonNameIsNotListedNamingClientAndUpstream() {
    AllowList rules = AllowList.builder().allow("echo", "alice").build();

    assertThat(rules.authorize(MALLORY, "echo"))
        .isEqualTo(Decision.refuse(RefusalReason.UNAUTHORIZED,
            "mallory may not reach echo (allowed: alice)"));
  }

  @Test
  void refusalNamesWhatWouldHaveBeenAcceptedAndCountsALongList() {
    AllowList rules = AllowList.builder()
        .allow("api", "a", "group:sre", "cn:b", "dns:c.example", "uri:spiffe://x/y", "d", "e")
        .allow("closed", List.of())
        .build();

    assertThat(rules.authorize(MALLORY, "api")).isEqualTo(Decision.refuse(RefusalReason.UNAUTHORIZED,
        "mallory may not reach api (allowed: a, group:sre, cn:b, dns:c.example, uri:spiffe://x/y"
            + " and 2 more)"));
    assertThat(rules.authorize(MALLORY, "closed")).isEqualTo(Decision.refuse(
        RefusalReason.UNAUTHORIZED, "mallory may not reach closed (no one is allowed)"));
    assertThat(rules.authorize(MALLORY, "unknown")).isEqualTo(Decision.refuse(
        RefusalReason.UNAUTHORIZED, "mallory may not reach unknown (no one is allowed)"));
  }

  @Test
  void comparesCommonNamesExactly() {
    AllowList rules = AllowList.builder().allow("echo", "alice").build();

    assertThat(rules.authorize(named("Alice"), "echo").admitted()).isFalse();
    assertThat(rules.authorize(named("alice2"), "echo").admitted()).isFalse();
  }

  @Test
  void cnPrefixNamesCommonNameThatContainsColon() {
    AllowList rules = AllowList.builder().allow("echo", "cn:build:42").build();

    assertThat(rules.authorize(named("build:42"), "echo").admitted()).isTrue();
    assertThat(rules.authorize(named("build"), "echo").admitted()).isFalse();
  }

  @Test
  void admitsClientInListedGroup() {
    AllowList rules = AllowList.builder().allow("echo", "group:ops").build();
    ClientIdentity bob = identity("bob", List.of("dev", "ops"), List.of(), List.of());

    assertThat(rules.authorize(bob, "echo").admitted()).isTrue();
  }

  @Test
  void groupPrincipalDoesNotMatchCommonNameOfThatName() {
    AllowList rules = AllowList.builder().allow("echo", "group:ops").build();

    assertThat(rules.authorize(named("ops"), "echo").admitted()).isFalse();
  }

  @Test
  void commonNamePrincipalDoesNotMatchGroupOfThatName() {
    AllowList rules = AllowList.builder().allow("echo", "ops").build();
    ClientIdentity bob = identity("bob", List.of("ops"), List.of(), List.of());

    assertThat(rules.authorize(bob, "echo").admitted()).isFalse();
  }

  @Test
  void admitsClientWithListedSanUri() {
    AllowList rules =
        AllowList.builder().allow("api", "uri:spiffe://example.org/ns/prod/sa/billing").build();
    ClientIdentity workload =
        identity("", List.of(), List.of(), List.of("spiffe://example.org/ns/prod/sa/billing"));
    ClientIdentity other =
        identity("", List.of(), List.of(), List.of("spiffe://example.org/ns/prod/sa/web"));

    assertThat(rules.authorize(workload, "api").admitted()).isTrue();
    assertThat(rules.authorize(other, "api"))
        .isEqualTo(
            Decision.refuse(
                RefusalReason.UNAUTHORIZED, "spiffe://example.org/ns/prod/sa/web may not reach api"
                    + " (allowed: uri:spiffe://example.org/ns/prod/sa/billing)"));
  }

  @Test
  void admitsClientWithListedSanDnsNameWhateverItsCase() {
    AllowList rules = AllowList.builder().allow("api", "dns:Batch.Example.org").build();
    ClientIdentity batch =
        identity("batch", List.of(), List.of("web.example.org", "BATCH.example.org"), List.of());

    assertThat(rules.authorize(batch, "api").admitted()).isTrue();
    assertThat(rules.authorize(named("batch.example.org"), "api").admitted()).isFalse();
  }

  @Test
  void admitsWhenAnyPrincipalMatches() {
    AllowList rules =
        AllowList.builder().allow("echo", "alice", "group:ops", "dns:x.example").build();
    ClientIdentity carol = identity("carol", List.of("ops"), List.of(), List.of());

    assertThat(rules.authorize(carol, "echo").admitted()).isTrue();
    assertThat(rules.authorize(ALICE, "echo").admitted()).isTrue();
  }

  @Test
  void upstreamWithoutRulesRefusesEveryone() {
    AllowList rules = AllowList.builder().allow("echo", "alice").allow("api").build();

    assertThat(rules.authorize(ALICE, "api"))
        .isEqualTo(Decision.refuse(RefusalReason.UNAUTHORIZED, "alice may not reach api (no one is allowed)"));
    assertThat(rules.authorize(ALICE, "unknown").admitted()).isFalse();
  }

  @Test
  void emptyTableRefusesEveryone() {
    assertThat(AllowList.builder().build().authorize(ALICE, "echo").admitted()).isFalse();
    assertThat(AllowList.denyAll().authorize(ALICE, "echo").admitted()).isFalse();
  }

  @Test
  void anonymousClientIsRefusedEvenWhereRulesExist() {
    AllowList rules = AllowList.builder().allow("echo", "alice", "group:ops").build();

    Decision d = rules.authorize(ClientIdentity.ANONYMOUS, "echo");

    assertThat(d).isInstanceOf(Refuse.class);
    assertThat(((Refuse) d).detail()).isEqualTo("- may not reach echo (allowed: alice, group:ops)");
  }

  @Test
  void rulesOfOneUpstreamDoNotOpenAnother() {
    AllowList rules = AllowList.builder().allow("echo", "alice").allow("api", "bob").build();

    assertThat(rules.authorize(ALICE, "api").admitted()).isFalse();
    assertThat(rules.authorize(named("bob"), "echo").admitted()).isFalse();
  }

  @Test
  void parseBuildsTheSameTableAsTheBuilder() {
    Map<String, List<String>> written = new LinkedHashMap<>();
    written.put("echo", List.of("alice", "group:ops"));
    written.put("api", List.of("uri:spiffe://example.org/a"));

    AllowList parsed = AllowList.parse(written);

    assertThat(parsed)
        .isEqualTo(
            AllowList.builder()
                .allow("echo", "alice", "group:ops")
                .allow("api", "uri:spiffe://example.org/a")
                .build());
    assertThat(parsed.rules()).isEqualTo(written);
    assertThat(parsed.authorize(ALICE, "echo").admitted()).isTrue();
  }

  @Test
  void repeatedCallsAddToTheSameUpstreamAndDropDuplicates() {
    AllowList rules =
        AllowList.builder().allow("echo", "alice").allow("echo", "bob", "alice").build();

    assertThat(rules.rules()).containsExactly(Map.entry("echo", List.of("alice", "bob")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"foo:bar", "spiffe://example.org/a", "CN:"})
  void principalOfUnknownOrIncompleteFormIsRejectedNamingIt(String principal) {
    assertThatThrownBy(() -> AllowList.builder().allow("echo", principal))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("principal '" + principal + "' ")
        .hasMessageNotContaining("\n");
  }

  @Test
  void unknownFormMessageListsTheKnownForms() {
    assertThatThrownBy(() -> AllowList.parse(Map.of("echo", List.of("foo:bar"))))
        .hasMessage(
            "principal 'foo:bar' is of an unknown form (use a common name such as alice, cn:name,"
                + " group:name, uri:value or dns:name)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "  ", "group:", "uri:", "dns:", " alice"})
  void emptyOrPaddedPrincipalIsRejected(String principal) {
    assertThatThrownBy(() -> AllowList.builder().allow("echo", principal))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("principal '" + principal + "' ");
  }

  @Test
  void blankUpstreamNameIsRejected() {
    assertThatThrownBy(() -> AllowList.builder().allow(" ", "alice"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("upstream name must not be blank but was ' '");
  }

  @Test
  void builderCanGoOnAfterBuildWithoutChangingBuiltTable() {
    AllowList.Builder b = AllowList.builder().allow("echo", "alice");
    AllowList first = b.build();
    b.allow("echo", "mallory");

    assertThat(first.authorize(MALLORY, "echo").admitted()).isFalse();
    assertThat(b.build().authorize(MALLORY, "echo").admitted()).isTrue();
  }
}
