package docker

import (
	"strings"
)

// BaseImage is an image a Dockerfile builds on: a stage's FROM that is neither scratch nor an
// earlier stage, or the image of a COPY --from that names no stage. platform is the stage's
// FROM --platform when it names one literally ("" for the build's platform).
type BaseImage struct {
	Ref      string
	Platform string
}

// BaseImages reads the images a Dockerfile builds on, with the build args FROM lines see
// resolved as the build resolves them: an ARG before the first FROM declares one (its default
// replaced by buildArgs when given), and $NAME, ${NAME}, ${NAME:-word} and ${NAME:+word}
// expand. ok is false when a base cannot be told from the text alone: a variable the
// Dockerfile does not declare before its first FROM (the platform args BuildKit predefines,
// say), another expansion form, or a FROM without an image.
func BaseImages(dockerfile string, buildArgs map[string]string) (bases []BaseImage, ok bool) {
	lines, ok := instructions(dockerfile)
	if !ok {
		return nil, false
	}
	args := map[string]string{}
	stages := map[string]bool{}
	seenFrom := false
	for _, words := range lines {
		switch strings.ToUpper(words[0]) {
		case "ARG":
			if seenFrom {
				continue // a stage's ARG: FROM lines never see it
			}
			for _, decl := range words[1:] {
				name, def, hasDef := strings.Cut(decl, "=")
				if v, given := buildArgs[name]; given {
					args[name] = v
				} else if hasDef {
					def, ok := expand(unquote(def), args)
					if !ok {
						return nil, false
					}
					args[name] = def
				} else {
					args[name] = ""
				}
			}
		case "FROM":
			seenFrom = true
			platform, rest := flag(words[1:], "platform")
			if len(rest) != 1 && !(len(rest) == 3 && strings.EqualFold(rest[1], "as")) {
				return nil, false
			}
			switch platform {
			case "", "$BUILDPLATFORM", "${BUILDPLATFORM}":
				platform = "" // the engine's own platform, or the build's
			default:
				if strings.Contains(platform, "$") {
					return nil, false
				}
			}
			ref, ok := expand(rest[0], args)
			if !ok || ref == "" {
				return nil, false
			}
			if !strings.EqualFold(ref, "scratch") && !stages[strings.ToLower(ref)] {
				bases = append(bases, BaseImage{Ref: ref, Platform: platform})
			}
			if len(rest) == 3 {
				stages[strings.ToLower(rest[2])] = true
			}
		case "COPY":
			from, _ := flag(words[1:], "from")
			if from == "" || stages[strings.ToLower(from)] || isIndex(from) {
				continue
			}
			if strings.Contains(from, "$") {
				return nil, false
			}
			bases = append(bases, BaseImage{Ref: from})
		}
	}
	if !seenFrom {
		return nil, false
	}
	return bases, true
}

// instructions splits a Dockerfile into instructions, each a list of words: parser
// directives and comments left out, continuation lines joined (the escape directive
// honoured). ok is false for a heredoc (<<EOF), whose body this reader does not follow.
func instructions(text string) (out [][]string, ok bool) {
	escape := `\`
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	directives := true
	var cur strings.Builder
	for _, line := range lines {
		trimmed := strings.TrimSpace(line)
		if directives {
			if k, v, isDir := directive(trimmed); isDir {
				if k == "escape" {
					escape = v
				}
				continue
			}
			directives = false
		}
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && cur.Len() == 0) {
			continue
		}
		if strings.HasSuffix(trimmed, escape) {
			cur.WriteString(strings.TrimSuffix(trimmed, escape))
			cur.WriteString(" ")
			continue
		}
		cur.WriteString(trimmed)
		if words := strings.Fields(cur.String()); len(words) > 0 {
			for _, w := range words {
				if strings.HasPrefix(w, "<<") {
					return nil, false
				}
			}
			out = append(out, words)
		}
		cur.Reset()
	}
	if words := strings.Fields(cur.String()); len(words) > 0 {
		out = append(out, words)
	}
	return out, true
}

// directive reads a parser directive line ("# escape=`"); isDir is false for anything else.
func directive(line string) (key, value string, isDir bool) {
	if !strings.HasPrefix(line, "#") {
		return "", "", false
	}
	k, v, found := strings.Cut(strings.TrimSpace(line[1:]), "=")
	k = strings.ToLower(strings.TrimSpace(k))
	if !found || (k != "escape" && k != "syntax" && k != "check") {
		return "", "", false
	}
	return k, strings.TrimSpace(v), true
}

// flag takes the --name=value flag off the front of words; value is "" when it is absent.
func flag(words []string, name string) (value string, rest []string) {
	for len(words) > 0 && strings.HasPrefix(words[0], "--") {
		k, v, _ := strings.Cut(words[0][2:], "=")
		if strings.EqualFold(k, name) {
			value = v
		}
		words = words[1:]
	}
	return value, words
}

func isIndex(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// expand replaces the variables of s from args, as the build does in a FROM line; ok is
// false for a variable args lacks or an expansion form other than $N, ${N}, ${N:-w}, ${N:+w}.
func expand(s string, args map[string]string) (string, bool) {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 {
			b.WriteString(s)
			return b.String(), true
		}
		b.WriteString(s[:i])
		s = s[i+1:]
		var name, op, word string
		if strings.HasPrefix(s, "{") {
			end := strings.IndexByte(s, '}')
			if end < 0 {
				return "", false
			}
			body := s[1:end]
			s = s[end+1:]
			name = body
			if j := strings.Index(body, ":"); j >= 0 {
				name, op, word = body[:j], body[j:j+2], body[j+2:]
				if op != ":-" && op != ":+" || strings.Contains(word, "$") {
					return "", false
				}
			}
		} else {
			n := 0
			for n < len(s) && (s[n] == '_' || s[n] >= 'a' && s[n] <= 'z' || s[n] >= 'A' && s[n] <= 'Z' || n > 0 && s[n] >= '0' && s[n] <= '9') {
				n++
			}
			name, s = s[:n], s[n:]
		}
		v, declared := args[name]
		if name == "" || !declared {
			return "", false
		}
		switch {
		case op == ":-" && v == "":
			v = word
		case op == ":+" && v != "":
			v = word
		case op == ":+":
			v = ""
		}
		b.WriteString(v)
	}
}
