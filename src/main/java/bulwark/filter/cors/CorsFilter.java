package bulwark.filter.cors;

import bulwark.config.CorsConfig;
import bulwark.filter.Chain;
import bulwark.filter.Exchange;
import bulwark.filter.Filter;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The {@code cors} middleware. A preflight (OPTIONS with Origin and Access-Control-Request-Method)
 * is answered here, 204 with the Access-Control-* headers, or 403 when the origin, method or
 * headers are not allowed; it never reaches the upstream. An actual request from an allowed origin
 * gets Access-Control-Allow-Origin (the origin itself, with Vary: Origin, or * for a public policy
 * without credentials) on whatever answers it: the upstream, or the gateway's own error. The policy
 * is the gateway's: Access-Control-Allow-* headers from the upstream are replaced or removed.
 * Requests without Origin pass untouched.
 */
public final class CorsFilter implements Filter {
  static final String ACAO = "Access-Control-Allow-Origin";
  static final String ACAC = "Access-Control-Allow-Credentials";
  static final String ACAM = "Access-Control-Allow-Methods";
  static final String ACAH = "Access-Control-Allow-Headers";
  static final String ACEH = "Access-Control-Expose-Headers";
  static final String ACMA = "Access-Control-Max-Age";
  static final String ACRM = "Access-Control-Request-Method";
  static final String ACRH = "Access-Control-Request-Headers";

  private final boolean any;
  private final Set<String> exact;

  /** {prefix, suffix} pairs: "https://" and ".example.com:8443" for https://*.example.com:8443 */
  private final String[][] patterns;

  private final Set<String> methods;
  private final String methodsValue;
  private final boolean anyHeader;
  private final Set<String> headers;
  private final String headersValue;
  private final String exposeValue;
  private final boolean credentials;
  private final String maxAge;

  /**
   * Non-null on a route where OPTIONS was added only for preflights: the Allow value for a plain
   * OPTIONS.
   */
  private final String plainOptionsAllow;

  public CorsFilter(CorsConfig config) {
    Set<String> ex = new HashSet<>();
    List<String[]> pats = new ArrayList<>();
    boolean star = false;
    for (String o : config.allowOrigins()) {
      if (o.equals("*")) {
        star = true;
        continue;
      }
      String lo = o.toLowerCase(Locale.ROOT);
      int wild = lo.indexOf("://*.");
      if (wild >= 0) pats.add(new String[] {lo.substring(0, wild + 3), lo.substring(wild + 4)});
      else ex.add(lo);
    }
    this.any = star;
    this.exact = Set.copyOf(ex);
    this.patterns = pats.toArray(String[][]::new);
    this.methods = Set.copyOf(config.allowMethods());
    this.methodsValue = String.join(", ", config.allowMethods());
    Set<String> hs = new HashSet<>();
    boolean anyH = false;
    for (String h : config.allowHeaders()) {
      if (h.equals("*")) anyH = true;
      else hs.add(h.toLowerCase(Locale.ROOT));
    }
    this.anyHeader = anyH;
    this.headers = Set.copyOf(hs);
    this.headersValue =
        String.join(", ", config.allowHeaders().stream().filter(h -> !h.equals("*")).toList());
    this.exposeValue =
        config.exposeHeaders().isEmpty() ? null : String.join(", ", config.exposeHeaders());
    this.credentials = config.allowCredentials();
    this.maxAge = Long.toString(config.maxAge() == null ? 600 : config.maxAge().toSeconds());
    this.plainOptionsAllow = null;
  }

  private CorsFilter(CorsFilter base, String plainOptionsAllow) {
    this.any = base.any;
    this.exact = base.exact;
    this.patterns = base.patterns;
    this.methods = base.methods;
    this.methodsValue = base.methodsValue;
    this.anyHeader = base.anyHeader;
    this.headers = base.headers;
    this.headersValue = base.headersValue;
    this.exposeValue = base.exposeValue;
    this.credentials = base.credentials;
    this.maxAge = base.maxAge;
    this.plainOptionsAllow = plainOptionsAllow;
  }

