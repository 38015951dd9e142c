package bulwark.remediation;

import bulwark.config.BulwarkConfig;
import bulwark.config.MiddlewareConfig;
import bulwark.config.RemediationAction;
import bulwark.config.RemediationRuleConfig;
import bulwark.observe.Audit;
import bulwark.routing.Route;
import bulwark.routing.RouteTable;
import bulwark.upstream.UpstreamRuntime;
import bulwark.upstream.target.Target;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The actions that alerts turned on, owned by the gateway and keyed by names (upstream, target
 * address, route, middleware), so a reload keeps them: {@link #enforce} puts them onto every new
 * route table before it is published. The data plane sees them as a target that is not available, a
 * breaker in FORCED_OPEN, a tightened limit in the RateLimitRegistry and {@link #forcedFallback}.
 *
 * <p>Control-plane calls (webhook, expiry, reload) are serialised on this object; the data plane
 * reads only volatile fields.
 */
public final class Remediations {
  private static final Logger LOG = LoggerFactory.getLogger(Remediations.class);

  /** Most actions active at once; further ones are rejected. */
  static final int MAX_ACTIVE = 1000;

  /** Expired alerts remembered (so their repeated firing notifications do not act again). */
  private static final int MAX_EXPIRED = 10_000;

  /** Between an alert's key and a rule's index in an action's id. */
  private static final String SEP = "#rule";

  /** One action turned on by one alert through one rule. */
  record Active(
      String id,
      String alertKey,
      String startsAt,
      Rule rule,
      String alert,
      String fingerprint,
      Map<String, String> objects,
      Instant appliedAt,
      Instant expiresAt,
      long timer) {}

  private final RuntimeView gateway;
  private final MeterRegistry registry;
  private final Supplier<Audit> audit;
  private final Clock clock;
  private Vertx vertx;
  private final Map<String, Active> active = new LinkedHashMap<>();

  /** Alert-and-rule id to the startsAt of the alert whose action expired. */
  private final Map<String, String> expired =
      new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> e) {
          return size() > MAX_EXPIRED;
        }
      };

  private final Map<RemediationAction, AtomicInteger> counts =
      new EnumMap<>(RemediationAction.class);
  private final Enforcement enforcement;

  /**
   * @param gateway whose snapshot, target states and rate-limit registry the actions apply to
   * @param registry where bulwark_remediation_actions_active and _total are registered
   * @param audit the audit log (read on each event: the audit part may set it later)
   */
  public Remediations(
      RuntimeView gateway, MeterRegistry registry, Supplier<Audit> audit, Clock clock) {
    this.gateway = gateway;
    this.registry = registry;
    this.audit = audit;
    this.clock = clock;
    this.enforcement = new Enforcement(gateway);
    for (RemediationAction a : RemediationAction.values()) {
      AtomicInteger n = new AtomicInteger();
      counts.put(a, n);
      Gauge.builder("bulwark.remediation.actions.active", n, AtomicInteger::get)
          .description("Remediation actions in force")
          .tag("action", a.configName())
          .register(registry);
    }
  }

  /** Expiry timers run on Vert.x from now on. */
  public void start(Vertx vertx) {
    this.vertx = vertx;
  }

  /**
   * Whether requests on route {@code name} go straight to its fallback (useFallback). Any thread.
   */
  public boolean forcedFallback(String route) {
    return enforcement.forcedFallback(route);
  }

  /**
   * Acts on a webhook notification: firing alerts apply the actions of the rules they match (once:
   * a repeated notification changes nothing), resolved alerts revert them.
   *
   * @return what was applied, reverted, rejected and ignored, one entry per alert and rule
   */
  public synchronized JsonObject onAlerts(List<Alert> alerts) {
    BulwarkConfig config = gateway.config();
    RouteTable table = gateway.table();
    List<Rule> rules = rules(config);
    JsonArray applied = new JsonArray();
    JsonArray reverted = new JsonArray();
    JsonArray rejected = new JsonArray();
    JsonArray ignored = new JsonArray();
    for (Alert alert : alerts) {
      if (!alert.firing()) {
        // whatever this alert turned on ends, even if a reload has changed or removed its rules
        // since
        String prefix = alert.key() + SEP;
        List<Active> mine =
            active.values().stream().filter(a -> a.alertKey().equals(alert.key())).toList();
        expired.keySet().removeIf(id -> id.startsWith(prefix));
        if (mine.isEmpty()) {
          ignored.add(about(alert).put("reason", "nothing is active for this alert"));
        }
        for (Active a : mine) {
          end(a, "reverted", "the alert resolved");
          reverted.add(entry(a));
        }
        continue;
      }
      List<Rule> matching = rules.stream().filter(r -> r.matches(alert.labels())).toList();
      if (matching.isEmpty()) {
        ignored.add(about(alert).put("reason", "no rule matches"));
        continue;
      }
      for (Rule rule : matching) {
        String id = alert.key() + SEP + rule.index();
        JsonObject entry =
            about(alert).put("rule", rule.index()).put("action", rule.action().configName());
        Active cur = active.get(id);
        if (cur != null) {
          ignored.add(describe(entry, cur).put("reason", "already active"));
          continue;
        }
        String expiredAt = expired.get(id);
        if (expiredAt != null && expiredAt.equals(String.valueOf(alert.startsAt()))) {
          ignored.add(
              entry.put(
                  "reason",
                  "this firing already had its action, which expired; it acts again only when the alert fires anew"));
          continue;
        }
        String problem;
        Map<String, String> objects = null;
        try {
          objects = rule.objectsFor(alert.labels());
          problem =
              active.size() >= MAX_ACTIVE
                  ? "too many active actions (" + MAX_ACTIVE + ")"
                  : check(rule.action(), objects, config, table);
        } catch (IllegalArgumentException e) {
          problem = e.getMessage();
        }
        if (objects != null) objects.forEach(entry::put);
        if (problem != null) {
          entry.put("reason", problem);
          rejected.add(entry);
          LOG.warn(
              "remediation rejected: alert '{}' rule {} ({}): {}",
              alert.name(),
              rule.index(),
              rule.action().configName(),
              problem);
          count(rule.action(), "rejected");
          audit("remediation.rejected", entry);
          continue;
        }
        if (rule.action() == RemediationAction.EJECT_TARGET)
          objects.put("target", Targets.key(objects.get("target")));
        Instant now = clock.instant();
        Instant expires = now.plus(rule.expireAfter());
        long timer =
            vertx == null
                ? -1
                : vertx.setTimer(Math.max(1, rule.expireAfter().toMillis()), t -> expire(id));
        Active a =
            new Active(
                id,
                alert.key(),
                String.valueOf(alert.startsAt()),
                rule,
                alert.name(),
                alert.fingerprint(),
                Map.copyOf(objects),
                now,
                expires,
                timer);
        active.put(id, a);
        expired.remove(id);
        counts.get(rule.action()).incrementAndGet();
        enforcement.sync(active.values(), config, table);
        describe(entry, a);
        applied.add(entry);
        LOG.warn(
            "remediation applied: alert '{}' rule {}: {} {} until {}",
            alert.name(),
            rule.index(),
            rule.action().configName(),
            a.objects(),
            expires);
        count(rule.action(), "applied");
        audit("remediation.applied", entry);
      }
    }
    return new JsonObject()
        .put("applied", applied)
        .put("reverted", reverted)
        .put("rejected", rejected)
        .put("ignored", ignored);
  }

  /** The active actions, oldest first, for admin GET /remediations. */
  public synchronized JsonArray list() {
    JsonArray out = new JsonArray();
    for (Active a : active.values()) {
      out.add(entry(a).put("appliedAt", a.appliedAt().toString()));
    }
    return out;
  }

  /**
   * Puts the active actions onto a route table about to be published (a reload): its new upstreams
   * get forced breakers, new target states are taken out again, changed rate limits are tightened
   * again. Called before the table serves.
   */
  public synchronized void enforce(BulwarkConfig cfg, RouteTable table) {
    if (active.isEmpty()) return;
    enforcement.reapply(cfg, table);
  }

  private void expire(String id) {
    synchronized (this) {
      Active a = active.get(id);
      if (a == null) return;
      expired.put(id, a.startsAt());
      end(a, "expired", "expireAfter " + a.rule().expireAfter() + " passed");
    }
  }

  /** Reverts one action; {@code result} is reverted or expired. */
  private void end(Active a, String result, String why) {
    active.remove(a.id());
    if (a.timer() >= 0 && vertx != null) vertx.cancelTimer(a.timer());
    counts.get(a.rule().action()).decrementAndGet();
    enforcement.sync(active.values(), gateway.config(), gateway.table());
    LOG.warn(
        "remediation {}: alert '{}' rule {}: {} {} ({})",
        result,
        a.alert(),
        a.rule().index(),
        a.rule().action().configName(),
        a.objects(),
        why);
    count(a.rule().action(), result);
    audit("remediation." + result, entry(a).put("reason", why));
  }

  /** Why the action cannot act on these objects in the serving config, or null when it can. */
  static String check(
      RemediationAction action, Map<String, String> o, BulwarkConfig cfg, RouteTable table) {
    switch (action) {
      case EJECT_TARGET, OPEN_BREAKER -> {
        UpstreamRuntime up = table.upstreams().get(o.get("upstream"));
        if (up == null) return "unknown upstream '" + o.get("upstream") + "'";
        if (action == RemediationAction.OPEN_BREAKER)
          return up.config().circuitBreaker() == null
              ? "upstream '" + up.name() + "' has no circuitBreaker"
              : null;
        String key = Targets.key(o.get("target"));
        for (Target t : up.targets()) {
          if (t.key().equals(key)) return null;
        }
        return "upstream '" + up.name() + "' has no target '" + o.get("target") + "'";
      }
      case USE_FALLBACK -> {
        for (Route r : table.routes()) {
          if (r.name().equals(o.get("route")))
            return r.fallback() == null ? "route '" + r.name() + "' has no fallback" : null;
        }
        return "unknown route '" + o.get("route") + "'";
      }
      case TIGHTEN_RATE_LIMIT -> {
        MiddlewareConfig m = cfg.middlewares().get(o.get("middleware"));
        return m == null || m.rateLimit() == null
            ? "no rateLimit middleware '" + o.get("middleware") + "'"
            : null;
      }
    }
    return null;
  }

  private static List<Rule> rules(BulwarkConfig cfg) {
    if (cfg.remediation() == null) return List.of();
    List<RemediationRuleConfig> rs = cfg.remediation().rules();
    List<Rule> out = new ArrayList<>(rs.size());
    for (int i = 0; i < rs.size(); i++) out.add(Rule.of(i, rs.get(i)));
    return out;
  }

  private static JsonObject about(Alert alert) {
    return new JsonObject().put("alert", alert.name()).put("fingerprint", alert.fingerprint());
  }

  /** An active action as the admin API, the webhook answer and the audit log show it. */
  private static JsonObject entry(Active a) {
    return describe(
        new JsonObject()
            .put("alert", a.alert())
            .put("fingerprint", a.fingerprint())
            .put("rule", a.rule().index())
            .put("action", a.rule().action().configName()),
        a);
  }

  private static JsonObject describe(JsonObject entry, Active a) {
    a.objects().forEach(entry::put);
    if (a.rule().action() == RemediationAction.TIGHTEN_RATE_LIMIT)
      entry.put("factor", a.rule().factor());
    return entry.put("expiresAt", a.expiresAt().toString());
  }

  private void count(RemediationAction a, String result) {
    Counter.builder("bulwark.remediation.actions")
        .description("Remediation actions by result")
        .tag("action", a.configName())
        .tag("result", result)
        .register(registry)
        .increment();
  }

  private void audit(String type, JsonObject fields) {
    audit.get().event(type, new LinkedHashMap<>(fields.getMap()));
  }
}
