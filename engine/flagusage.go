package engine

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// FlagUsages renders a flag set's help as pflag does, except that a boolean flag shows as
// what one types (--yes), not pflag's --yes[=true|false].
func FlagUsages(fs *pflag.FlagSet) string {
	type line struct{ left, usage string }
	var lines []line
	width := 0
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		left := "      --" + f.Name
		if f.Shorthand != "" && f.ShorthandDeprecated == "" {
			left = "  -" + f.Shorthand + ", --" + f.Name
		}
		varname, usage := pflag.UnquoteUsage(f)
		isBool := f.Value.Type() == "bool"
		switch {
		case isBool && f.NoOptDefVal != "" && f.NoOptDefVal != "true":
			left += "[=" + f.NoOptDefVal + "]"
		case isBool:
		case varname != "":
			left += " " + varname
		}
		if def := f.DefValue; !zeroDefault(f) && !(isBool && def == "false") {
			if f.Value.Type() == "string" {
				usage += fmt.Sprintf(" (default %q)", def)
			} else {
				usage += fmt.Sprintf(" (default %s)", def)
			}
		}
		if f.Deprecated != "" {
			usage += fmt.Sprintf(" (DEPRECATED: %s)", f.Deprecated)
		}
		width = max(width, len(left))
		lines = append(lines, line{left, usage})
	})
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "%-*s   %s\n", width, l.left, l.usage)
	}
	return b.String()
}

// zeroDefault says whether a flag's default is its type's zero value (not worth showing).
func zeroDefault(f *pflag.Flag) bool {
	switch f.DefValue {
	case "", "0", "false", "[]", "0s", "<nil>":
		return true
	}
	return false
}
