package bulwark.filter.auth.apikey;

import bulwark.config.ApiKeyConfig;
import bulwark.filter.Chain;
import bulwark.filter.Exchange;
import bulwark.filter.Filter;
import bulwark.filter.auth.Digest;
import io.vertx.core.Future;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The {@code apiKey} middleware. The presented key is hashed with SHA-256 and the digest looked up
 * among the configured ones (digests compare in constant time), so the config holds no key and the
 * time taken does not depend on how much of a key matches. A known key sets {@link
 * Exchange#consumer}; a missing or unknown one is answered 401 with {@code WWW-Authenticate:
 * ApiKey}. The key is removed before the request goes upstream unless {@code keepCredential}.
 */
public final class ApiKeyFilter implements Filter {
  static final String CHALLENGE = "ApiKey";
  private final String header;
  private final String query;
  private final boolean keep;
  private final Map<Digest, String> consumers;
  private final String where;

  public ApiKeyFilter(ApiKeyConfig config) {
    this.header = config.header() == null || config.header().isEmpty() ? null : config.header();
    this.query = config.query() == null || config.query().isEmpty() ? null : config.query();
    this.keep = config.keepCredential();
    Map<Digest, String> m = new HashMap<>();
    config.consumers().forEach((name, hashes) -> hashes.forEach(h -> m.put(Digest.ofHex(h), name)));
    this.consumers = Map.copyOf(m);
    this.where =
        header != null && query != null
            ? "the " + header + " header or the " + query + " query parameter"
            : header != null ? "the " + header + " header" : "the " + query + " query parameter";
  }

  @Override
  public Future<Void> handle(Exchange ex, Chain next) {
    String key = header == null ? null : ex.request().getHeader(header);
    if (key == null && query != null && ex.request().query() != null) {
      key = ex.request().getParam(query);
    }
    if (key == null || key.isEmpty()) {
      ex.response().putHeader("WWW-Authenticate", CHALLENGE);
      ex.reject(401, "Unauthorized", "an API key is required in " + where);
      return Future.succeededFuture();
    }
    String consumer = consumers.get(Digest.sha256(key));
    if (consumer == null) {
      ex.response().putHeader("WWW-Authenticate", CHALLENGE + " error=\"invalid_key\"");
      ex.reject(401, "Unauthorized", "the API key is not valid");
      return Future.succeededFuture();
    }
    ex.consumer(consumer);
    if (!keep) {
      if (header != null) ex.upstreamHeaders().remove(header);
      // every occurrence goes, also when the header carried the key
      if (query != null && ex.request().query() != null)
        ex.upstreamUri(withoutParam(ex.upstreamUri(), query));
    }
    return next.next(ex);
  }

  /** The URI with every {@code name=...} query parameter removed (names compared URL-decoded). */
  static String withoutParam(String uri, String name) {
    int q = uri.indexOf('?');
    if (q < 0) return uri;
    StringBuilder out = new StringBuilder(uri.length()).append(uri, 0, q);
    boolean first = true;
    boolean removed = false;
    int from = q + 1;
    while (from <= uri.length()) {
      int amp = uri.indexOf('&', from);
      int end = amp < 0 ? uri.length() : amp;
      String part = uri.substring(from, end);
      int eq = part.indexOf('=');
      String n = eq < 0 ? part : part.substring(0, eq);
      String decoded;
      try {
        decoded = URLDecoder.decode(n, StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        decoded = n;
      }
      if (decoded.equals(name)) {
        removed = true;
      } else if (!part.isEmpty()) {
        out.append(first ? '?' : '&').append(part);
        first = false;
      }
      if (amp < 0) break;
      from = amp + 1;
    }
    return removed ? out.toString() : uri;
  }
}
