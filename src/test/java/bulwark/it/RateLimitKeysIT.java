package bulwark.it;

import static bulwark.it.ItClients.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import bulwark.filter.registry.Filters;
import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The consumer and claim:NAME rate-limit keys, and their fallback to the client IP. */
class RateLimitKeysIT {
  static Upstream up;

  @BeforeAll
  static void start() {
    up = new Upstream("a");
    // stands in for the JWT filter: the X-Test-Tenant header becomes a verified "tenant" claim
    Filters.registerForTests(
        "fakeClaims",
        mc ->
            (ex, next) -> {
              String t = ex.request().getHeader("X-Test-Tenant");
              if (t != null) ex.claims(Map.of("tenant", t));
              return next.next(ex);
            });
  }

  @AfterAll
  static void stop() {
    if (up != null) up.close();
  }

  static String config() {
    return """
        server:
          listen: "127.0.0.1:${PORT}"
          trustedProxies: ["127.0.0.1/32"]
          shutdown: { gracePeriod: 2s }
        admin:
          listen: "127.0.0.1:${ADMIN_PORT}"
        observability:
          accessLog: { enabled: false }
        upstreams:
          a: { targets: [ { url: %s } ] }
        middlewares:
          fakeClaims: { headers: {} }
          perTenant: { rateLimit: { key: "claim:tenant", rate: 1/min } }
          perConsumer: { rateLimit: { key: consumer, rate: 1/min } }
        routes:
          - { name: tenants, match: { path: /t/** }, upstream: a, middlewares: [fakeClaims, perTenant] }
          - { name: anonymous, match: { path: /anon/** }, upstream: a, middlewares: [perConsumer] }
        """
        .formatted(up.url());
  }

  @Test
  void eachClaimValueHasItsBucketAndNoClaimFallsBackToTheClientIp() throws Exception {
    try (RunningGateway gw = RunningGateway.start(config())) {
      assertThat(
              TestSupport.get(
                      gw.url("/t/1"), "X-Test-Tenant", "t1", "X-Forwarded-For", "198.51.100.1")
                  .statusCode())
          .isEqualTo(200);
      // another address, same tenant: the same bucket
      assertProblem(
          TestSupport.get(gw.url("/t/2"), "X-Test-Tenant", "t1", "X-Forwarded-For", "198.51.100.2"),
          429);
      assertThat(
              TestSupport.get(
                      gw.url("/t/3"), "X-Test-Tenant", "t2", "X-Forwarded-For", "198.51.100.1")
                  .statusCode())
          .isEqualTo(200);
      // no claim: per client IP, not one shared bucket, and not a tenant's
      assertThat(TestSupport.get(gw.url("/t/4"), "X-Forwarded-For", "198.51.100.1").statusCode())
          .isEqualTo(200);
      assertProblem(TestSupport.get(gw.url("/t/5"), "X-Forwarded-For", "198.51.100.1"), 429);
      assertThat(TestSupport.get(gw.url("/t/6"), "X-Forwarded-For", "198.51.100.2").statusCode())
          .isEqualTo(200);
    }
  }

  @Test
  void withoutAnAuthMiddlewareTheConsumerKeyIsTheClientIp() throws Exception {
    try (RunningGateway gw = RunningGateway.start(config())) {
      assertThat(TestSupport.get(gw.url("/anon/1"), "X-Forwarded-For", "198.51.100.1").statusCode())
          .isEqualTo(200);
      assertProblem(TestSupport.get(gw.url("/anon/2"), "X-Forwarded-For", "198.51.100.1"), 429);
      assertThat(TestSupport.get(gw.url("/anon/3"), "X-Forwarded-For", "198.51.100.2").statusCode())
          .isEqualTo(200);
    }
  }
}
