package org.ptrguard.policy;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import org.ptrguard.config.ConfigException;
import org.ptrguard.config.ConfigLoader;
import org.ptrguard.config.Settings;
import org.ptrguard.identity.Verdict;
import org.ptrguard.milter.MilterReply;
import org.ptrguard.milter.Modification;
import org.ptrguard.monitor.IdentityStatus;
import org.ptrguard.net.Addresses;

/**
 * The reply and header texts the guard builds from DNS- and network-derived values. Property: a
 * reply template the configuration accepted always expands into a reply the milter's validator
 * accepts and a header Postfix takes, whatever the identity, PTR names and reason contain. (The
 * validator on arbitrary text is milter.ReplyTextFuzzTest.)
 */
class ReplyTemplateFuzzTest {
  private static final String[] CODES = {"ptr.missing", "ptr.generic", "fcrdns.mismatch", "ehlo.mismatch", "dns.temporary"};

  @FuzzTest(maxDuration = "10s")
  void acceptedTemplateWithHostileValues(FuzzedDataProvider data) {
    // Half the inputs start like a valid template, so the fuzzer spends its time on expansion.
    String template = data.consumeBoolean() ? "451 4.7.25 " + data.consumeString(100) : data.consumeString(120);
    Settings settings;
    try {
      settings = ConfigLoader.parse("enforce.reply = \"" + template.replace("\\", "\\\\").replace("\"", "\\\"") + "\"");
    } catch (ConfigException e) {
      return; // the loader refused it with a message: that path is ConfigLoaderFuzzTest's
    }
    // The address and codes are ptrguard's own text; names and the reason carry DNS and network data.
    String ip;
    try {
      ip = Addresses.text(InetAddress.getByAddress(data.consumeBytes(data.consumeBoolean() ? 4 : 16)));
    } catch (UnknownHostException e) {
      return; // fewer bytes left than an address needs
    }
    IdentityStatus status = new IdentityStatus(data.consumeString(300), ip,
        List.of(data.consumeString(300)), data.consumeString(300), data.pickValue(Verdict.values()),
        List.of(data.pickValue(CODES)), data.consumeRemainingAsString(), data.consumeBoolean());
    String reply = DecisionMaker.reply(settings, status);
    MilterReply.replyCode(reply);
    new Modification.AddHeader("X-PTRGuard", DecisionMaker.header(status));
  }
}
