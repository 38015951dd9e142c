package bulwark.config;

import java.util.List;
import java.util.Map;

public record HeaderOps(
    @Doc("Headers to set, replacing any value.") Map<String, String> set,
    @Doc("Headers to add, keeping existing values.") Map<String, String> add,
    @Doc("Headers to remove.") List<String> remove) {}
