package bulwark.filter.auth;

import bulwark.filter.Exchange;
import io.vertx.core.MultiMap;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

/**
 * What a verified token must also satisfy, shared by the jwt and introspection middlewares: the
 * kind of caller (user or client), scopes for each kind, required claim values; and what is
 * forwarded upstream. Immutable.
 *
 * <p>A token is a <b>client</b> token (client credentials, no end user) when {@code clientRule} is
 * {@code auto} and it has no {@code sub}, or its {@code sub} equals its {@code client_id} (or
 * {@code azp}); with {@code claim:NAME=VALUE}, when that claim has that value. Otherwise it is a
 * <b>user</b> token.
 */
public final class AccessPolicy {
  public enum Kind {
    USER,
    CLIENT
  }

  private final boolean allowUser;
  private final boolean allowClient;
  private final String ruleClaim;
  private final String ruleValue;
  private final List<String> scopes;
  private final List<String> userScopes;
  private final List<String> clientScopes;
  private final Map<String, String> requireClaims;
  private final Map<String, String> forwardClaims;

  public AccessPolicy(
      List<String> allow,
      String clientRule,
      List<String> scopes,
      List<String> userScopes,
      List<String> clientScopes,
      Map<String, String> requireClaims,
      Map<String, String> forwardClaims) {
    this.allowUser = allow == null || allow.isEmpty() || allow.contains("user");
    this.allowClient = allow == null || allow.isEmpty() || allow.contains("client");
    if (clientRule == null || clientRule.equals("auto")) {
      ruleClaim = null;
      ruleValue = null;
    } else {
      int eq = clientRule.indexOf('=');
      ruleClaim = clientRule.substring("claim:".length(), eq);
      ruleValue = clientRule.substring(eq + 1);
    }
    this.scopes = List.copyOf(scopes == null ? List.of() : scopes);
    this.userScopes = List.copyOf(userScopes == null ? List.of() : userScopes);
    this.clientScopes = List.copyOf(clientScopes == null ? List.of() : clientScopes);
    this.requireClaims = Map.copyOf(requireClaims == null ? Map.of() : requireClaims);
    this.forwardClaims = Map.copyOf(forwardClaims == null ? Map.of() : forwardClaims);
  }

  public Kind kindOf(Map<String, Object> claims) {
    if (ruleClaim != null)
      return matches(claims.get(ruleClaim), ruleValue) ? Kind.CLIENT : Kind.USER;
    Object sub = claims.get("sub");
    if (!(sub instanceof String s) || s.isEmpty()) return Kind.CLIENT;
    return s.equals(claims.get("client_id")) || s.equals(claims.get("azp"))
        ? Kind.CLIENT
        : Kind.USER;
  }

  /** Checks kind, scopes and claims: throws a 403 rejection when the token is not enough. */
  public Kind check(Map<String, Object> claims) throws Rejection {
    Kind kind = kindOf(claims);
    if (kind == Kind.USER && !allowUser)
      throw Rejection.forbidden("user tokens are not accepted here", null);
    if (kind == Kind.CLIENT && !allowClient)
      throw Rejection.forbidden("client tokens are not accepted here", null);
    Set<String> have = scopesOf(claims);
    Set<String> need = new LinkedHashSet<>(scopes);
    need.addAll(kind == Kind.USER ? userScopes : clientScopes);
    if (!have.containsAll(need)) {
      StringJoiner j = new StringJoiner(" ");
      need.forEach(j::add);
      throw Rejection.forbidden("the token lacks a required scope", j.toString());
    }
    for (Map.Entry<String, String> e : requireClaims.entrySet()) {
      if (!matches(claims.get(e.getKey()), e.getValue()))
        throw Rejection.forbidden(
            "claim " + e.getKey() + " does not have the required value", null);
    }
    return kind;
  }

  /** The caller's name for logs and later filters: the client id of a client token, else sub. */
  public static String consumerOf(Map<String, Object> claims, Kind kind) {
    if (kind == Kind.CLIENT) {
      for (String k : new String[] {"client_id", "azp", "sub"}) {
        if (claims.get(k) instanceof String s && !s.isEmpty()) return s;
      }
      return null;
    }
    return claims.get("sub") instanceof String s ? s : null;
  }

  /** Removes every forwarded header from the upstream request (call before anything else). */
  public void stripForwarded(MultiMap upstream) {
    if (upstream == null) return;
    for (String h : forwardClaims.values()) upstream.remove(h);
  }

  /** Sets the forwarded headers from verified claims (after {@link #stripForwarded}). */
  public void forward(MultiMap upstream, Map<String, Object> claims) {
    if (upstream == null) return;
    forwardClaims.forEach(
        (claim, header) -> {
          String v = headerValue(claims.get(claim));
          if (v != null) upstream.set(header, v);
        });
  }

  /** A claim as a header value; null when absent, not a simple value, or not safe in a header. */
  static String headerValue(Object v) {
    String s;
    if (v instanceof String str) s = str;
    else if (v instanceof Number || v instanceof Boolean) s = v.toString();
    else if (v instanceof Collection<?> c) {
      StringJoiner j = new StringJoiner(",");
      for (Object o : c) {
        if (!(o instanceof String || o instanceof Number || o instanceof Boolean)) return null;
        j.add(o.toString());
      }
      s = j.toString();
    } else return null;
    if (s.length() > 4096) return null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 && c != '\t' || c == 0x7f || c > 0xff) return null;
    }
    return s;
  }

  static Set<String> scopesOf(Map<String, Object> claims) {
    Set<String> out = new HashSet<>();
    for (String k : new String[] {"scope", "scp"}) {
      Object v = claims.get(k);
      if (v instanceof String s) {
        for (String part : s.split(" ")) if (!part.isEmpty()) out.add(part);
      } else if (v instanceof Collection<?> c) {
        for (Object o : c) if (o instanceof String s) out.add(s);
      }
    }
    return out;
  }

  private static boolean matches(Object claim, String value) {
    if (claim instanceof Collection<?> c) {
      for (Object o : c) if (o != null && value.equals(o.toString())) return true;
      return false;
    }
    return claim != null && value.equals(claim.toString());
  }

  /** Ends the exchange with the rejection: problem+json and, for 401/403, WWW-Authenticate. */
  public static void reject(Exchange ex, Rejection r) {
    if (r.status == 401 || r.status == 403 || r.status == 400)
      ex.response().putHeader("WWW-Authenticate", r.challenge());
    if (r.status == 503) ex.response().putHeader("Retry-After", "5");
    String title =
        switch (r.status) {
          case 400 -> "Bad Request";
          case 401 -> "Unauthorized";
          case 403 -> "Forbidden";
          default -> "Service Unavailable";
        };
    ex.reject(r.status, title, r.getMessage());
  }
}
