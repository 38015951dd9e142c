package bulwark.config;

import static bulwark.config.ConfigErrors.nz;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Checks of versioning, groups and routes: names, references to upstreams and middlewares, match,
 * rewrite and fallback.
 */
final class RouteValidator {
  private final ConfigErrors err;

  RouteValidator(ConfigErrors err) {
    this.err = err;
  }

  void versioning(VersioningConfig v) {
    err.check(
        Syntax.VERSION.matcher(nz(v.vendor())).matches(),
        "versioning.vendor",
        "'" + v.vendor() + "' is not a valid vendor name");
    err.check(
        Syntax.VERSION.matcher(nz(v.defaultVersion())).matches(),
        "versioning.default",
        "'" + v.defaultVersion() + "' is not a valid version");
  }

  void group(GroupConfig g, String p, Map<String, MiddlewareConfig> known) {
    if (g.prefix() != null) {
      if (!g.prefix().startsWith("/")) {
        err.error(p + ".prefix", "'" + g.prefix() + "' must start with /");
      } else if (g.prefix().contains("*")) {
        err.error(p + ".prefix", "'" + g.prefix() + "' must not contain wildcards");
      }
    }
    if (g.routes().isEmpty() && g.groups().isEmpty())
      err.error(p, "a group needs routes or groups");
    for (int i = 0; i < g.middlewares().size(); i++) {
      String m = g.middlewares().get(i);
      if (!known.containsKey(m))
        err.error(
            p + ".middlewares[" + i + "]",
            "unknown middleware '" + m + "'" + Suggest.didYouMean(m, known.keySet()));
    }
    for (int i = 0; i < g.groups().size(); i++)
      group(g.groups().get(i), p + ".groups[" + i + "]", known);
  }

  void routes(BulwarkConfig c) {
    Map<String, String> names = new HashMap<>();
    for (FlatRoute fr : FlatRoute.flatten(c)) {
      RouteConfig r = fr.route();
      String p = fr.path();
      if (r.name() != null) {
        String first = names.putIfAbsent(r.name(), p);
        if (first != null)
          err.error(
              p + ".name", "duplicate route name '" + r.name() + "' (first used at " + first + ")");
      }
      if (r.upstream() != null && !c.upstreams().containsKey(r.upstream())) {
        err.error(
            p + ".upstream",
            "unknown upstream '"
                + r.upstream()
                + "'"
                + Suggest.didYouMean(r.upstream(), c.upstreams().keySet()));
      }
      new TrafficValidator(err).route(r, p, c.upstreams().keySet());
      for (int i = 0; i < r.middlewares().size(); i++) {
        String m = r.middlewares().get(i);
        if (!c.middlewares().containsKey(m)) {
          err.error(
              p + ".middlewares[" + i + "]",
              "unknown middleware '" + m + "'" + Suggest.didYouMean(m, c.middlewares().keySet()));
        }
      }
      if (r.version() != null) {
        if (c.versioning() == null)
          err.error(p + ".version", "a route version needs the top-level versioning section");
        err.check(
            Syntax.VERSION.matcher(r.version()).matches(),
            p + ".version",
            "'" + r.version() + "' is not a valid version");
      }
      if (r.timeout() != null) err.positive(r.timeout(), p + ".timeout");
      if (r.fallback() != null)
        fallback(p + ".fallback", r.fallback(), c.upstreams().keySet(), r.upstream());
      if (r.retryNonIdempotent()
          && r.upstream() != null
          && c.upstreams().get(r.upstream()) != null
          && c.upstreams().get(r.upstream()).retry() == null) {
        err.error(
            p + ".retryNonIdempotent",
            "upstream '" + r.upstream() + "' has no retry section, so nothing would be retried");
      }
      if (r.grpcWeb()) grpcWeb(r, p, c.upstreams());
      if (r.grpc() != null) grpc(p + ".grpc", r, c);
      if (r.match() == null) continue;
      MatchConfig m = r.match();
      PathSyntax.Parsed pattern = null;
      if (fr.pattern() != null) {
        try {
          pattern = PathSyntax.parse(fr.pattern());
        } catch (IllegalArgumentException e) {
          err.error(p + ".match.path", e.getMessage());
        }
      }
      for (int i = 0; i < m.methods().size(); i++) {
        err.check(
            Syntax.METHOD.matcher(m.methods().get(i)).matches(),
            p + ".match.methods[" + i + "]",
            "'" + m.methods().get(i) + "' is not an upper-case HTTP method");
      }
      if (m.host() != null)
        err.check(
            Syntax.HOST.matcher(m.host()).matches(),
            p + ".match.host",
            "'" + m.host() + "' is not a host name or *.domain");
      predicates(m.headers(), p + ".match.headers", true);
      predicates(m.query(), p + ".match.query", false);
      if (r.rewrite() != null) {
        if (!r.rewrite().startsWith("/")) {
          err.error(p + ".rewrite", "'" + r.rewrite() + "' must start with /");
        } else if (pattern != null) {
          try {
            for (String ph : PathSyntax.placeholders(r.rewrite())) {
              if (!pattern.paramNames().contains(ph)) {
                err.error(
                    p + ".rewrite",
                    "placeholder {"
                        + ph
                        + "} is not a parameter of match.path"
                        + Suggest.didYouMean(ph, pattern.paramNames()));
              }
            }
          } catch (IllegalArgumentException e) {
            err.error(p + ".rewrite", e.getMessage());
          }
        }
      }
    }
  }

