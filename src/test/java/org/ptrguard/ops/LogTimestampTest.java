package org.ptrguard.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.text.SimpleDateFormat;
import java.time.ZoneId;
import java.util.Date;
import java.util.Locale;
import java.util.TimeZone;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LogTimestampTest {
  /** The pattern slf4j-simple was configured with before: lines must look the same as they did. */
  private static String reference(long millis, String zone) {
    SimpleDateFormat f = new SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", Locale.ROOT);
    f.setTimeZone(TimeZone.getTimeZone(zone));
    return f.format(new Date(millis));
  }

  @ParameterizedTest
  @ValueSource(strings = {"UTC", "Europe/Berlin", "Asia/Kolkata", "America/St_Johns", "Pacific/Chatham"})
  void matchesTheIsoPatternAcrossSecondsDaylightSavingAndOddOffsets(String zone) {
    ZoneId id = ZoneId.of(zone);
    long[] instants = {
        0L, 999L, 1000L, 1_795_436_861_005L, 1_795_436_861_050L, 1_795_436_861_999L, 1_795_436_862_000L,
        // 2026-03-29 00:59:59.999Z and 01:00:00.000Z: Berlin moves from +01:00 to +02:00 between them.
        1_774_745_999_999L, 1_774_746_000_000L,
        // before 1970: floor division, not truncation
        -1L, -1001L};
    for (long t : instants) {
      assertThat(LogTimestamp.format(t, id)).as("%d in %s", t, zone).isEqualTo(reference(t, zone));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"UTC", "Asia/Kolkata"})
  void alternatingZonesWithinOneSecondDoNotLeakIntoEachOther(String other) {
    long t = 1_795_436_861_123L;
    assertThat(LogTimestamp.format(t, ZoneId.of("Europe/Berlin"))).isEqualTo(reference(t, "Europe/Berlin"));
    assertThat(LogTimestamp.format(t + 1, ZoneId.of(other))).isEqualTo(reference(t + 1, other));
    assertThat(LogTimestamp.format(t + 2, ZoneId.of("Europe/Berlin"))).isEqualTo(reference(t + 2, "Europe/Berlin"));
  }
}
