package bulwark.routing;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Radix tree of path patterns (see {@link PathPattern} for the syntax), for routing request paths.
 * Immutable and thread-safe once built. Lookup cost depends on the path and on how many patterns
 * actually match it, not on the number of patterns: exact children are found by hash lookup, and
 * each node has at most one {@code {param}}, one {@code *} and one {@code **} child.
 *
 * <h2>Precedence</h2>
 *
 * {@link #match} returns every matching value, best first. Segments are compared left to right; at
 * each segment an exact text beats {@code {param}}, which beats {@code *}, which beats {@code **}.
 * The result is therefore the depth-first order exact &rarr; param &rarr; star &rarr; double-star,
 * with backtracking: for {@code /a/{x}/c} and {@code /a/b/d}, the path {@code /a/b/c} tries the
 * exact branch {@code b} first, dead-ends, and then matches {@code /a/{x}/c}. Ending at a node
 * beats continuing into its {@code **} child, so {@code /users} comes before {@code /users/**} for
 * the path {@code /users}. Patterns of the same shape ({@code /u/{id}} and {@code /u/{uid}}) share
 * a node; their values come back in insertion order, each with its own parameter names.
 *
 * <h2>Paths</h2>
 *
 * A request path must start with {@code /} (otherwise nothing matches); anything from the first
 * {@code ?} on is ignored; nothing is percent-decoded. A trailing slash is an empty last segment:
 * {@code /users/} matches {@code /users/**} (capturing {@code ""}) and {@code /users/}, but not
 * {@code /users/{id}}, {@code /users/*} or {@code /users}. Paths with more than {@link
 * PathPattern#MAX_SEGMENTS} segments match nothing.
 */
public final class PathTree<T> {

  /** A value with the parameter names of the pattern it was added under, in capture order. */
  private record Leaf<T>(T value, String[] names) {}

  /** Immutable node; {@code exact} is null when there are no exact children. */
  private record Node<T>(
      Map<String, Node<T>> exact,
      Node<T> param,
      Node<T> star,
      List<Leaf<T>> leaves,
      List<Leaf<T>> doubleStarLeaves) {}

  private final Node<T> root;
  private final int size;

  private PathTree(Node<T> root, int size) {
    this.root = root;
    this.size = size;
  }

  public static <T> Builder<T> builder() {
    return new Builder<>();
  }

  /** Number of values added. */
  public int size() {
    return size;
  }

  /**
   * Every value whose pattern matches {@code path}, best first (see the class documentation). Never
   * null; an unmodifiable list, empty when nothing matches.
   */
  public List<PathMatch<T>> match(String path) {
    Objects.requireNonNull(path, "path");
    if (path.isEmpty() || path.charAt(0) != '/') {
      return List.of();
    }
    int end = path.indexOf('?');
    if (end < 0) {
      end = path.length();
    }
    int segments = 0;
    for (int i = 0; i < end; i++) {
      if (path.charAt(i) == '/' && ++segments > PathPattern.MAX_SEGMENTS) {
        return List.of();
      }
    }
    // bounds[i] is the slash before segment i; bounds[segments] is the end of the path.
    int[] bounds = new int[segments + 1];
    for (int i = 0, s = 0; i < end; i++) {
      if (path.charAt(i) == '/') {
        bounds[s++] = i;
      }
    }
    bounds[segments] = end;
    Walk<T> walk = new Walk<>(path, bounds, segments);
    walk.visit(root, 0, 0);
    return walk.results == null ? List.of() : Collections.unmodifiableList(walk.results);
  }

  /**
   * State of one lookup; recursion depth is bounded by the segment count (at most MAX_SEGMENTS).
   */
  private static final class Walk<T> {
    private final String path;
    private final int[] bounds;
    private final int segments;
    private final int[] captured; // segment index of each {param} on the current branch
    private List<PathMatch<T>> results;

    Walk(String path, int[] bounds, int segments) {
      this.path = path;
      this.bounds = bounds;
      this.segments = segments;
      this.captured = new int[segments];
    }

    void visit(Node<T> node, int depth, int nCaptured) {
      if (depth == segments) {
        emit(node.leaves(), nCaptured, null);
        emit(node.doubleStarLeaves(), nCaptured, "");
        return;
      }
      int from = bounds[depth] + 1;
      int to = bounds[depth + 1];
      if (node.exact() != null) {
        Node<T> child = node.exact().get(path.substring(from, to));
        if (child != null) {
          visit(child, depth + 1, nCaptured);
        }
      }
      if (from < to) { // {param} and * need a non-empty segment
        if (node.param() != null) {
          captured[nCaptured] = depth;
          visit(node.param(), depth + 1, nCaptured + 1);
        }
        if (node.star() != null) {
          visit(node.star(), depth + 1, nCaptured);
        }
      }
      if (!node.doubleStarLeaves().isEmpty()) {
        emit(node.doubleStarLeaves(), nCaptured, path.substring(from, bounds[segments]));
      }
    }

    private void emit(List<Leaf<T>> leaves, int nCaptured, String rest) {
      for (int i = 0; i < leaves.size(); i++) {
        Leaf<T> leaf = leaves.get(i);
        if (results == null) {
          results = new ArrayList<>(4);
        }
        results.add(new PathMatch<>(leaf.value(), params(leaf.names(), nCaptured, rest)));
      }
    }

    private Map<String, String> params(String[] names, int nCaptured, String rest) {
      int total = nCaptured + (rest == null ? 0 : 1);
      if (total == 0) {
        return Map.of();
      }
      if (total == 1) {
        return rest == null
            ? Map.of(names[0], segment(captured[0]))
            : Map.of(PathPattern.REST, rest);
      }
      Map<String, String> map = new LinkedHashMap<>(total * 2);
      for (int i = 0; i < nCaptured; i++) {
        map.put(names[i], segment(captured[i]));
      }
      if (rest != null) {
        map.put(PathPattern.REST, rest);
      }
      return Collections.unmodifiableMap(map);
    }

    private String segment(int index) {
      return path.substring(bounds[index] + 1, bounds[index + 1]);
    }
  }

  /** Collects patterns; not thread-safe. Each {@link #build()} returns an independent tree. */
  public static final class Builder<T> {

    private static final class MutableNode<T> {
      final Map<String, MutableNode<T>> exact = new HashMap<>();
      MutableNode<T> param;
      MutableNode<T> star;
      final List<Leaf<T>> leaves = new ArrayList<>();
      final List<Leaf<T>> doubleStarLeaves = new ArrayList<>();

      Node<T> freeze() {
        Map<String, Node<T>> frozen = null;
        if (!exact.isEmpty()) {
          frozen = new HashMap<>(exact.size() * 2);
          for (Map.Entry<String, MutableNode<T>> e : exact.entrySet()) {
            frozen.put(e.getKey(), e.getValue().freeze());
          }
          frozen = Map.copyOf(frozen);
        }
        return new Node<>(
            frozen,
            param == null ? null : param.freeze(),
            star == null ? null : star.freeze(),
            List.copyOf(leaves),
            List.copyOf(doubleStarLeaves));
      }
    }

    private final MutableNode<T> root = new MutableNode<>();
    private int size;

    private Builder() {}

    /**
     * Adds {@code value} under {@code pattern}.
     *
     * @throws IllegalArgumentException with a message saying what is wrong, for a bad pattern
     * @throws NullPointerException if {@code value} is null
     */
    public Builder<T> add(String pattern, T value) {
      PathPattern parsed = PathPattern.parse(pattern);
      Objects.requireNonNull(value, "value");
      MutableNode<T> node = root;
      List<String> names = new ArrayList<>();
      boolean doubleStar = false;
      for (PathPattern.Segment s : parsed.segments()) {
        switch (s.kind()) {
          case EXACT -> node = node.exact.computeIfAbsent(s.text(), k -> new MutableNode<>());
          case PARAM -> {
            names.add(s.text());
            node = node.param != null ? node.param : (node.param = new MutableNode<>());
          }
          case STAR -> node = node.star != null ? node.star : (node.star = new MutableNode<>());
          case DOUBLE_STAR -> doubleStar = true; // always last: stored on the parent node
        }
      }
      Leaf<T> leaf = new Leaf<>(value, names.toArray(String[]::new));
      (doubleStar ? node.doubleStarLeaves : node.leaves).add(leaf);
      size++;
      return this;
    }

    public PathTree<T> build() {
      return new PathTree<>(root.freeze(), size);
    }
  }
}
