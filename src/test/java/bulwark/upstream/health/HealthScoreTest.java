package bulwark.upstream.health;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.config.ScoreWeights;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class HealthScoreTest {
  private static final ScoreWeights W = HealthScore.DEFAULT_WEIGHTS; // 30 / 40 / 20 / 10

  private static int score(CheckResult r) {
    return HealthScore.of(W, r);
  }

  @Test
  void aPassingAnswerWithoutSignalsScoresFull() {
    assertThat(score(CheckResult.passed("200", null))).isEqualTo(100);
    assertThat(score(CheckResult.passed("200", new JsonObject().put("status", "UP"))))
        .isEqualTo(100);
  }

  @Test
  void resourcesArePenalisedByTheMostUsedOfCpuAndMemory() {
    // 30 + 40 + 20 × (1 - 0.9) + 10 = 82
    assertThat(
            score(CheckResult.passed("200", new JsonObject().put("cpu", 0.9).put("memory", 0.5))))
        .isEqualTo(82);
    // 30 + 40 + 20 × (1 - 0.6) + 10 = 88
    assertThat(score(CheckResult.passed("200", new JsonObject().put("memory", 0.6)))).isEqualTo(88);
    // out of range values are clamped: cpu 1.7 is fully used, -3 is idle
    assertThat(score(CheckResult.passed("200", new JsonObject().put("cpu", 1.7)))).isEqualTo(80);
    assertThat(score(CheckResult.passed("200", new JsonObject().put("cpu", -3)))).isEqualTo(100);
    // not a number: no signal
    assertThat(score(CheckResult.passed("200", new JsonObject().put("cpu", "high"))))
        .isEqualTo(100);
  }

  @Test
  void dependenciesCountByTheShareThatIsUp() {
    JsonObject half =
        new JsonObject().put("dependencies", new JsonObject().put("db", "UP").put("cache", "DOWN"));
    // 30 + 40 + 20 + 10 × 1/2 = 95
    assertThat(score(CheckResult.passed("200", half))).isEqualTo(95);
    // Spring Boot style: objects with a status
    JsonObject spring =
        new JsonObject()
            .put(
                "dependencies",
                new JsonObject()
                    .put("db", new JsonObject().put("status", "DOWN"))
                    .put("disk", new JsonObject().put("status", "DOWN"))
                    .put("mq", new JsonObject().put("status", "up"))
                    .put("x", new JsonObject().put("status", "OUT_OF_SERVICE")));
    // 30 + 40 + 20 + 10 × 1/4 = 92.5 -> 93
    assertThat(score(CheckResult.passed("200", spring))).isEqualTo(93);
    assertThat(
            score(
                CheckResult.passed("200", new JsonObject().put("dependencies", new JsonObject()))))
        .isEqualTo(100);
  }

  @Test
  void aFailedStatusLosesTheHealthPartAndNoAnswerAlsoReachability() {
    assertThat(score(CheckResult.failed("503", null))).isEqualTo(60);
    JsonObject bad =
        new JsonObject().put("cpu", 0.5).put("dependencies", new JsonObject().put("db", "DOWN"));
    // 30 + 0 + 20 × 0.5 + 0 = 40
    assertThat(score(CheckResult.failed("503", bad))).isEqualTo(40);
    // no answer: no reachability, no health answer, no JSON (so its parts count as full)
    assertThat(score(CheckResult.unreachable("connection refused"))).isEqualTo(30);
    assertThat(HealthScore.of(new ScoreWeights(30, 40, 0, 0), CheckResult.unreachable("timeout")))
        .isZero();
  }

  @Test
  void weightsAreConfigurable() {
    ScoreWeights resources = new ScoreWeights(0, 0, 100, 0);
    assertThat(
            HealthScore.of(resources, CheckResult.passed("200", new JsonObject().put("cpu", 0.95))))
        .isEqualTo(5);
    ScoreWeights even = new ScoreWeights(1, 1, 1, 1);
    // (1 + 0 + 0.5 + 1) / 4 = 62.5 -> 63
    assertThat(HealthScore.of(even, CheckResult.failed("500", new JsonObject().put("memory", 0.5))))
        .isEqualTo(63);
  }
}
