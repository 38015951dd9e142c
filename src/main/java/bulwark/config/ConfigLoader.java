package bulwark.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a config file: YAML, then {@code ${NAME}} / {@code ${NAME:-default}} substitution from the
 * environment in every scalar, then strict binding to records, then cross-field validation. Every
 * error is collected; a config is returned only when there are none.
 */
public final class ConfigLoader {
  private static final Pattern VAR = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?}");
  private static final ObjectMapper YAML = new ObjectMapper(
      YAMLFactory.builder().build()).enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private final Function<String, String> env;

  public ConfigLoader(Function<String, String> env) {
    this.env = env;
  }

  public static ConfigLoader fromSystemEnv() {
    return new ConfigLoader(System::getenv);
  }

  public BulwarkConfig load(Path file) throws ConfigException {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new ConfigException(List.of(new ConfigError("", "cannot read " + file + ": " + e.getMessage())));
    }
    return parse(text);
  }

  public BulwarkConfig parse(String yaml) throws ConfigException {
    List<ConfigError> errors = new ArrayList<>();
    JsonNode root;
    try {
      root = YAML.readTree(yaml);
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : "line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
      throw new ConfigException(List.of(new ConfigError(where, "invalid YAML: " + e.getOriginalMessage())));
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      throw new ConfigException(List.of(new ConfigError("", "the config file is empty")));
    }
    root = substitute(root, "", errors);
    BulwarkConfig cfg = new Binder(errors).bindRecord(root, BulwarkConfig.class, "");
    if (cfg != null) new Validator(errors).validate(cfg);
    if (!errors.isEmpty()) throw new ConfigException(errors);
    return cfg;
  }

  private JsonNode substitute(JsonNode node, String path, List<ConfigError> errors) {
    if (node.isTextual()) {
      String s = node.textValue();
      if (s.indexOf("${") < 0) return node;
      Matcher m = VAR.matcher(s);
      StringBuilder out = new StringBuilder();
      while (m.find()) {
        String value = env.apply(m.group(1));
        if (value == null) {
          if (m.group(2) != null) {
            value = m.group(3);
          } else {
            errors.add(new ConfigError(path, "environment variable " + m.group(1) + " is not set (write ${" + m.group(1) + ":-default} to give a default)"));
            value = "";
          }
        }
        m.appendReplacement(out, Matcher.quoteReplacement(value));
      }
      m.appendTail(out);
      return TextNode.valueOf(out.toString());
    }
    if (node instanceof ObjectNode obj) {
      for (Iterator<Map.Entry<String, JsonNode>> it = obj.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        e.setValue(substitute(e.getValue(), Binder.join(path, e.getKey()), errors));
      }
    } else if (node instanceof ArrayNode arr) {
      for (int i = 0; i < arr.size(); i++) arr.set(i, substitute(arr.get(i), path + "[" + i + "]", errors));
    }
    return node;
  }
}
