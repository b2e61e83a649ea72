package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/project"
)

const completionUsage = `Usage: agentcore completion bash|zsh|fish|powershell

Prints a completion script. For example:
  agentcore completion bash > /etc/bash_completion.d/agentcore     (or: source <(agentcore completion bash))
  agentcore completion zsh > "${fpath[1]}/_agentcore"
  agentcore completion fish > ~/.config/fish/completions/agentcore.fish
  agentcore completion powershell >> $PROFILE                       (or: ... | Out-String | Invoke-Expression)

The script asks agentcore itself what to complete (agentcore __complete WORDS...), which answers
from agentcore.toml and the recipes' declarations, without AWS or the local endpoint: the
commands and the project's recipes, agents, environments, each recipe's flags and the values
a flag declares (drift --fix adopt|restore).`

func (a *app) cmdCompletion(args []string) error {
	rest, err := a.parse(pflag.NewFlagSet("completion", pflag.ContinueOnError), args, completionUsage)
	if err != nil {
		return helpOK(err)
	}
	if len(rest) != 1 {
		return usageErr(completionUsage, "completion takes one shell: bash, zsh, fish or powershell")
	}
	script, ok := completionScripts[strings.ToLower(rest[0])]
	if !ok {
		return usageErr(completionUsage, "unknown shell %q: use bash, zsh, fish or powershell", rest[0])
	}
	_, err = io.WriteString(a.stdout, script)
	return err
}

// The scripts call back into the binary: agentcore __complete WORDS... CURRENT prints one
// candidate a line ("value" or "value<TAB>description"), already filtered by CURRENT.
var completionScripts = map[string]string{
	"bash": `# bash completion for agentcore (agentcore completion bash)
_agentcore() {
  local cur="${COMP_WORDS[COMP_CWORD]}" line IFS=$'\n'
  COMPREPLY=()
  for line in $("${COMP_WORDS[0]}" __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null); do
    COMPREPLY+=("${line%%$'\t'*}")
  done
  if [ "${#COMPREPLY[@]}" -eq 0 ] && [[ "$cur" != -* ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -F _agentcore agentcore
`,
	"zsh": `#compdef agentcore
# zsh completion for agentcore (agentcore completion zsh)
_agentcore() {
  local -a lines names descs
  local line
  lines=("${(@f)$("${words[1]}" __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}")
  for line in $lines; do
    [[ -z "$line" ]] && continue
    names+=("${line%%$'\t'*}")
    if [[ "$line" == *$'\t'* ]]; then
      descs+=("${line%%$'\t'*}  -- ${line#*$'\t'}")
    else
      descs+=("$line")
    fi
  done
  if (( ${#names} )); then
    compadd -l -d descs -a names
  else
    _files
  fi
}
compdef _agentcore agentcore
`,
	"fish": `# fish completion for agentcore (agentcore completion fish)
function __agentcore_complete
    set -l args (commandline -opc)
    agentcore __complete $args[2..-1] (commandline -ct) 2>/dev/null
end
complete -c agentcore -f -a '(__agentcore_complete)'
`,
	"powershell": `# PowerShell completion for agentcore (agentcore completion powershell)
Register-ArgumentCompleter -Native -CommandName agentcore, agentcore.exe -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    # the words before the one being completed; that one goes as --cur= (never an empty argument,
    # which Windows PowerShell drops)
    $before = @($commandAst.CommandElements | Select-Object -Skip 1 |
        Where-Object { $_.Extent.EndOffset -lt $cursorPosition } | ForEach-Object { $_.Extent.Text })
    & agentcore __complete "--cur=$wordToComplete" @before 2>$null | ForEach-Object {
        $name, $desc = $_ -split "` + "`" + `t", 2
        if (-not $desc) { $desc = $name }
        [System.Management.Automation.CompletionResult]::new($name, $name, 'ParameterValue', $desc)
    }
}
`,
}

// candidate is one completion: the word and, for shells that show them, a description.
type candidate struct{ word, desc string }

