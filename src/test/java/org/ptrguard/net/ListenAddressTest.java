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
}
