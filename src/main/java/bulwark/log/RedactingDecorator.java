package bulwark.log;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.JsonGeneratorDelegate;
import java.io.IOException;
import net.logstash.logback.decorate.JsonGeneratorDecorator;

/**
 * Passes every string value of a JSON log line (message, stack trace, MDC, access-log fields)
 * through {@link Redact#text}. Set on the application log encoder (LogSetup) and on the access log
 * encoder ({@link AccessLog}).
 */
public final class RedactingDecorator implements JsonGeneratorDecorator {
  @Override
  public JsonGenerator decorate(JsonGenerator generator) {
    return new JsonGeneratorDelegate(generator, true) {
      @Override
      public void writeString(String text) throws IOException {
        super.writeString(Redact.text(text));
      }

      @Override
      public void writeString(char[] text, int offset, int len) throws IOException {
        super.writeString(Redact.text(new String(text, offset, len)));
      }

      @Override
      public void writeStringField(String fieldName, String value) throws IOException {
        writeFieldName(fieldName);
        writeString(value);
      }
    };
  }
}
