package org.ptrguard.milter;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.ptrguard.ops.LogValues;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file of a unix-socket listener. The socket must never be reachable with the wrong mode or
 * group (umask would give 0755/0775, and a chmod after bind leaves a window), so it is bound
 * inside a fresh 0700 directory next to the target, given its mode and group there, where nobody
 * else can reach it, and then renamed into place: rename is atomic and keeps the bound inode, so
 * the socket appears at its path already with the right permissions.
 */
final class UnixSocketFile {
  private static final Logger LOG = LoggerFactory.getLogger(UnixSocketFile.class);
  private static final int S_IFMT = 0170000;
  private static final int S_IFSOCK = 0140000;

  private final Path target;
  private final Path privateDir;
  private final Path bindPath;
  private final Set<PosixFilePermission> mode;
  private final Optional<GroupPrincipal> group;
  private Object fileKey;

  private UnixSocketFile(Path target, Path privateDir, Set<PosixFilePermission> mode, Optional<GroupPrincipal> group) {
    this.target = target;
    this.privateDir = privateDir;
    this.bindPath = privateDir.resolve("s");
    this.mode = mode;
    this.group = group;
  }

  /** Removes a stale socket at {@code target}, refuses anything else there, and makes the private dir. */
  static UnixSocketFile prepare(Path target, String octalMode, Optional<String> group) throws IOException {
    Path parent = target.getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      throw new IOException("cannot listen on unix:" + target + ": directory " + parent + " does not exist");
    }
    Optional<GroupPrincipal> groupPrincipal = Optional.empty();
    if (group.isPresent()) {
      try {
        groupPrincipal = Optional.of(parent.getFileSystem().getUserPrincipalLookupService()
            .lookupPrincipalByGroupName(group.get()));
      } catch (IOException e) {
        throw new IOException("cannot listen on unix:" + target + ": unknown group '" + group.get() + "'", e);
      }
    }
    removeStale(target);
    Path dir = Files.createTempDirectory(parent, ".ptrguard-",
        PosixFilePermissions.asFileAttribute(EnumSet.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE)));
    return new UnixSocketFile(target, dir, permissions(octalMode), groupPrincipal);
  }

  private static void removeStale(Path target) throws IOException {
    int mode;
    try {
      mode = (Integer) Files.getAttribute(target, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return;
    }
    if ((mode & S_IFMT) != S_IFSOCK) {
      throw new FileAlreadyExistsException(target.toString(), null,
          "exists and is not a socket; refusing to remove it");
    }
    // A live socket belongs to another running server: taking it over would cut that one off.
    try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      probe.connect(UnixDomainSocketAddress.of(target));
      throw new IOException("cannot listen on unix:" + target + ": another process is accepting connections on it");
    } catch (java.net.ConnectException e) {
      Files.deleteIfExists(target);
      LOG.info("event=milter-stale-socket-removed path={}", LogValues.of(target));
    }
  }

  Path bindPath() {
    return bindPath;
  }

  /** After bind: set mode and group in the private dir, then rename into place. */
  void publish() throws IOException {
    Files.setPosixFilePermissions(bindPath, mode);
    if (group.isPresent()) {
      Files.getFileAttributeView(bindPath, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setGroup(group.get());
    }
    Files.move(bindPath, target, StandardCopyOption.ATOMIC_MOVE);
    fileKey = Files.readAttributes(target, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
    Files.deleteIfExists(privateDir);
  }

  /** Bind or publish failed: leave nothing behind. */
  void discard() {
    try {
      Files.deleteIfExists(bindPath);
      Files.deleteIfExists(privateDir);
    } catch (IOException e) {
      LOG.warn("event=milter-socket-cleanup-failed path={} error={}", LogValues.of(privateDir), LogValues.of(e.getMessage()));
    }
  }

  /** On shutdown, remove the socket file unless another server has replaced it meanwhile. */
  void removeIfOurs() {
    try {
      Object key = Files.readAttributes(target, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
      if (fileKey != null && Objects.equals(key, fileKey)) {
        Files.deleteIfExists(target);
      }
    } catch (NoSuchFileException e) {
      // already gone
    } catch (IOException e) {
      LOG.warn("event=milter-socket-cleanup-failed path={} error={}", LogValues.of(target), LogValues.of(e.getMessage()));
    }
    discard();
  }

  static Set<PosixFilePermission> permissions(String octal) {
    int bits = Integer.parseInt(octal, 8);
    StringBuilder s = new StringBuilder();
    String rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; i++) {
      s.append((bits & (1 << (8 - i))) != 0 ? rwx.charAt(i) : '-');
    }
    return PosixFilePermissions.fromString(s.toString());
  }
}
