package bulwark.config;

public record ScoreWeights(
    @Doc(value = "Network reachability: the target accepts connections.", dflt = "30") int network,
    @Doc(value = "HTTP health answer: the check's status passes.", dflt = "40") int health,
    @Doc(
            value =
                "Resource signals from the health JSON: cpu and memory between 0 and 1 (1 is fully used).",
            dflt = "20")
        int resources,
    @Doc(
            value =
                "Dependency status from the health JSON: the share of dependencies that are UP.",
            dflt = "10")
        int dependencies) {}
