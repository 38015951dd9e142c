package bulwark.config;

import java.util.ArrayList;
import java.util.List;

/** Reading and listing {@link ConfigName} enums. */
final class Names {
  private Names() {}

  /** Whether values of {@code c} are written as one of its names. */
  static boolean isNames(Class<?> c) {
    return c.isEnum() && ConfigName.class.isAssignableFrom(c);
  }

  /** The names of an enum of {@link ConfigName}s, in declaration order. */
  static List<String> of(Class<?> type) {
    List<String> out = new ArrayList<>();
    for (Object c : type.getEnumConstants()) out.add(((ConfigName) c).configName());
    return out;
  }

  /**
   * The constant of {@code type} named {@code text}; throws with the enum's message when there is
   * none.
   */
  static <E> E parse(Class<E> type, String text) {
    E[] all = type.getEnumConstants();
    for (E c : all) {
      if (((ConfigName) c).configName().equals(text)) return c;
    }
    throw new IllegalArgumentException(((ConfigName) all[0]).unknown(text));
  }

  /** "a", "a or b", "a, b or c". */
  static String orList(List<String> names) {
    int n = names.size();
    if (n == 1) return names.get(0);
    return String.join(", ", names.subList(0, n - 1)) + " or " + names.get(n - 1);
  }
}
