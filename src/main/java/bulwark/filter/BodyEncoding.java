package bulwark.filter;

import io.vertx.core.MultiMap;

/**
 * How a filter asks to change a response body on its way to the client ({@link
 * Exchange#encodeResponse}): asked once, when the upstream's head is about to go out, whether to
 * encode this body.
 */
@FunctionalInterface
public interface BodyEncoding {
  /**
   * @param status the response status
   * @param headers the response headers as they will go to the client (the filters' header hooks
   *     already applied); the encoding may change them (Content-Encoding, Content-Length, Vary,
   *     ETag)
   * @return the encoder for this body, or null to send it as it is
   */
  BodyEncoder begin(int status, MultiMap headers);
}
