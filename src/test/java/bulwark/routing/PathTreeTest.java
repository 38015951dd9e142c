package bulwark.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class PathTreeTest {

  /** Builds a tree whose values are the patterns themselves, so results are easy to read. */
  private static PathTree<String> tree(String... patterns) {
    PathTree.Builder<String> b = PathTree.builder();
    for (String p : patterns) {
      b.add(p, p);
    }
    return b.build();
  }

  private static List<String> values(PathTree<String> tree, String path) {
    return tree.match(path).stream().map(PathMatch::value).toList();
  }

  private static Map<String, String> onlyParams(PathTree<String> tree, String path) {
    List<PathMatch<String>> m = tree.match(path);
    assertThat(m).hasSize(1);
    return m.get(0).params();
  }

  @Nested
  class Exact {
    @Test
    void matchesExactPathOnly() {
      PathTree<String> t = tree("/api/users", "/api/orders");
      assertThat(values(t, "/api/users")).containsExactly("/api/users");
      assertThat(values(t, "/api/orders")).containsExactly("/api/orders");
      assertThat(t.match("/api/users").get(0).params()).isEmpty();
      assertThat(t.match("/api")).isEmpty();
      assertThat(t.match("/api/users/7")).isEmpty();
      assertThat(t.match("/api/users/")).isEmpty();
    }

    @Test
    void isCaseSensitive() {
      PathTree<String> t = tree("/Api/Users");
      assertThat(t.match("/api/users")).isEmpty();
      assertThat(values(t, "/Api/Users")).containsExactly("/Api/Users");
    }

    @Test
    void rootPatternMatchesOnlyRoot() {
      PathTree<String> t = tree("/");
      assertThat(values(t, "/")).containsExactly("/");
      assertThat(t.match("/a")).isEmpty();
      assertThat(t.match("//")).isEmpty();
    }

    @Test
    void patternWithTrailingSlashMatchesOnlyTrailingSlashPath() {
      PathTree<String> t = tree("/users/");
      assertThat(values(t, "/users/")).containsExactly("/users/");
      assertThat(t.match("/users")).isEmpty();
    }
  }

  @Nested
  class Params {
    @Test
    void capturesOneSegment() {
      PathTree<String> t = tree("/users/{id}");
      assertThat(onlyParams(t, "/users/7")).containsExactly(entry("id", "7"));
      assertThat(onlyParams(t, "/users/abc-def")).containsExactly(entry("id", "abc-def"));
      assertThat(t.match("/users/7/x")).isEmpty();
      assertThat(t.match("/users")).isEmpty();
    }

    @Test
    void capturesSeveralInPatternOrder() {
      PathTree<String> t = tree("/t/{tenant}/users/{id}/{field}");
      assertThat(onlyParams(t, "/t/acme/users/7/name"))
          .containsExactly(entry("tenant", "acme"), entry("id", "7"), entry("field", "name"));
    }

    @Test
    void doesNotPercentDecode() {
      PathTree<String> t = tree("/files/{name}");
      assertThat(onlyParams(t, "/files/a%2Fb%20c")).containsExactly(entry("name", "a%2Fb%20c"));
    }

    @Test
    void paramsMapIsUnmodifiable() {
      PathTree<String> t = tree("/a/{x}", "/b/{x}/{y}", "/c/**", "/d/{x}/**");
      for (String path : List.of("/a/1", "/b/1/2", "/c/1", "/d/1/2", "/d/1")) {
        Map<String, String> params = onlyParams(t, path);
        assertThat(params).isNotEmpty();
        assertThatThrownBy(() -> params.put("k", "v"))
            .isInstanceOf(UnsupportedOperationException.class);
      }
    }

    @Test
    void sameShapeDifferentNamesShareNodeButKeepOwnNames() {
      PathTree<String> t = tree("/u/{id}", "/u/{uid}");
      List<PathMatch<String>> m = t.match("/u/42");
      assertThat(m).extracting(PathMatch::value).containsExactly("/u/{id}", "/u/{uid}");
      assertThat(m.get(0).params()).containsExactly(entry("id", "42"));
      assertThat(m.get(1).params()).containsExactly(entry("uid", "42"));
    }
  }

  @Nested
  class Star {
    @Test
    void matchesExactlyOneNonEmptySegmentWithoutCapturing() {
      PathTree<String> t = tree("/a/*/c");
      assertThat(values(t, "/a/b/c")).containsExactly("/a/*/c");
      assertThat(t.match("/a/b/c").get(0).params()).isEmpty();
      assertThat(t.match("/a/c")).isEmpty();
      assertThat(t.match("/a//c")).isEmpty();
      assertThat(t.match("/a/b/b/c")).isEmpty();
    }

    @Test
    void starDoesNotShiftParamCaptures() {
      PathTree<String> t = tree("/*/{id}/*/{name}");
      assertThat(onlyParams(t, "/x/7/y/bob"))
          .containsExactly(entry("id", "7"), entry("name", "bob"));
    }
  }

  @Nested
  class DoubleStar {
    @Test
    void matchesZeroOrMoreSegmentsAndCapturesTheRest() {
      PathTree<String> t = tree("/api/users/**");
      assertThat(onlyParams(t, "/api/users")).containsExactly(entry("**", ""));
      assertThat(onlyParams(t, "/api/users/")).containsExactly(entry("**", ""));
      assertThat(onlyParams(t, "/api/users/7")).containsExactly(entry("**", "7"));
      assertThat(onlyParams(t, "/api/users/7/x/y")).containsExactly(entry("**", "7/x/y"));
      assertThat(onlyParams(t, "/api/users/7/x/")).containsExactly(entry("**", "7/x/"));
      assertThat(t.match("/api")).isEmpty();
      assertThat(t.match("/api/usersX")).isEmpty();
    }

    @Test
    void rootDoubleStarMatchesEverything() {
      PathTree<String> t = tree("/**");
      assertThat(onlyParams(t, "/")).containsExactly(entry("**", ""));
      assertThat(onlyParams(t, "/a")).containsExactly(entry("**", "a"));
      assertThat(onlyParams(t, "/a/b/c")).containsExactly(entry("**", "a/b/c"));
    }

    @Test
    void combinesWithParams() {
      PathTree<String> t = tree("/t/{tenant}/**");
      assertThat(onlyParams(t, "/t/acme/x/y"))
          .containsExactly(entry("tenant", "acme"), entry("**", "x/y"));
      assertThat(onlyParams(t, "/t/acme"))
          .containsExactly(entry("tenant", "acme"), entry("**", ""));
      assertThat(t.match("/t")).isEmpty();
      assertThat(t.match("/t/")).isEmpty();
    }
  }

  @Nested
  class PathNormalisation {
    @Test
    void rootMatchesSlashAndDoubleStarButNotParam() {
      PathTree<String> t = tree("/", "/**", "/{id}", "/*");
      assertThat(values(t, "/")).containsExactly("/", "/**");
    }

    @Test
    void trailingSlashIsAnEmptyLastSegment() {
      PathTree<String> t = tree("/users", "/users/{id}", "/users/*", "/users/**");
      assertThat(values(t, "/users/")).containsExactly("/users/**");
      assertThat(values(t, "/users")).containsExactly("/users", "/users/**");
      assertThat(values(t, "/users/7")).containsExactly("/users/{id}", "/users/*", "/users/**");
    }

    @Test
    void queryStringIsIgnored() {
      PathTree<String> t = tree("/users", "/users/{id}", "/users/**");
      assertThat(values(t, "/users?x=1/2")).containsExactly("/users", "/users/**");
      assertThat(t.match("/users/7?x=/a/b").get(0).params()).containsExactly(entry("id", "7"));
      assertThat(t.match("/users/7/8?q").get(0).params()).containsExactly(entry("**", "7/8"));
      assertThat(values(t, "/users/?x")).containsExactly("/users/**");
    }

    @Test
    void pathNotStartingWithSlashMatchesNothing() {
      PathTree<String> t = tree("/**", "/users");
      assertThat(t.match("")).isEmpty();
      assertThat(t.match("users")).isEmpty();
      assertThat(t.match("?x=1")).isEmpty();
      assertThat(t.match("/users")).isNotEmpty();
    }

    @Test
    void emptyMiddleSegmentIsNotMatchedByParamOrStar() {
      PathTree<String> t = tree("/a/{x}/c", "/a/*/c", "/a/**");
      assertThat(values(t, "/a//c")).containsExactly("/a/**");
      assertThat(t.match("/a//c").get(0).params()).containsExactly(entry("**", "/c"));
    }
  }

  @Nested
  class Precedence {
    @Test
    void exactBeatsParamBeatsStarBeatsDoubleStar() {
      // Added worst first: insertion order must not decide between different kinds.
      PathTree<String> t = tree("/a/**", "/a/*", "/a/{x}", "/a/b");
      assertThat(values(t, "/a/b")).containsExactly("/a/b", "/a/{x}", "/a/*", "/a/**");
      assertThat(values(t, "/a/z")).containsExactly("/a/{x}", "/a/*", "/a/**");
    }

    @Test
    void segmentsAreComparedLeftToRight() {
      // The first segment decides: exact 'a' beats {x}, even though {x}/b is exact later on.
      PathTree<String> t = tree("/{x}/b", "/a/*");
      assertThat(values(t, "/a/b")).containsExactly("/a/*", "/{x}/b");
    }

    @Test
    void depthFirstOrderAcrossLevels() {
      PathTree<String> t = tree("/**", "/a/**", "/a/{x}/**", "/a/{x}/c", "/{y}/{x}/c", "/*/b/c");
      assertThat(values(t, "/a/b/c"))
          .containsExactly("/a/{x}/c", "/a/{x}/**", "/a/**", "/{y}/{x}/c", "/*/b/c", "/**");
    }

    @Test
    void backtracksWhenExactBranchDeadEnds() {
      PathTree<String> t = tree("/a/{x}/c", "/a/b/d");
      List<PathMatch<String>> m = t.match("/a/b/c");
      assertThat(m).extracting(PathMatch::value).containsExactly("/a/{x}/c");
      assertThat(m.get(0).params()).containsExactly(entry("x", "b"));
      assertThat(values(t, "/a/b/d")).containsExactly("/a/b/d");
    }

    @Test
    void backtracksThroughSeveralLevels() {
      PathTree<String> t = tree("/a/b/c/d/e", "/a/{p}/c/d/f", "/a/*/c/{q}/g");
      assertThat(values(t, "/a/b/c/d/g")).containsExactly("/a/*/c/{q}/g");
      assertThat(t.match("/a/b/c/d/g").get(0).params()).containsExactly(entry("q", "d"));
      assertThat(values(t, "/a/b/c/d/f")).containsExactly("/a/{p}/c/d/f");
    }

    @Test
    void endingAtANodeBeatsItsDoubleStar() {
      PathTree<String> t = tree("/users/**", "/users");
      assertThat(values(t, "/users")).containsExactly("/users", "/users/**");
    }

    @Test
    void sameShapeValuesKeepInsertionOrder() {
      PathTree.Builder<Integer> b = PathTree.builder();
      b.add("/x/{id}", 3).add("/x/{id}", 1).add("/x/{id}", 2).add("/x/*", 0).add("/x/{other}", 9);
      PathTree<Integer> t = b.build();
      assertThat(t.match("/x/5")).extracting(PathMatch::value).containsExactly(3, 1, 2, 9, 0);
      assertThat(t.size()).isEqualTo(5);
    }
  }

  @Nested
  class BuilderAndTree {
    @Test
    void sizeCountsValues() {
      assertThat(tree().size()).isZero();
      assertThat(tree("/a", "/a", "/b/{x}").size()).isEqualTo(3);
    }

    @Test
    void emptyTreeMatchesNothing() {
      assertThat(tree().match("/")).isEmpty();
    }

    @Test
    void builtTreeIsNotAffectedByLaterAdds() {
      PathTree.Builder<String> b = PathTree.<String>builder().add("/a", "first");
      PathTree<String> first = b.build();
      b.add("/a", "second").add("/b", "b");
      PathTree<String> second = b.build();
      assertThat(first.match("/a")).extracting(PathMatch::value).containsExactly("first");
      assertThat(first.match("/b")).isEmpty();
      assertThat(first.size()).isEqualTo(1);
      assertThat(second.match("/a"))
          .extracting(PathMatch::value)
          .containsExactly("first", "second");
      assertThat(second.size()).isEqualTo(3);
    }

    @Test
    void resultListIsUnmodifiable() {
      List<PathMatch<String>> m = tree("/a").match("/a");
      assertThat(m).hasSize(1);
      assertThatThrownBy(m::clear).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void addRejectsBadPatternWithMessage() {
      PathTree.Builder<String> b = PathTree.builder();
      assertThatThrownBy(() -> b.add("/a/**/b", "v"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'/a/**/b'")
          .hasMessageContaining("last segment");
      assertThatThrownBy(() -> b.add("users/{id}", "v"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("start with '/'");
      assertThat(b.build().size()).isZero();
    }

    @Test
    void addRejectsNullValue() {
      assertThatThrownBy(() -> PathTree.builder().add("/a", null))
          .isInstanceOf(NullPointerException.class);
    }

    @Test
    void concurrentLookupsSeeTheSameResults() {
      PathTree<String> t = tree("/a/{x}", "/a/**");
      List<List<PathMatch<String>>> results =
          IntStream.range(0, 2_000).parallel().mapToObj(i -> t.match("/a/" + i)).toList();
      for (int i = 0; i < results.size(); i++) {
        assertThat(results.get(i))
            .extracting(PathMatch::params)
            .containsExactly(Map.of("x", String.valueOf(i)), Map.of("**", String.valueOf(i)));
      }
    }
  }

  @Nested
  class Scale {
    @Test
    void tenThousandRoutesAllResolveToTheRightValue() {
      int n = 10_000;
      PathTree.Builder<Integer> b = PathTree.builder();
      for (int i = 0; i < n; i++) {
        b.add("/svc" + i + "/items/{id}", i);
      }
      PathTree<Integer> t = b.build();
      assertThat(t.size()).isEqualTo(n);
      for (int i = 0; i < n; i++) {
        List<PathMatch<Integer>> m = t.match("/svc" + i + "/items/" + (i * 7));
        assertThat(m).hasSize(1);
        assertThat(m.get(0).value()).isEqualTo(i);
        assertThat(m.get(0).params()).containsExactly(entry("id", String.valueOf(i * 7)));
      }
      assertThat(t.match("/svc" + n + "/items/1")).isEmpty();
      assertThat(t.match("/svc1/items")).isEmpty();
    }

    @Test
    void tenThousandRoutesUnderOneParamNodeResolve() {
      int n = 10_000;
      PathTree.Builder<Integer> b = PathTree.builder();
      for (int i = 0; i < n; i++) {
        b.add("/api/{tenant}/op" + i, i);
      }
      PathTree<Integer> t = b.build();
      for (int i = 0; i < n; i += 1) {
        List<PathMatch<Integer>> m = t.match("/api/t" + i + "/op" + i);
        assertThat(m).extracting(PathMatch::value).containsExactly(i);
        assertThat(m.get(0).params()).containsExactly(entry("tenant", "t" + i));
      }
    }
  }

  @Nested
  class PathologicalInput {
    @Test
    void veryLongPathMatchesNothingWithoutFailing() {
      PathTree<String> t = tree("/**", "/{a}/**", "/*/*/**");
      String path = "/x".repeat(100_000);
      assertThat(t.match(path)).isEmpty();
      assertThat(t.match("/".repeat(100_000))).isEmpty();
    }

    @Test
    void pathsUpToTheSegmentLimitStillMatch() {
      PathTree<String> t = tree("/**");
      String atLimit = "/x".repeat(PathPattern.MAX_SEGMENTS);
      assertThat(onlyParams(t, atLimit)).containsExactly(entry("**", atLimit.substring(1)));
      assertThat(t.match(atLimit + "/x")).isEmpty();
      // Segments after '?' do not count.
      assertThat(t.match(atLimit + "?" + "/y".repeat(1_000))).hasSize(1);
    }

    @Test
    void deepParamChainsResolveAndCaptureEverySegment() {
      int depth = PathPattern.MAX_SEGMENTS;
      StringBuilder pattern = new StringBuilder();
      StringBuilder path = new StringBuilder();
      for (int i = 0; i < depth; i++) {
        pattern.append("/{p").append(i).append('}');
        path.append("/v").append(i);
      }
      PathTree<String> t = tree(pattern.toString(), "/*".repeat(depth));
      List<PathMatch<String>> m = t.match(path.toString());
      assertThat(m).hasSize(2);
      assertThat(m.get(0).params())
          .hasSize(depth)
          .containsEntry("p0", "v0")
          .containsEntry("p255", "v255");
      assertThat(m.get(1).params()).isEmpty();
    }
  }
}
