package org.ptrguard.ops;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.ptrguard.net.ListenAddress;

/**
 * Reads the sockets systemd passes to an activated service (sd_listen_fds(3) protocol): descriptors
 * 3 .. 3+LISTEN_FDS-1, valid only when LISTEN_PID is this process (the variables are inherited by
 * children that did not get the descriptors).
 */
public final class SocketActivation {
  private static final int FIRST_FD = 3;
  /** A sanity bound: ptrguard needs a handful of listeners, never hundreds. */
  private static final int MAX_FDS = 64;

  private SocketActivation() {}

  /** The inherited listeners of this process, empty when it was not socket-activated. */
  public static List<ListenAddress.Inherited> inherited() {
    return inherited(System.getenv(), ProcessHandle.current().pid());
  }

  /**
   * @throws IllegalArgumentException when the variables are meant for us but malformed
   */
  public static List<ListenAddress.Inherited> inherited(Map<String, String> env, long pid) {
    String listenPid = env.get("LISTEN_PID");
    String listenFds = env.get("LISTEN_FDS");
    if (listenPid == null || listenFds == null || !listenPid.trim().equals(Long.toString(pid))) {
      return List.of();
    }
    int count;
    try {
      count = Integer.parseInt(listenFds.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("LISTEN_FDS is not a number: " + LogValues.of(listenFds));
    }
    if (count < 0 || count > MAX_FDS) {
      throw new IllegalArgumentException("LISTEN_FDS out of range 0-" + MAX_FDS + ": " + count);
    }
    String[] names = env.getOrDefault("LISTEN_FDNAMES", "").split(":", -1);
    List<ListenAddress.Inherited> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String name = i < names.length && !names[i].isEmpty() ? names[i] : "fd" + (FIRST_FD + i);
      out.add(new ListenAddress.Inherited(FIRST_FD + i, name));
    }
    return List.copyOf(out);
  }
}
