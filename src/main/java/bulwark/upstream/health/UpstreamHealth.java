package bulwark.upstream.health;

import bulwark.config.HealthCheckConfig;
import bulwark.upstream.Outcome;
import bulwark.upstream.Target;
import io.vertx.core.Vertx;
import java.util.List;

/**
 * Health of one upstream's targets: active checks, passive ejection and the score. The live
 * results are kept in each target's {@link bulwark.upstream.TargetState}, so they outlive reloads.
 * (Skeleton: to be filled in.)
 */
public final class UpstreamHealth {
  private final HealthCheckConfig config;

  private UpstreamHealth(HealthCheckConfig config) {
    this.config = config;
  }

  public static UpstreamHealth of(String upstream, HealthCheckConfig config, List<Target> targets) {
    return new UpstreamHealth(config);
  }

  /** Starts the active checks, if any. Called once, after the table holding this upstream is published. */
  public void start(Vertx vertx) {}

  /** Stops the active checks (the upstream was replaced by a reload, or the gateway stops). */
  public void stop() {}

  /** The result of one try of a real request: feeds passive outlier detection. Any thread. */
  public void onOutcome(Target target, Outcome outcome) {}

  /** Spread traffic over all targets when none is usable. */
  public boolean panic() {
    return config != null && config.panic();
  }
}
