package bulwark.config;

public record HstsConfig(
    @Doc(
            value = "How long browsers remember to use HTTPS only: the max-age directive.",
            unit = "seconds",
            dflt = "31536000")
        long maxAge,
    @Doc(value = "Adds includeSubDomains: the rule covers every subdomain too.", dflt = "false")
        boolean includeSubDomains,
    @Doc(
            value =
                "Adds preload (for the browsers' preload lists; needs includeSubDomains and a max-age of at least a year).",
            dflt = "false")
        boolean preload) {

  /** The header value, e.g. {@code max-age=31536000; includeSubDomains}. */
  public String headerValue() {
    return "max-age="
        + maxAge
        + (includeSubDomains ? "; includeSubDomains" : "")
        + (preload ? "; preload" : "");
  }
}
