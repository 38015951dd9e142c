package bulwark.config;

import static bulwark.config.ConfigDocs.doc;
import static bulwark.config.ConfigDocs.isSection;
import static bulwark.config.ConfigDocs.notSupported;
import static bulwark.config.ConfigDocs.oneOf;
import static bulwark.config.ConfigDocs.sections;

import bulwark.config.ConfigDocs.Section;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * docs/bulwark.schema.json (JSON Schema 2020-12), generated from the config records; see {@link
 * ConfigDocs}.
 */
final class ConfigSchema {
  static final String DURATION_PATTERN = "^\\d+(ms|s|m|h)$";
  static final String SIZE_PATTERN = "^\\d+(B|KiB|MiB|GiB)?$";
  static final String PERCENT_PATTERN = "^\\d{1,3}(\\.\\d{1,4})?%$";
  static final String RATE_PATTERN = "^\\d+/(s|min|h)$";

  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private ConfigSchema() {}

  /** docs/bulwark.schema.json, pretty-printed, ending in a newline. */
  static String schema() {
    ObjectNode root = F.objectNode();
    root.put("$schema", "https://json-schema.org/draft/2020-12/schema");
    root.put("title", "Bulwark configuration");
    root.put(
        "description",
        "The Bulwark config file (YAML). Generated from the config records by bulwark.config.ConfigDocs:"
            + " do not edit, run `make docs`. Values are checked as they are after ${NAME} and ${NAME:-default} substitution."
            + " See docs/configuration.md.");
    root.put("$ref", "#/$defs/" + BulwarkConfig.class.getSimpleName());
    ObjectNode defs = root.putObject("$defs");
    for (Section s : sections()) defs.set(s.type().getSimpleName(), recordSchema(s));
    DefaultIndenter indent = new DefaultIndenter("  ", "\n");
    DefaultPrettyPrinter pretty =
        new DefaultPrettyPrinter(
                Separators.createDefaultInstance()
                    .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
            .withObjectIndenter(indent)
            .withArrayIndenter(indent);
    try {
      return new ObjectMapper().writer(pretty).writeValueAsString(root) + "\n";
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ObjectNode recordSchema(Section s) {
    ObjectNode o = F.objectNode();
    o.put("type", "object");
    o.put("description", s.description());
    ObjectNode props = o.putObject("properties");
    ArrayNode required = F.arrayNode();
    for (RecordComponent rc : s.type().getRecordComponents()) {
      Doc d = doc(rc);
      String key = Binder.keyOf(rc);
      props.set(key, propertySchema(rc, d));
      if (d.required() && d.later().isEmpty()) required.add(key);
    }
    if (!required.isEmpty()) o.set("required", required);
    if (Binder.ONE_OF.contains(s.type())) {
      o.put("minProperties", 1);
      o.put("maxProperties", 1);
    }
    o.put("additionalProperties", false);
    return o;
  }

  private static ObjectNode propertySchema(RecordComponent rc, Doc d) {
    ObjectNode p = F.objectNode();
    if (!d.later().isEmpty()) {
      p.put("description", d.value() + " " + notSupported(d.later()));
      return p;
    }
    String format = formatHint(d.unit());
    p.put("description", format.isEmpty() ? d.value() : d.value() + " Format: " + format + ".");
    p.setAll(typeSchema(rc.getGenericType(), d));
    if (!d.dflt().isEmpty()) p.set("default", defaultValue(rc.getType(), d.dflt()));
    return p;
  }

  private static ObjectNode typeSchema(Type t, Doc d) {
    ObjectNode s = F.objectNode();
    if (t instanceof ParameterizedType pt) {
      Class<?> raw = (Class<?>) pt.getRawType();
      if (raw == List.class) {
        s.put("type", "array");
        ObjectNode items = typeSchema(pt.getActualTypeArguments()[0], null);
        // retry.on mixes condition names and statuses; YAML reads a bare 502 as a number
        if (d != null && d.unit().equals(ConfigDocs.STRINGS_OR_STATUSES))
          items.putArray("type").add("string").add("integer");
        s.set("items", items);
      } else if (raw == Map.class) {
        s.put("type", "object");
        s.set("additionalProperties", typeSchema(pt.getActualTypeArguments()[1], null));
      } else {
        throw new IllegalStateException("no schema for config type " + t);
      }
      return s;
    }
    Class<?> c = (Class<?>) t;
    if (c == String.class
        || Names.isNames(c)
        || c == RateLimitKeySpec.class
        || c == StickyOn.class
        || c == RetryOn.class
        || c == GrpcMethod.class) {
      s.put("type", "string");
      List<String> names = oneOf(c, d);
      if (!names.isEmpty()) {
        ArrayNode e = s.putArray("enum");
        for (String v : names) e.add(v);
      }
    } else if (c == boolean.class || c == Boolean.class) {
      s.put("type", "boolean");
    } else if (c == int.class || c == Integer.class || c == long.class || c == Long.class) {
      s.put("type", "integer");
    } else if (c == Duration.class) {
      s.put("type", "string");
      s.put("pattern", DURATION_PATTERN);
    } else if (c == ByteSize.class) {
      s.putArray("type").add("integer").add("string");
      s.put("minimum", 0);
      s.put("pattern", SIZE_PATTERN);
    } else if (c == Percent.class) {
      s.put("type", "string");
      s.put("pattern", PERCENT_PATTERN);
    } else if (c == Rate.class) {
      s.put("type", "string");
      s.put("pattern", RATE_PATTERN);
    } else if (isSection(c)) {
      s.put("$ref", "#/$defs/" + c.getSimpleName());
    } else {
      throw new IllegalStateException("no schema for config type " + c.getName());
    }
    return s;
  }

  /** The default as YAML would read it: booleans and whole numbers typed, everything else text. */
  private static JsonNode defaultValue(Class<?> c, String dflt) {
    if (c == java.util.List.class && dflt.startsWith("[")) return Binder.listDefault(dflt);
    if (c == boolean.class || c == Boolean.class) return F.booleanNode(Boolean.parseBoolean(dflt));
    if ((c == int.class
            || c == Integer.class
            || c == long.class
            || c == Long.class
            || c == ByteSize.class)
        && dflt.matches("\\d{1,18}")) {
      return F.numberNode(Long.parseLong(dflt));
    }
    return F.textNode(dflt);
  }

  private static String formatHint(String unit) {
    return switch (unit) {
      case "" -> "";
      case "duration" -> "duration, e.g. 250ms, 5s, 1m, 1h";
      case "size" -> "size, e.g. 512, 16KiB, 10MiB, 1GiB";
      case "percent" -> "percent, e.g. 50%, 12.5%";
      case "rate" -> "rate, e.g. 10/s, 600/min, 10000/h";
      case "host:port" -> "host:port, e.g. 0.0.0.0:8080 or [::1]:9901";
      case "CIDR list" -> "list of CIDRs or addresses, e.g. 10.0.0.0/8, 192.168.1.7, ::1/128";
      default -> unit;
    };
  }
}
