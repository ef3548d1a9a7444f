package org.ptrguard.identity;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class HostNamesTest {
  @ParameterizedTest
  @ValueSource(strings = {"mail.example.com", "MAIL.Example.COM.", "mx-01.mail.example.co.uk", "a.b"})
  void validPublicNames(String name) {
    assertThat(HostNames.fqdnProblem(name)).isEmpty();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "''|empty",
      "mail|not fully qualified",
      "localhost|loopback",
      "localhost.localdomain|loopback",
      "192.0.2.10|address literal",
      "[192.0.2.10]|address literal",
      "[IPv6:2001:db8::1]|address literal",
      "2001:db8::1|address literal",
      "mail.example.local|under .local",
      "mx.corp.lan|under .lan",
      "ip-10-0-0-5.ec2.internal|under .internal",
      "box.home.arpa|under .home.arpa",
      "host.example|under .example",
      "mail..example.com|empty label",
      "-mail.example.com|characters other than",
      "mail_1.example.com|characters other than",
      "mail.example.123|numeric label"})
  void invalidNamesSayWhy(String name, String reason) {
    assertThat(HostNames.fqdnProblem(name)).hasValueSatisfying(r -> assertThat(r).contains(reason));
  }

  @Test
  void tooLongNames() {
    assertThat(HostNames.fqdnProblem("a".repeat(64) + ".example.com")).hasValueSatisfying(r -> assertThat(r).contains("63"));
    assertThat(HostNames.fqdnProblem(("abcdefghi.".repeat(26)) + "com")).hasValueSatisfying(r -> assertThat(r).contains("253"));
  }

  @Test
  void splitsAtTheRegistrableDomain() {
    assertThat(HostNames.split("Mail.Example.COM.")).isEqualTo(
        new HostNames.RegistrableSplit(java.util.List.of("mail"), "example.com", "com"));
    assertThat(HostNames.split("a.b.example.co.uk").hostLabels()).containsExactly("a", "b");
    assertThat(HostNames.split("a.b.example.co.uk").registrableDomain()).isEqualTo("example.co.uk");
    assertThat(HostNames.split("ec2-198-51-100-7.compute-1.amazonaws.com").hostLabels()).containsExactly("ec2-198-51-100-7", "compute-1");
    assertThat(HostNames.split("example.com").hostLabels()).isEmpty();
    assertThat(HostNames.split("").registrableDomain()).isEmpty();
    assertThat(HostNames.normalize(null)).isEmpty();
  }
}
