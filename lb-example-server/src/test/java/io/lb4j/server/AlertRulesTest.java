package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The shipped alerting rules (monitoring/lb4j-alerts.yml) are valid for Prometheus, and their unit
 * tests pass under promtool and cover every alert both firing and staying quiet.
 */
@Timeout(120)
class AlertRulesTest {

  @Test
  void promtoolAcceptsTheRules() {
    Monitoring.assumePrometheus("promtool");
    Monitoring.assertSucceeds("promtool", "check", "rules", Monitoring.ALERTS);
  }

  @Test
  void promtoolUnitTestsOfTheRulesPass() {
    Monitoring.assumePrometheus("promtool");
    Monitoring.assertSucceeds("promtool", "test", "rules", Monitoring.ALERT_TESTS);
  }

  @Test
  void everyAlertHasAUnitTestWhereItFiresAndOneWhereItDoesNot() {
    Set<String> fires = new HashSet<>();
    Set<String> quiet = new HashSet<>();
    JsonNode tests = Monitoring.yaml(Monitoring.ALERT_TESTS);
    assertThat(tests.path("rule_files")).extracting(JsonNode::asText)
        .containsExactly(Monitoring.ALERTS);
    for (JsonNode test : tests.path("tests")) {
      for (JsonNode check : test.path("alert_rule_test")) {
        String name = check.path("alertname").asText();
        (check.path("exp_alerts").isEmpty() ? quiet : fires).add(name);
      }
    }

    List<String> alerts = Monitoring.alertNames();
    assertThat(alerts).isNotEmpty().doesNotHaveDuplicates();
    assertThat(alerts).as("alerts with a test where they fire").allMatch(fires::contains);
    assertThat(alerts).as("alerts with a test where they stay quiet").allMatch(quiet::contains);
    assertThat(fires).as("tested alerts that the rules define").isSubsetOf(alerts);
  }

  @Test
  void everyAlertSaysHowSevereItIsAndWhatHappened() {
    for (JsonNode group : Monitoring.yaml(Monitoring.ALERTS).path("groups")) {
      for (JsonNode rule : group.path("rules")) {
        assertThat(rule.path("labels").path("severity").asText())
            .as(rule.path("alert").asText()).isIn("warning", "critical");
        assertThat(rule.path("annotations").path("summary").asText())
            .as(rule.path("alert").asText()).isNotBlank();
      }
    }
  }
}
