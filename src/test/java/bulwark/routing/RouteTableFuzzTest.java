package bulwark.routing;

import bulwark.config.ConfigLoader;
import bulwark.upstream.target.TargetStates;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.vertx.core.MultiMap;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Jazzer: route lookup answers any method, host, path, query and headers without throwing. The
 * input is text, one field per line: method, host (empty for none), path, query (empty for none),
 * then {@code Name: value} header lines. {@code mvn test} runs the seeds in
 * src/test/resources/bulwark/routing/RouteTableFuzzTestInputs/lookup/; JAZZER_FUZZ=1 fuzzes.
 */
class RouteTableFuzzTest {
  private static final RouteTable TABLE = table();

  private static RouteTable table() {
    try {
      var cfg =
          new ConfigLoader(k -> null)
              .parse(
                  """
          upstreams:
            u: { targets: [ { url: http://127.0.0.1:1 } ] }
          versioning: { vendor: acme, default: v1 }
          routes:
            - { name: exact, match: { path: /a/b/c, methods: [GET] }, upstream: u }
            - { name: param, match: { path: "/a/{x}/c", methods: [POST, PUT] }, upstream: u }
            - { name: star, match: { path: "/a/*/d" }, upstream: u }
            - { name: rest, match: { path: "/a/**" }, upstream: u }
            - { name: host, match: { path: /h/**, host: "*.example.com" }, upstream: u }
            - { name: exacthost, match: { path: /h/**, host: api.example.com }, upstream: u }
            - { name: hdr, match: { path: /x/**, headers: { X-Tenant: "regex:[a-z]+" }, query: { debug: "1" } }, upstream: u }
            - { name: v1, match: { path: /v/** }, version: v1, upstream: u }
            - { name: v2, match: { path: /v/** }, version: v2, upstream: u }
            - { name: root, match: { path: / }, upstream: u }
          groups:
            - prefix: /api/{ver}
              stripPrefix: true
              routes:
                - { name: grouped, match: { path: "/items/{id}/**" }, upstream: u }
          """);
      return RouteTableCompiler.compile(cfg, new TargetStates(), Map.of(), 1);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @FuzzTest(maxDuration = "60s")
  void lookup(byte[] input) {
    String[] f = new String(input, StandardCharsets.ISO_8859_1).split("\n", -1);
    String method = f.length > 0 ? f[0] : "";
    String host = f.length > 1 && !f[1].isEmpty() ? f[1] : null;
    String path = f.length > 2 ? f[2] : "/";
    String query = f.length > 3 && !f[3].isEmpty() ? f[3] : null;
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    for (int i = 4; i < f.length; i++) {
      int colon = f[i].indexOf(':');
      if (colon > 0) headers.add(f[i].substring(0, colon), f[i].substring(colon + 1).trim());
    }
    RouteResult r = TABLE.lookup(method, host, path, headers, query);
    if (r == null) throw new AssertionError("lookup returned null");
  }
}
