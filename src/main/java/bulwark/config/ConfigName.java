package bulwark.config;

/**
 * A config value that is one of a fixed set of names; an enum implements it. The enum is the one
 * place its names live: the binder reads a value into it (an unknown name is an error at the
 * field's path), the validator and the runtime use the constant, and {@link ConfigDocs} lists the
 * names in docs/configuration.md and the schema, in declaration order.
 */
public interface ConfigName {
  /** The name as written in the config, and in logs and reports. */
  String configName();

  /**
   * The error for a value that is none of the names, "'x' must be a, b or c"; an enum may word it
   * its own way.
   */
  default String unknown(String given) {
    return "'"
        + given
        + "' must be "
        + Names.orList(Names.of(((Enum<?>) this).getDeclaringClass()));
  }
}
