package bulwark.config;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
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

  /**
   * yes/no/on/off stay strings (only true and false are booleans), a key with no value is null (so
   * it takes its default), duplicate keys are an error, and {@link #readTree} keeps every number as
   * written, so {@code version: 1.10} is not "1.1" and a header value {@code 0123} is not octal.
   */
  private static final YAMLFactory YAML =
      YAMLFactory.builder()
          .enable(YAMLParser.Feature.PARSE_BOOLEAN_LIKE_WORDS_AS_STRINGS)
          .enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL)
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .build();

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
      throw new ConfigException(
          List.of(new ConfigError("", "cannot read " + file + ": " + reason(e))));
    }
    return parse(text);
  }

  /**
   * Why a file could not be read, in words: a {@link java.nio.file.FileSystemException}'s message
   * is often only the path again ("cannot read a.yaml: a.yaml"), so the cause is named from its
   * type.
   */
  static String reason(IOException e) {
    String why =
        switch (e) {
          case java.nio.file.NoSuchFileException x -> "no such file";
          case java.nio.file.AccessDeniedException x -> "permission denied";
          case java.nio.file.NotDirectoryException x -> "not a directory";
          case java.nio.charset.CharacterCodingException x -> "not UTF-8 text";
          default -> null;
        };
    if (why != null) return why;
    if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null)
      return f.getReason();
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }

  public BulwarkConfig parse(String yaml) throws ConfigException {
    List<ConfigError> errors = new ArrayList<>();
    JsonNode root;
    try {
      root = readTree(yaml);
    } catch (JsonProcessingException e) {
      String where =
          e.getLocation() == null
              ? ""
              : "line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
      throw new ConfigException(
          List.of(new ConfigError(where, "invalid YAML: " + e.getOriginalMessage())));
    } catch (IOException e) {
      throw new ConfigException(List.of(new ConfigError("", "invalid YAML: " + e.getMessage())));
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      throw new ConfigException(List.of(new ConfigError("", "the config file is empty")));
    }
    root = substitute(root, "", errors);
    Binder binder = new Binder(errors);
    BulwarkConfig cfg = binder.bindRecord(root, BulwarkConfig.class, "");
    if (cfg != null) new Validator(errors, binder.unknownNames()).validate(cfg);
    if (cfg != null && cfg.etcdMode()) ConfigSourceValidator.noRoutingSections(root, errors);
    binder.unknownNames().forEach((path, message) -> errors.add(new ConfigError(path, message)));
    if (!errors.isEmpty()) throw new ConfigException(errors);
    return cfg;
  }

  /**
   * The first YAML document as a tree whose numbers are text nodes holding the scalar as written;
   * null when empty.
   */
  static JsonNode readTree(String yaml) throws IOException {
    try (JsonParser p = YAML.createParser(yaml)) {
      JsonToken t = p.nextToken();
      if (t == null) return null;
      JsonNode root = node(p, t);
      if (p.nextToken() != null) {
        throw new JsonParseException(
            p, "more than one YAML document (---); a config file holds one");
      }
      return root;
    }
  }

  private static JsonNode node(JsonParser p, JsonToken t) throws IOException {
    JsonNodeFactory f = JsonNodeFactory.instance;
    switch (t) {
      case START_OBJECT -> {
        ObjectNode obj = f.objectNode();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String key = p.currentName();
          obj.set(key, node(p, p.nextToken()));
        }
        return obj;
      }
      case START_ARRAY -> {
        ArrayNode arr = f.arrayNode();
        for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken())
          arr.add(node(p, e));
        return arr;
      }
      case VALUE_TRUE -> {
        return BooleanNode.TRUE;
      }
      case VALUE_FALSE -> {
        return BooleanNode.FALSE;
      }
      case VALUE_NULL -> {
        return NullNode.instance;
      }
      default -> {
        return TextNode.valueOf(p.getText());
      }
    }
  }

  private JsonNode substitute(JsonNode node, String path, List<ConfigError> errors) {
    if (node.isTextual()) {
      String s = node.textValue();
      if (s.indexOf("${") < 0) return node;
      Matcher m = VAR.matcher(s);
      StringBuilder out = new StringBuilder();
      while (m.find()) {
        String value = env.apply(m.group(1));
        if (value == null || (value.isEmpty() && m.group(2) != null)) {
          // as in the shell, ${NAME:-default} takes the default when NAME is unset or empty
          if (m.group(2) != null) {
            value = m.group(3);
          } else {
            errors.add(
                new ConfigError(
                    path,
                    "environment variable "
                        + m.group(1)
                        + " is not set (write ${"
                        + m.group(1)
                        + ":-default} to give a default)"));
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
      for (int i = 0; i < arr.size(); i++)
        arr.set(i, substitute(arr.get(i), path + "[" + i + "]", errors));
    }
    return node;
  }
}
