package bulwark.filter.ratelimit;

import bulwark.config.RateLimitKeySpec;
import bulwark.filter.Exchange;
import io.vertx.core.MultiMap;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * What a bucket belongs to, from the {@code key} setting: {@code client_ip}, {@code route}, {@code
 * header:NAME}, {@code consumer} or {@code claim:NAME}. The key of one request is a short string: a
 * value longer than {@value #MAX_PLAIN} characters is replaced by its SHA-256, so a key costs
 * little memory (and Redis space) whatever a client sends.
 */
public sealed interface RateLimitKey {
  int MAX_PLAIN = 64;

  /** The one bucket shared by every request that lacks the header. */
  String MISSING = "-";

  String of(String clientIp, String routeName, MultiMap headers);

  /** The key of this request. */
  default String of(Exchange ex) {
    return of(ex.clientIp(), ex.route() == null ? "" : ex.route().name(), ex.request().headers());
  }

  /** The setting as written in the config. */
  String spec();

  /**
   * The key of the setting {@code spec} (client_ip when absent); the grammar is {@link
   * RateLimitKeySpec}'s.
   */
  static RateLimitKey parse(String spec) {
    return of(spec == null ? RateLimitKeySpec.CLIENT_IP : RateLimitKeySpec.parse(spec));
  }

  static RateLimitKey of(RateLimitKeySpec spec) {
    return switch (spec.kind()) {
      case CLIENT_IP -> new ClientIp();
      case ROUTE -> new PerRoute();
      case HEADER -> new Header(spec.name());
      case CONSUMER -> new ByConsumer();
      case CLAIM -> new Claim(spec.name());
    };
  }

  record ClientIp() implements RateLimitKey {
    @Override
    public String of(String clientIp, String routeName, MultiMap headers) {
      return "ip:" + bounded(clientIp);
    }

    @Override
    public String spec() {
      return "client_ip";
    }
  }

  /** One bucket per route: a middleware used by several routes limits each of them separately. */
  record PerRoute() implements RateLimitKey {
    @Override
    public String of(String clientIp, String routeName, MultiMap headers) {
      return "route:" + bounded(routeName);
    }

    @Override
    public String spec() {
      return "route";
    }
  }

  /** One bucket per value of the header (its first value); requests without it share one bucket. */
  record Header(String name) implements RateLimitKey {
    @Override
    public String of(String clientIp, String routeName, MultiMap headers) {
      String v = headers.get(name);
      // "=" marks a value, so no value can collide with the missing-header bucket
      return v == null ? "h:" + MISSING : "h=" + bounded(v);
    }

    @Override
    public String spec() {
      return "header:" + name;
    }
  }

  /**
   * One bucket per consumer set by an auth middleware placed before the limit on the route; a
   * request without a consumer falls back to its client IP's bucket.
   */
  record ByConsumer() implements RateLimitKey {
    @Override
    public String of(String clientIp, String routeName, MultiMap headers) {
      return "ip:" + bounded(clientIp);
    }

    @Override
    public String of(Exchange ex) {
      // "u=" cannot collide with "ip:"
      return ex.consumer() == null ? of(ex.clientIp(), null, null) : "u=" + bounded(ex.consumer());
    }

    @Override
    public String spec() {
      return "consumer";
    }
  }

  /**
   * One bucket per value of a verified token claim; a request without it falls back to its client
   * IP.
   */
  record Claim(String name) implements RateLimitKey {
    @Override
    public String of(String clientIp, String routeName, MultiMap headers) {
      return "ip:" + bounded(clientIp);
    }

    @Override
    public String of(Exchange ex) {
      Object v = ex.claims() == null ? null : ex.claims().get(name);
      return v == null ? of(ex.clientIp(), null, null) : "c=" + bounded(v.toString());
    }

    @Override
    public String spec() {
      return "claim:" + name;
    }
  }

  private static String bounded(String v) {
    if (v == null) return "";
    if (v.length() <= MAX_PLAIN) return v;
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(v.getBytes(StandardCharsets.UTF_8));
      return "#" + Base64.getUrlEncoder().withoutPadding().encodeToString(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