  /**
   * gRPC-Web is translated to gRPC, which needs HTTP/2: every upstream the route can send a request
   * to (its own, its backends and canaries, its fallback) must speak it. An unknown name is
   * reported where it is written.
   */
  private void grpcWeb(RouteConfig r, String p, Map<String, UpstreamConfig> upstreams) {
    Set<String> names = new java.util.LinkedHashSet<>();
    if (r.upstream() != null) names.add(r.upstream());
    r.backends().forEach(b -> names.add(b.upstream()));
    r.canary().forEach(cr -> names.add(cr.upstream()));
    if (r.fallback() != null && r.fallback().upstream() != null) names.add(r.fallback().upstream());
    for (String name : names) {
      UpstreamConfig u = name == null ? null : upstreams.get(name);
      if (u == null) continue;
      String why = http1(u);
      if (why == null) continue;
      err.error(
          p + ".grpcWeb",
          "gRPC-Web is sent upstream as gRPC, which needs HTTP/2, and upstream '"
              + name
              + "' "
              + why
              + ": set its protocol to h2c (HTTP/2 over plain TCP) or h2 (over TLS)");
    }
  }

  /** Why the upstream speaks HTTP/1.1 to (some of) its targets, or null when it speaks HTTP/2. */
  private static String http1(UpstreamConfig u) {
    UpstreamProtocol proto = u.protocol() == null ? UpstreamProtocol.HTTP1 : u.protocol();
    return switch (proto) {
      case HTTP1 -> "speaks HTTP/1.1 (protocol http1)";
      case H2, H2C -> null;
      case AUTO -> {
        boolean plain =
            u.discovery() != null
                || u.targets().stream()
                    .anyMatch(t -> t.url() != null && t.url().startsWith("http://"));
        yield plain ? "has protocol auto, which speaks HTTP/1.1 to its http:// targets" : null;
      }
    };
  }

  private void fallback(String p, FallbackConfig f, Set<String> upstreams, String own) {
    if (f.upstream() != null) {
      if (!upstreams.contains(f.upstream()))
        err.error(
            p + ".upstream",
            "unknown upstream '"
                + f.upstream()
                + "'"
                + Suggest.didYouMean(f.upstream(), upstreams));
      else
        err.check(
            !f.upstream().equals(own),
            p + ".upstream",
            "the fallback must be another upstream than the route's own");
      err.check(
          f.body() == null && f.headers().isEmpty(),
          p,
          "a fallback is either an upstream or a static response (status, headers, body), not both");
    }
    err.check(
        f.status() >= 100 && f.status() <= 599,
        p + ".status",
        f.status() + " is not an HTTP status");
    f.headers()
        .keySet()
        .forEach(
            k ->
                err.check(
                    Syntax.TOKEN.matcher(k).matches(),
                    p + ".headers." + k,
                    "not a valid header name"));
  }

  private void predicates(Map<String, String> m, String p, boolean header) {
    m.forEach(
        (k, v) -> {
          if (header)
            err.check(Syntax.TOKEN.matcher(k).matches(), p + "." + k, "not a valid header name");
          if (v.startsWith("regex:")) {
            try {
              Pattern.compile(v.substring(6));
            } catch (PatternSyntaxException e) {
              err.error(p + "." + k, "bad regex: " + e.getDescription());
            }
          }
        });
  }

  /** routes[i].grpc: its methods are read (bad ones reported), and they have a retry policy. */
  private void grpc(String p, RouteConfig r, BulwarkConfig c) {
    err.namedUnder(p + ".safeMethods[");
    UpstreamConfig u = r.upstream() == null ? null : c.upstreams().get(r.upstream());
    if (u != null
        && u.retry() == null
        && r.grpc().safeMethods() != null
        && !r.grpc().safeMethods().isEmpty()) {
      err.error(
          p + ".safeMethods",
          "upstream '" + r.upstream() + "' has no retry section, so nothing would be retried");
    }
  }
}
