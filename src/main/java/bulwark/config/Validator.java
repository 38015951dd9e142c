package bulwark.config;

import java.util.List;
import java.util.Map;

/**
 * Cross-field checks after binding, one validator per section, all adding to one {@link
 * ConfigErrors}; never throws. The order of the sections is the order of the errors.
 */
final class Validator {
  private final ConfigErrors err;

  Validator(List<ConfigError> errors, Map<String, String> unknownNames) {
    this.err = new ConfigErrors(errors, unknownNames);
  }

  void validate(BulwarkConfig c) {
    ServerValidator server = new ServerValidator(err);
    if (c.server() != null) server.server(c.server());
    if (c.admin() != null) server.admin(c.admin());
    if (c.configSource() != null) new ConfigSourceValidator(err).configSource(c.configSource());
    UpstreamValidator upstreams = new UpstreamValidator(err);
    c.upstreams().forEach((name, u) -> upstreams.upstream("upstreams." + name, u));
    MiddlewareValidator middlewares = new MiddlewareValidator(err);
    if (c.cluster() != null) middlewares.cluster(c.cluster());
    c.middlewares()
        .forEach(
            (name, m) -> middlewares.middleware("middlewares." + name, m, c.cluster() != null));
    RouteValidator routes = new RouteValidator(err);
    if (c.versioning() != null) routes.versioning(c.versioning());
    for (int i = 0; i < c.groups().size(); i++)
      routes.group(c.groups().get(i), "groups[" + i + "]", c.middlewares());
    routes.routes(c);
    if (c.remediation() != null) new RemediationValidator(err).remediation(c);
    err.named("observability.logFormat");
    ObservabilityValidator observability = new ObservabilityValidator(err);
    if (c.observability() != null && c.observability().tracing() != null)
      observability.tracing("observability.tracing", c.observability().tracing());
    if (c.observability() != null && c.observability().audit() != null)
      observability.audit(c.observability().audit(), "observability.audit");
  }
}
