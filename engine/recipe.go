package engine

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	lua "github.com/yuin/gopher-lua"
)

// ArgSpec is one declared recipe argument.
type ArgSpec struct {
	Name       string   // as typed on the command line (--dry-run); the Lua key is dry_run
	Type       string   // string, int, bool or list
	Required   bool     // must be given
	Default    any      // used when not given
	Help       string   // one line
	Positional bool     // bound from positional arguments, in declaration order
	Short      string   // one-letter flag alias
	Choices    []string // allowed values (string and list)
	AfterDash  bool     // a list positional bound from the arguments after "--" only (a command to run)
}

// LuaKey is the key the argument has in the table passed to run.
func (a ArgSpec) LuaKey() string { return strings.ReplaceAll(a.Name, "-", "_") }

// Recipe is a loaded recipe declaration.
type Recipe struct {
	Source      Source
	Description string
	Usage       string // longer text shown by --help (examples, notes)
	Args        []ArgSpec
	Lock        bool // take a lock while running (default true): the environment's, or with LockAgents the agent's
	// LockAgents: lock = "agent": the run locks the agent it acts on (args.agent), not the
	// whole environment, so runs on different agents of one environment go at once.
	LockAgents bool
	table      *lua.LTable
	run        *lua.LFunction
}

var argTypes = map[string]bool{"string": true, "int": true, "bool": true, "list": true}

// luaRecipe is the global recipe{...}: it validates a declaration and returns it.
func luaRecipe(L *lua.LState) int {
	t := L.CheckTable(1)
	if _, err := declFromTable(t, Source{}); err != nil {
		Raise(L, err)
	}
	t.RawSetString("__recipe", lua.LTrue)
	L.Push(t)
	return 1
}

func declFromTable(t *lua.LTable, src Source) (*Recipe, error) {
	bad := func(format string, args ...any) error {
		return &Error{Code: ExitUsage, Msg: "invalid recipe declaration: " + fmt.Sprintf(format, args...),
			Hint: "a recipe returns recipe{ description = \"...\", args = { {name=\"agent\", type=\"string\", positional=true} }, run = function(args) ... end }"}
	}
	rc := &Recipe{Source: src, table: t, Lock: true}
	for _, k := range tableKeys(t) {
		switch k {
		case "description", "usage", "args", "lock", "changes", "run", "name", "__recipe", "call":
		default:
			return nil, bad("unknown field %q%s", k, declKeySuggestion(k, recipeKeys))
		}
	}
	desc, ok := t.RawGetString("description").(lua.LString)
	if !ok || desc == "" {
		return nil, bad("description (a string) is required")
	}
	rc.Description = string(desc)
	if u, ok := t.RawGetString("usage").(lua.LString); ok {
		rc.Usage = string(u)
	}
	fn, ok := t.RawGetString("run").(*lua.LFunction)
	if !ok {
		return nil, bad("run (a function) is required")
	}
	rc.run = fn
	switch l := t.RawGetString("lock").(type) {
	case lua.LBool:
		rc.Lock = bool(l)
	case lua.LString:
		if l != "agent" {
			return nil, bad("lock is %q: use true (the environment's lock, the default), \"agent\" (the lock of the agent in args.agent) or false", string(l))
		}
		rc.LockAgents = true
	case *lua.LNilType:
	default:
		return nil, bad("lock is a %s: use true, \"agent\" or false", l.Type())
	}
	switch c := t.RawGetString("changes").(type) {
	case lua.LBool, *lua.LFunction, *lua.LNilType:
	default:
		return nil, bad("changes is a %s: use true (every run changes the environment: its history records it) or a function(args) returning whether this run does", c.Type())
	}
	argsV := t.RawGetString("args")
	if argsV == lua.LNil {
		return rc, nil
	}
	args, ok := argsV.(*lua.LTable)
	if !ok {
		return nil, bad("args must be a list of tables")
	}
	seen := map[string]bool{}
	sawOptionalPositional, sawListPositional := false, false
	for i := 1; i <= args.Len(); i++ {
		at, ok := args.RawGetInt(i).(*lua.LTable)
		if !ok {
			return nil, bad("args[%d] is not a table", i)
		}
		var a ArgSpec
		if err := checkArgDeclKeys(i, at); err != nil {
			return nil, bad("%v", err)
		}
		a.Name = lua.LVAsString(at.RawGetString("name"))
		if a.Name == "" || !validRecipeName(a.Name) {
			return nil, bad("args[%d] needs a name of lowercase letters, digits and '-'", i)
		}
		if seen[a.Name] {
			return nil, bad("argument %q declared twice", a.Name)
		}
		seen[a.Name] = true
		a.Type = lua.LVAsString(at.RawGetString("type"))
		if a.Type == "" {
			a.Type = "string"
		}
		if !argTypes[a.Type] {
			return nil, bad("argument %q has type %q; use string, int, bool or list", a.Name, a.Type)
		}
		a.Required = lua.LVAsBool(at.RawGetString("required"))
		a.Positional = lua.LVAsBool(at.RawGetString("positional"))
		a.AfterDash = lua.LVAsBool(at.RawGetString("after_dash"))
		if a.AfterDash && (!a.Positional || a.Type != "list") {
			return nil, bad("argument %q: after_dash is for a list positional", a.Name)
		}
		a.Help = lua.LVAsString(at.RawGetString("help"))
		a.Short = lua.LVAsString(at.RawGetString("short"))
		if len(a.Short) > 1 {
			return nil, bad("argument %q: short must be one letter", a.Name)
		}
		if ch, ok := at.RawGetString("choices").(*lua.LTable); ok {
			for j := 1; j <= ch.Len(); j++ {
				a.Choices = append(a.Choices, lua.LVAsString(ch.RawGetInt(j)))
			}
		}
		if d := at.RawGetString("default"); d != lua.LNil {
			if err := checkArgDefault(a, d); err != nil {
				return nil, bad("%v", err)
			}
			g, err := ToGo(d)
			if err != nil {
				return nil, bad("argument %q: default: %v", a.Name, err)
			}
			a.Default = g
		}
		if a.Positional {
			if sawListPositional {
				return nil, bad("argument %q comes after a list positional, which takes the rest", a.Name)
			}
			if a.Required && sawOptionalPositional {
				return nil, bad("required positional %q follows an optional one", a.Name)
			}
			if a.Type == "bool" {
				return nil, bad("positional %q cannot be a bool", a.Name)
			}
			sawOptionalPositional = sawOptionalPositional || !a.Required
			sawListPositional = a.Type == "list"
		}
		rc.Args = append(rc.Args, a)
	}
	return rc, nil
}

