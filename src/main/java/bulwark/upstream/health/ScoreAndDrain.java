package bulwark.upstream.health;

import bulwark.config.ScoreConfig;
import bulwark.config.ScoreWeights;
import bulwark.upstream.target.Target;
import bulwark.upstream.target.TargetHealth;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The score of each active check ({@link HealthScore}), which balancers weight traffic by, and the
 * drain: a target whose score falls under the floor gets no traffic until it is back at the floor
 * plus {@link #DRAIN_HYSTERESIS}. Only answers move the drain: a check that got none is a DOWN
 * matter, with its threshold, so one lost check cannot drain a target.
 */
final class ScoreAndDrain {
  // the documented logger name of every health transition (docs/health.md)
  private static final Logger LOG = LoggerFactory.getLogger(UpstreamHealth.class);

  /**
   * A drained target recovers at floor + this (at most 100), so a score hovering at the floor does
   * not flap.
   */
  static final int DRAIN_HYSTERESIS = 5;

  private final String upstream;
  private final ScoreWeights weights;

  /** 0: never drain. */
  private final int floor;

  ScoreAndDrain(String upstream, ScoreConfig config) {
    this.upstream = upstream;
    this.weights =
        config == null || config.weights() == null ? HealthScore.DEFAULT_WEIGHTS : config.weights();
    this.floor = config == null ? 0 : config.floor();
  }

  /** A drain made under an earlier floor ends when this floor would not keep it. Caller holds h. */
  void carryOver(TargetHealth h) {
    if (h.drained() && recovered(h.score())) {
      h.drained(false);
    }
  }

  /**
   * Records the score of one check of {@code t} and drains or recovers it at the floor. The
   * resource and dependency parts come from the last answer (a check without one keeps them).
   * Caller holds h.
   */
  void record(Target t, TargetHealth h, CheckResult r) {
    if (r.reached()) {
      h.parts(HealthScore.resources(r.body()), HealthScore.dependencies(r.body()));
    }
    int score = HealthScore.of(weights, r.reached(), r.passed(), h.resources(), h.dependencies());
    h.score(score);
    if (!r.reached()) {
      return;
    }
    if (floor > 0 && !h.drained() && score < floor) {
      h.drained(true);
      LOG.info(
          "upstream '{}': target {} is drained, its score {} is under the floor {}",
          upstream,
          t.key(),
          score,
          floor);
    } else if (h.drained() && recovered(score)) {
      h.drained(false);
      LOG.info("upstream '{}': target {} recovered from drain, score {}", upstream, t.key(), score);
    }
  }

  private boolean recovered(int score) {
    return floor <= 0 || score >= Math.min(100, floor + DRAIN_HYSTERESIS);
  }
}
