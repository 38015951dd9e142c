package bulwark.config;

public record ScoreConfig(
    @Doc("Weights of the four parts of the score; the score is their weighted sum scaled to 0-100.")
        ScoreWeights weights,
    @Doc(
            value =
                "A target whose score falls below this is drained (gets no new requests) until its score is back at floor + 5 or more. 0: never drain.",
            dflt = "20")
        int floor) {}
