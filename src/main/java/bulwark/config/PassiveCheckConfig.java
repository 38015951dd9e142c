package bulwark.config;

import java.time.Duration;

public record PassiveCheckConfig(
    @Doc(value = "Consecutive failed requests (connect failure, reset, timeout or 5xx) that eject a target.", dflt = "5") int consecutiveFailures,
    @Doc(value = "How long the first ejection lasts; the n-th consecutive ejection lasts n times as long, at most 10 times.", unit = "duration", dflt = "30s") Duration ejectFor,
    @Doc(value = "At most this share of the upstream's targets is ejected at once.", unit = "percent", dflt = "50%") Percent maxEjectedPercent) {}
