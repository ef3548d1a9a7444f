package org.ptrguard.identity;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The generic-name classifier and the host-name helpers it builds on, fed any string and any
 * address. Properties: nothing throws (the classifier is tested below its own safety net, which
 * would otherwise hide a bug), a verdict explains itself, an accepted FQDN really is one, and the
 * registrable split puts the name back together.
 */
class GenericNameFuzzTest {

  @FuzzTest(maxDuration = "10s")
  void classifierAndHostNames(FuzzedDataProvider data) throws UnknownHostException {
    byte[] address = data.consumeBoolean() ? data.consumeBytes(4) : data.consumeBytes(16);
    String name = data.consumeRemainingAsString();
    InetAddress ip = address.length == 4 || address.length == 16 ? InetAddress.getByAddress(address) : null;

    GenericNameClassifier.GenericVerdict verdict = GenericNameClassifier.standard().classifyUnchecked(name, ip);
    assertThat(verdict).isNotNull();
    assertThat(verdict.reason().isEmpty()).as("reason given exactly when generic: %s", verdict).isEqualTo(!verdict.generic());
    if (ip == null) {
      assertThat(verdict.generic()).as("no address, no evidence").isFalse();
    }

    Optional<String> problem = HostNames.fqdnProblem(name);
    if (problem.isEmpty()) {
      assertUsableFqdn(HostNames.normalize(name));
    } else {
      assertThat(problem.get()).isNotBlank();
    }

    HostNames.RegistrableSplit split = HostNames.split(name);
    String normalized = HostNames.normalize(name);
    List<String> parts = new ArrayList<>(split.hostLabels());
    parts.add(split.registrableDomain());
    assertThat(String.join(".", parts.subList(split.hostLabels().isEmpty() ? parts.size() - 1 : 0, parts.size())))
        .as("split of '%s' puts the name back together", normalized)
        .isEqualTo(normalized);
    assertThat(split.registrableDomain()).endsWith(split.publicSuffix());
  }

  /** Written independently of HostNames: RFC 1035 lengths, LDH labels, at least two labels. */
  private static void assertUsableFqdn(String n) {
    assertThat(n.length()).isBetween(1, 253);
    String[] labels = n.split("\\.", -1);
    assertThat(labels.length).as("labels of '%s'", n).isGreaterThanOrEqualTo(2);
    for (String label : labels) {
      assertThat(label.length()).as("label '%s' of '%s'", label, n).isBetween(1, 63);
      assertThat(label.chars().allMatch(c -> (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
          .as("label '%s' of '%s' is letters, digits, hyphens", label, n).isTrue();
      assertThat(label.startsWith("-") || label.endsWith("-")).as("label '%s' hyphen at an end", label).isFalse();
    }
  }
}
