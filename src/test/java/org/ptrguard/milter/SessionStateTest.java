package org.ptrguard.milter;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The transitions of a milter connection's state, on their own (the session drives them in MilterSessionTest). */
class SessionStateTest {
  private static Negotiation negotiation() throws Exception {
    return Negotiation.negotiate(new MilterCommand.OptionNegotiation(6, 0x1ff, 0x1fffff), ProtocolNeeds.defaults());
  }

  private static ConnectInfo connect() throws Exception {
    InetAddress a = InetAddress.getByName("192.0.2.25");
    return new ConnectInfo("client.example.com", ConnectInfo.Family.INET, 40000, Optional.of(a), "192.0.2.25");
  }

  @Test
  void closingKeepsTheSessionsConnectInformationForTheClosedCallbackAndIsFinal() throws Exception {
    ConnectInfo info = connect();
    SessionState s = new SessionState.Negotiated(negotiation()).connected(info).mtaClosing();

    SessionState closing = s.close();

    assertThat(closing.closing()).isTrue();
    assertThat(closing.connectInfo()).contains(info);
    assertThat(closing.mtaWillClose()).isTrue();
    assertThat(closing.close()).isSameAs(closing);
  }

  @Test
  void onlyAnSmtpSessionCanExpectTheMtaToClose() throws Exception {
    Negotiation n = negotiation();
    SessionState between = new SessionState.Negotiated(n);

    assertThat(between.mtaClosing()).isEqualTo(between);
    assertThat(between.mtaWillClose()).isFalse();
    assertThat(between.connectInfo()).isEmpty();
    assertThat(between.negotiated()).contains(n);
    assertThat(SessionState.opening().negotiated()).isEmpty();
    assertThat(SessionState.opening().close().closing()).isTrue();
  }
}
