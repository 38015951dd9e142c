package bulwark.deploy;

import bulwark.config.Durations;
import bulwark.config.HostPort;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checks the Kubernetes manifests in deploy/kubernetes against each other and against the bootstrap
 * config their ConfigMap holds: every check adds a problem naming the manifest and the field, so a
 * test can show that a broken copy is caught. The bootstrap is read as a plain YAML tree (server,
 * admin, configSource), not through the config loader.
 */
final class ManifestChecks {
  /** One YAML document and the file it came from. */
  record Doc(String file, ObjectNode node) {
    String kind() {
      return node.path("kind").asText();
    }

    String name() {
      return node.path("metadata").path("name").asText();
    }

    Doc copy() {
      return new Doc(file, node.deepCopy());
    }
  }

  /** Where an exec or httpGet probe sends its request. */
  record Target(String host, int port, String path, Set<String> envRefs, boolean exec) {}

  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Pattern PLACEHOLDER =
      Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?}");
  private static final Pattern SHELL_VAR = Pattern.compile("\\$\\{?([A-Za-z_][A-Za-z0-9_]*)");
  private static final Pattern URL =
      Pattern.compile("https?://(\\[[^]]+]|[^/:\\s'\"]+):(\\d+)(/[^\\s'\"]*)");

  private final List<Doc> docs;
  private final List<String> problems = new ArrayList<>();

  private ManifestChecks(List<Doc> docs) {
    this.docs = docs;
  }

  /** Every YAML document of every *.yaml / *.yml file in dir (several per file allowed). */
  static List<Doc> load(Path dir) throws IOException {
    List<Doc> out = new ArrayList<>();
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files =
          s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
              .sorted()
              .toList();
    }
    for (Path f : files) {
      try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(f.toFile())) {
        while (it.hasNext()) {
          JsonNode n = it.next();
          if (n == null || n.isNull() || n.isMissingNode()) continue; // an empty document
          if (!(n instanceof ObjectNode o))
            throw new IOException(f + ": a document that is not a mapping");
          out.add(new Doc(f.getFileName().toString(), o));
        }
      }
    }
    return out;
  }

  /** The problems found; empty when the manifests are consistent. */
  static List<String> check(List<Doc> docs, Path dir) {
    ManifestChecks c = new ManifestChecks(docs);
    c.run(dir);
    return c.problems;
  }

  private void problem(String text) {
    problems.add(text);
  }

  private void run(Path dir) {
    for (Doc d : docs) {
      for (String f : List.of("apiVersion", "kind"))
        if (d.node().path(f).asText().isBlank()) problem(d.file() + ": no " + f);
      if (d.name().isBlank()) problem(d.file() + ": no metadata.name");
    }
    List<Doc> deployments = ofKind("Deployment");
    if (deployments.size() != 1) {
      problem("expected one Deployment, found " + deployments.size());
      return;
    }
    Doc deployment = deployments.get(0);
    JsonNode pod = deployment.node().path("spec").path("template");
    JsonNode labels = pod.path("metadata").path("labels");
    JsonNode container = pod.path("spec").path("containers").path(0);
    if (!subset(deployment.node().path("spec").path("selector").path("matchLabels"), labels))
      problem("Deployment: spec.selector.matchLabels does not select its pod template's labels");

    JsonNode bootstrap = bootstrap(pod, container);
    if (bootstrap == null) return;
    HostPort data = listen(bootstrap, "server", "0.0.0.0:8080");
    HostPort admin = listen(bootstrap, "admin", "127.0.0.1:9901");
    if (data == null || admin == null) return;
    Set<String> env = env(container);

    ports(container, data, admin);
    probes(container, admin, bootstrap, env);
    termination(pod, container, bootstrap);
    secrets(container);
    Matcher m = PLACEHOLDER.matcher(bootstrap.toString());
    while (m.find())
      if (!env.contains(m.group(1)))
        problem(
            "the bootstrap config reads ${"
                + m.group(1)
                + "}, which the container's env does not define");
    security(pod, container, bootstrap);
    service(labels, container, data, admin);
    selects("PodDisruptionBudget", labels);
    hpa(deployment, container);
    kustomization(dir);
  }

  private List<Doc> ofKind(String kind) {
    return docs.stream().filter(d -> d.kind().equals(kind)).toList();
  }

  private Doc named(String kind, String name) {
    return docs.stream()
        .filter(d -> d.kind().equals(kind) && d.name().equals(name))
        .findFirst()
        .orElse(null);
  }

  private static boolean subset(JsonNode selector, JsonNode labels) {
    if (!selector.isObject() || selector.isEmpty()) return false;
    for (Map.Entry<String, JsonNode> e : selector.properties())
      if (!e.getValue().asText().equals(labels.path(e.getKey()).asText(null))) return false;
    return true;
  }

  /**
   * The bootstrap config: the file after the container's -c, which must be a key of a ConfigMap
   * mounted at its directory.
   */
  private JsonNode bootstrap(JsonNode pod, JsonNode container) {
    List<String> cmd = new ArrayList<>();
    container.path("command").forEach(a -> cmd.add(a.asText()));
    container.path("args").forEach(a -> cmd.add(a.asText()));
    int c = cmd.indexOf("-c");
    if (c < 0 || c + 1 >= cmd.size()) {
      problem("Deployment: the container's command has no -c <bootstrap file>: " + cmd);
      return null;
    }
    String file = cmd.get(c + 1);
    for (JsonNode mount : container.path("volumeMounts")) {
      String dir = mount.path("mountPath").asText();
      if (!file.startsWith(dir + "/")) continue;
      String key = file.substring(dir.length() + 1);
      JsonNode volume = volume(pod, mount.path("name").asText());
      String cmName = volume.path("configMap").path("name").asText();
      Doc cm = named("ConfigMap", cmName);
      if (cm == null) {
        problem("Deployment: " + file + " is mounted from ConfigMap '" + cmName + "', not found");
        return null;
      }
      String text = cm.node().path("data").path(key).asText(null);
      if (text == null) {
        problem(
            "ConfigMap "
                + cmName
                + ": no data key '"
                + key
                + "' (the container reads "
                + file
                + ")");
        return null;
      }
      try {
        return YAML.readTree(text);
      } catch (IOException e) {
        problem("ConfigMap " + cmName + ": " + key + " is not YAML: " + e.getMessage());
        return null;
      }
    }
    problem("Deployment: no ConfigMap volume is mounted where the bootstrap " + file + " is");
    return null;
  }

  private static JsonNode volume(JsonNode pod, String name) {
    for (JsonNode v : pod.path("spec").path("volumes"))
      if (v.path("name").asText().equals(name)) return v;
    return MissingNode.getInstance();
  }

  private HostPort listen(JsonNode bootstrap, String section, String dflt) {
    String text = bootstrap.path(section).path("listen").asText(dflt);
    try {
      return HostPort.parse(text);
    } catch (IllegalArgumentException e) {
      problem("bootstrap " + section + ".listen: " + e.getMessage());
      return null;
    }
  }

  private static Set<String> env(JsonNode container) {
    Set<String> names = new HashSet<>();
    container.path("env").forEach(e -> names.add(e.path("name").asText()));
    return names;
  }

  /** A container port by name or number, -1 when it names no port of the container. */
  private static int port(JsonNode container, JsonNode ref) {
    if (ref.isInt()) return ref.asInt();
    for (JsonNode p : container.path("ports"))
      if (p.path("name").asText().equals(ref.asText())) return p.path("containerPort").asInt();
    return -1;
  }

  private void ports(JsonNode container, HostPort data, HostPort admin) {
    Set<Integer> declared = new HashSet<>();
    container.path("ports").forEach(p -> declared.add(p.path("containerPort").asInt()));
    if (!declared.contains(data.port()))
      problem("Deployment: no containerPort " + data.port() + " (the bootstrap's server.listen)");
    if (!declared.contains(admin.port()))
      problem("Deployment: no containerPort " + admin.port() + " (the bootstrap's admin.listen)");
    for (int p : declared)
      if (p != data.port() && p != admin.port())
        problem("Deployment: containerPort " + p + " is neither server.listen nor admin.listen");
  }

  private void probes(JsonNode container, HostPort admin, JsonNode bootstrap, Set<String> env) {
    boolean token = !bootstrap.path("admin").path("token").asText("").isEmpty();
    if (!admin.loopback() && !token)
      problem("bootstrap admin.listen " + admin + " is not loopback, so admin.token must be set");
    Map<String, String> paths =
        Map.of(
            "readinessProbe", "/health/ready",
            "livenessProbe", "/health/live",
            "startupProbe", "/health/live");
    for (Map.Entry<String, String> e : paths.entrySet()) {
      JsonNode probe = container.path(e.getKey());
      if (probe.isMissingNode()) {
        if (!e.getKey().equals("startupProbe")) problem("Deployment: no " + e.getKey());
        continue;
      }
      Target t = target(probe, container);
      String where = "Deployment " + e.getKey();
      for (JsonNode arg : probe.path("exec").path("command"))
        if (!arg.isTextual())
          problem(where + ": a command element is not a string (YAML read ': ' as a mapping?)");
      if (t == null) {
        problem(where + ": neither an httpGet nor an exec probe with an http:// URL");
        continue;
      }
      if (!t.path().equals(e.getValue()))
        problem(where + ": path " + t.path() + ", expected " + e.getValue());
      if (t.port() != admin.port())
        problem(where + ": port " + t.port() + ", but admin.listen is " + admin);
      if (!t.exec() && token)
        problem(
            where
                + ": an httpGet probe cannot send admin.token (the kubelet reads no Secret), and"
                + " with a token every admin request needs it: use an exec probe");
      if (t.exec() && !HostPort.parse("[" + t.host() + "]:1").loopback())
        problem(where + ": an exec probe runs in the pod: address the admin port on 127.0.0.1");
      if (t.exec() && !admin.loopback() && !wildcard(admin.host()))
        problem(where + ": admin.listen " + admin + " is not reachable on 127.0.0.1");
      for (String v : t.envRefs())
        if (!env.contains(v)) problem(where + ": uses $" + v + ", not in the container's env");
      if (t.exec() && token && t.envRefs().isEmpty())
        problem(where + ": sends no token, but the admin listener needs one");
    }
  }

  private static boolean wildcard(String host) {
    return host.equals("0.0.0.0") || host.equals("::") || host.equals("0:0:0:0:0:0:0:0");
  }

  static Target target(JsonNode probe, JsonNode container) {
    JsonNode http = probe.path("httpGet");
    if (http.isObject())
      return new Target(
          http.path("host").asText(""),
          port(container, http.path("port")),
          http.path("path").asText("/"),
          Set.of(),
          false);
    StringBuilder cmd = new StringBuilder();
    probe.path("exec").path("command").forEach(a -> cmd.append(a.asText()).append(' '));
    Matcher m = URL.matcher(cmd);
    if (!m.find()) return null;
    String host = m.group(1).replace("[", "").replace("]", "");
    Set<String> refs = new HashSet<>();
    Matcher v = SHELL_VAR.matcher(cmd);
    while (v.find()) refs.add(v.group(1));
    return new Target(host, Integer.parseInt(m.group(2)), m.group(3), refs, true);
  }

  private void termination(JsonNode pod, JsonNode container, JsonNode bootstrap) {
    long grace =
        Durations.parse(bootstrap.path("server").path("shutdown").path("gracePeriod").asText("30s"))
            .toSeconds();
    JsonNode preStop = container.path("lifecycle").path("preStop");
    long sleep = -1;
    if (preStop.path("sleep").has("seconds"))
      sleep = preStop.path("sleep").path("seconds").asLong();
    JsonNode cmd = preStop.path("exec").path("command");
    if (cmd.size() == 2 && cmd.path(0).asText().endsWith("sleep"))
      sleep = Long.parseLong(cmd.path(1).asText());
    if (sleep < 0) {
      problem("Deployment: no preStop sleep to let the endpoints removal reach every proxy");
      sleep = 0;
    }
    long tgp = pod.path("spec").path("terminationGracePeriodSeconds").asLong(30);
    if (tgp <= grace + sleep)
      problem(
          "Deployment: terminationGracePeriodSeconds "
              + tgp
              + " must exceed the preStop sleep ("
              + sleep
              + " s) + server.shutdown.gracePeriod ("
              + grace
              + " s)");
  }

  private void secrets(JsonNode container) {
    for (JsonNode e : container.path("env")) {
      for (String ref : List.of("secretKeyRef", "configMapKeyRef")) {
        JsonNode r = e.path("valueFrom").path(ref);
        if (!r.isObject()) continue;
        String kind = ref.equals("secretKeyRef") ? "Secret" : "ConfigMap";
        String name = r.path("name").asText();
        String key = r.path("key").asText();
        Doc d = named(kind, name);
        if (d == null || !(d.node().path("data").has(key) || d.node().path("stringData").has(key)))
          problem(
              "env "
                  + e.path("name").asText()
                  + ": "
                  + kind
                  + " "
                  + name
                  + " with key '"
                  + key
                  + "' is not among the manifests");
      }
    }
  }

  private void security(JsonNode pod, JsonNode container, JsonNode bootstrap) {
    JsonNode sc = container.path("securityContext");
    if (!sc.path("readOnlyRootFilesystem").asBoolean())
      problem("Deployment: the container needs securityContext.readOnlyRootFilesystem: true");
    if (!pod.path("spec").path("securityContext").path("runAsNonRoot").asBoolean()
        && !sc.path("runAsNonRoot").asBoolean()) problem("Deployment: runAsNonRoot must be true");
    JsonNode etcd = bootstrap.path("configSource").path("etcd");
    String cache = etcd.path("cacheFile").asText("");
    if (cache.isEmpty()) {
      problem("bootstrap configSource.etcd.cacheFile is not set");
      return;
    }
    for (JsonNode mount : container.path("volumeMounts")) {
      if (!cache.startsWith(mount.path("mountPath").asText() + "/")) continue;
      if (volume(pod, mount.path("name").asText()).has("emptyDir")
          && !mount.path("readOnly").asBoolean()) return;
    }
    problem("bootstrap configSource.etcd.cacheFile " + cache + " is not on a writable emptyDir");
  }

  private void service(JsonNode labels, JsonNode container, HostPort data, HostPort admin) {
    List<Doc> services = ofKind("Service");
    if (services.isEmpty()) problem("no Service");
    for (Doc s : services) {
      if (!subset(s.node().path("spec").path("selector"), labels))
        problem("Service " + s.name() + ": its selector does not select the Deployment's pods");
      boolean toData = false;
      for (JsonNode p : s.node().path("spec").path("ports")) {
        JsonNode target = p.has("targetPort") ? p.path("targetPort") : p.path("port");
        int port = port(container, target);
        if (port == data.port()) toData = true;
        if (port == admin.port())
          problem("Service " + s.name() + ": exposes the admin port " + admin.port());
      }
      if (!toData)
        problem(
            "Service " + s.name() + ": no port targets the data port (server.listen " + data + ")");
    }
  }

  private void selects(String kind, JsonNode labels) {
    List<Doc> found = ofKind(kind);
    if (found.isEmpty()) problem("no " + kind);
    for (Doc d : found)
      if (!subset(d.node().path("spec").path("selector").path("matchLabels"), labels))
        problem(kind + " " + d.name() + ": its selector does not select the Deployment's pods");
  }

  private void hpa(Doc deployment, JsonNode container) {
    List<Doc> found = ofKind("HorizontalPodAutoscaler");
    if (found.isEmpty()) problem("no HorizontalPodAutoscaler");
    for (Doc h : found) {
      JsonNode ref = h.node().path("spec").path("scaleTargetRef");
      if (!h.node().path("apiVersion").asText().equals("autoscaling/v2"))
        problem("HorizontalPodAutoscaler " + h.name() + ": apiVersion must be autoscaling/v2");
      if (!ref.path("kind").asText().equals("Deployment")
          || !ref.path("name").asText().equals(deployment.name()))
        problem(
            "HorizontalPodAutoscaler "
                + h.name()
                + ": scaleTargetRef is not the Deployment "
                + deployment.name());
      boolean cpu = false;
      for (JsonNode m : h.node().path("spec").path("metrics"))
        cpu |= m.path("resource").path("name").asText().equals("cpu");
      if (!cpu) problem("HorizontalPodAutoscaler " + h.name() + ": no cpu metric");
    }
    if (!container.path("resources").path("requests").has("cpu"))
      problem("Deployment: no cpu request, which the HorizontalPodAutoscaler's utilization needs");
    if (!deployment.node().path("spec").path("replicas").isMissingNode())
      problem("Deployment: spec.replicas would fight the HorizontalPodAutoscaler on every apply");
  }

  /**
   * Every resource a Kustomization lists exists, and it lists every manifest but itself and the
   * *.example.yaml ones (the Secret, created once by hand).
   */
  private void kustomization(Path dir) {
    for (Doc k : ofKind("Kustomization")) {
      Set<String> listed = new HashSet<>();
      for (JsonNode r : k.node().path("resources")) {
        listed.add(r.asText());
        if (!Files.isRegularFile(dir.resolve(r.asText())))
          problem(k.file() + ": resource " + r.asText() + " does not exist");
      }
      for (Doc d : docs)
        if (!d.file().equals(k.file())
            && !d.file().contains(".example.")
            && !listed.contains(d.file())) problem(k.file() + ": does not list " + d.file());
    }
  }
}
