package bulwark.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A compact field-level diff of two JSON trees of one resource: one line per changed leaf or
 * subtree, {@code path: before -> after}, {@code + path: value} or {@code - path: value}. Values of
 * fields that hold secrets (a client secret, JWT keys, user and key hashes, the webhook token,
 * credential headers) are shown as [REDACTED], so a diff can go to a terminal or the audit log.
 */
public final class TreeDiff {
  /** Longest value shown in full; longer ones are cut with "...". */
  private static final int MAX_VALUE = 80;

  /**
   * Field names whose values are never shown (anywhere under them), besides any name ending in
   * token, secret or password (remediation.webhookToken) and credential headers ({@link #secret}).
   */
  private static final Set<String> SECRET =
      Set.of(
          "clientsecret",
          "keys",
          "users",
          "consumers",
          "password",
          "secret",
          "token",
          "authorization",
          "proxy-authorization",
          "cookie",
          "set-cookie",
          "x-api-key");

  private TreeDiff() {}

  /** The changes from {@code before} to {@code after} (either may be null: all added/removed). */
  public static List<String> of(JsonNode before, JsonNode after) {
    List<String> out = new ArrayList<>();
    diff("", before, after, false, out);
    return out;
  }

  private static void diff(String path, JsonNode a, JsonNode b, boolean secret, List<String> out) {
    boolean aMissing = a == null || a.isMissingNode() || a.isNull();
    boolean bMissing = b == null || b.isMissingNode() || b.isNull();
    if (aMissing && bMissing) return;
    if (aMissing) {
      out.add("+ " + label(path) + show(b, secret));
      return;
    }
    if (bMissing) {
      out.add("- " + label(path) + show(a, secret));
      return;
    }
    if (a.equals(b)) return;
    if (a.isObject() && b.isObject()) {
      Set<String> names = new LinkedHashSet<>();
      a.fieldNames().forEachRemaining(names::add);
      b.fieldNames().forEachRemaining(names::add);
      for (String n : names) diff(join(path, n), a.get(n), b.get(n), secret || secret(n), out);
      return;
    }
    if (a.isArray() && b.isArray() && a.size() == b.size()) {
      for (int i = 0; i < a.size(); i++)
        diff(path + "[" + i + "]", a.get(i), b.get(i), secret, out);
      return;
    }
    out.add(label(path) + show(a, secret) + " -> " + show(b, secret));
  }

  /** Whether a field of this name holds a secret (its value and all below it are redacted). */
  static boolean secret(String field) {
    String f = field.toLowerCase(Locale.ROOT);
    return SECRET.contains(f)
        || f.endsWith("token")
        || f.endsWith("secret")
        || f.endsWith("password");
  }

  private static String label(String path) {
    return path.isEmpty() ? "" : path + ": ";
  }

  private static String join(String path, String name) {
    return path.isEmpty() ? name : path + "." + name;
  }

  private static String show(JsonNode n, boolean secret) {
    if (secret) return "[REDACTED]";
    String s = n.isTextual() ? n.textValue() : compact(n);
    return s.length() > MAX_VALUE ? s.substring(0, MAX_VALUE - 3) + "..." : s;
  }

  /** The node as flow-style text, without quotes around plain names: {a: 1, b: [x, y]}. */
  static String compact(JsonNode n) {
    if (n.isTextual()) return n.textValue();
    if (n.isArray()) {
      StringBuilder sb = new StringBuilder("[");
      for (int i = 0; i < n.size(); i++) sb.append(i == 0 ? "" : ", ").append(compact(n.get(i)));
      return sb.append(']').toString();
    }
    if (n.isObject()) {
      StringBuilder sb = new StringBuilder("{");
      Iterator<String> it = n.fieldNames();
      boolean first = true;
      while (it.hasNext()) {
        String k = it.next();
        sb.append(first ? "" : ", ").append(k).append(": ");
        sb.append(secret(k) ? "[REDACTED]" : compact(n.get(k)));
        first = false;
      }
      return sb.append('}').toString();
    }
    return n.toString();
  }
}
