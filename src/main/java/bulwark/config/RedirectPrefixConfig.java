package bulwark.config;

/** redirect.prefix: a leading part of the path replaced by another. */
public record RedirectPrefixConfig(
    @Doc(
            value =
                "The path prefix to replace, starting with '/'. It matches whole segments: /old matches /old and /old/x, not /older. A path it does not match keeps its path.",
            required = true)
        String from,
    @Doc(value = "What replaces it, starting with '/'.", required = true) String to) {}
