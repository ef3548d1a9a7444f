package org.ptrguard.testing;

/** Picks one route object out of the one-line JSON of {@code ptrguard routes --json}. */
public final class RouteJson {
  private RouteJson() {}

  /** The route of {@code service} whose selection kind is {@code kind}: from its "service" key to the next route. */
  public static String route(String json, String service, String kind) {
    int at = json.indexOf("{\"service\":\"" + service + "\",");
    while (at >= 0) {
      int end = json.indexOf("{\"service\":", at + 1);
      String obj = json.substring(at, end < 0 ? json.length() : end);
      if (obj.contains("\"kind\":\"" + kind + "\"")) {
        return obj;
      }
      at = json.indexOf("{\"service\":\"" + service + "\",", at + 1);
    }
    throw new AssertionError("no route of service " + service + " selected by " + kind + " in " + json);
  }
}
