package bulwark.fleet;

import java.util.List;

/** The kinds of routing resources kept in etcd, one key each, and the single settings key. */
public final class ResourceKinds {
  /** Kinds whose resources have names: {@code <prefix>/<kind>/<name>}. */
  public static final List<String> NAMED = List.of("upstreams", "middlewares", "routes", "groups");

  /** The one resource that is not named: {@code <prefix>/settings} (versioning, remediation). */
  public static final String SETTINGS = "settings";

  /** Every kind, in the order a diff lists them. */
  public static final List<String> ALL =
      List.of("upstreams", "middlewares", "routes", "groups", SETTINGS);

  private ResourceKinds() {}
}