// builtinSubcommands are the first arguments of the built-in commands that take one.
var builtinSubcommands = map[string][]string{
	"env":        {"list", "show", "use"},
	"local":      {"start", "stop", "status", "logs", "reset", "env"},
	"recipes":    {"list", "show", "eject"},
	"completion": {"bash", "zsh", "fish", "powershell"},
	"docs":       {"toml"},
}

// builtinFlags are the built-in commands' own flags (their flag sets are made where they run).
var builtinFlags = map[string][]string{
	"recipes": {"stock"},
	"docs":    {"format", "install"},
	"init":    {"template", "agent", "name"},
	"lua":     {"eval"},
	"local":   {"foreground", "port", "follow", "shell"},
	"console": {"port", "no-open"},
}

// builtinFlagValues are the values of the built-in commands' flags that take a fixed set.
var builtinFlagValues = map[string][]string{
	"--template": {"go", "python", "mcp"},
	"--format":   {"markdown", "luals"},
}

// cmdComplete answers the completion scripts: the candidates for the last word (or --cur=),
// given the words before it, one a line. It reads agentcore.toml and evaluates recipe
// declarations only: no AWS, no local endpoint, no lock. It never fails: no answer is no
// candidate.
func (a *app) cmdComplete(args []string) error {
	cur := ""
	if len(args) > 0 && strings.HasPrefix(args[0], "--cur=") {
		cur, args = strings.TrimPrefix(args[0], "--cur="), args[1:]
	} else if len(args) > 0 {
		cur, args = args[len(args)-1], args[:len(args)-1]
	}
	for _, c := range a.complete(args, cur) {
		if !strings.HasPrefix(c.word, cur) {
			continue
		}
		if c.desc != "" {
			fmt.Fprintf(a.stdout, "%s\t%s\n", c.word, oneLine(c.desc))
		} else {
			fmt.Fprintln(a.stdout, c.word)
		}
	}
	return nil
}

func oneLine(s string) string {
	s = firstSentence(s)
	if len(s) > 100 {
		s = s[:97] + "..."
	}
	return s
}

