package org.ptrguard.milter;

import java.net.SocketAddress;

/** Identifies one milter connection (not one SMTP session: QUIT_NC reuses a connection). */
public record SessionInfo(long connectionId, SocketAddress remoteAddress, SocketAddress localAddress) {}
