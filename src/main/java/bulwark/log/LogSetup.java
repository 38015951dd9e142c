package bulwark.log;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.spi.ContextAwareBase;
import org.slf4j.Logger;

/**
 * The application log's configuration, in code (a {@link Configurator} that logback finds through
 * {@code META-INF/services}): one Elastic Common Schema JSON line per event ({@link EcsEncoder}:
 * {@code @timestamp}, {@code log.level}, {@code log.logger}, {@code message}, {@code
 * process.thread.name}, {@code error.*}, {@code ecs.version}, {@code service.name}, {@code
 * event.dataset} "bulwark.app"), credentials masked; on a terminal readable text instead ({@code
 * observability.logFormat}, see {@link AppLogAppender}). The access log is configured in code too
 * (see {@link AccessLog}); both go to Elasticsearch through deploy/filebeat/filebeat.yml.
 *
 * <p>Where the lines go: stderr, or appended to the file named by {@code BULWARK_LOG_FILE} (an
 * environment variable or a {@code -D} system property), e.g. {@code
 * BULWARK_LOG_FILE=/var/log/bulwark/app.log}. An {@link AsyncAppender} (8192 events, never blocking
 * the caller) keeps the writing off the event loops.
 *
 * <p>In code rather than in a logback.xml because reading XML (Joran and the JDK's SAX parser) cost
 * about 0.1 s of every start (docs/startup.md). {@code -Dlogback.configurationFile=FILE} (in {@code
 * BULWARK_JAVA_OPTS}) still replaces all of it with a file of one's own, as does a {@code
 * logback-test.xml} on the class path (the tests).
 */
public final class LogSetup extends ContextAwareBase implements Configurator {
  /** The name of the variable (or system property) that sends the lines to a file. */
  public static final String FILE_VARIABLE = "BULWARK_LOG_FILE";

  @Override
  public ExecutionStatus configure(LoggerContext ctx) {
    if (System.getProperty("logback.configurationFile") != null
        || LogSetup.class.getClassLoader().getResource("logback-test.xml") != null)
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    apply(ctx);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /**
   * Configures {@code ctx} as production runs: appender "ASYNC" on the root logger (INFO), holding
   * appender "APP" ({@link AppLogAppender} with {@link EcsEncoder}), and quieter levels for
   * libraries that are chatty at INFO.
   */
  public static void apply(LoggerContext ctx) {
    EcsEncoder encoder = new EcsEncoder();
    encoder.setContext(ctx);
    encoder.start();
    AppLogAppender app = new AppLogAppender();
    app.setContext(ctx);
    app.setName("APP");
    app.setFile(logFile(ctx));
    app.setEncoder(encoder);
    app.start();
    AsyncAppender async = new AsyncAppender();
    async.setContext(ctx);
    async.setName("ASYNC");
    async.setQueueSize(8192);
    async.setNeverBlock(true);
    async.addAppender(app);
    async.start();

    level(ctx, "io.netty", Level.WARN);
    level(ctx, "io.vertx", Level.WARN);
    // Lettuce (Redis client) reconnect chatter; Bulwark logs one WARN per Redis outage and one INFO
    // when it ends
    level(ctx, "io.lettuce", Level.WARN);
    // Redis Cluster: a topology refresh logs a WARN per unreachable node each time (every 10 s and
    // on every redirect); the health probe already says which master is down, once
    level(ctx, "io.lettuce.core.cluster.topology.DefaultClusterTopologyRefresh", Level.ERROR);
    // the Kafka audit sink's producer: Bulwark logs one WARN when Kafka stops taking events and one
    // INFO when it takes them again, not a line per reconnect attempt (nor the producer's settings)
    level(ctx, "org.apache.kafka", Level.WARN);
    level(ctx, "org.apache.kafka.clients.NetworkClient", Level.ERROR);

    ch.qos.logback.classic.Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.INFO);
    root.addAppender(async);
  }

  /** BULWARK_LOG_FILE from the context, the system properties or the environment; else stderr. */
  static String logFile(LoggerContext ctx) {
    String f = ctx.getProperty(FILE_VARIABLE);
    if (f == null) f = System.getProperty(FILE_VARIABLE);
    if (f == null) f = System.getenv(FILE_VARIABLE);
    return f == null || f.isBlank() ? "stderr" : f;
  }

  private static void level(LoggerContext ctx, String logger, Level level) {
    ctx.getLogger(logger).setLevel(level);
  }
}
