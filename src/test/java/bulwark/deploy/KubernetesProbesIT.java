package bulwark.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import bulwark.config.ConfigException;
import bulwark.config.ConfigLoader;
import bulwark.deploy.ManifestChecks.Doc;
import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Deployment's exec probes, run as the kubelet would (sh -c, the read token in the environment)
 * against a real admin listener that requires a token: they pass with the read token and fail
 * without it. And the example Secret's placeholder tokens make the gateway refuse to start on the
 * bootstrap's non-loopback admin listener, rather than run with a published token.
 */
class KubernetesProbesIT {
  static final String TOKEN = "write-token-0123456789abcdef-0123456789";
  static final String READ = "read-token-0123456789abcdef-0123456789";

  private static List<Doc> docs;
  private static JsonNode container;

  @BeforeAll
  static void load() throws Exception {
    docs = ManifestChecks.load(Path.of("deploy/kubernetes"));
    container =
        docs.stream()
            .filter(d -> d.kind().equals("Deployment"))
            .findFirst()
            .orElseThrow()
            .node()
            .at("/spec/template/spec/containers/0");
  }

  private static String config(
      String adminListen, String upstream, String token, String readToken) {
    return """
        server:
          listen: "127.0.0.1:${PORT}"
          shutdown: { gracePeriod: 1s }
        admin:
          listen: "%s"
          token: "%s"
          readToken: "%s"
        observability:
          accessLog: { enabled: false }
        upstreams:
          a: { targets: [ { url: "%s" } ] }
        routes:
          - { name: all, match: { path: /** }, upstream: a }
        """
        .formatted(adminListen, token, readToken, upstream);
  }

  /**
   * Runs the probe's command with the manifest's admin port replaced by the test's, and a generous
   * curl timeout instead of the manifest's 2 s (a busy test machine is not a stuck gateway).
   */
  private static int probe(String name, int adminPort, String readToken) throws Exception {
    List<String> cmd =
        container
            .path(name)
            .path("exec")
            .path("command")
            .valueStream()
            .map(JsonNode::asText)
            .toList();
    assertThat(cmd).hasSize(3).startsWith("sh", "-c");
    String script = cmd.get(2).replace(":9901/", ":" + adminPort + "/").replace("-m 2 ", "-m 30 ");
    assertThat(script).contains(":" + adminPort + "/health/");
    ProcessBuilder pb = new ProcessBuilder("sh", "-c", script).redirectErrorStream(true);
    pb.environment().put("BULWARK_ADMIN_READ_TOKEN", readToken);
    Process p = pb.start();
    try {
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!readToken.isEmpty()) assertThat(out).doesNotContain(readToken);
      return p.exitValue();
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void theExecProbesPassWithTheReadTokenAndFailWithoutIt() throws Exception {
    try (Upstream up = new Upstream("a");
        RunningGateway gw =
            RunningGateway.start(config("0.0.0.0:${ADMIN_PORT}", up.url(), TOKEN, READ))) {
      for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
        assertThat(probe(probe, gw.adminPort, READ)).as(probe).isZero();
        assertThat(probe(probe, gw.adminPort, READ + "x"))
            .as(probe + " with a wrong token")
            .isNotZero();
        assertThat(probe(probe, gw.adminPort, "")).as(probe + " without a token").isNotZero();
      }
    }
  }

  @Test
  void theExampleSecretsPlaceholderTokensAreRefusedOnTheBootstrapsAdminListener() throws Exception {
    JsonNode secret =
        docs.stream()
            .filter(d -> d.kind().equals("Secret"))
            .findFirst()
            .orElseThrow()
            .node()
            .path("stringData");
    String bootstrap =
        docs.stream()
            .filter(d -> d.kind().equals("ConfigMap"))
            .findFirst()
            .orElseThrow()
            .node()
            .at("/data/bulwark.yaml")
            .asText();
    String adminListen = ManifestChecks.YAML.readTree(bootstrap).at("/admin/listen").asText();
    assertThat(adminListen).startsWith("0.0.0.0:");
    String yaml =
        config(
                adminListen,
                "http://127.0.0.1:1",
                "${BULWARK_ADMIN_TOKEN}",
                "${BULWARK_ADMIN_READ_TOKEN}")
            .replace("${PORT}", "8080");
    Map<String, String> env =
        Map.of(
            "BULWARK_ADMIN_TOKEN", secret.path("admin-token").asText(),
            "BULWARK_ADMIN_READ_TOKEN", secret.path("admin-read-token").asText());
    assertThatThrownBy(() -> new ConfigLoader(env::get).parse(yaml))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("admin.token")
        .hasMessageContaining("admin.readToken");
  }
}