func tableKeys(t *lua.LTable) []string {
	var keys []string
	t.ForEach(func(k, _ lua.LValue) {
		if s, ok := k.(lua.LString); ok {
			keys = append(keys, string(s))
		} else {
			keys = append(keys, k.String())
		}
	})
	sort.Strings(keys)
	return keys
}

// LoadRecipe compiles src and evaluates it to its declaration.
func (vm *VM) LoadRecipe(src Source) (*Recipe, error) {
	fn, err := loadChunk(vm.L, src.Code, src.Chunk)
	if err != nil {
		return nil, syntaxError(err)
	}
	res, err := vm.Call(fn)
	if err != nil {
		return nil, err
	}
	if len(res) == 0 {
		return nil, &Error{Code: ExitUsage, Msg: src.Chunk + ": the recipe returns nothing",
			Hint: "end the file with: return recipe{ description = ..., run = function(args) ... end }"}
	}
	t, ok := res[0].(*lua.LTable)
	if !ok {
		return nil, &Error{Code: ExitUsage, Msg: fmt.Sprintf("%s: the recipe returns a %s, not a recipe table", src.Chunk, res[0].Type()),
			Hint: "end the file with: return recipe{ description = ..., run = function(args) ... end }"}
	}
	rc, err := declFromTable(t, src)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Msg = src.Chunk + ": " + e.Msg
		}
		return nil, err
	}
	return rc, nil
}

// Binder holds the flags a recipe added to a FlagSet, to build the argument table after
// parsing.
type Binder struct {
	rc    *Recipe
	fs    *pflag.FlagSet
	strs  map[string]*string
	ints  map[string]*int
	bools map[string]*bool
	lists map[string]*[]string
}