func (a *app) complete(words []string, cur string) []candidate {
	// bash splits --fix=adopt into --fix, =, adopt: put them back together
	var w []string
	for i := 0; i < len(words); i++ {
		if words[i] == "=" && len(w) > 0 && strings.HasPrefix(w[len(w)-1], "-") {
			if i+1 < len(words) {
				w[len(w)-1] += "=" + words[i+1]
				i++
			} else {
				w[len(w)-1] += "="
			}
			continue
		}
		w = append(w, words[i])
	}
	prefix := "" // a value typed as --flag=VALUE is completed as --flag=VALUE (zsh, fish)
	flagOfValue := ""
	if len(w) > 0 && strings.HasSuffix(w[len(w)-1], "=") && strings.HasPrefix(w[len(w)-1], "-") {
		flagOfValue = strings.TrimSuffix(w[len(w)-1], "=") // bash: --fix = CUR
		w = w[:len(w)-1]
	} else if name, _, ok := strings.Cut(cur, "="); ok && strings.HasPrefix(cur, "-") {
		flagOfValue, prefix = name, name+"="
	}

	var g globals
	gfs := globalFlags(&g)
	p, _ := a.loadProject()

	// the command word: the first word that is neither a global flag nor its value
	var positional []string
	cmd := ""
	for i := 0; i < len(w); i++ {
		x := w[i]
		if x == "--" {
			return nil
		}
		if strings.HasPrefix(x, "-") && len(x) > 1 {
			if f := lookupFlag(gfs, x); f != nil && f.NoOptDefVal == "" && !strings.Contains(x, "=") && len(strings.TrimLeft(x, "-")) <= len(f.Name) {
				i++ // its value
			} else if f == nil && cmd != "" && a.recipeFlagTakesValue(p, cmd, x) {
				i++
			}
			continue
		}
		if cmd == "" {
			cmd = x
			continue
		}
		positional = append(positional, x)
	}
	// the value of the flag before the current word (-e CUR)
	if flagOfValue == "" && len(w) > 0 && strings.HasPrefix(w[len(w)-1], "-") && !strings.Contains(w[len(w)-1], "=") {
		last := w[len(w)-1]
		if f := lookupFlag(gfs, last); f != nil && f.NoOptDefVal == "" {
			flagOfValue = last
		} else if f == nil && cmd != "" && a.recipeFlagTakesValue(p, cmd, last) {
			flagOfValue = last
		}
	}
	if flagOfValue != "" {
		return withPrefix(prefix, a.flagValues(p, gfs, cmd, flagOfValue))
	}

	if cmd == "run" && len(positional) > 0 { // agentcore run RECIPE ...: as agentcore RECIPE ...
		cmd, positional = positional[0], positional[1:]
	}
	if strings.HasPrefix(cur, "-") {
		var out []candidate
		gfs.VisitAll(func(f *pflag.Flag) { out = append(out, candidate{"--" + f.Name, f.Usage}) })
		if names, ok := builtinFlags[cmd]; ok {
			for _, n := range names {
				out = append(out, candidate{word: "--" + n})
			}
		} else if rc := a.completionRecipe(p, cmd); rc != nil {
			for _, arg := range rc.Args {
				if !arg.Positional {
					out = append(out, candidate{"--" + arg.Name, arg.Help})
				}
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].word < out[j].word })
		return out
	}
	if cmd == "" {
		return a.commandCandidates(p)
	}
	switch cmd {
	case "run", "help":
		if len(positional) == 0 {
			return a.recipeCandidates(p)
		}
		return nil
	case "env":
		if len(positional) == 0 {
			return wordList(builtinSubcommands["env"])
		}
		if len(positional) == 1 && (positional[0] == "show" || positional[0] == "use") {
			return envCandidates(p)
		}
		return nil
	case "recipes":
		if len(positional) == 0 {
			return wordList(builtinSubcommands["recipes"])
		}
		if len(positional) == 1 && (positional[0] == "show" || positional[0] == "eject") {
			return a.recipeCandidates(p)
		}
		return nil
	}
	if subs, ok := builtinSubcommands[cmd]; ok {
		if len(positional) == 0 {
			return wordList(subs)
		}
		return nil
	}
	if _, ok := builtinCommands[cmd]; ok {
		return nil
	}
	// a recipe's positional arguments
	rc := a.completionRecipe(p, cmd)
	if rc == nil {
		return nil
	}
	var pos []engine.ArgSpec
	for _, arg := range rc.Args {
		if arg.Positional {
			pos = append(pos, arg)
		}
	}
	i := len(positional)
	if i >= len(pos) {
		if len(pos) == 0 || pos[len(pos)-1].Type != "list" {
			return nil
		}
		i = len(pos) - 1
	}
	return argValues(p, pos[i])
}

// lookupFlag finds a global flag by how it is typed (-e, --env, --env=x).
func lookupFlag(fs *pflag.FlagSet, typed string) *pflag.Flag {
	name, _, _ := strings.Cut(strings.TrimLeft(typed, "-"), "=")
	if strings.HasPrefix(typed, "--") {
		return fs.Lookup(name)
	}
	if len(name) == 1 {
		return fs.ShorthandLookup(name)
	}
	return nil
}

func withPrefix(prefix string, cs []candidate) []candidate {
	for i := range cs {
		cs[i].word = prefix + cs[i].word
	}
	return cs
}

func wordList(ws []string) []candidate {
	out := make([]candidate, len(ws))
	for i, w := range ws {
		out[i] = candidate{word: w}
	}
	return out
}

// flagValues are the values of flag (as typed: -e, --fix) for command cmd.
func (a *app) flagValues(p *project.Project, gfs *pflag.FlagSet, cmd, flag string) []candidate {
	if f := lookupFlag(gfs, flag); f != nil {
		switch f.Name {
		case "env":
			return envCandidates(p)
		case "output":
			return wordList([]string{"text", "json"})
		}
		return nil
	}
	if _, ok := builtinFlags[cmd]; ok {
		name, _, _ := strings.Cut(flag, "=")
		return wordList(builtinFlagValues[name])
	}
	rc := a.completionRecipe(p, cmd)
	if rc == nil {
		return nil
	}
	if arg, ok := recipeFlag(rc, flag); ok {
		return argValues(p, arg)
	}
	return nil
}

