package org.ptrguard.monitor;

import java.util.Optional;
import java.util.Set;
import org.ptrguard.postfix.Route.Family;

/** Where the guard reads per-route verdicts. Both methods answer from memory and never block. */
public interface RouteStatusSource {
  /** No route model: every session is decided from the configured identities. */
  RouteStatusSource NONE = new RouteStatusSource() {
    @Override
    public RouteSnapshot snapshot() {
      return RouteSnapshot.INACTIVE;
    }

    @Override
    public Optional<Set<Family>> destinationFamilies(String domain) {
      return Optional.empty();
    }
  };

  /** The current routes and verdicts: the same object until something changes. */
  RouteSnapshot snapshot();

  /**
   * The address families of a recipient domain's mail exchangers when already known from a
   * background lookup; empty (and a lookup started) otherwise.
   */
  Optional<Set<Family>> destinationFamilies(String domain);

  /**
   * A recipient was decided on {@code route} (for the count of recipients whose mail exchangers
   * have IPv6, {@link RecipientMxFamilies}). Called on the SMTP path: must not block.
   *
   * @param refused whether the recipient was refused with a tempfail (the client will retry it)
   */
  default void recipientSeen(RouteStatus route, String recipient, String recipientDomain, boolean refused) {}
}
