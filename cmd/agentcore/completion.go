package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/pflag"
)

const completionUsage = `Usage: agentcore completion bash|zsh|fish

Prints a completion script. For example:
  agentcore completion bash > /etc/bash_completion.d/agentcore
  agentcore completion zsh > "${fpath[1]}/_agentcore"
  agentcore completion fish > ~/.config/fish/completions/agentcore.fish
Recipe names are completed from the project (agentcore recipes), so overrides appear too.`

func (a *app) cmdCompletion(args []string) error {
	rest, err := a.parse(pflag.NewFlagSet("completion", pflag.ContinueOnError), args, completionUsage)
	if err != nil {
		return helpOK(err)
	}
	if len(rest) != 1 {
		return usageErr(completionUsage, "completion takes one shell: bash, zsh or fish")
	}
	var cmds []string
	for c := range builtinCommands {
		if c != "help" {
			cmds = append(cmds, c)
		}
	}
	sort.Strings(cmds)
	words := strings.Join(cmds, " ")
	flags := "--env --output --no-color --verbose --chdir --yes --wait --wait-timeout --help"
	recipes := `$(agentcore recipes -o json 2>/dev/null | tr ',' '\n' | sed -n 's/.*"name":"\([^"]*\)".*/\1/p')`
	switch rest[0] {
	case "bash":
		fmt.Fprintf(a.stdout, `# bash completion for agentcore
_agentcore() {
  local cur="${COMP_WORDS[COMP_CWORD]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "%s %s" -- "$cur"))
  elif [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "%s" -- "$cur"))
  elif [ "${COMP_WORDS[1]}" = "run" ] && [ "$COMP_CWORD" -eq 2 ]; then
    COMPREPLY=($(compgen -W "%s" -- "$cur"))
  elif [ "${COMP_WORDS[1]}" = "env" ] && [ "$COMP_CWORD" -eq 2 ]; then
    COMPREPLY=($(compgen -W "list show use" -- "$cur"))
  elif [ "${COMP_WORDS[1]}" = "local" ] && [ "$COMP_CWORD" -eq 2 ]; then
    COMPREPLY=($(compgen -W "start stop status logs reset" -- "$cur"))
  fi
}
complete -F _agentcore agentcore
`, words, recipes, flags, recipes)
	case "zsh":
		fmt.Fprintf(a.stdout, `#compdef agentcore
_agentcore() {
  local -a words
  if (( CURRENT == 2 )); then
    words=(%s %s)
    compadd -a words
  elif [[ "$PREFIX" == -* ]]; then
    compadd -- %s
  fi
}
compdef _agentcore agentcore
`, words, recipes, flags)
	case "fish":
		fmt.Fprintf(a.stdout, "complete -c agentcore -f -n '__fish_use_subcommand' -a '%s'\n", words)
		fmt.Fprintf(a.stdout, "complete -c agentcore -f -n '__fish_use_subcommand' -a '(agentcore recipes -o json 2>/dev/null | string match -r -a -g \"\\\"name\\\":\\\"([^\\\"]+)\\\"\")'\n")
		for _, f := range strings.Fields(flags) {
			fmt.Fprintf(a.stdout, "complete -c agentcore -l %s\n", strings.TrimPrefix(f, "--"))
		}
	default:
		return usageErr(completionUsage, "unknown shell %q: use bash, zsh or fish", rest[0])
	}
	return nil
}
