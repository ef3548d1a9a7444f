package org.ptrguard.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The socket specs of Postfix's smtpd_milters and libmilter, copied as they are from main.cf. */
class ListenAddressTest {
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "inet:127.0.0.1:8894            | inet:127.0.0.1:8894",
      "inet:8894@127.0.0.1            | inet:127.0.0.1:8894",
      "inet:8894@[127.0.0.1]          | inet:127.0.0.1:8894",
      "inet:8894@localhost            | inet:127.0.0.1:8894",
      "inet:localhost:8894            | inet:127.0.0.1:8894",
      "inet:[::1]:8894                | inet:[0:0:0:0:0:0:0:1]:8894",
      "inet6:8894@::1                 | inet:[0:0:0:0:0:0:0:1]:8894",
      "inet6:8894@[::1]               | inet:[0:0:0:0:0:0:0:1]:8894",
      "inet:8894                      | inet:0.0.0.0:8894",
      "inet6:8894                     | inet:[0:0:0:0:0:0:0:0]:8894",
      "unix:/var/spool/postfix/ptrguard/ptrguard.sock | unix:/var/spool/postfix/ptrguard/ptrguard.sock",
      "local:/var/spool/postfix/ptrguard/ptrguard.sock | unix:/var/spool/postfix/ptrguard/ptrguard.sock"})
  void acceptsEveryFormPostfixAndLibmilterUse(String spec, String parsed) {
    assertThat(ListenAddress.parse(spec)).hasToString(parsed);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "8894", "tcp:127.0.0.1:8894", "inet:", "inet:@localhost", "inet:8894@",
      "inet:70000@127.0.0.1", "inet:x@127.0.0.1", "inet:-1@127.0.0.1", "inet:127.0.0.1:", "inet:::1:8894",
      "inet6:8894@127.0.0.1", "inet:8894@no.such.host.invalid", "inet:8894@bad_host!", "unix:relative",
      "local:", "unix:/", "local:relative/path"})
  void rejectsMalformedSpecsNamingThemAndTheForms(String spec) {
    assertThatThrownBy(() -> ListenAddress.parse(spec)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("listener '" + spec + "' is invalid: ")
        .hasMessageEndingWith("use " + ListenAddress.FORMS);
  }

  @org.junit.jupiter.api.Test
  void listenersThatCannotAllBeBoundAreRefusedNamingBoth() {
    java.util.List<ListenAddress> twice = java.util.List.of(ListenAddress.parse("inet:127.0.0.1:8894"),
        ListenAddress.parse("inet:8894"));
    assertThatThrownBy(() -> ListenAddress.checkDistinct(twice, java.util.Optional.empty()))
        .hasMessage("listener inet:127.0.0.1:8894 and listener inet:0.0.0.0:8894 cannot both be bound (the same port)");
    assertThatThrownBy(() -> ListenAddress.checkDistinct(java.util.List.of(ListenAddress.parse("inet:127.0.0.1:9894")),
        java.util.Optional.of(new java.net.InetSocketAddress("127.0.0.1", 9894))))
        .hasMessageContaining("metrics.listen 127.0.0.1:9894");
    assertThatThrownBy(() -> ListenAddress.checkDistinct(java.util.List.of(ListenAddress.parse("unix:/run/p/m.sock"),
        ListenAddress.parse("local:/run/p/./m.sock")), java.util.Optional.empty())).hasMessageContaining("the same path");
    // Different addresses on one port, and port 0 (any free port) twice, are fine.
    ListenAddress.checkDistinct(java.util.List.of(ListenAddress.parse("inet:127.0.0.1:8894"),
        ListenAddress.parse("inet:[::1]:8894"), ListenAddress.parse("inet:127.0.0.1:0"),
        ListenAddress.parse("inet:0")), java.util.Optional.of(new java.net.InetSocketAddress("127.0.0.2", 8894)));
  }
}
