package org.ptrguard.dns;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.xbill.DNS.Message;
import org.xbill.DNS.Record;
import org.xbill.DNS.io.DefaultIoClientFactory;
import org.xbill.DNS.io.IoClientFactory;
import org.xbill.DNS.io.TcpIoClient;
import org.xbill.DNS.io.UdpIoClient;

/**
 * UDP transport for dnsjava that waits for the reply that belongs to the question. dnsjava's own
 * transport hands the first datagram from the server's address to the resolver, which then fails
 * the lookup if its transaction ID differs: one blind guess from an off-path spoofer would then
 * turn every lookup it races into a failure. Here a datagram whose ID or question does not match
 * is dropped and the wait goes on, until the real reply or the timeout. TCP stays dnsjava's (a TCP
 * stream cannot be injected into blindly).
 */
final class PatientUdpClient implements UdpIoClient, IoClientFactory {
  private static final int HEADER_BYTES = 12;
  /**
   * One blocking receive per question in flight (bounded by the lookups in flight); idle threads go
   * after two seconds, so a quiet daemon keeps none.
   */
  private static final ExecutorService RECEIVERS = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 2, TimeUnit.SECONDS,
      new SynchronousQueue<>(), r -> {
        Thread t = new Thread(r, "ptrguard-dns-udp");
        t.setDaemon(true);
        return t;
      });

  private final IoClientFactory tcp = new DefaultIoClientFactory();

  @Override
  public TcpIoClient createOrGetTcpClient() {
    return tcp.createOrGetTcpClient();
  }

  @Override
  public UdpIoClient createOrGetUdpClient() {
    return this;
  }

  @Override
  public CompletableFuture<byte[]> sendAndReceiveUdp(InetSocketAddress local, InetSocketAddress remote,
      Message query, byte[] data, int max, Duration timeout) {
    CompletableFuture<byte[]> reply = new CompletableFuture<>();
    RECEIVERS.execute(() -> {
      try {
        reply.complete(exchange(local, remote, query, data, max, timeout));
      } catch (IOException | RuntimeException e) {
        reply.completeExceptionally(e);
      }
    });
    return reply;
  }

  private static byte[] exchange(InetSocketAddress local, InetSocketAddress remote, Message query, byte[] data,
      int max, Duration timeout) throws IOException {
    // A fresh socket on a kernel-chosen port per question, connected so that only the server's
    // address can reach it (as dnsjava does).
    try (DatagramSocket socket = local == null ? new DatagramSocket() : new DatagramSocket(local)) {
      socket.connect(remote);
      socket.send(new DatagramPacket(data, data.length));
      long deadline = System.nanoTime() + timeout.toNanos();
      byte[] buffer = new byte[Math.max(max, HEADER_BYTES)];
      while (true) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          throw new SocketTimeoutException("timed out waiting for the reply to ID " + query.getHeader().getID());
        }
        socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        socket.receive(packet);
        byte[] in = Arrays.copyOf(packet.getData(), packet.getLength());
        if (answers(query, in)) {
          return in;
        }
      }
    }
  }

  /** Same transaction ID and, when the reply repeats it, the same question. */
  static boolean answers(Message query, byte[] in) {
    if (in.length < HEADER_BYTES || ((in[0] & 0xFF) << 8 | in[1] & 0xFF) != query.getHeader().getID()) {
      return false;
    }
    try {
      Record asked = query.getQuestion();
      Record echoed = new Message(in).getQuestion();
      return echoed == null || asked == null || echoed.equals(asked);
    } catch (IOException malformed) {
      // Right ID but unparseable: let the resolver report it as the malformed reply it is.
      return true;
    }
  }
}
