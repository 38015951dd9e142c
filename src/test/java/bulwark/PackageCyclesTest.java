package bulwark;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The package graph of src/main is a DAG (STYLE.md: cli > server, admin > proxy > filter.*,
 * observe.* > routing, upstream > transport > config). A package depends on another when one of its
 * files imports a Bulwark class of it or names one fully qualified (comments and string literals
 * are not read). A failure names every cycle, each edge with a file that makes it.
 */
class PackageCyclesTest {
  private static final Path MAIN = Path.of("src/main/java");

  /**
   * The packages still in a cycle while work on them is open: none. A branch that must land in
   * steps may list packages here for a while; no package outside this set may join a cycle.
   */
  private static final Set<String> STILL_IN_CYCLES = Set.of();

  @Test
  void thePackageGraphHasNoCycle() {
    Graph g = Graph.of(MAIN);
    assertThat(g.cycles())
        .as("package cycles in src/main:\n%s", String.join("\n", g.cycles()))
        .isEmpty();
  }

  @Test
  void noPackageJoinsACycleBeyondTheOnesStillBeingFixed() {
    Graph g = Graph.of(MAIN);
    Set<String> inCycles = new TreeSet<>();
    g.components().forEach(inCycles::addAll);
    inCycles.removeAll(STILL_IN_CYCLES);
    assertThat(inCycles).as("packages in a cycle:\n%s", String.join("\n", g.cycles())).isEmpty();
  }

  @Test
  void theGraphIsReadFromImportsAndFullyQualifiedNamesButNotFromComments() {
    Map<String, String> sources =
        Map.of(
            "a",
                "package bulwark.a;\nimport bulwark.b.B;\n/** see {@link bulwark.c.C} */\nclass A { String s = \"bulwark.c.C\"; }",
            "b", "package bulwark.b;\nclass B { Object o = new bulwark.a.A(); }",
            "c", "package bulwark.c;\nclass C {}");
    Graph g = Graph.parse(sources);
    assertThat(g.edges.get("a").keySet()).containsExactly("b");
    assertThat(g.edges.get("b").keySet()).containsExactly("a");
    assertThat(g.cycles()).containsExactly("a -> b (A.java) -> a (B.java)");
  }

  /** Package -> package it depends on -> the files (simple names) that make the edge. */
  record Graph(Map<String, Map<String, Set<String>>> edges) {
    private static final Pattern NAME =
        Pattern.compile("\\bbulwark((?:\\.[A-Za-z_$][A-Za-z0-9_$]*)+)");

