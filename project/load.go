package project

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	toml "github.com/pelletier/go-toml/v2"
)

// FileName is the project file agentcore looks for.
const FileName = "agentcore.toml"

// Problem is one thing wrong in agentcore.toml, at a position when one is known.
type Problem struct {
	Line, Col int
	Path      string // dotted key path, e.g. agents.my-bot.protocol
	Msg       string
}

// LoadError lists every problem found in agentcore.toml, in file order.
type LoadError struct {
	File     string // path as shown to the user
	Problems []Problem
}

func (e *LoadError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("\n")
		}
		if p.Line > 0 {
			fmt.Fprintf(&b, "%s:%d:%d: %s", e.File, p.Line, p.Col, p.Msg)
		} else {
			fmt.Fprintf(&b, "%s: %s", e.File, p.Msg)
		}
	}
	return b.String()
}

// NotFoundError says no agentcore.toml was found from a directory upwards.
type NotFoundError struct{ From string }

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("no %s found in %s or any parent directory", FileName, e.From)
}

// Find returns the path of agentcore.toml in dir or its nearest parent that has one.
func Find(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		p := filepath.Join(d, FileName)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
		if filepath.Dir(d) == d {
			return "", &NotFoundError{From: abs}
		}
	}
}

// Load reads, decodes strictly and validates the project file at path.
func Load(path string) (*Project, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	abs, _ := filepath.Abs(path)
	return Parse(data, abs, displayName(abs))
}

func displayName(abs string) string {
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, abs); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return abs
}

// Parse decodes and validates data as the project file at absPath (display is the name used
// in messages).
func Parse(data []byte, absPath, display string) (*Project, error) {
	lerr := &LoadError{File: display}
	var raw rawFile
	if err := decodeRaw(data, &raw); err != nil {
		var strict *toml.StrictMissingError
		var derr *toml.DecodeError
		switch {
		case errors.As(err, &strict):
			for _, e := range strict.Errors {
				row, col := e.Position()
				key := []string(e.Key())
				lerr.Problems = append(lerr.Problems, Problem{Line: row, Col: col, Path: strings.Join(key, "."),
					Msg: unknownKeyMessage(key)})
			}
			// Report every other problem too, from a lenient decode.
			raw = rawFile{}
			if toml.Unmarshal(data, &raw) != nil {
				return nil, lerr
			}
		case errors.As(err, &derr):
			row, col := derr.Position()
			lerr.Problems = append(lerr.Problems, Problem{Line: row, Col: col, Path: strings.Join(derr.Key(), "."),
				Msg: decodeMessage(derr)})
			return nil, lerr
		default:
			lerr.Problems = append(lerr.Problems, Problem{Msg: err.Error()})
			return nil, lerr
		}
	}
	pos := indexPositions(data)
	v := &validator{pos: pos, dir: filepath.Dir(absPath)}
	p := v.build(&raw)
	p.Path = absPath
	p.Dir = filepath.Dir(absPath)
	p.Warnings = v.warnings
	lerr.Problems = append(lerr.Problems, v.problems...)
	if len(lerr.Problems) > 0 {
		sort.SliceStable(lerr.Problems, func(i, j int) bool {
			a, b := lerr.Problems[i], lerr.Problems[j]
			if a.Line != b.Line {
				return a.Line < b.Line
			}
			return a.Col < b.Col
		})
		return nil, lerr
	}
	return p, nil
}

func decodeMessage(e *toml.DecodeError) string {
	msg := e.Error()
	msg = strings.TrimPrefix(msg, "toml: ")
	if k := e.Key(); len(k) > 0 {
		return fmt.Sprintf("%s: %s", strings.Join(k, "."), msg)
	}
	return msg
}

