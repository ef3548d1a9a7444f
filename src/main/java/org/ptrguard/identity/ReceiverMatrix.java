package org.ptrguard.identity;

import java.util.List;

/** Every receiver profile's verdict on one identity, in the profiles' order. */
public record ReceiverMatrix(List<ReceiverVerdict> rows) {
  public ReceiverMatrix {
    rows = List.copyOf(rows);
  }

  /** The labels of the receivers that refuse or defer the identity's mail (gmail, microsoft-v6, ...). */
  public List<String> refusing() {
    return rows.stream().filter(r -> r.outcome().refuses()).map(ReceiverVerdict::label).toList();
  }
}
