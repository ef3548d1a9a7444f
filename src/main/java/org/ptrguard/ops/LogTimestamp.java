package org.ptrguard.ops;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The timestamp at the start of a log line outside the journal, {@code 2026-11-23T12:26:13.605Z}
 * (ISO 8601, local zone, milliseconds). slf4j-simple's own date formatting builds fresh date-format
 * symbols for every line; at one decision line per milter session that was a twentieth of all the
 * memory ptrguard allocated. Here the date, time and zone are formatted once per second and only the
 * milliseconds per line.
 */
final class LogTimestamp {
  private static final DateTimeFormatter UP_TO_SECONDS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.", Locale.ROOT);
  private static final DateTimeFormatter OFFSET = DateTimeFormatter.ofPattern("XXX", Locale.ROOT);

  /** One second's formatted parts; replaced whole, so readers on other threads see a consistent one. */
  private record Second(long epochSecond, ZoneId zone, String head, String offset) {}

  private static volatile Second current = new Second(Long.MIN_VALUE, ZoneId.of("UTC"), "", "");

  private LogTimestamp() {}

  static String format(long epochMillis, ZoneId zone) {
    long second = Math.floorDiv(epochMillis, 1000L);
    int millis = (int) Math.floorMod(epochMillis, 1000L);
    Second s = current;
    if (s.epochSecond() != second || !s.zone().equals(zone)) {
      ZonedDateTime t = Instant.ofEpochSecond(second).atZone(zone);
      s = new Second(second, zone, UP_TO_SECONDS.format(t), OFFSET.format(t));
      current = s;
    }
    return s.head() + (millis < 10 ? "00" : millis < 100 ? "0" : "") + millis + s.offset();
  }
}