// unknownKeyMessage explains an unknown key and suggests the closest known one.
func unknownKeyMessage(key []string) string {
	if len(key) == 0 {
		return "unknown key"
	}
	// Report the first segment that is unknown where it stands ([agent.a] -> "agent").
	for i := range key {
		if known := knownKeys(key[:i]); known != nil && !contains(known, key[i]) {
			key = key[:i+1]
			break
		}
	}
	name := key[len(key)-1]
	table := strings.Join(key[:len(key)-1], ".")
	known := knownKeys(key[:len(key)-1])
	where := "at the top level"
	if table != "" {
		where = "in [" + table + "]"
	}
	msg := fmt.Sprintf("unknown key %q %s", name, where)
	if s := closest(name, known); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	} else if len(known) > 0 {
		msg += " (known keys: " + strings.Join(known, ", ") + ")"
	}
	return msg
}

// knownKeys returns the keys allowed in the table at path.
func knownKeys(path []string) []string {
	switch {
	case len(path) == 0:
		return []string{"agents", "credentials", "environments", "gateways", "memories", "project", "rollouts"}
	case len(path) == 2 && path[0] == "gateways",
		len(path) == 4 && path[0] == "environments" && path[2] == "gateways":
		return tomlKeys(rawGateway{})
	case len(path) >= 3 && path[0] == "gateways" && path[2] == "targets",
		len(path) >= 5 && path[0] == "environments" && path[2] == "gateways" && path[4] == "targets":
		return tomlKeys(rawTarget{})
	case len(path) == 2 && path[0] == "memories",
		len(path) == 4 && path[0] == "environments" && path[2] == "memories":
		return tomlKeys(rawMemory{})
	case len(path) >= 3 && path[0] == "memories" && path[2] == "strategies",
		len(path) >= 5 && path[0] == "environments" && path[2] == "memories" && path[4] == "strategies":
		return tomlKeys(rawStrategy{})
	case len(path) == 2 && path[0] == "credentials",
		len(path) == 4 && path[0] == "environments" && path[2] == "credentials":
		return tomlKeys(rawCredential{})
	case len(path) == 1 && path[0] == "project":
		return tomlKeys(rawProject{})
	case len(path) == 2 && path[0] == "agents":
		return tomlKeys(rawAgent{})
	case len(path) == 2 && path[0] == "environments":
		return tomlKeys(rawEnv{})
	case len(path) == 2 && path[0] == "rollouts":
		return tomlKeys(rawRollout{})
	case len(path) >= 3 && path[0] == "agents" && path[2] == "smoke",
		len(path) >= 5 && path[0] == "environments" && path[2] == "agents" && path[4] == "smoke":
		return tomlKeys(rawSmoke{})
	case len(path) == 4 && path[0] == "environments" && path[2] == "agents":
		return tomlKeys(rawAgent{})
	case len(path) >= 3 && path[0] == "agents" && path[2] == "auth",
		len(path) >= 5 && path[0] == "environments" && path[4] == "auth":
		return tomlKeys(rawAuth{})
	case len(path) >= 3 && path[0] == "agents" && path[2] == "alarms",
		len(path) >= 5 && path[0] == "environments" && path[4] == "alarms":
		return tomlKeys(rawAlarms{})
	case len(path) >= 3 && path[0] == "agents" && path[2] == "lifecycle",
		len(path) >= 5 && path[0] == "environments" && path[4] == "lifecycle":
		return tomlKeys(rawLifecycle{})
	}
	return nil
}

// Closest returns the known name nearest to name (edit distance at most 2, counting a
// transposition as one, or a prefix), or "". Every "did you mean" of agentcore comes from it.
func Closest(name string, known []string) string { return closest(name, known) }

// EditDistance is the Damerau-Levenshtein distance between a and b.
func EditDistance(a, b string) int { return editDistance(a, b) }

func closest(name string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		d := editDistance(strings.ToLower(name), k)
		if d < bestD || (d == bestD && best == "") {
			best, bestD = k, d
		}
	}
	if best != "" {
		return best
	}
	for _, k := range known {
		if len(name) >= 3 && (strings.HasPrefix(k, name) || strings.HasPrefix(name, k)) {
			return k
		}
	}
	return ""
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1) // a transposition is one edit
			}
		}
	}
	return d[len(ra)][len(rb)]
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
