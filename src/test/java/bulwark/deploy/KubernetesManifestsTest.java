package bulwark.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.deploy.ManifestChecks.Doc;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * deploy/kubernetes: every manifest parses and names itself, and the Deployment, Service, PDB, HPA,
 * ConfigMap and Secret agree with each other and with the bootstrap config the ConfigMap holds
 * (ports, probe paths, grace periods, env names). Each check is shown to catch a broken copy.
 */
class KubernetesManifestsTest {
  private static final Path DIR = Path.of("deploy/kubernetes");
  private static List<Doc> docs;

  @BeforeAll
  static void load() throws Exception {
    docs = ManifestChecks.load(DIR);
  }

  @Test
  void everyManifestParsesAndTheyAgreeWithTheBootstrapConfig() {
    assertThat(docs.stream().map(Doc::kind).collect(Collectors.toSet()))
        .containsAll(
            Set.of(
                "Deployment",
                "Service",
                "PodDisruptionBudget",
                "HorizontalPodAutoscaler",
                "ConfigMap",
                "Secret",
                "Kustomization"));
    assertThat(ManifestChecks.check(docs, DIR)).isEmpty();
  }

  @Test
  void theProbesAskTheAdminListenerForHealthWithTheReadToken() throws Exception {
    JsonNode container = container(docs);
    JsonNode bootstrap = bootstrap(docs);
    int adminPort = Integer.parseInt(bootstrap.at("/admin/listen").asText().replaceAll(".*:", ""));
    ManifestChecks.Target ready =
        ManifestChecks.target(container.path("readinessProbe"), container);
    ManifestChecks.Target live = ManifestChecks.target(container.path("livenessProbe"), container);
    assertThat(ready).isNotNull();
    assertThat(live).isNotNull();
    assertThat(ready.path()).isEqualTo("/health/ready");
    assertThat(live.path()).isEqualTo("/health/live");
    assertThat(ready.port()).isEqualTo(adminPort);
    assertThat(ready.envRefs()).containsExactly("BULWARK_ADMIN_READ_TOKEN");
    assertThat(bootstrap.at("/admin/readToken").asText()).isEqualTo("${BULWARK_ADMIN_READ_TOKEN}");
    assertThat(bootstrap.at("/configSource/type").asText()).isEqualTo("etcd");
  }

  static Stream<Arguments> brokenCopies() {
    return Stream.of(
        broken(
            "a Service without a name",
            "Service",
            d -> d.with("metadata").remove("name"),
            "no metadata.name"),
        broken(
            "the data containerPort moved",
            "Deployment",
            d -> containerPort(d, 0, 8081),
            "server.listen"),
        broken(
            "the admin containerPort moved",
            "Deployment",
            d -> containerPort(d, 1, 9902),
            "admin.listen"),
        broken(
            "readiness on /health/live",
            "Deployment",
            d -> probeCommand(d, "readinessProbe", "/health/ready", "/health/live"),
            "path /health/live, expected /health/ready"),
        broken(
            "liveness on the wrong port",
            "Deployment",
            d -> probeCommand(d, "livenessProbe", ":9901", ":9902"),
            "port 9902"),
        broken(
            "a probe without the token",
            "Deployment",
            d -> probeCommand(d, "readinessProbe", "\"$BULWARK_ADMIN_READ_TOKEN\"", "x"),
            "sends no token"),
        broken(
            "a probe reading an unset variable",
            "Deployment",
            d -> probeCommand(d, "livenessProbe", "BULWARK_ADMIN_READ_TOKEN", "BULWARK_READ"),
            "$BULWARK_READ"),
        broken(
            "an httpGet probe",
            "Deployment",
            KubernetesManifestsTest::httpGetReadiness,
            "httpGet probe cannot send admin.token"),
        broken(
            "too short a termination grace",
            "Deployment",
            d -> podSpec(d).put("terminationGracePeriodSeconds", 40),
            "terminationGracePeriodSeconds 40"),
        broken("no preStop", "Deployment", d -> container(d).remove("lifecycle"), "no preStop"),
        broken(
            "a longer gracePeriod in the bootstrap",
            "ConfigMap",
            d -> bootstrapText(d, "gracePeriod: 30s", "gracePeriod: 40s"),
            "terminationGracePeriodSeconds 45"),
        broken(
            "server.listen on another port",
            "ConfigMap",
            d -> bootstrapText(d, "0.0.0.0:8080", "0.0.0.0:8088"),
            "no containerPort 8088"),
        broken(
            "admin.listen on loopback only",
            "ConfigMap",
            d -> bootstrapText(d, "0.0.0.0:9901", "10.1.2.3:9901"),
            "not reachable on 127.0.0.1"),
        broken(
            "a bootstrap placeholder without an env",
            "ConfigMap",
            d -> bootstrapText(d, "${BULWARK_REDIS}", "${BULWARK_REDIS_URL}"),
            "${BULWARK_REDIS_URL}"),
        broken(
            "the cache file off the emptyDir",
            "ConfigMap",
            d -> bootstrapText(d, "/var/lib/bulwark/last-good.json", "/opt/bulwark/last-good.json"),
            "not on a writable emptyDir"),
        broken(
            "an env from a missing Secret key",
            "Deployment",
            d -> env(d, 1).with("valueFrom").with("secretKeyRef").put("key", "etcd-pass"),
            "key 'etcd-pass'"),
        broken(
            "a writable root file system",
            "Deployment",
            d -> container(d).with("securityContext").put("readOnlyRootFilesystem", false),
            "readOnlyRootFilesystem"),
        broken(
            "a PDB selecting other pods",
            "PodDisruptionBudget",
            d ->
                d.with("spec")
                    .with("selector")
                    .with("matchLabels")
                    .put("app.kubernetes.io/name", "other"),
            "PodDisruptionBudget bulwark: its selector"),
        broken(
            "an HPA on another Deployment",
            "HorizontalPodAutoscaler",
            d -> d.with("spec").with("scaleTargetRef").put("name", "other"),
            "scaleTargetRef"),
        broken(
            "a Service targeting the admin port",
            "Service",
            d -> ((ObjectNode) d.with("spec").withArray("ports").get(0)).put("targetPort", "admin"),
            "exposes the admin port"),
        broken(
            "a Service selecting other pods",
            "Service",
            d -> d.with("spec").with("selector").put("app.kubernetes.io/component", "other"),
            "Service bulwark: its selector"),
        broken(
            "replicas beside the HPA",
            "Deployment",
            d -> d.with("spec").put("replicas", 3),
            "spec.replicas"),
        broken(
            "a kustomization missing a manifest",
            "Kustomization",
            d -> d.withArray("resources").remove(0),
            "does not list configmap.yaml"));
  }

