package bulwark.filter;

import io.vertx.core.buffer.Buffer;

/**
 * Decoding of a request body on its way upstream (gzip inflated for an upstream that cannot),
 * pulled in bounded slices so that the proxy keeps its back-pressure: it gives a piece of the
 * client's body with {@link #input}, takes decoded slices with {@link #next} while the upstream can
 * take them, and pauses the client meanwhile. Driven on the request's event loop; the proxy calls
 * {@link #close} once however the request ends.
 */
public interface BodyDecoder {
  /** The next piece of the client's body; given only once the previous one is decoded. */
  void input(Buffer piece);

  /**
   * Up to 64 KiB of decoded bytes, or null when the input given so far is all decoded.
   *
   * @throws IllegalArgumentException when the body is not valid in this coding
   */
  Buffer next();

  /**
   * The client's body ended. What the decoder still holds (decoded only now that the end is known)
   * comes from {@link #next} afterwards.
   *
   * @throws IllegalArgumentException when it ended inside an encoded stream (truncated)
   */
  void end();

  /** Frees the decoder's state; idempotent. */
  void close();
}
