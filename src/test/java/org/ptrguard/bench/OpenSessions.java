package org.ptrguard.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.ptrguard.testing.MilterTestClient;

/**
 * Many milter sessions held open at once, each past HELO (where a real smtpd session spends its
 * time between commands): the memory a server needs per idle SMTP session.
 */
public final class OpenSessions {
  private OpenSessions() {}

  /** Opens {@code count} sessions to {@code server}, measures its RSS (KiB), closes them; returns the RSS. */
  public static long hold(ServerProcess server, int count) throws IOException, InterruptedException {
    List<MilterTestClient> clients = new ArrayList<>(count);
    try {
      for (int i = 0; i < count; i++) {
        MilterTestClient c = MilterTestClient.connect(server.milterAddress());
        clients.add(c);
        c.negotiate();
        c.macro('C', "j", "mta.example.com", "{daemon_name}", "smtpd", "{client_addr}", "127.0.0.1");
        c.connect("client.example.test", '4', 40000 + (i % 20000), "127.0.0.1");
        c.helo("client.example.test");
      }
      Thread.sleep(1000);
      return server.rssKiB();
    } finally {
      for (MilterTestClient c : clients) {
        try {
          c.quit();
        } catch (IOException ignored) {
          // the server may already have closed it; closing is all that matters here
        }
        c.close();
      }
    }
  }
}