  private static Arguments broken(
      String what, String kind, Consumer<ObjectNode> edit, String expected) {
    return Arguments.of(what, kind, edit, expected);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("brokenCopies")
  void aBrokenCopyIsCaught(String what, String kind, Consumer<ObjectNode> edit, String expected) {
    List<Doc> copy = docs.stream().map(Doc::copy).toList();
    Doc target = copy.stream().filter(d -> d.kind().equals(kind)).findFirst().orElseThrow();
    edit.accept(target.node());
    assertThat(ManifestChecks.check(copy, DIR)).anySatisfy(p -> assertThat(p).contains(expected));
  }

  private static ObjectNode podSpec(ObjectNode deployment) {
    return deployment.with("spec").with("template").with("spec");
  }

  private static ObjectNode container(ObjectNode deployment) {
    return (ObjectNode) podSpec(deployment).withArray("containers").get(0);
  }

  private static JsonNode container(List<Doc> docs) {
    return docs.stream()
        .filter(d -> d.kind().equals("Deployment"))
        .findFirst()
        .orElseThrow()
        .node()
        .at("/spec/template/spec/containers/0");
  }

  private static JsonNode bootstrap(List<Doc> docs) throws Exception {
    String text =
        docs.stream()
            .filter(d -> d.kind().equals("ConfigMap"))
            .findFirst()
            .orElseThrow()
            .node()
            .at("/data/bulwark.yaml")
            .asText();
    return ManifestChecks.YAML.readTree(text);
  }

  private static void containerPort(ObjectNode deployment, int index, int port) {
    ((ObjectNode) container(deployment).withArray("ports").get(index)).put("containerPort", port);
  }

  private static ObjectNode env(ObjectNode deployment, int index) {
    return (ObjectNode) container(deployment).withArray("env").get(index);
  }

  private static void probeCommand(ObjectNode deployment, String probe, String from, String to) {
    ArrayNode cmd = container(deployment).with(probe).with("exec").withArray("command");
    String last = cmd.get(cmd.size() - 1).asText();
    assertThat(last).contains(from);
    cmd.set(cmd.size() - 1, last.replace(from, to));
  }

  private static void httpGetReadiness(ObjectNode deployment) {
    ObjectNode probe = container(deployment).with("readinessProbe");
    probe.remove("exec");
    probe.with("httpGet").put("path", "/health/ready").put("port", "admin");
  }

  private static void bootstrapText(ObjectNode configMap, String from, String to) {
    ObjectNode data = configMap.with("data");
    String text = data.path("bulwark.yaml").asText();
    assertThat(text).contains(from);
    data.put("bulwark.yaml", text.replace(from, to));
  }
}
