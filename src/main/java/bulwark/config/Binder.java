package bulwark.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.TextNode;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Binds a YAML tree to the config records, strictly, collecting every error with its field path
 * instead of stopping at the first. The records and their {@link Doc} annotations are the single
 * source of keys, types and defaults.
 */
final class Binder {
  /**
   * Records whose keys are alternatives, exactly one set: an absent one stays null, not an empty
   * section.
   */
  static final Set<Class<?>> ONE_OF = Set.of(MiddlewareConfig.class);

  private final List<ConfigError> errors;

  /**
   * A value that is none of its enum's names, by path: the validator reports it where it checks
   * that section, so the errors read in the same order as when such fields were checked strings.
   */
  private final Map<String, String> unknownNames = new LinkedHashMap<>();

  Binder(List<ConfigError> errors) {
    this.errors = errors;
  }

  /** The unknown names found while binding, by path, in document order (see {@link Validator}). */
  Map<String, String> unknownNames() {
    return unknownNames;
  }

  /** YAML key of a record component. */
  static String keyOf(RecordComponent rc) {
    Doc doc = rc.getAnnotation(Doc.class);
    return doc != null && !doc.key().isEmpty() ? doc.key() : rc.getName();
  }

  /**
   * Records written as one YAML scalar (50%, 1MiB, 10/s): absent without a default, they are null.
   */
  static boolean scalar(Class<?> c) {
    return c == ByteSize.class
        || c == Percent.class
        || c == Rate.class
        || c == StickyOn.class
        || grammar(c);
  }

  /**
   * Values with a grammar whose errors the validator used to report: a bad one is reported in the
   * validator's order (see {@link #unknownNames}).
   */
  static boolean grammar(Class<?> c) {
    return Names.isNames(c)
        || c == RateLimitKeySpec.class
        || c == RetryOn.class
        || c == GrpcMethod.class;
  }

  static boolean hasRequired(Class<?> recordType) {
    return RecordShape.of(recordType).hasRequired();
  }

