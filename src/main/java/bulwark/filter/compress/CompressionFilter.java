package bulwark.filter.compress;

import bulwark.config.CompressionAlgorithm;
import bulwark.config.CompressionConfig;
import bulwark.filter.BodyEncoder;
import bulwark.filter.BodyEncoding;
import bulwark.filter.Chain;
import bulwark.filter.Exchange;
import bulwark.filter.Filter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code compression} middleware (docs/compression.md). On the request it picks the coding from
 * Accept-Encoding ({@link AcceptEncoding}); on the response head it decides whether this body is
 * compressed ({@link Response#begin}), and the proxy then streams it through a {@link GzipEncoder}
 * or {@link BrotliEncoder} piece by piece, with its back-pressure unchanged. With {@code
 * decompressRequests}, a gzip request body is inflated on its way up ({@link GzipDecoder}).
 */
public final class CompressionFilter implements Filter {
  private static final Logger LOG = LoggerFactory.getLogger(CompressionFilter.class);

  /**
   * Encoders and request decoders of this process not closed yet: each holds native zlib or Brotli
   * state.
   */
  static final AtomicLong OPEN = new AtomicLong();

  private final CompressionAlgorithm[] algorithms;
  private final MediaTypes types;
  private final long minSize;
  private final int gzipLevel;
  private final int brLevel;
  private final boolean decompressRequests;

  /** By chosen coding: [0] none, [1 + ordinal] that one. Shared by all requests. */
  private final Response[] responses;

  private CompressionFilter(CompressionConfig c, CompressionAlgorithm[] algorithms) {
    this.algorithms = algorithms;
    this.types = MediaTypes.of(c.types());
    this.minSize = c.minSize() == null ? 0 : c.minSize().bytes();
    this.gzipLevel = c.levels().gzip();
    this.brLevel = c.levels().br();
    this.decompressRequests = c.decompressRequests();
    CompressionAlgorithm[] all = CompressionAlgorithm.values();
    this.responses = new Response[all.length + 1];
    responses[0] = new Response(null);
    for (CompressionAlgorithm a : all) responses[1 + a.ordinal()] = new Response(a);
  }

  /**
   * Bodies being compressed or inflated now, in this process (each holds native memory until its
   * exchange ends, however it ends).
   */
  public static long openEncoders() {
    return OPEN.get();
  }

  public static CompressionFilter of(CompressionConfig c) {
    return new CompressionFilter(c, BrotliSupport.usable(c.algorithms()));
  }

  /** For tests: {@code brotli} stands for the native library's loading (the reason it fails). */
  static CompressionFilter of(CompressionConfig c, Supplier<Throwable> brotli) {
    return new CompressionFilter(
        c,
        BrotliSupport.usable(
            c.algorithms(), brotli, new java.util.concurrent.atomic.AtomicBoolean()));
  }

  /** The codings offered, in order, after the Brotli check. */
  List<CompressionAlgorithm> offered() {
    return List.of(algorithms);
  }

  /** The response-head decision for this chosen coding (null: none). */
  BodyEncoding response(CompressionAlgorithm a) {
    return responses[a == null ? 0 : 1 + a.ordinal()];
  }

  @Override
  public Future<Void> handle(Exchange ex, Chain next) {
    HttpServerRequest req = ex.request();
    ex.encodeResponse(responses[choose(req)]);
    if (decompressRequests) inflateRequest(ex);
    return next.next(ex);
  }

  /**
   * A body sent with Content-Encoding: gzip (alone) goes up inflated, without the header and
   * without a Content-Length (chunked: its length is known only at the end).
   */
  private static void inflateRequest(Exchange ex) {
    String ce = ex.request().getHeader(HttpHeaderNames.CONTENT_ENCODING);
    MultiMap up = ex.upstreamHeaders();
    if (ce == null || up == null) return;
    String c = ce.trim();
    if (!c.equalsIgnoreCase("gzip") && !c.equalsIgnoreCase("x-gzip")) return;
    up.remove(HttpHeaderNames.CONTENT_ENCODING);
    up.remove(HttpHeaderNames.CONTENT_LENGTH);
    ex.decodeRequest(new GzipDecoder());
  }

  /** 0 for no coding, else 1 + the chosen coding's ordinal. */
  private int choose(HttpServerRequest req) {
    // no body to compress (HEAD), a byte range of the identity body (Range), or an HTTP/1.0 client
    // that a body without Content-Length would make wait for the connection's close
    if (req.method() == HttpMethod.HEAD
        || req.version() == HttpVersion.HTTP_1_0
        || req.headers().contains(HttpHeaderNames.RANGE)) return 0;
    List<String> ae = req.headers().getAll(HttpHeaderNames.ACCEPT_ENCODING);
    if (ae.isEmpty()) return 0;
    String header = ae.size() == 1 ? ae.get(0) : String.join(",", ae);
    CompressionAlgorithm a = AcceptEncoding.choose(header, algorithms);
    return a == null ? 0 : 1 + a.ordinal();
  }

  /**
   * The decision on one response head, for one chosen coding (null: the client accepts none, or the
   * request rules it out). A response that could be compressed varies by Accept-Encoding whether or
   * not this one is.
   */
  final class Response implements BodyEncoding {
    private final CompressionAlgorithm algorithm;

    Response(CompressionAlgorithm algorithm) {
      this.algorithm = algorithm;
    }

    @Override
    public BodyEncoder begin(int status, MultiMap h) {
      if (!compressible(status, h)) return null;
      vary(h);
      if (algorithm == null) return null;
      // a body of unknown length may be a stream (events, a long poll): each piece goes out at
      // once. One of known length is a document: flushing every piece would only cost CPU and
      // ratio (Brotli's most of all), and its bytes still flow as the encoder's blocks fill
      boolean stream = !h.contains(HttpHeaderNames.CONTENT_LENGTH);
      BodyEncoder enc;
      try {
        enc =
            algorithm == CompressionAlgorithm.BR
                ? new BrotliEncoder(brLevel, stream)
                : new GzipEncoder(gzipLevel, stream);
      } catch (RuntimeException | LinkageError e) {
        LOG.warn(
            "cannot start a {} encoder, the response goes uncompressed: {}",
            algorithm,
            e.toString());
        return null;
      }
      h.remove(HttpHeaderNames.CONTENT_LENGTH);
      // ranges of the compressed body are not offered (a Range request is never compressed)
      h.remove(HttpHeaderNames.ACCEPT_RANGES);
      h.set(HttpHeaderNames.CONTENT_ENCODING, algorithm.configName());
      String etag = h.get(HttpHeaderNames.ETAG);
      // the bytes differ from the upstream's: a strong validator would claim they are the same
      if (etag != null && !etag.startsWith("W/")) h.set(HttpHeaderNames.ETAG, "W/" + etag);
      return enc;
    }
  }

  /** What the response head allows: a body of a listed type, not encoded, not too small. */
  boolean compressible(int status, MultiMap h) {
    if (status < 200 || status == 204 || status == 206 || status == 304) return false;
    String ce = h.get(HttpHeaderNames.CONTENT_ENCODING);
    if (ce != null && !ce.trim().equalsIgnoreCase("identity")) return false;
    if (h.contains(HttpHeaderNames.CONTENT_RANGE)) return false;
    String type = h.get(HttpHeaderNames.CONTENT_TYPE);
    // gRPC compresses its messages itself (grpc-encoding); an HTTP coding would break its framing
    if (type != null && type.regionMatches(true, 0, "application/grpc", 0, 16)) return false;
    if (!types.matches(type)) return false;
    if (noTransform(h.getAll(HttpHeaderNames.CACHE_CONTROL))) return false;
    String cl = h.get(HttpHeaderNames.CONTENT_LENGTH);
    if (cl != null) {
      long n = length(cl);
      if (n == 0 || (n > 0 && n < minSize)) return false;
    }
    return true;
  }

  /** The Content-Length, or -1 when it is not a number (left to the proxy's own checks). */
  private static long length(String cl) {
    try {
      return Long.parseLong(cl.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static boolean noTransform(List<String> cacheControl) {
    for (String v : cacheControl)
      for (String directive : v.split(","))
        if (directive.trim().equalsIgnoreCase("no-transform")) return true;
    return false;
  }

  /** Adds Accept-Encoding to Vary (one line), unless it is there or Vary is '*'. */
  static void vary(MultiMap h) {
    List<String> all = h.getAll(HttpHeaderNames.VARY);
    for (String v : all)
      for (String name : v.split(",")) {
        String n = name.trim();
        if (n.equals("*") || n.equalsIgnoreCase("accept-encoding")) return;
      }
    if (all.isEmpty()) {
      h.set(HttpHeaderNames.VARY, "Accept-Encoding");
      return;
    }
    StringBuilder sb = new StringBuilder();
    for (String v : all) {
      String t = v.trim();
      if (t.isEmpty()) continue;
      if (sb.length() > 0) sb.append(", ");
      sb.append(t);
    }
    h.set(HttpHeaderNames.VARY, sb.length() == 0 ? "Accept-Encoding" : sb + ", Accept-Encoding");
  }
}