// AddFlags declares the recipe's non-positional arguments on fs.
func (rc *Recipe) AddFlags(fs *pflag.FlagSet) *Binder {
	b := &Binder{rc: rc, fs: fs, strs: map[string]*string{}, ints: map[string]*int{}, bools: map[string]*bool{}, lists: map[string]*[]string{}}
	for _, a := range rc.Args {
		if a.Positional {
			continue
		}
		help := a.Help
		if len(a.Choices) > 0 {
			help += " (one of " + strings.Join(a.Choices, ", ") + ")"
		}
		if a.Required {
			help += " (required)"
		}
		switch a.Type {
		case "string":
			def, _ := a.Default.(string)
			b.strs[a.Name] = fs.StringP(a.Name, a.Short, def, help)
		case "int":
			def, _ := a.Default.(int64)
			b.ints[a.Name] = fs.IntP(a.Name, a.Short, int(def), help)
		case "bool":
			def, _ := a.Default.(bool)
			b.bools[a.Name] = fs.BoolP(a.Name, a.Short, def, help)
		case "list":
			var def []string
			if l, ok := a.Default.([]any); ok {
				for _, x := range l {
					def = append(def, fmt.Sprint(x))
				}
			}
			b.lists[a.Name] = fs.StringArrayP(a.Name, a.Short, def, help+" (repeatable)")
		}
	}
	return b
}

