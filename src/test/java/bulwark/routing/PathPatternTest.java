package bulwark.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PathPatternTest {

  @Test
  void paramNamesAreInOrderAndIncludeRestForTrailingDoubleStar() {
    assertThat(PathPattern.parse("/api/{tenant}/users/{id}").paramNames())
        .containsExactly("tenant", "id");
    assertThat(PathPattern.parse("/files/{bucket}/*/**").paramNames())
        .containsExactly("bucket", "**");
    assertThat(PathPattern.parse("/health").paramNames()).isEmpty();
    assertThat(PathPattern.parse("/").paramNames()).isEmpty();
  }

  @Test
  void parseKeepsPatternTextAndClassifiesSegments() {
    PathPattern p = PathPattern.parse("/a/{id}/*/**");
    assertThat(p.pattern()).isEqualTo("/a/{id}/*/**");
    assertThat(p.segments())
        .extracting(PathPattern.Segment::kind)
        .containsExactly(
            PathPattern.Kind.EXACT,
            PathPattern.Kind.PARAM,
            PathPattern.Kind.STAR,
            PathPattern.Kind.DOUBLE_STAR);
    assertThat(p.segments().get(1).text()).isEqualTo("id");
  }

  @Test
  void rootAndTrailingSlashPatternsAreValid() {
    assertThat(PathPattern.parse("/").segments())
        .containsExactly(new PathPattern.Segment(PathPattern.Kind.EXACT, ""));
    assertThat(PathPattern.parse("/users/").segments())
        .extracting(PathPattern.Segment::text)
        .containsExactly("users", "");
  }

  @ParameterizedTest
  @ValueSource(strings = {"{id}", "{user_id}", "{user-id}", "{id2}", "{$x}", "{ÄÖ}"})
  void acceptsParamNamesMadeOfIdentifierCharsAndDash(String segment) {
    PathPattern p = PathPattern.parse("/x/" + segment);
    assertThat(p.paramNames()).containsExactly(segment.substring(1, segment.length() - 1));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "''                | must start with '/'",
        "users             | must start with '/'",
        "api/users         | must start with '/'",
        "/a/**/b           | '**' is only allowed as the last segment",
        "/**/**            | '**' is only allowed as the last segment",
        "/a/{}             | empty parameter name",
        "/a/{id            | unbalanced braces",
        "/a/id}            | unbalanced braces",
        "/a/}id{           | unbalanced braces",
        "/a/{{id}          | unbalanced braces",
        "/a/a{id}          | mixes text and braces",
        "/a/{id}b          | mixes text and braces",
        "/a/{a}{b}         | mixes text and braces",
        "/a/{id}/b/{id}    | parameter 'id' appears more than once",
        "/a/{a.b}          | invalid parameter name",
        "/a/{a b}          | invalid parameter name",
        "/a/{**}           | invalid parameter name",
        "/a//b             | empty segment",
        "//                | empty segment",
        "/a/b*             | must be whole segments",
        "/a/***            | must be whole segments",
        "/a?b=1            | must not contain '?'",
      })
  void rejectsBadPatternsWithAClearMessage(String pattern, String expectedMessage) {
    assertThatThrownBy(() -> PathPattern.parse(pattern))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(expectedMessage)
        .hasMessageContaining("'" + pattern + "'");
  }

  @Test
  void rejectsPatternsWithTooManySegments() {
    String ok = "/s".repeat(PathPattern.MAX_SEGMENTS);
    assertThat(PathPattern.parse(ok).segments()).hasSize(PathPattern.MAX_SEGMENTS);
    assertThatThrownBy(() -> PathPattern.parse(ok + "/s"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("more than " + PathPattern.MAX_SEGMENTS + " segments");
  }

  @Test
  void equalityFollowsPatternText() {
    assertThat(PathPattern.parse("/a/{id}"))
        .isEqualTo(PathPattern.parse("/a/{id}"))
        .hasSameHashCodeAs(PathPattern.parse("/a/{id}"))
        .isNotEqualTo(PathPattern.parse("/a/{uid}"));
    assertThat(PathPattern.parse("/a/{id}")).hasToString("/a/{id}");
  }

  // ----------------------------------------------------------------------------------------------
  // expand

  @Test
  void expandReplacesPlaceholders() {
    assertThat(PathPattern.expand("/api/users/{id}/profile", Map.of("id", "7")))
        .isEqualTo("/api/users/7/profile");
    assertThat(PathPattern.expand("/{a}/{b}/{a}", Map.of("a", "x", "b", "y"))).isEqualTo("/x/y/x");
  }

  @Test
  void expandHandlesPlaceholdersInsideTextAndTheRestCapture() {
    assertThat(PathPattern.expand("/v2/{id}.json", Map.of("id", "42"))).isEqualTo("/v2/42.json");
    assertThat(PathPattern.expand("/backend/{**}", Map.of("**", "a/b/c")))
        .isEqualTo("/backend/a/b/c");
    assertThat(PathPattern.expand("{host-name}", Map.of("host-name", "h"))).isEqualTo("h");
  }

  @Test
  void expandInsertsValuesVerbatimAndIgnoresUnusedParams() {
    assertThat(PathPattern.expand("/f/{name}", Map.of("name", "a%2Fb {x}", "other", "z")))
        .isEqualTo("/f/a%2Fb {x}");
  }

  @Test
  void expandLeavesTemplateWithoutPlaceholdersUnchanged() {
    assertThat(PathPattern.expand("/static/path", Map.of("id", "1"))).isEqualTo("/static/path");
    assertThat(PathPattern.expand("", Map.of())).isEmpty();
  }

  @Test
  void expandRejectsUnknownPlaceholder() {
    assertThatThrownBy(() -> PathPattern.expand("/users/{id}/{missing}", Map.of("id", "7")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("{missing}");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/users/{id",
        "/users/id}",
        "/users/}id{",
        "/users/{}",
        "/users/{a b}",
        "/u/{a{b}"
      })
  void expandAndPlaceholdersRejectMalformedTemplates(String template) {
    assertThatThrownBy(() -> PathPattern.expand(template, Map.of("id", "1", "a", "2")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(template);
    assertThatThrownBy(() -> PathPattern.placeholders(template))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void placeholdersListsNamesInOrderOfFirstUse() {
    assertThat(PathPattern.placeholders("/{b}/x/{a}/{b}/{**}")).containsExactly("b", "a", "**");
    assertThat(PathPattern.placeholders("/plain")).isEmpty();
  }

  @Test
  void placeholdersOfATemplateCanBeCheckedAgainstAPatternsCaptures() {
    PathPattern route = PathPattern.parse("/api/{tenant}/**");
    assertThat(route.paramNames()).containsAll(PathPattern.placeholders("/t/{tenant}/{**}"));
    assertThat(route.paramNames()).doesNotContainAnyElementsOf(PathPattern.placeholders("/{id}"));
  }
}
