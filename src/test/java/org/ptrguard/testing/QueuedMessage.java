package org.ptrguard.testing;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One message in a Postfix queue, from a line of {@code postqueue -j}. */
public record QueuedMessage(String queueId, String queueName, String sender, List<String> recipients) {
  private static final Pattern QUEUE_NAME = Pattern.compile("\"queue_name\":\\s*\"([^\"]*)\"");
  private static final Pattern QUEUE_ID = Pattern.compile("\"queue_id\":\\s*\"([^\"]*)\"");
  private static final Pattern SENDER = Pattern.compile("\"sender\":\\s*\"([^\"]*)\"");
  private static final Pattern ADDRESS = Pattern.compile("\"address\":\\s*\"([^\"]*)\"");

  public boolean onHold() {
    return "hold".equals(queueName);
  }

  /**
   * Postfix writes one flat JSON object per line and the fields read here never contain quotes
   * (queue ids, queue names, and the plain test addresses), so a pattern per field is enough.
   */
  static QueuedMessage parseJsonLine(String line) {
    return new QueuedMessage(field(QUEUE_ID, line), field(QUEUE_NAME, line), field(SENDER, line),
        ADDRESS.matcher(line).results().map(m -> m.group(1)).toList());
  }

  private static String field(Pattern pattern, String line) {
    Matcher matcher = pattern.matcher(line);
    if (!matcher.find()) {
      throw new IllegalArgumentException("postqueue -j line without " + pattern + ": " + line);
    }
    return matcher.group(1);
  }
}