// projectAgents returns the agent names of the run's project, sorted (none outside a project).
func projectAgents(L *lua.LState) []string {
	r := FromL(L)
	if r.Project == nil {
		return nil
	}
	names := make([]string, 0, len(r.Project.Agents))
	for n := range r.Project.Agents {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Table binds parsed flags and the positional arguments into the table passed to run.
func (b *Binder) Table(L *lua.LState, positional []string) (*lua.LTable, error) {
	usage := func(format string, args ...any) error {
		return &Error{Code: ExitUsage, Msg: fmt.Sprintf(format, args...),
			Hint: fmt.Sprintf("see: agentcore run %s --help", b.rc.Source.Name)}
	}
	t := L.NewTable()
	var posSpecs []ArgSpec
	for _, a := range b.rc.Args {
		if a.Positional {
			posSpecs = append(posSpecs, a)
		}
	}
	rest := positional
	for _, a := range posSpecs {
		if a.Type == "list" {
			if a.AfterDash {
				at := b.fs.ArgsLenAtDash()
				switch consumed := len(positional) - len(rest); {
				case at < 0 && (len(rest) > 0 || a.Required):
					return nil, usage("%s goes after --: agentcore %s ... -- %s", strings.ToUpper(a.Name), b.rc.Source.Name, strings.Join(rest, " "))
				case at > consumed:
					return nil, usage("unexpected argument %q before --", rest[0])
				case at >= 0 && at < consumed:
					return nil, usage("-- comes after the other arguments, before %s", strings.ToUpper(a.Name))
				}
			}
			lt := L.NewTable()
			for _, s := range rest {
				if err := checkChoice(a, s); err != nil {
					return nil, usage("%v", err)
				}
				lt.Append(lua.LString(s))
			}
			if len(rest) == 0 && a.Required {
				return nil, usage("missing %s: give at least one", strings.ToUpper(a.Name))
			}
			t.RawSetString(a.LuaKey(), lt)
			rest = nil
			continue
		}
		if len(rest) == 0 {
			if a.Required {
				if a.Name == "agent" {
					if names := projectAgents(L); len(names) > 0 {
						return nil, &Error{Code: ExitUsage, Msg: fmt.Sprintf("%s needs an agent: this project has %s", b.rc.Source.Name, strings.Join(names, ", ")),
							Hint: fmt.Sprintf("agentcore %s %s (see: agentcore run %s --help)", b.rc.Source.Name, names[0], b.rc.Source.Name)}
					}
				}
				return nil, usage("missing argument %s (%s)", strings.ToUpper(a.Name), a.Help)
			}
			if a.Default != nil {
				t.RawSetString(a.LuaKey(), ToLua(L, a.Default))
			}
			continue
		}
		v, err := convertArg(a, rest[0])
		if err != nil {
			return nil, usage("%v", err)
		}
		t.RawSetString(a.LuaKey(), ToLua(L, v))
		rest = rest[1:]
	}
	if len(rest) > 0 {
		return nil, usage("unexpected argument %q", rest[0])
	}
	for _, a := range b.rc.Args {
		if a.Positional {
			continue
		}
		changed := b.fs.Changed(a.Name)
		if a.Required && !changed {
			return nil, usage("missing required flag --%s (%s)", a.Name, a.Help)
		}
		var v any
		switch a.Type {
		case "string":
			s := *b.strs[a.Name]
			if !changed && a.Default == nil {
				continue
			}
			if err := checkChoice(a, s); err != nil {
				return nil, usage("%v", err)
			}
			v = s
		case "int":
			if !changed && a.Default == nil {
				continue
			}
			v = *b.ints[a.Name]
		case "bool":
			v = *b.bools[a.Name]
		case "list":
			l := *b.lists[a.Name]
			for _, s := range l {
				if err := checkChoice(a, s); err != nil {
					return nil, usage("%v", err)
				}
			}
			v = l
			if l == nil {
				v = []any{}
			}
		}
		t.RawSetString(a.LuaKey(), ToLua(L, v))
	}
	return t, nil
}

func convertArg(a ArgSpec, s string) (any, error) {
	switch a.Type {
	case "int":
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, fmt.Errorf("%s must be a whole number, not %q", strings.ToUpper(a.Name), s)
		}
		return n, nil
	default:
		return s, checkChoice(a, s)
	}
}

func checkChoice(a ArgSpec, s string) error {
	if len(a.Choices) == 0 {
		return nil
	}
	for _, c := range a.Choices {
		if c == s {
			return nil
		}
	}
	return fmt.Errorf("%s must be one of %s, not %q", a.Name, strings.Join(a.Choices, ", "), s)
}

// UsageLine returns "create AGENT [flags]" ("exec AGENT [flags] -- COMMAND..." with an after_dash list).
func (rc *Recipe) UsageLine() string {
	parts := []string{rc.Source.Name}
	dash := ""
	for _, a := range rc.Args {
		if !a.Positional {
			continue
		}
		n := strings.ToUpper(a.Name)
		if a.Type == "list" {
			n += "..."
		}
		if !a.Required {
			n = "[" + n + "]"
		}
		if a.AfterDash {
			dash = " -- " + n
			continue
		}
		parts = append(parts, n)
	}
	return strings.Join(parts, " ") + " [flags]" + dash
}

// Help renders the recipe's help from its declaration. flags is the recipe's own flag set;
// globals the global flags' usage text.
func (rc *Recipe) Help(flags *pflag.FlagSet, globals string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\nUsage:\n  agentcore run %s\n  agentcore %s\n", rc.Description, rc.UsageLine(), rc.UsageLine())
	if rc.Usage != "" {
		fmt.Fprintf(&b, "\n%s\n", strings.TrimSpace(rc.Usage))
	}
	var pos []ArgSpec
	for _, a := range rc.Args {
		if a.Positional {
			pos = append(pos, a)
		}
	}
	if len(pos) > 0 {
		b.WriteString("\nArguments:\n")
		for _, a := range pos {
			kind := a.Type
			if a.Required {
				kind += ", required"
			} else if a.Default != nil {
				kind += fmt.Sprintf(", default %v", a.Default)
			}
			fmt.Fprintf(&b, "  %-12s %-20s %s\n", strings.ToUpper(a.Name), kind, a.Help)
		}
	}
	if fu := FlagUsages(flags); fu != "" {
		b.WriteString("\nFlags:\n" + fu)
	}
	if globals != "" {
		b.WriteString("\nGlobal flags:\n" + globals)
	}
	origin := rc.Source.Origin
	if origin == "stock" {
		origin = "stock (customise with: agentcore recipes eject " + rc.Source.Name + ")"
	} else if rc.Source.Override {
		origin += " (overrides the stock recipe)"
	}
	fmt.Fprintf(&b, "\nSource: %s\n", origin)
	return b.String()
}

// Execute runs the recipe with args, holding the environment lock when the recipe asks for
// it, and returns the recipe's result as Go data.
func (vm *VM) Execute(rc *Recipe, args *lua.LTable, wait bool) (any, error) {
	r := vm.run
	unlock, err := lockRecipe(vm.L, r, rc, args, wait)
	if err != nil {
		return nil, err
	}
	defer unlock()
	audited, err := startAudit(vm.L, rc, args)
	if err != nil {
		return nil, err
	}
	res, err := vm.Call(rc.run, args)
	if audited {
		finishAudit(vm.L, err)
	}
	if err != nil {
		return nil, err
	}
	if len(res) == 0 {
		return nil, nil
	}
	return ToGo(res[0])
}
