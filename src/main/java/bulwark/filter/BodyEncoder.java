package bulwark.filter;

import io.vertx.core.buffer.Buffer;

/**
 * A streaming transform of one response body (compression), started by a {@link BodyEncoding} and
 * driven by the proxy on the request's event loop: each piece of the upstream's body goes through
 * {@link #encode} as it arrives, the end through {@link #finish}. The proxy calls {@link #close}
 * once however the response ends (complete, upstream failure, client gone), so native state is
 * freed on every path.
 */
public interface BodyEncoder {
  /** The coding, as written in Content-Encoding (and the metrics' algorithm label). */
  String name();

  /** Encodes one piece of the body; returns what can be sent now (possibly empty, never null). */
  Buffer encode(Buffer chunk);

  /**
   * The body ended with {@code last} (null when nothing more came): returns the rest of the encoded
   * body, its trailer included.
   */
  Buffer finish(Buffer last);

  /** Frees the encoder's state; idempotent. */
  void close();

  /** Body bytes taken in so far. */
  long bytesIn();

  /** Encoded bytes given out so far. */
  long bytesOut();
}
