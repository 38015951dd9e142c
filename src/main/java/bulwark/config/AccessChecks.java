package bulwark.config;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;

/** Validation of the access-control middlewares: apiKey, basicAuth, cors, ipRules. */
final class AccessChecks {
  static final Pattern SHA256_HEX = Pattern.compile("[0-9a-fA-F]{64}");
  static final Pattern BCRYPT = Pattern.compile("\\$2[aby]\\$\\d\\d\\$[./A-Za-z0-9]{53}");

  /** scheme://host[:port], the host possibly starting with "*." */
  private static final Pattern ORIGIN =
      Pattern.compile(
          "[a-zA-Z][a-zA-Z0-9+.-]*://(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:\\d{1,5})?|[a-zA-Z][a-zA-Z0-9+.-]*://\\[[0-9a-fA-F:.]+\\](:\\d{1,5})?");

  private AccessChecks() {}

  static void apiKey(String p, ApiKeyConfig c, BiConsumer<String, String> error) {
    boolean header = c.header() != null && !c.header().isEmpty();
    boolean query = c.query() != null && !c.query().isEmpty();
    if (!header && !query) error.accept(p, "set header or query: where the key is read from");
    if (header && !Syntax.TOKEN.matcher(c.header()).matches())
      error.accept(p + ".header", "'" + c.header() + "' is not a valid header name");
    if (c.consumers().isEmpty())
      error.accept(p + ".consumers", "at least one consumer is required");
    Map<String, String> seen = new HashMap<>();
    c.consumers()
        .forEach(
            (name, hashes) -> {
              String cp = p + ".consumers." + name;
              if (hashes.isEmpty()) error.accept(cp, "at least one key hash is required");
              for (int i = 0; i < hashes.size(); i++) {
                String h = hashes.get(i);
                if (!SHA256_HEX.matcher(h).matches()) {
                  error.accept(
                      cp + "[" + i + "]",
                      "not a SHA-256 hex digest (64 hex digits): store the hash of the key, never the key itself (printf %s KEY | sha256sum)");
                  continue;
                }
                String first = seen.putIfAbsent(h.toLowerCase(java.util.Locale.ROOT), name);
                if (first != null)
                  error.accept(
                      cp + "[" + i + "]",
                      "the same key hash is already listed for consumer '" + first + "'");
              }
            });
  }

  static void basicAuth(String p, BasicAuthConfig c, BiConsumer<String, String> error) {
    if (c.realm() != null && (c.realm().contains("\"") || c.realm().contains("\\")))
      error.accept(p + ".realm", "must not contain \" or \\");
    if (c.users().isEmpty()) error.accept(p + ".users", "at least one user is required");
    c.users()
        .forEach(
            (user, hash) -> {
              if (user.isEmpty() || user.contains(":"))
                error.accept(p + ".users." + user, "a user name must not be empty or contain ':'");
              if (!BCRYPT.matcher(hash).matches()) {
                error.accept(
                    p + ".users." + user,
                    "not a bcrypt hash ($2y$10$ followed by 53 characters): store the hash, never the password (htpasswd -nbB USER PASSWORD)");
              }
            });
    if (c.cacheFor() != null && c.cacheFor().isNegative())
      error.accept(p + ".cacheFor", "must not be negative");
    if (c.maxCached() < 1) error.accept(p + ".maxCached", "must be at least 1");
  }

  static void cors(String p, CorsConfig c, BiConsumer<String, String> error) {
    List<String> origins = c.allowOrigins();
    if (origins.isEmpty()) error.accept(p + ".allowOrigins", "at least one origin is required");
    for (int i = 0; i < origins.size(); i++) {
      String o = origins.get(i);
      if (o.equals("*")) {
        if (c.allowCredentials())
          error.accept(
              p + ".allowOrigins[" + i + "]",
              "* cannot be used with allowCredentials: list the origins");
      } else if (!ORIGIN.matcher(o).matches()) {
        error.accept(
            p + ".allowOrigins[" + i + "]",
            "'"
                + o
                + "' must be *, scheme://host[:port] or scheme://*.domain[:port], without a path");
      }
    }
    for (int i = 0; i < c.allowMethods().size(); i++) {
      String m = c.allowMethods().get(i);
      if (!m.matches("[A-Z]+"))
        error.accept(
            p + ".allowMethods[" + i + "]", "'" + m + "' is not an upper-case HTTP method");
    }
    for (int i = 0; i < c.allowHeaders().size(); i++) {
      String h = c.allowHeaders().get(i);
      if (!h.equals("*") && !Syntax.TOKEN.matcher(h).matches())
        error.accept(p + ".allowHeaders[" + i + "]", "not a valid header name");
    }
    for (int i = 0; i < c.exposeHeaders().size(); i++) {
      String h = c.exposeHeaders().get(i);
      if (!Syntax.TOKEN.matcher(h).matches() || h.equals("*"))
        error.accept(p + ".exposeHeaders[" + i + "]", "not a valid header name");
    }
    if (c.maxAge() != null && c.maxAge().isNegative())
      error.accept(p + ".maxAge", "must not be negative");
  }

  static void ipRules(String p, IpRulesConfig c, BiConsumer<String, String> error) {
    if (c.allow().isEmpty() && c.deny().isEmpty()) error.accept(p, "set allow, deny or both");
    cidrs(p + ".allow", c.allow(), error);
    cidrs(p + ".deny", c.deny(), error);
  }

  private static void cidrs(String p, List<String> list, BiConsumer<String, String> error) {
    for (int i = 0; i < list.size(); i++) {
      try {
        Cidr.parse(list.get(i));
      } catch (IllegalArgumentException e) {
        error.accept(p + "[" + i + "]", e.getMessage());
      }
    }
  }
}
