package org.ptrguard.postfix;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What {@code postconf} says about one Postfix instance: the main.cf parameters routing depends on
 * ({@code $name} expanded by postconf itself), which of them the admin set, and every master.cf
 * service with its program and {@code -o} overrides. Read in three postconf runs.
 */
public record PostfixConfig(Map<String, String> parameters, Set<String> explicit,
    Map<String, MasterService> services, List<String> problems) {

  /** The parameters routing and identity depend on. */
  static final List<String> PARAMETERS = List.of(
      "default_transport", "relay_transport", "local_transport", "virtual_transport",
      "relayhost", "sender_dependent_relayhost_maps", "transport_maps", "sender_dependent_default_transport_maps",
      "relay_domains", "mydestination", "virtual_mailbox_domains", "virtual_alias_domains",
      "smtp_bind_address", "smtp_bind_address6", "smtp_bind_address_enforce", "smtp_helo_name", "inet_protocols", "smtp_address_preference",
      "parent_domain_matches_subdomains", "myhostname", "config_directory", "recipient_delimiter",
      "empty_address_default_transport_maps_lookup_key", "empty_address_relayhost_maps_lookup_key");

  /** A master.cf service ({@code postconf -F}, {@code postconf -Px}). */
  public record MasterService(String name, String type, String command, Map<String, String> overrides) {
    public MasterService {
      overrides = Map.copyOf(overrides);
    }
  }

  public PostfixConfig {
    parameters = Map.copyOf(parameters);
    explicit = Set.copyOf(explicit);
    services = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(services));
    problems = List.copyOf(problems);
  }

  public String parameter(String name) {
    return parameters.getOrDefault(name, "");
  }

  /** A transport is the first field of a master.cf entry; the unix-type entry is the one qmgr talks to. */
  public Optional<MasterService> service(String name) {
    return Optional.ofNullable(services.get(name));
  }

  /** Reads the instance; {@code problems} says what failed (then the maps are partial or empty). */
  public static PostfixConfig read(PostfixTools tools) {
    List<String> problems = new ArrayList<>();
    Map<String, String> parameters = new LinkedHashMap<>();
    PostfixTools.Result values = tools.postconf(concat("-x", PARAMETERS));
    if (values.ok()) {
      parameters.putAll(parseAssignments(values.stdout()));
    } else {
      problems.add(values.problem());
      return new PostfixConfig(parameters, Set.of(), Map.of(), problems);
    }
    Set<String> explicit = new LinkedHashSet<>();
    PostfixTools.Result set = tools.postconf("-n");
    if (set.ok()) {
      explicit.addAll(parseAssignments(set.stdout()).keySet());
    } else {
      problems.add(set.problem());
    }
    Map<String, MasterService> services = new LinkedHashMap<>();
    PostfixTools.Result fields = tools.postconf("-F");
    PostfixTools.Result overrides = tools.postconf("-Px");
    if (!fields.ok()) {
      problems.add(fields.problem() + " (master.cf services unknown)");
    } else if (!overrides.ok()) {
      problems.add(overrides.problem() + " (master.cf -o overrides unknown)");
    } else {
      services.putAll(services(parseAssignments(fields.stdout()), parseAssignments(overrides.stdout())));
    }
    return new PostfixConfig(parameters, explicit, services, problems);
  }

  /** "service/type/command = smtp -o ..." plus "service/type/param = value" lines into services. */
  static Map<String, MasterService> services(Map<String, String> fields, Map<String, String> overrides) {
    Map<String, MasterService> byName = new LinkedHashMap<>();
    for (Map.Entry<String, String> f : fields.entrySet()) {
      String[] parts = f.getKey().split("/", 3);
      if (parts.length != 3 || !parts[2].equals("command")) {
        continue;
      }
      String name = parts[0];
      String type = parts[1];
      String program = f.getValue().strip().split("\\s+", 2)[0];
      Map<String, String> own = new LinkedHashMap<>();
      String prefix = name + "/" + type + "/";
      overrides.forEach((k, v) -> {
        if (k.startsWith(prefix)) {
          own.put(k.substring(prefix.length()), v);
        }
      });
      MasterService service = new MasterService(name, type, program, own);
      // qmgr hands mail to the unix service of that name; an inet listener of the same name is smtpd
      if (!byName.containsKey(name) || type.equals("unix")) {
        byName.put(name, service);
      }
    }
    return byName;
  }

  /** postconf's "name = value" lines; a value may be empty ("name ="). */
  static Map<String, String> parseAssignments(String text) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : text.lines().toList()) {
      int eq = line.indexOf('=');
      if (eq <= 0) {
        continue;
      }
      out.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
    }
    return out;
  }

  private static String[] concat(String first, List<String> rest) {
    List<String> all = new ArrayList<>();
    all.add(first);
    all.addAll(rest);
    return all.toArray(String[]::new);
  }
}
