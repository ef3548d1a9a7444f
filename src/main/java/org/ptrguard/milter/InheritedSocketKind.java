package org.ptrguard.milter;

import io.netty.channel.unix.Socket;
import java.io.IOException;
import org.ptrguard.net.ListenAddress;

/**
 * What a descriptor from systemd is, asked of the kernel with getsockopt (Linux values): the address
 * family decides TCP or unix channel, and anything but a listening stream socket is refused, because
 * a .socket unit with ListenDatagram= or Accept=yes would otherwise fail in obscure ways later.
 */
record InheritedSocketKind(boolean tcp) {
  private static final int SOL_SOCKET = 1;
  private static final int SO_TYPE = 3;
  private static final int SO_ACCEPTCONN = 30;
  private static final int SO_DOMAIN = 39;
  private static final int SOCK_STREAM = 1;
  private static final int AF_UNIX = 1;
  private static final int AF_INET = 2;
  private static final int AF_INET6 = 10;

  static InheritedSocketKind of(ListenAddress.Inherited inherited) throws IOException {
    // Only a view of the descriptor: it is never closed through this object.
    Socket socket = new Socket(inherited.fd());
    int family;
    try {
      family = socket.getIntOpt(SOL_SOCKET, SO_DOMAIN);
      if (socket.getIntOpt(SOL_SOCKET, SO_TYPE) != SOCK_STREAM || socket.getIntOpt(SOL_SOCKET, SO_ACCEPTCONN) != 1) {
        throw new IOException("cannot use " + inherited + ": not a listening stream socket (use ListenStream= and Accept=no)");
      }
    } catch (IOException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("cannot use")) {
        throw e;
      }
      throw new IOException("cannot use " + inherited + ": not a socket (" + e.getMessage() + ")", e);
    }
    return switch (family) {
      case AF_INET, AF_INET6 -> new InheritedSocketKind(true);
      case AF_UNIX -> new InheritedSocketKind(false);
      default -> throw new IOException("cannot use " + inherited + ": unsupported address family " + family);
    };
  }
}
