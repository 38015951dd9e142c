package bulwark.config;

import static bulwark.config.ConfigTesting.USERS;
import static bulwark.config.ConfigTesting.errors;
import static bulwark.config.ConfigTesting.load;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The fault and redirect middlewares: binding, defaults, and every bad-input rule with its path.
 */
class TrafficConfigTest {

  private static String mw(String body) {
    return USERS + "middlewares:\n  m:\n    " + body + "\n";
  }

  /**
   * The contract with its commented chaos and to-https middlewares uncommented (the copy itself
   * must stay equal to the shared file, which ContractTest checks).
   */
  @Test
  void theContractWithChaosAndToHttpsUncommentedLoads() throws Exception {
    String contract = ContractTest.contract();
    String uncommented =
        contract
            .replace("  # chaos:", "  chaos:")
            .replace("  #   fault: {", "    fault: {")
            .replace("  # to-https:", "  to-https:")
            .replace("  #   redirect: {", "    redirect: {");
    assertThat(uncommented).isNotEqualTo(contract);
    BulwarkConfig cfg = load(uncommented, Map.of());
    FaultConfig f = cfg.middlewares().get("chaos").fault();
    assertThat(f.delay()).isEqualTo(new FaultDelayConfig(new Percent(5), Duration.ofMillis(200)));
    assertThat(f.abort()).isEqualTo(new FaultAbortConfig(new Percent(1), 503));
    assertThat(f.onlyWithHeader()).isEqualTo("X-Bulwark-Fault");
    assertThat(f.allowRequestHeader()).isFalse();
    RedirectConfig r = cfg.middlewares().get("to-https").redirect();
    assertThat(r.scheme()).isEqualTo(RedirectScheme.HTTPS);
    assertThat(r.status()).isEqualTo(308);
    assertThat(r.keepQuery()).isTrue();
  }

  @Test
  void defaults() throws Exception {
    FaultConfig f =
        load(mw("fault: { delay: { duration: 1s }, abort: { status: 500 } }"))
            .middlewares()
            .get("m")
            .fault();
    assertThat(f.delay().percent()).isEqualTo(new Percent(100));
    assertThat(f.abort().percent()).isEqualTo(new Percent(100));
    assertThat(f.maxRequestDelay()).isEqualTo(Duration.ofSeconds(30));
    RedirectConfig r =
        load(mw("redirect: { host: example.com }")).middlewares().get("m").redirect();
    assertThat(r.status()).isEqualTo(308);
    assertThat(r.keepQuery()).isTrue();
    assertThat(r.scheme()).isNull();
    assertThat(r.port()).isZero();
  }

  @Test
  void faultPercentsOverOneHundredAndStatusesOutOfRange() {
    assertThat(
            errors(
                mw(
                    "fault: { delay: { percent: 101%, duration: 1s }, abort: { percent: 150%, status: 600 } }")))
        .containsExactlyInAnyOrder(
            "middlewares.m.fault.delay.percent: '101%' is over 100%",
            "middlewares.m.fault.abort.percent: '150%' is over 100%",
            "middlewares.m.fault.abort.status: 600 must be between 200 and 599");
    assertThat(errors(mw("fault: { abort: { status: 199 } }")))
        .containsExactly("middlewares.m.fault.abort.status: 199 must be between 200 and 599");
  }

  @Test
  void faultNeedsSomethingToDoAndValidFields() {
    assertThat(errors(mw("fault: { onlyWithHeader: X-Chaos }")))
        .containsExactly(
            "middlewares.m.fault: a fault middleware needs delay, abort or allowRequestHeader: true");
    assertThat(
            errors(
                mw(
                    "fault: { delay: { duration: 0s }, onlyWithHeader: \"bad header\", maxRequestDelay: 0s }")))
        .containsExactlyInAnyOrder(
            "middlewares.m.fault.delay.duration: must be more than 0s",
            "middlewares.m.fault.onlyWithHeader: 'bad header' is not a valid header name",
            "middlewares.m.fault.maxRequestDelay: must be more than 0s");
    assertThat(errors(mw("fault: { delay: { percent: 5% } }")))
        .containsExactly("middlewares.m.fault.delay.duration: required");
    assertThat(errors(mw("fault: { abort: { status: 503, precent: 5% } }")))
        .containsExactly(
            "middlewares.m.fault.abort.precent: unknown key 'precent' (did you mean 'percent'?)");
    assertThat(errors(mw("faults: { abort: { status: 503 } }")).get(0))
        .startsWith("middlewares.m.faults: unknown key 'faults'")
        .contains("did you mean 'fault'?");
  }

  @Test
  void redirectStatusesPrefixesAndPaths() {
    assertThat(errors(mw("redirect: { scheme: https, status: 303 }")))
        .containsExactly("middlewares.m.redirect.status: 303 must be 301, 302, 307 or 308");
    assertThat(errors(mw("redirect: { prefix: { from: old, to: /new }, path: /x }")))
        .containsExactlyInAnyOrder(
            "middlewares.m.redirect: set prefix or path, not both",
            "middlewares.m.redirect.prefix.from: 'old' must start with '/'");
    assertThat(errors(mw("redirect: { path: \"x/y\" }")))
        .containsExactly("middlewares.m.redirect.path: 'x/y' must start with '/'");
    assertThat(errors(mw("redirect: { path: \"/x?y=1\" }")))
        .containsExactly(
            "middlewares.m.redirect.path: '/x?y=1' must be a path alone (no '?' or '#')");
    assertThat(errors(mw("redirect: { scheme: ftp }")))
        .containsExactly("middlewares.m.redirect.scheme: 'ftp' must be http or https");
    assertThat(errors(mw("redirect: { host: \"bad host\", port: 70000 }")))
        .containsExactlyInAnyOrder(
            "middlewares.m.redirect.host: 'bad host' is not a host name",
            "middlewares.m.redirect.port: 70000 must be between 1 and 65535");
    assertThat(errors(mw("redirect: { status: 301 }")))
        .containsExactly(
            "middlewares.m.redirect: a redirect needs at least one of scheme, host, port, prefix, path");
    assertThat(errors(mw("redirect: { scheme: https, keepquery: false }")))
        .containsExactly(
            "middlewares.m.redirect.keepquery: unknown key 'keepquery' (did you mean 'keepQuery'?)");
  }

  @Test
  void aMiddlewareWithTwoTypesIsRefused() {
    assertThat(errors(mw("{ fault: { abort: { status: 503 } }, redirect: { scheme: https } }")))
        .containsExactly("middlewares.m: a middleware needs exactly one type key, this one has 2");
  }
}
