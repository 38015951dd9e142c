package bulwark.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The one source of documentation for a config field: the binder reads defaults and YAML key names
 * from it, and {@link ConfigDocs} generates docs/configuration.md and docs/bulwark.schema.json from
 * it.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface Doc {
  /** What the field means and how it interacts with others. */
  String value();

  /** The unit or value format, e.g. "duration", "size". Empty when obvious from the type. */
  String unit() default "";

  /**
   * The default, written as it would be in YAML. Empty: no default (null, or an empty collection).
   */
  String dflt() default "";

  boolean required() default false;

  /** The YAML key when it differs from the component name (e.g. Java keywords). */
  String key() default "";

  /** Non-empty: this field belongs to a later capability and is rejected as "not supported yet". */
  String later() default "";

  /** Allowed values for a free-form string, shown in docs and schema. */
  String[] oneOf() default {};

  /** An optional section: absent means the feature is off (null), not a section of defaults. */
  boolean section() default false;
}
