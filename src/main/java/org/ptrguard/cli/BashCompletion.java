package org.ptrguard.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * The bash completion script for {@code ptrguard}, rendered from the {@link Command} declarations.
 * Self-contained (it needs neither the bash-completion package's helpers nor a running ptrguard),
 * and it completes {@code --opt=value} as well as {@code --opt value}.
 */
public final class BashCompletion {
  private BashCompletion() {}

  public static String script(List<Command> commands) {
    StringBuilder s = new StringBuilder();
    s.append("# bash completion for ptrguard(8); generated from ptrguard's command declarations, do not edit.\n");
    s.append("_ptrguard_values() {\n");
    s.append("  # $1: what the option takes (\"<file>\", \"\" or a word list), $2: the word typed so far\n");
    s.append("  case \"$1\" in\n");
    s.append("    \"<file>\") COMPREPLY=($(compgen -f -- \"$2\")); compopt -o filenames 2>/dev/null ;;\n");
    s.append("    \"<dir>\") COMPREPLY=($(compgen -d -- \"$2\")); compopt -o filenames 2>/dev/null ;;\n");
    s.append("    \"\") COMPREPLY=() ;;\n");
    s.append("    *) COMPREPLY=($(compgen -W \"$1\" -- \"$2\")) ;;\n");
    s.append("  esac\n}\n\n");
    s.append("_ptrguard() {\n");
    // Words from the line itself: bash splits COMP_WORDS at '=', which would hide --opt=value.
    s.append("  local line=${COMP_LINE:0:COMP_POINT} words=() cur prev=\"\" cmd=\"\" options=\"\" takes=\"\" n\n");
    s.append("  read -ra words <<< \"$line\"\n");
    s.append("  [[ -z \"$line\" || \"$line\" == *[[:space:]] ]] && words+=(\"\")\n");
    s.append("  n=${#words[@]}\n");
    s.append("  cur=${words[n-1]}\n");
    s.append("  [ \"$n\" -gt 1 ] && prev=${words[n-2]}\n");
    s.append("  [ \"$n\" -gt 2 ] && cmd=${words[1]}\n");
    s.append("  case \"$cmd\" in -*|\"\") cmd=serve ;; esac\n");
    s.append("  if [ \"$n\" -eq 2 ]; then\n");
    List<String> firstWords = new ArrayList<>(commands.stream().map(Command::name).toList());
    firstWords.addAll(List.of("help", "--version", "--help"));
    s.append("    COMPREPLY=($(compgen -W \"").append(String.join(" ", firstWords)).append("\" -- \"$cur\"))\n");
    s.append("    return 0\n  fi\n");
    s.append("  case \"$cmd\" in\n");
    s.append("    help) [ \"$n\" -eq 3 ] && COMPREPLY=($(compgen -W \"")
        .append(String.join(" ", commands.stream().map(Command::name).toList())).append("\" -- \"$cur\"))\n");
    s.append("      return 0 ;;\n");
    for (Command c : commands) {
      s.append("    ").append(c.name()).append(")\n");
      List<String> names = new ArrayList<>();
      for (Option o : c.options()) {
        o.shortName().ifPresent(ch -> names.add("-" + ch));
        names.add("--" + o.name() + (o.takesValue() ? "=" : ""));
      }
      names.add("--help");
      s.append("      options=\"").append(String.join(" ", names)).append("\"\n");
      s.append("      takes() { case \"$1\" in\n");
      for (Option o : c.options()) {
        if (!o.takesValue()) {
          continue;
        }
        String patterns = o.shortName().map(ch -> "-" + ch + "|").orElse("") + "--" + o.name();
        s.append("        ").append(patterns).append(") echo \"").append(String.join(" ", o.completion()))
            .append("\"; return 0 ;;\n");
      }
      s.append("        *) return 1 ;; esac; } ;;\n");
    }
    s.append("    *) return 0 ;;\n");
    s.append("  esac\n");
    s.append("  if [[ \"$cur\" == --*=* ]]; then\n");
    s.append("    if takes=$(takes \"${cur%%=*}\"); then _ptrguard_values \"$takes\" \"${cur#*=}\"; fi\n");
    s.append("    return 0\n");
    s.append("  fi\n");
    s.append("  if takes=$(takes \"$prev\"); then _ptrguard_values \"$takes\" \"$cur\"; return 0; fi\n");
    s.append("  COMPREPLY=($(compgen -W \"$options\" -- \"$cur\"))\n");
    s.append("  [[ \"${COMPREPLY[0]}\" == *= ]] && compopt -o nospace 2>/dev/null\n");
    s.append("  return 0\n}\n");
    s.append("complete -F _ptrguard ptrguard\n");
    return s.toString();
  }
}
