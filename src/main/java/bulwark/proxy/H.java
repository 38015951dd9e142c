package bulwark.proxy;

import io.vertx.core.http.HttpHeaders;

/**
 * Header names (and constant values) pre-encoded once: hashing and validating them is then paid
 * at start-up instead of on every request.
 */
final class H {
  static final CharSequence X_REQUEST_ID = HttpHeaders.createOptimized("X-Request-Id");
  static final CharSequence X_FORWARDED_FOR = HttpHeaders.createOptimized("X-Forwarded-For");
  static final CharSequence X_FORWARDED_PROTO = HttpHeaders.createOptimized("X-Forwarded-Proto");
  static final CharSequence X_FORWARDED_HOST = HttpHeaders.createOptimized("X-Forwarded-Host");
  static final CharSequence FORWARDED = HttpHeaders.createOptimized("Forwarded");
  static final CharSequence CONNECTION = HttpHeaders.CONNECTION;
  static final CharSequence CONTENT_LENGTH = HttpHeaders.CONTENT_LENGTH;
  static final CharSequence TRANSFER_ENCODING = HttpHeaders.TRANSFER_ENCODING;
  static final CharSequence UPGRADE = HttpHeaders.UPGRADE;
  static final CharSequence HOST = HttpHeaders.HOST;
  static final CharSequence CLOSE = HttpHeaders.createOptimized("close");
  static final CharSequence HTTP = HttpHeaders.createOptimized("http");
  static final CharSequence HTTPS = HttpHeaders.createOptimized("https");

  private H() {}
}
