package org.ptrguard.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.ptrguard.postfix.Route.Family;

/** The per-route count of recipients by whether their domains' mail exchangers have IPv6, over 24 hours. */
class RecipientMxFamiliesTest {
  private static final Instant START = Instant.parse("2026-12-03T10:20:00Z");
  private static final CompletableFuture<Optional<Set<Family>>> BOTH =
      CompletableFuture.completedFuture(Optional.of(EnumSet.of(Family.IPV4, Family.IPV6)));
  private static final CompletableFuture<Optional<Set<Family>>> V4 =
      CompletableFuture.completedFuture(Optional.of(EnumSet.of(Family.IPV4)));

  private final MutableClock clock = new MutableClock(START);
  private final RecipientMxFamilies counts = new RecipientMxFamilies(clock);

  @Test
  void countsPerRouteAndMovesPendingLookupsToTheirFamilyWhenTheyAnswer() {
    counts.count("smtp", BOTH);
    counts.count("smtp", V4);
    counts.count("smtp", V4);
    CompletableFuture<Optional<Set<Family>>> pending = new CompletableFuture<>();
    counts.count("smtp", pending); // returns at once: the lookup has not answered
    CompletableFuture<Optional<Set<Family>>> failing = new CompletableFuture<>();
    counts.count("smtp", failing);
    counts.count("smtp-news", BOTH);

    assertThat(counts.last24h()).containsExactly(
        new RecipientMxFamilies.Share("smtp", 5, 1, 2, START),
        new RecipientMxFamilies.Share("smtp-news", 1, 1, 0, START));
    assertThat(counts.last24h().get(0).percent()).isEqualTo(20);

    clock.advance(Duration.ofMinutes(50)); // the answer comes in the next hour: counted where the recipient was
    pending.complete(Optional.of(EnumSet.of(Family.IPV6)));
    failing.completeExceptionally(new RuntimeException("SERVFAIL"));
    assertThat(counts.last24h().get(0)).isEqualTo(new RecipientMxFamilies.Share("smtp", 5, 2, 1, START));
  }

  @Test
  void forgetsWhatIsOlderThanTheWindowAndSaysSinceWhenItCounted() {
    counts.count("smtp", BOTH);
    clock.advance(Duration.ofHours(12));
    counts.count("smtp", V4);
    assertThat(counts.last24h()).containsExactly(new RecipientMxFamilies.Share("smtp", 2, 1, 0, START));

    clock.advance(Duration.ofHours(13)); // the first recipient's hour has left the window, the second's not
    Instant now = START.plus(Duration.ofHours(25));
    assertThat(counts.last24h()).containsExactly(
        new RecipientMxFamilies.Share("smtp", 1, 0, 0, now.minus(RecipientMxFamilies.WINDOW)));

    clock.advance(Duration.ofHours(24));
    assertThat(counts.last24h()).isEmpty();
    counts.count("smtp", BOTH); // the ring's slot of that hour is reused, not added to
    assertThat(counts.last24h().get(0).recipients()).isEqualTo(1);
  }

  @Test
  void aTempfailedRecipientCountsOnceHowOftenTheClientRetries() {
    int[] lookups = {0};
    java.util.function.Supplier<java.util.concurrent.CompletionStage<Optional<Set<Family>>>> v6 = () -> {
      lookups[0]++;
      return BOTH;
    };
    counts.count("smtp", "<a@v6.example.net>", true, v6); // enforce: refused, the client keeps it queued
    clock.advance(Duration.ofMinutes(5));
    counts.count("smtp", "<A@v6.example.net>", true, v6); // its retries
    counts.count("smtp", "<a@v6.example.net>", true, v6);
    counts.count("smtp", "<b@v6.example.net>", false, v6); // another recipient, accepted
    counts.count("smtp-news", "<a@v6.example.net>", false, v6); // the same address on another route
    clock.advance(Duration.ofMinutes(30));
    counts.count("smtp", "<a@v6.example.net>", false, v6); // the route was fixed: the retry goes through
    assertThat(counts.last24h()).containsExactly(new RecipientMxFamilies.Share("smtp", 2, 2, 0, START),
        new RecipientMxFamilies.Share("smtp-news", 1, 1, 0, START.plus(Duration.ofMinutes(5))));
    assertThat(lookups[0]).as("no lookup for a recipient not counted").isEqualTo(3);
    // Accepted once, it is forgotten: the same address in a later message counts again.
    counts.count("smtp", "<a@v6.example.net>", false, v6);
    assertThat(counts.last24h().get(0).recipients()).isEqualTo(3);
  }

  @Test
  void boundedInRoutesAndInMemoryPerRoute() {
    for (int i = 0; i < RecipientMxFamilies.MAX_ROUTES + 50; i++) {
      counts.count("smtp-" + i, V4);
    }
    assertThat(counts.last24h()).hasSize(RecipientMxFamilies.MAX_ROUTES);
    // A week of traffic on one route keeps 24 hourly slots: only the last 24 h count.
    RecipientMxFamilies one = new RecipientMxFamilies(clock);
    for (int h = 0; h < 24 * 7; h++) {
      one.count("smtp", BOTH);
      one.count("smtp", V4);
      clock.advance(Duration.ofHours(1));
    }
    List<RecipientMxFamilies.Share> last = one.last24h();
    assertThat(last).hasSize(1);
    assertThat(last.get(0).recipients()).isEqualTo(2 * 23);
    assertThat(last.get(0).toIpv6Mx()).isEqualTo(23);
    assertThat(last.get(0).percent()).isEqualTo(50);
  }
}
