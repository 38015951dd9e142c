package bulwark.config;

import static bulwark.config.ConfigErrors.nz;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks of the remediation section: the webhook token, and each rule against the upstreams, routes
 * and middlewares it names.
 */
final class RemediationValidator {
  private final ConfigErrors err;

  RemediationValidator(ConfigErrors err) {
    this.err = err;
  }

  void remediation(BulwarkConfig c) {
    Set<String> routeNames = new HashSet<>();
    Map<String, RouteConfig> routes = new HashMap<>();
    for (FlatRoute fr : FlatRoute.flatten(c)) {
      if (fr.route().name() != null) routes.putIfAbsent(fr.route().name(), fr.route());
    }
    routeNames.addAll(routes.keySet());
    List<RemediationRuleConfig> rules = c.remediation().rules();
    String hook = nz(c.remediation().webhookToken());
    if (!rules.isEmpty() && hook.length() < ServerValidator.MIN_ADMIN_TOKEN) {
      err.error(
          "remediation.webhookToken",
          (hook.isEmpty() ? "required" : "too short")
              + " when remediation rules exist: POST /alerts acts on the gateway, so it takes a bearer token of at least "
              + ServerValidator.MIN_ADMIN_TOKEN
              + " characters ("
              + ServerValidator.tokenHint("remediation.webhookToken", "BULWARK_WEBHOOK_TOKEN")
              + "; Alertmanager sends it with http_config.authorization.credentials)");
    }
    if (!hook.isEmpty()) {
      err.check(
          ServerValidator.bearerSafe(hook),
          "remediation.webhookToken",
          "must be printable ASCII without spaces (it is sent as a bearer token)");
      err.check(
          c.admin() == null || !hook.equals(c.admin().token()),
          "remediation.webhookToken",
          "must differ from admin.token");
      err.check(
          c.admin() == null || !hook.equals(c.admin().readToken()),
          "remediation.webhookToken",
          "must differ from admin.readToken");
    }
    for (int i = 0; i < rules.size(); i++) {
      RemediationRuleConfig r = rules.get(i);
      String p = "remediation.rules[" + i + "]";
      err.check(r.alert() == null || !r.alert().isBlank(), p + ".alert", "must not be empty");
      RemediationAction a = r.action();
      if (a == null) {
        err.named(p + ".action");
        continue;
      }
      if (r.expireAfter() != null) {
        err.positive(r.expireAfter(), p + ".expireAfter");
        err.check(
            r.expireAfter().compareTo(RemediationRuleConfig.MAX_EXPIRY) <= 0,
            p + ".expireAfter",
            "must be at most 24h");
      }
      Map<String, String> given = new java.util.LinkedHashMap<>();
      given.put("upstream", r.upstream());
      given.put("target", r.target());
      given.put("route", r.route());
      given.put("middleware", r.middleware());
      List<String> needed = a.fields();
      given.forEach(
          (f, v) -> {
            if (v == null) return;
            if (!needed.contains(f))
              err.error(
                  p + "." + f,
                  "action "
                      + a.configName()
                      + " does not use "
                      + f
                      + " (it uses "
                      + String.join(", ", needed)
                      + ")");
            else if (RemediationRuleConfig.badTemplate(v))
              err.error(p + "." + f, "'" + v + "' is neither a name nor {{ labels.NAME }}");
          });
      String up = fixed(r.upstream());
      if (up != null && needed.contains("upstream")) {
        UpstreamConfig u = c.upstreams().get(up);
        if (u == null) {
          err.error(
              p + ".upstream",
              "unknown upstream '" + up + "'" + Suggest.didYouMean(up, c.upstreams().keySet()));
        } else {
          if (a == RemediationAction.OPEN_BREAKER)
            err.check(
                u.circuitBreaker() != null,
                p + ".upstream",
                "upstream '" + up + "' has no circuitBreaker to open");
          String t = fixed(r.target());
          if (t != null
              && a == RemediationAction.EJECT_TARGET
              && u.discovery() == null
              && TargetConfig.find(u, t) == null) {
            err.error(
                p + ".target",
                "upstream '"
                    + up
                    + "' has no target '"
                    + t
                    + "' (use host:port or the target's url)");
          }
        }
      }
      String route = fixed(r.route());
      if (route != null && a == RemediationAction.USE_FALLBACK) {
        RouteConfig rc = routes.get(route);
        if (rc == null)
          err.error(
              p + ".route",
              "unknown route '" + route + "'" + Suggest.didYouMean(route, routeNames));
        else
          err.check(
              rc.fallback() != null, p + ".route", "route '" + route + "' has no fallback to use");
      }
      String mw = fixed(r.middleware());
      if (mw != null && a == RemediationAction.TIGHTEN_RATE_LIMIT) {
        MiddlewareConfig m = c.middlewares().get(mw);
        if (m == null)
          err.error(
              p + ".middleware",
              "unknown middleware '" + mw + "'" + Suggest.didYouMean(mw, c.middlewares().keySet()));
        else
          err.check(
              m.rateLimit() != null,
              p + ".middleware",
              "middleware '" + mw + "' is not a rateLimit");
      }
      if (a == RemediationAction.TIGHTEN_RATE_LIMIT) {
        if (r.factor() == null)
          err.error(p + ".factor", "tightenRateLimit needs a factor, e.g. 10%");
        else
          err.check(
              r.factor().value() > 0 && r.factor().value() < 100,
              p + ".factor",
              "must be above 0% and below 100%");
      } else {
        err.check(r.factor() == null, p + ".factor", "only tightenRateLimit takes a factor");
      }
    }
  }

  /** A remediation object field that names the object itself (not null, not a label template). */
  private static String fixed(String v) {
    return v == null || v.contains("{{") ? null : v;
  }
}
