package bulwark.observe.tracing;

import io.netty.util.AsciiString;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.vertx.core.MultiMap;

/**
 * The W3C trace-context headers, and how the propagator reads and writes them on Vert.x headers.
 */
final class TraceHeaders {
  private TraceHeaders() {}

  static final String TRACEPARENT = "traceparent";
  static final String TRACESTATE = "tracestate";

  static final TextMapGetter<MultiMap> GETTER =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(MultiMap carrier) {
          return carrier.names();
        }

        @Override
        public String get(MultiMap carrier, String key) {
          return carrier == null ? null : carrier.get(key);
        }
      };
  static final TextMapSetter<MultiMap> SETTER =
      (carrier, key, value) -> {
        if (carrier != null) carrier.set(key, value);
      };

  /**
   * The header names as pre-hashed AsciiStrings (they are looked up, removed or set on every
   * request).
   */
  static final CharSequence TRACEPARENT_NAME = AsciiString.cached(TRACEPARENT);

  static final CharSequence TRACESTATE_NAME = AsciiString.cached(TRACESTATE);
}