  <T> T bindRecord(JsonNode node, Class<T> type, String path) {
    if (!node.isObject()) {
      error(path, "expected a mapping of keys, got " + describe(node));
      return null;
    }
    RecordShape shape = RecordShape.of(type);
    List<String> known = shape.keys();
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!known.contains(key)) {
        error(join(path, key), "unknown key '" + key + "'" + Suggest.didYouMean(key, known));
      }
    }
    Object[] args = new Object[shape.size()];
    Class<?>[] types = shape.types();
    for (int i = 0; i < args.length; i++) {
      Class<?> ctype = types[i];
      Doc doc = shape.docs()[i];
      String key = known.get(i);
      String p = join(path, key);
      JsonNode child = node.get(key);
      if (child != null && child.isNull()) child = null;
      if (doc != null && !doc.later().isEmpty()) {
        if (child != null) {
          error(
              p,
              "not supported yet: '"
                  + key
                  + "' arrives with the "
                  + doc.later()
                  + " capability; remove it for now");
        }
        args[i] = null;
        continue;
      }
      if (child == null) {
        if (doc != null && doc.required()) {
          error(p, "required");
          args[i] = zero(ctype);
          continue;
        }
        if (doc != null && !doc.dflt().isEmpty()) {
          child =
              doc.dflt().startsWith("[") ? listDefault(doc.dflt()) : TextNode.valueOf(doc.dflt());
        } else if (ctype.isRecord()
            && !scalar(ctype)
            && !hasRequired(ctype)
            && !ONE_OF.contains(type)
            && (doc == null || !doc.section())) {
          child = JsonNodeFactory.instance.objectNode();
        } else {
          args[i] = empty(ctype);
          continue;
        }
      }
      Object v = bindValue(child, shape.genericTypes()[i], p);
      args[i] = v == null ? zero(ctype) : v;
    }
    try {
      return type.cast(shape.constructor().newInstance(args));
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot build " + type.getSimpleName(), e);
    }
  }

  private Object bindValue(JsonNode node, Type type, String path) {
    if (type instanceof ParameterizedType pt) {
      Class<?> raw = (Class<?>) pt.getRawType();
      Type arg0 = pt.getActualTypeArguments()[0];
      if (raw == List.class) {
        if (!node.isArray()) {
          error(path, "expected a list, got " + describe(node));
          return null;
        }
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
          Object v = bindValue(node.get(i), arg0, path + "[" + i + "]");
          if (v != null) out.add(v);
        }
        return Collections.unmodifiableList(out);
      }
      if (raw == Map.class) {
        Type valueType = pt.getActualTypeArguments()[1];
        if (!node.isObject()) {
          error(path, "expected a mapping, got " + describe(node));
          return null;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          Object v = bindValue(e.getValue(), valueType, join(path, e.getKey()));
          if (v != null) out.put(e.getKey(), v);
        }
        return Collections.unmodifiableMap(out);
      }
      throw new IllegalStateException("unsupported config type " + type);
    }
    Class<?> c = (Class<?>) type;
    if (c.isRecord() && !scalar(c)) {
      return bindRecord(node, c, path);
    }
    if (c == JsonNode.class) return node;
    if (!node.isValueNode()) {
      error(path, "expected a single value, got " + describe(node));
      return null;
    }
    String text = node.asText();
    try {
      if (c == String.class) return text;
      if (c == boolean.class || c == Boolean.class) {
        if (node.isBoolean()) return node.booleanValue();
        if (text.equals("true") || text.equals("false")) return Boolean.parseBoolean(text);
        throw new IllegalArgumentException("expected true or false, got '" + text + "'");
      }
      if (c == int.class || c == Integer.class) {
        if (!text.matches("-?\\d{1,9}"))
          throw new IllegalArgumentException("expected a whole number, got '" + text + "'");
        return Integer.parseInt(text);
      }
      if (c == long.class || c == Long.class) {
        if (!text.matches("-?\\d{1,18}"))
          throw new IllegalArgumentException("expected a whole number, got '" + text + "'");
        return Long.parseLong(text);
      }
      if (c == Duration.class) return Durations.parse(text);
      if (c == ByteSize.class) return ByteSize.parse(text);
      if (c == Percent.class) return Percent.parse(text);
      if (c == Rate.class) return Rate.parse(text);
      if (Names.isNames(c)) return Names.parse(c, text);
      if (c == RateLimitKeySpec.class) return RateLimitKeySpec.parse(text);
      if (c == RetryOn.class) return RetryOn.parse(text);
      if (c == GrpcMethod.class) return GrpcMethod.parse(text);
      if (c == StickyOn.class) return StickyOn.parse(text);
    } catch (IllegalArgumentException e) {
      if (grammar(c)) {
        if (errors.stream().noneMatch(x -> x.path().equals(path)))
          unknownNames.put(path, e.getMessage());
        return null;
      }
      error(path, e.getMessage());
      return null;
    } catch (ArithmeticException e) {
      error(path, e.getMessage());
      return null;
    }
    throw new IllegalStateException("unsupported config type " + c);
  }

  /** A list default written in YAML flow style, e.g. {@code [connect_failure, reset]}. */
  static JsonNode listDefault(String yaml) {
    try {
      return new com.fasterxml.jackson.dataformat.yaml.YAMLMapper().readTree(yaml);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("bad list default " + yaml, e);
    }
  }

  private static Object empty(Class<?> c) {
    if (c == List.class) return List.of();
    if (c == Map.class) return Map.of();
    return zero(c);
  }

  private static Object zero(Class<?> c) {
    if (c == boolean.class) return false;
    if (c == int.class) return 0;
    if (c == long.class) return 0L;
    if (c == List.class) return List.of();
    if (c == Map.class) return Map.of();
    return null;
  }

  private void error(String path, String message) {
    // one error per field: a value whose ${NAME} could not be substituted is not also "not a
    // duration"
    for (ConfigError e : errors) if (e.path().equals(path)) return;
    errors.add(new ConfigError(path, message));
  }

  static String join(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  static String describe(JsonNode n) {
    if (n.isArray()) return "a list";
    if (n.isObject()) return "a mapping";
    return "'" + n.asText() + "'";
  }
}