// argValues are the values a recipe argument takes: its declared choices, or the project's
// agents or environments when it names one.
func argValues(p *project.Project, arg engine.ArgSpec) []candidate {
	if len(arg.Choices) > 0 {
		return wordList(arg.Choices)
	}
	switch arg.Name {
	case "agent", "agents":
		return agentCandidates(p)
	case "env", "environment", "environments":
		return envCandidates(p)
	}
	return nil
}

func recipeFlag(rc *engine.Recipe, typed string) (engine.ArgSpec, bool) {
	name, _, _ := strings.Cut(strings.TrimLeft(typed, "-"), "=")
	long := strings.HasPrefix(typed, "--")
	for _, arg := range rc.Args {
		if !arg.Positional && (long && arg.Name == name || !long && arg.Short != "" && arg.Short == name) {
			return arg, true
		}
	}
	return engine.ArgSpec{}, false
}

// recipeFlagTakesValue says whether typed (--endpoint) is a flag of recipe cmd that takes a
// value (not a bool), so that the word after it is its value (for a built-in command: one of
// builtinFlagValues).
func (a *app) recipeFlagTakesValue(p *project.Project, cmd, typed string) bool {
	if strings.Contains(typed, "=") {
		return false
	}
	if _, ok := builtinFlags[cmd]; ok { // a built-in command's: those with values listed
		_, ok := builtinFlagValues[typed]
		return ok
	}
	rc := a.completionRecipe(p, cmd)
	if rc == nil {
		return false
	}
	arg, ok := recipeFlag(rc, typed)
	return ok && arg.Type != "bool"
}

// completionRecipe loads recipe name's declaration (nil when it is no recipe or does not load).
func (a *app) completionRecipe(p *project.Project, name string) *engine.Recipe {
	if name == "" {
		return nil
	}
	if _, ok := builtinCommands[name]; ok {
		return nil
	}
	if a.completing == nil {
		a.completing = map[string]*engine.Recipe{}
	}
	if rc, ok := a.completing[name]; ok {
		return rc
	}
	a.completing[name] = nil
	res := a.resolver(p)
	src, err := res.Find(name)
	if err != nil {
		return nil
	}
	run, err := a.newRun(p, false)
	if err != nil {
		return nil
	}
	vm := engine.NewVM(run, a.registry())
	defer vm.Close()
	vm.Recipes = res
	rc, err := vm.LoadRecipe(src)
	if err != nil {
		return nil
	}
	a.completing[name] = rc
	return rc
}

func (a *app) commandCandidates(p *project.Project) []candidate {
	var out []candidate
	for c := range builtinCommands {
		if !strings.HasPrefix(c, "_") {
			out = append(out, candidate{word: c})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].word < out[j].word })
	return append(out, a.recipeCandidates(p)...)
}

func (a *app) recipeCandidates(p *project.Project) []candidate {
	rows, err := a.recipeRows(p, a.resolver(p))
	if err != nil {
		return nil
	}
	out := make([]candidate, 0, len(rows))
	for _, r := range rows {
		out = append(out, candidate{r.Name, r.Description})
	}
	return out
}

func agentCandidates(p *project.Project) []candidate {
	if p == nil {
		return nil
	}
	var out []candidate
	for name, ag := range p.Agents {
		out = append(out, candidate{name, ag.Description})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].word < out[j].word })
	return out
}

func envCandidates(p *project.Project) []candidate {
	if p == nil {
		return nil
	}
	var out []candidate
	for _, name := range p.EnvOrder {
		e := p.Environments[name]
		if e == nil {
			continue
		}
		desc := e.Provider
		if e.Region != "" {
			desc += " " + e.Region
		}
		out = append(out, candidate{name, desc})
	}
	return out
}
