package bulwark.filter.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import bulwark.config.BulwarkConfig;
import bulwark.config.ConfigLoader;
import bulwark.config.FailureMode;
import bulwark.config.Rate;
import bulwark.config.RateLimitConfig;
import bulwark.config.RateLimitKeySpec;
import bulwark.config.RateLimitScope;
import org.junit.jupiter.api.Test;

class RateLimitRegistryTest {
  private static BulwarkConfig config(String limits) throws Exception {
    return new ConfigLoader(k -> null)
        .parse(
            """
        upstreams:
          svc: { targets: [ { url: "http://127.0.0.1:1" } ] }
        middlewares:
        %s
        routes:
          - { name: r, match: { path: /** }, upstream: svc }
        """
                .formatted(limits));
  }

  /** What the gateway does on each publish: prepare, one filter per middleware, commit. */
  private static RateLimitConfig compile(RateLimitRegistry reg, String limits) throws Exception {
    BulwarkConfig cfg = config(limits);
    reg.prepare(cfg.cluster());
    RateLimitConfig rc = cfg.middlewares().get("per-ip").rateLimit();
    reg.filter("per-ip", rc);
    reg.commit(cfg);
    return rc;
  }

  @Test
  void anUnchangedMiddlewareKeepsItsBucketsAcrossCompilesAndAChangedOneStartsFull()
      throws Exception {
    RateLimitRegistry reg = new RateLimitRegistry(new ManualTime());
    RateLimitConfig one = compile(reg, "  per-ip: { rateLimit: { rate: 1/min } }");
    LocalBuckets first = reg.localBuckets("per-ip", one);
    assertThat(first.tryConsume("ip:1").isConsumed()).isTrue();

    // the same middleware again, as a reload that changed something else compiles it
    RateLimitConfig again = compile(reg, "  per-ip: { rateLimit: { rate: 1/min } }");
    assertThat(reg.localBuckets("per-ip", again)).isSameAs(first);
    assertThat(first.tryConsume("ip:1").isConsumed()).isFalse();

    RateLimitConfig two = compile(reg, "  per-ip: { rateLimit: { rate: 2/min } }");
    assertThat(reg.localBuckets("per-ip", one)).as("the old config's buckets are dropped").isNull();
    assertThat(reg.localBuckets("per-ip", two).tryConsume("ip:1").isConsumed()).isTrue();
  }

  @Test
  void clusterScopeNeedsAClusterSection() {
    RateLimitRegistry reg = new RateLimitRegistry(new ManualTime());
    reg.prepare(null);
    assertThatThrownBy(
            () ->
                reg.filter(
                    "c",
                    new RateLimitConfig(
                        RateLimitKeySpec.CLIENT_IP,
                        Rate.parse("1/s"),
                        0,
                        RateLimitScope.CLUSTER,
                        FailureMode.OPEN,
                        10)))
        .hasMessageContaining("cluster");
  }
}