  /**
   * Called when a route is compiled: a route that lists methods without OPTIONS still matches
   * OPTIONS when it has a cors middleware, so preflights reach it; its chain then gets a copy of
   * that filter which answers a plain (non-preflight) OPTIONS with 405, as the router would have.
   * Changes {@code methods} and {@code chain} in place.
   */
  public static void allowPreflight(Set<String> methods, Filter[] chain) {
    if (methods.isEmpty() || methods.contains("OPTIONS")) return;
    for (int i = 0; i < chain.length; i++) {
      if (chain[i] instanceof CorsFilter c) {
        Set<String> allowed = new java.util.TreeSet<>(methods);
        if (methods.contains("GET")) allowed.add("HEAD");
        chain[i] = new CorsFilter(c, String.join(", ", allowed));
        methods.add("OPTIONS");
        return;
      }
    }
  }

  /** Whether {@code origin} is allowed by this policy. */
  public boolean allowsOrigin(String origin) {
    if (any) return true;
    String o = origin.toLowerCase(Locale.ROOT);
    if (exact.contains(o)) return true;
    for (String[] p : patterns) {
      int mid = o.length() - p[0].length() - p[1].length();
      if (mid > 0
          && o.startsWith(p[0])
          && o.endsWith(p[1])
          && hostLabels(o, p[0].length(), p[0].length() + mid)) return true;
    }
    return false;
  }

  private static boolean hostLabels(String s, int from, int to) {
    if (s.charAt(from) == '.' || s.charAt(to - 1) == '.') return false;
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.')) return false;
    }
    return true;
  }

  @Override
  public Future<Void> handle(Exchange ex, Chain next) {
    String origin = ex.request().getHeader("Origin");
    boolean options = ex.request().method() == HttpMethod.OPTIONS;
    if (options && origin != null && ex.request().getHeader(ACRM) != null) {
      preflight(ex, origin);
      return Future.succeededFuture();
    }
    if (options && plainOptionsAllow != null) {
      ex.response().putHeader("Allow", plainOptionsAllow);
      ex.reject(
          405,
          "Method Not Allowed",
          "OPTIONS is not allowed on "
              + ex.request().path()
              + " except as a CORS preflight; allowed: "
              + plainOptionsAllow);
      return Future.succeededFuture();
    }
    if (origin == null) return next.next(ex);
    MultiMap resp = ex.response().headers();
    if (allowsOrigin(origin)) {
      String allowOrigin = any && !credentials ? "*" : origin;
      // set now, so the gateway's own errors (401, 429...) are readable by the page too
      resp.set(ACAO, allowOrigin);
      if (!allowOrigin.equals("*")) resp.add("Vary", "Origin");
      if (credentials) resp.set(ACAC, "true");
      if (exposeValue != null) resp.set(ACEH, exposeValue);
      ex.onResponseHeaders(
          h -> {
            h.set(ACAO, allowOrigin);
            if (credentials) h.set(ACAC, "true");
            else h.remove(ACAC);
            if (exposeValue != null) h.set(ACEH, exposeValue);
            else h.remove(ACEH);
          });
    } else {
      if (!any) resp.add("Vary", "Origin");
      ex.onResponseHeaders(CorsFilter::strip);
    }
    return next.next(ex);
  }

  private static void strip(MultiMap h) {
    h.remove(ACAO);
    h.remove(ACAC);
    h.remove(ACEH);
  }

  private void preflight(Exchange ex, String origin) {
    MultiMap resp = ex.response().headers();
    resp.add("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
    if (!allowsOrigin(origin)) {
      ex.reject(403, "Forbidden", "origin " + origin + " is not allowed by the CORS policy");
      return;
    }
    String method = ex.request().getHeader(ACRM).trim();
    if (!methods.contains(method)) {
      ex.reject(
          403,
          "Forbidden",
          "method " + method + " is not allowed by the CORS policy; allowed: " + methodsValue);
      return;
    }
    String requested = ex.request().getHeader(ACRH);
    String allowHeaders = headersValue;
    if (requested != null && !requested.isBlank()) {
      if (anyHeader) {
        allowHeaders = requested.trim();
      } else {
        for (String h : requested.split(",")) {
          String name = h.trim().toLowerCase(Locale.ROOT);
          if (!name.isEmpty() && !headers.contains(name)) {
            ex.reject(
                403,
                "Forbidden",
                "request header " + h.trim() + " is not allowed by the CORS policy");
            return;
          }
        }
      }
    }
    resp.set(ACAO, any && !credentials ? "*" : origin);
    if (credentials) resp.set(ACAC, "true");
    resp.set(ACAM, methodsValue);
    if (!allowHeaders.isEmpty()) resp.set(ACAH, allowHeaders);
    resp.set(ACMA, maxAge);
    ex.respond(204);
  }
}
