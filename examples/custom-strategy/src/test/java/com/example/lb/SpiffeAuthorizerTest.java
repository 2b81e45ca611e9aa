package com.example.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lb4j.api.ClientIdentity;
import io.lb4j.api.Decision;
import io.lb4j.api.RefusalReason;
import io.lb4j.api.Refuse;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The authorizer alone, on identities built by the test. */
class SpiffeAuthorizerTest {

  private final SpiffeAuthorizer authorizer = SpiffeAuthorizer.trustDomain("Example.org")
      .allow("api", "/ns/prod")
      .allow("metrics", "/")
      .build();

  @Test
  void admitsIdUnderAllowedPrefix() {
    assertThat(authorizer.authorize(withUris("spiffe://example.org/ns/prod/sa/web"), "api"))
        .isEqualTo(Decision.admit());
    assertThat(authorizer.authorize(withUris("spiffe://example.org/ns/prod"), "api").admitted())
        .isTrue();
  }

  @Test
  void admitsWhenAnyOfSeveralUrisMatches() {
    ClientIdentity two = withUris("https://example.org/web", "spiffe://example.org/ns/prod/web");

    assertThat(authorizer.authorize(two, "api").admitted()).isTrue();
  }

  @Test
  void prefixMatchesWholeSegmentsOnly() {
    assertThat(authorizer.authorize(withUris("spiffe://example.org/ns/production"), "api"))
        .isInstanceOf(Refuse.class);
  }

  @Test
  void refusesOtherTrustDomains() {
    assertThat(authorizer.authorize(withUris("spiffe://other.org/ns/prod/web"), "api").admitted())
        .isFalse();
    assertThat(authorizer.authorize(withUris("spiffe://example.org.evil.com/ns/prod"), "api")
        .admitted()).isFalse();
    assertThat(authorizer.authorize(withUris("spiffe://example.org:443/ns/prod"), "api")
        .admitted()).isFalse();
  }

  @Test
  void refusesMalformedIds() {
    for (String bad : List.of("spiffe://example.org/ns/prod/../admin", "spiffe://example.org//ns/prod",
        "spiffe://example.org/ns/prod/./web", "spiffe://example.org/ns/prod/web?x=1",
        "spiffe://example.org/ns/prod/web#x")) {
      assertThat(authorizer.authorize(withUris(bad), "api").admitted()).as(bad).isFalse();
    }
  }

  @Test
  void rootPrefixAdmitsWholeTrustDomain() {
    assertThat(authorizer.authorize(withUris("spiffe://example.org/anything/at/all"), "metrics")
        .admitted()).isTrue();
    assertThat(authorizer.authorize(withUris("spiffe://other.org/x"), "metrics").admitted())
        .isFalse();
  }

  @Test
  void refusesUpstreamWithoutRulesWithReasonAndDetail() {
    Decision d = authorizer.authorize(withUris("spiffe://example.org/ns/prod/web"), "billing");

    assertThat(d).isInstanceOfSatisfying(Refuse.class, r -> {
      assertThat(r.reason()).isEqualTo(RefusalReason.UNAUTHORIZED);
      assertThat(r.detail()).isEqualTo(
          "web has no SPIFFE ID of spiffe://example.org allowed to reach billing");
    });
  }

  @Test
  void refusesAnonymousClient() {
    assertThat(authorizer.authorize(ClientIdentity.ANONYMOUS, "metrics").admitted()).isFalse();
  }

  @Test
  void rejectsMalformedRulesWhenBuilt() {
    assertThatThrownBy(() -> SpiffeAuthorizer.trustDomain("example.org").allow("api", "ns/prod"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("path prefix must look like /ns/prod (or / for the whole trust domain) "
            + "but was 'ns/prod'");
    assertThatThrownBy(() -> SpiffeAuthorizer.trustDomain("example.org").allow("api", "/ns/"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SpiffeAuthorizer.trustDomain("spiffe://example.org"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("trustDomain must be a name such as example.org but was 'spiffe://example.org'");
  }

  private static ClientIdentity withUris(String... uris) {
    return new ClientIdentity("web", List.of(), List.of(), List.of(uris), "00", Instant.MAX);
  }
}
