package bulwark.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The config as trees, for configuration kept outside the file (etcd): one value read with the
 * file's strict YAML rules (but no environment substitution), routing sections bound with the
 * file's binder and validated together with the bootstrap file's sections, and a config turned back
 * into the tree of exactly the file's shape.
 */
public final class ConfigTrees {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static final YAMLMapper YAML_OUT =
      YAMLMapper.builder()
          .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
          .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
          .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
          .build();

  private ConfigTrees() {}

  /**
   * Reads one value (JSON or YAML) as the config file's parser does: duplicate keys are an error,
   * yes/no stay strings, numbers keep their text; no {@code ${NAME}} substitution.
   *
   * @throws ConfigException with one error (path: the line and column) when it is not one valid
   *     document
   */
  public static JsonNode readValue(String text) throws ConfigException {
    try {
      JsonNode n = ConfigLoader.readTree(text);
      if (n == null || n.isNull() || n.isMissingNode())
        throw new ConfigException(List.of(new ConfigError("", "empty value")));
      return n;
    } catch (JsonProcessingException e) {
      String where =
          e.getLocation() == null
              ? ""
              : "line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
      throw new ConfigException(
          List.of(new ConfigError(where, "invalid JSON/YAML: " + e.getOriginalMessage())));
    } catch (IOException e) {
      throw new ConfigException(List.of(new ConfigError("", "invalid JSON/YAML: " + e)));
    }
  }

  /**
   * Binds {@code routing} (an object with any of the keys upstreams, middlewares, routes, groups,
   * versioning, remediation, in the file's shape) and merges it into {@code bootstrap} (whose
   * server, admin, observability, cluster and configSource are kept), then validates the whole as a
   * config file is validated. Error paths are those of the file (routes[2].upstream).
   */
  public static BulwarkConfig bindRouting(BulwarkConfig bootstrap, ObjectNode routing)
      throws ConfigException {
    List<ConfigError> errors = new ArrayList<>();
    for (var it = routing.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!BulwarkConfig.ROUTING_SECTIONS.contains(k))
        errors.add(new ConfigError(k, "not a routing section"));
    }
    Binder binder = new Binder(errors);
    ObjectNode only = routing.deepCopy();
    only.retain(BulwarkConfig.ROUTING_SECTIONS);
    BulwarkConfig r = binder.bindRecord(only, BulwarkConfig.class, "");
    if (r == null) throw new ConfigException(errors);
    BulwarkConfig merged =
        new BulwarkConfig(
            bootstrap.server(),
            bootstrap.admin(),
            bootstrap.observability(),
            bootstrap.cluster(),
            bootstrap.configSource(),
            r.upstreams(),
            r.middlewares(),
            r.versioning(),
            r.routes(),
            r.groups(),
            r.remediation());
    new Validator(errors, binder.unknownNames()).validate(merged);
    binder.unknownNames().forEach((path, message) -> errors.add(new ConfigError(path, message)));
    if (!errors.isEmpty()) throw new ConfigException(errors);
    return merged;
  }

  /**
   * A config value (a record, list, map or scalar) as the tree a file holds for it: keys as written
   * in the file, durations, sizes, rates and names in their config grammar; null fields are left
   * out. Binding the tree gives back an equal value.
   */
  public static JsonNode toTree(Object v) {
    if (v == null) return F.nullNode();
    if (v instanceof JsonNode n) return n.deepCopy();
    if (v instanceof String s) return F.textNode(s);
    if (v instanceof Boolean b) return F.booleanNode(b);
    if (v instanceof Integer i) return F.numberNode(i);
    if (v instanceof Long l) return F.numberNode(l);
    if (v instanceof Duration d) return F.textNode(Durations.format(d));
    if (v instanceof ConfigName n) return F.textNode(n.configName());
    if (v instanceof ByteSize
        || v instanceof RateLimitKeySpec
        || v instanceof RetryOn
        || v instanceof GrpcMethod) return F.textNode(v.toString());
    if (v instanceof Percent p) return F.textNode(percent(p.value()));
    if (v instanceof Rate r) return F.textNode(r.count() + "/" + unit(r.per()));
    if (v instanceof List<?> list) {
      ArrayNode a = F.arrayNode();
      list.forEach(e -> a.add(toTree(e)));
      return a;
    }
    if (v instanceof Map<?, ?> map) {
      ObjectNode o = F.objectNode();
      map.forEach((k, e) -> o.set(String.valueOf(k), toTree(e)));
      return o;
    }
    if (v instanceof Record rec) {
      ObjectNode o = F.objectNode();
      RecordShape shape = RecordShape.of(rec.getClass());
      for (int i = 0; i < shape.size(); i++) {
        Object x;
        try {
          x = shape.accessors()[i].invoke(rec);
        } catch (ReflectiveOperationException e) {
          throw new IllegalStateException(e);
        }
        if (x != null) o.set(shape.keys().get(i), toTree(x));
      }
      return o;
    }
    throw new IllegalArgumentException("not a config value: " + v.getClass());
  }

  /** The tree as YAML text (block style, quotes only where needed). */
  public static String toYaml(JsonNode tree) {
    try {
      return YAML_OUT.writeValueAsString(tree);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String percent(double v) {
    return (v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v)) + "%";
  }

  private static String unit(Duration per) {
    if (per.equals(Duration.ofSeconds(1))) return "s";
    if (per.equals(Duration.ofMinutes(1))) return "min";
    return "h";
  }
}
