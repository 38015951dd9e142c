package bulwark.log;

import ch.qos.logback.classic.spi.ILoggingEvent;
import net.logstash.logback.composite.AbstractFieldJsonProvider;
import net.logstash.logback.composite.GlobalCustomFieldsJsonProvider;
import net.logstash.logback.composite.loggingevent.ArgumentsJsonProvider;
import net.logstash.logback.composite.loggingevent.KeyValuePairsJsonProvider;
import net.logstash.logback.composite.loggingevent.LogLevelJsonProvider;
import net.logstash.logback.composite.loggingevent.LoggerNameJsonProvider;
import net.logstash.logback.composite.loggingevent.LoggingEventFormattedTimestampJsonProvider;
import net.logstash.logback.composite.loggingevent.LoggingEventJsonProviders;
import net.logstash.logback.composite.loggingevent.LoggingEventThreadNameJsonProvider;
import net.logstash.logback.composite.loggingevent.LogstashMarkersJsonProvider;
import net.logstash.logback.composite.loggingevent.MdcJsonProvider;
import net.logstash.logback.composite.loggingevent.MessageJsonProvider;
import net.logstash.logback.composite.loggingevent.StackTraceJsonProvider;
import net.logstash.logback.composite.loggingevent.ThrowableClassNameJsonProvider;
import net.logstash.logback.composite.loggingevent.ThrowableMessageJsonProvider;
import net.logstash.logback.encoder.LoggingEventCompositeJsonEncoder;

/**
 * The application log encoder (LogSetup): one Elastic Common Schema JSON line per event, with
 * dotted keys at the root as the access log writes them: {@code @timestamp} (UTC), {@code
 * log.level}, {@code log.logger}, {@code message}, {@code process.thread.name}, {@code
 * error.type}/{@code error.message}/{@code error.stack_trace} when there is an exception, {@code
 * ecs.version}, {@code service.name} and {@code event.dataset} (bulwark.app). Credentials are
 * masked by the {@link RedactingDecorator}, which it always sets.
 */
public final class EcsEncoder extends LoggingEventCompositeJsonEncoder {
  /** The ECS version Bulwark's log lines follow (application log, access log, audit log). */
  public static final String ECS_VERSION = "8.11.0";

  public static final String SERVICE = "bulwark";

  private String dataset = "bulwark.app";

  /** event.dataset of the lines; bulwark.app unless set. */
  public void setDataset(String dataset) {
    this.dataset = dataset;
  }

  /** ecs.version and service.name, the constant fields every Bulwark log line carries. */
  public static GlobalCustomFieldsJsonProvider<ILoggingEvent> serviceFields(
      String... moreKeyValues) {
    StringBuilder json =
        new StringBuilder(
            "{\"ecs.version\":\"" + ECS_VERSION + "\",\"service.name\":\"" + SERVICE + "\"");
    for (int i = 0; i < moreKeyValues.length; i += 2)
      json.append(",\"")
          .append(moreKeyValues[i])
          .append("\":\"")
          .append(moreKeyValues[i + 1])
          .append('"');
    GlobalCustomFieldsJsonProvider<ILoggingEvent> p = new GlobalCustomFieldsJsonProvider<>();
    p.setCustomFields(json.append('}').toString());
    return p;
  }

  private static <P extends AbstractFieldJsonProvider<ILoggingEvent>> P named(
      P provider, String field) {
    provider.setFieldName(field);
    return provider;
  }

  @Override
  public void start() {
    LoggingEventJsonProviders p = new LoggingEventJsonProviders();
    LoggingEventFormattedTimestampJsonProvider ts =
        named(new LoggingEventFormattedTimestampJsonProvider(), "@timestamp");
    ts.setTimeZone("UTC");
    p.addTimestamp(ts);
    p.addLogLevel(named(new LogLevelJsonProvider(), "log.level"));
    p.addLoggerName(named(new LoggerNameJsonProvider(), "log.logger"));
    p.addMessage(new MessageJsonProvider());
    p.addThreadName(named(new LoggingEventThreadNameJsonProvider(), "process.thread.name"));
    p.addGlobalCustomFields(serviceFields("event.dataset", dataset));
    p.addMdc(new MdcJsonProvider());
    p.addLogstashMarkers(new LogstashMarkersJsonProvider());
    p.addArguments(new ArgumentsJsonProvider());
    p.addKeyValuePairs(new KeyValuePairsJsonProvider());
    ThrowableClassNameJsonProvider type = named(new ThrowableClassNameJsonProvider(), "error.type");
    type.setUseSimpleClassName(false);
    p.addThrowableClassName(type);
    p.addThrowableMessage(named(new ThrowableMessageJsonProvider(), "error.message"));
    p.addStackTrace(named(new StackTraceJsonProvider(), "error.stack_trace"));
    setProviders(p);
    // credentials (Authorization, cookies, API keys, tokens) are masked in every field
    setJsonGeneratorDecorator(new RedactingDecorator());
    super.start();
  }
}