    static Graph of(Path root) {
      Map<String, String> files = new TreeMap<>();
      try (Stream<Path> s = Files.walk(root)) {
        for (Path p : s.filter(f -> f.toString().endsWith(".java")).toList()) {
          String pkg =
              root.relativize(p.getParent())
                  .toString()
                  .replace('/', '.')
                  .replaceFirst("^bulwark\\.?", "");
          files.put(pkg + "/" + p.getFileName(), Files.readString(p));
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return parse(files);
    }

    /**
     * @param files "package/File.java" (or just a package, for a one-class test) to source
     */
    static Graph parse(Map<String, String> files) {
      Set<String> packages = new TreeSet<>();
      files
          .keySet()
          .forEach(k -> packages.add(k.contains("/") ? k.substring(0, k.indexOf('/')) : k));
      Map<String, Map<String, Set<String>>> edges = new TreeMap<>();
      packages.forEach(p -> edges.put(p, new TreeMap<>()));
      files.forEach(
          (key, text) -> {
            String pkg = key.contains("/") ? key.substring(0, key.indexOf('/')) : key;
            String file =
                key.contains("/")
                    ? key.substring(key.indexOf('/') + 1)
                    : Character.toUpperCase(key.charAt(0)) + key.substring(1) + ".java";
            String code = code(text);
            code = code.replaceFirst("(?m)^\\s*package\\s+[\\w.]+\\s*;", "");
            Matcher m = NAME.matcher(code);
            while (m.find()) {
              String target = owner(m.group(1).substring(1), packages);
              if (target != null && !target.equals(pkg))
                edges.get(pkg).computeIfAbsent(target, t -> new TreeSet<>()).add(file);
            }
          });
      return new Graph(edges);
    }

    /** The longest known package that {@code dotted} (after "bulwark.") starts with. */
    private static String owner(String dotted, Set<String> packages) {
      String s = dotted;
      while (true) {
        if (packages.contains(s)) return s;
        int dot = s.lastIndexOf('.');
        if (dot < 0) return null;
        s = s.substring(0, dot);
      }
    }

    /** The source without comments and string, text-block and char literals. */
    static String code(String src) {
      StringBuilder out = new StringBuilder(src.length());
      int i = 0;
      int n = src.length();
      while (i < n) {
        char c = src.charAt(i);
        if (c == '/' && i + 1 < n && src.charAt(i + 1) == '/') {
          while (i < n && src.charAt(i) != '\n') i++;
        } else if (c == '/' && i + 1 < n && src.charAt(i + 1) == '*') {
          int end = src.indexOf("*/", i + 2);
          i = end < 0 ? n : end + 2;
          out.append(' ');
        } else if (src.startsWith("\"\"\"", i)) {
          int end = src.indexOf("\"\"\"", i + 3);
          i = end < 0 ? n : end + 3;
          out.append("\"\"");
        } else if (c == '"' || c == '\'') {
          i++;
          while (i < n && src.charAt(i) != c) i += src.charAt(i) == '\\' ? 2 : 1;
          i++;
          out.append(c).append(c);
        } else {
          out.append(c);
          i++;
        }
      }
      return out.toString();
    }

    /** The strongly connected components with more than one package (Tarjan). */
    List<Set<String>> components() {
      Map<String, Integer> index = new HashMap<>();
      Map<String, Integer> low = new HashMap<>();
      ArrayDeque<String> stack = new ArrayDeque<>();
      Set<String> onStack = new TreeSet<>();
      List<Set<String>> out = new ArrayList<>();
      for (String v : edges.keySet())
        if (!index.containsKey(v)) strong(v, index, low, stack, onStack, out);
      return out;
    }

    private void strong(
        String v,
        Map<String, Integer> index,
        Map<String, Integer> low,
        ArrayDeque<String> stack,
        Set<String> onStack,
        List<Set<String>> out) {
      index.put(v, index.size());
      low.put(v, index.get(v));
      stack.push(v);
      onStack.add(v);
      for (String w : edges.getOrDefault(v, Map.of()).keySet()) {
        if (!index.containsKey(w)) {
          strong(w, index, low, stack, onStack, out);
          low.put(v, Math.min(low.get(v), low.get(w)));
        } else if (onStack.contains(w)) {
          low.put(v, Math.min(low.get(v), index.get(w)));
        }
      }
      if (low.get(v).equals(index.get(v))) {
        Set<String> c = new TreeSet<>();
        String w;
        do {
          w = stack.pop();
          onStack.remove(w);
          c.add(w);
        } while (!w.equals(v));
        if (c.size() > 1) out.add(c);
      }
    }

    /**
     * Every package that is in a cycle, with its shortest cycle (each written once, from its
     * smallest package): "a -> b (A.java) -> a (B.java)".
     */
    List<String> cycles() {
      Set<String> out = new TreeSet<>();
      for (Set<String> c : components()) {
        for (String start : c) out.add(describe(shortestCycle(start, c)));
      }
      return List.copyOf(out);
    }

    private List<String> shortestCycle(String start, Set<String> within) {
      Map<String, String> parent = new HashMap<>();
      ArrayDeque<String> queue = new ArrayDeque<>(List.of(start));
      while (!queue.isEmpty()) {
        String v = queue.poll();
        for (String w : edges.get(v).keySet()) {
          if (!within.contains(w)) continue;
          if (w.equals(start)) {
            List<String> path = new ArrayList<>(List.of(start));
            for (String x = v; !x.equals(start); x = parent.get(x)) path.add(1, x);
            return path;
          }
          if (!parent.containsKey(w)) {
            parent.put(w, v);
            queue.add(w);
          }
        }
      }
      throw new IllegalStateException("no cycle through " + start);
    }

    private String describe(List<String> cycle) {
      int from = cycle.indexOf(cycle.stream().min(String::compareTo).orElseThrow());
      List<String> c = new ArrayList<>(cycle.subList(from, cycle.size()));
      c.addAll(cycle.subList(0, from));
      StringBuilder sb = new StringBuilder(c.get(0));
      for (int i = 0; i < c.size(); i++) {
        String a = c.get(i);
        String b = c.get((i + 1) % c.size());
        sb.append(" -> ")
            .append(b)
            .append(" (")
            .append(String.join(", ", edges.get(a).get(b)))
            .append(')');
      }
      return sb.toString();
    }
  }
}
