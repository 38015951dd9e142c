package bulwark.filter;

import java.util.concurrent.atomic.AtomicInteger;

/** A typed key for per-request state in an {@link Exchange}; never a Map&lt;String,Object&gt;. */
public final class Key<T> {
  private static final AtomicInteger NEXT = new AtomicInteger();
  final int index = NEXT.getAndIncrement();
  private final String name;

  private Key(String name) {
    this.name = name;
  }

  public static <T> Key<T> of(String name) {
    return new Key<>(name);
  }

  @Override
  public String toString() {
    return name;
  }
}
