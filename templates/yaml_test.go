package templates

import (
	"fmt"
	"strings"
)

// A parser for the subset of YAML our templates are written in, so that the lint needs no
// YAML module: block mappings and sequences, plain and quoted scalars, flat flow sequences
// ([a, b, !Ref C]), block scalars (| |- > >-), comments, and CloudFormation's short-form tags,
// which become the long form ({"Ref": X}, {"Fn::GetAtt": [A, B]}, {"Fn::If": [...]}). A tag
// alone on a line applies to the block below it. Anything else (anchors, flow mappings,
// multi-document streams) is an error rather than a silent misreading.

type yline struct {
	n      int // 1-based line number
	indent int
	text   string // without indentation and trailing comment
	raw    string
}

type yparser struct {
	lines []yline
	i     int
}

func parseYAML(src string) (any, error) {
	p := &yparser{}
	for n, raw := range strings.Split(src, "\n") {
		raw = strings.TrimRight(raw, " \t\r")
		trimmed := strings.TrimLeft(raw, " ")
		if strings.HasPrefix(trimmed, "\t") {
			return nil, fmt.Errorf("line %d: tab indentation", n+1)
		}
		p.lines = append(p.lines, yline{n: n + 1, indent: len(raw) - len(trimmed), text: stripComment(trimmed), raw: raw})
	}
	p.skipBlank()
	if p.i >= len(p.lines) {
		return nil, fmt.Errorf("empty document")
	}
	v, err := p.block(p.lines[p.i].indent)
	if err != nil {
		return nil, err
	}
	p.skipBlank()
	if p.i < len(p.lines) {
		return nil, fmt.Errorf("line %d: unexpected indentation", p.lines[p.i].n)
	}
	return v, nil
}

func stripComment(s string) string {
	if strings.HasPrefix(s, "#") {
		return ""
	}
	cut := len(s)
	eachUnquoted(s, func(i int) bool {
		if s[i] == '#' && i > 0 && s[i-1] == ' ' {
			cut = i
			return false
		}
		return true
	})
	return strings.TrimRight(s[:cut], " ")
}

// eachUnquoted calls fn with the index of every byte of s outside quotes, until fn says stop.
func eachUnquoted(s string, fn func(i int) bool) {
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		default:
			if !fn(i) {
				return
			}
		}
	}
}

func (p *yparser) skipBlank() {
	for p.i < len(p.lines) && p.lines[p.i].text == "" {
		p.i++
	}
}

func isSeqItem(s string) bool { return s == "-" || strings.HasPrefix(s, "- ") }

func (p *yparser) block(indent int) (any, error) {
	p.skipBlank()
	if p.i >= len(p.lines) {
		return nil, nil
	}
	if isSeqItem(p.lines[p.i].text) {
		return p.seq(indent)
	}
	return p.mapping(indent)
}

// splitKey splits "key: value" / "key:"; ok is false for a line that is no mapping entry.
func splitKey(s string) (key, rest string, ok bool) {
	if s == "" || strings.ContainsAny(s[:1], "!'\"[{|>") || isSeqItem(s) {
		return "", "", false
	}
	if i := strings.Index(s, ": "); i > 0 {
		return s[:i], strings.TrimSpace(s[i+2:]), true
	}
	if strings.HasSuffix(s, ":") {
		return s[:len(s)-1], "", true
	}
	return "", "", false
}

func (p *yparser) mapping(indent int) (any, error) {
	m := map[string]any{}
	for {
		p.skipBlank()
		if p.i >= len(p.lines) || p.lines[p.i].indent < indent {
			return m, nil
		}
		l := p.lines[p.i]
		if l.indent > indent {
			return nil, fmt.Errorf("line %d: unexpected indentation", l.n)
		}
		if isSeqItem(l.text) {
			return nil, fmt.Errorf("line %d: a sequence item where a mapping key was expected", l.n)
		}
		key, rest, ok := splitKey(l.text)
		if !ok {
			return nil, fmt.Errorf("line %d: expected `key: value`, got %q", l.n, l.text)
		}
		if _, dup := m[key]; dup {
			return nil, fmt.Errorf("line %d: duplicate key %q", l.n, key)
		}
		p.i++
		v, err := p.value(rest, indent, l.n)
		if err != nil {
			return nil, err
		}
		m[key] = v
	}
}

func (p *yparser) seq(indent int) (any, error) {
	var out []any
	for {
		p.skipBlank()
		if p.i >= len(p.lines) || p.lines[p.i].indent < indent {
			return out, nil
		}
		l := p.lines[p.i]
		if l.indent > indent || !isSeqItem(l.text) {
			if l.indent == indent {
				return out, nil // the sequence ended; the caller's mapping goes on
			}
			return nil, fmt.Errorf("line %d: unexpected indentation", l.n)
		}
		content := strings.TrimSpace(strings.TrimPrefix(l.text, "-"))
		if _, _, isKey := splitKey(content); isKey {
			// "- key: value": the item is a mapping whose keys line up with this one.
			p.lines[p.i].indent = indent + 2
			p.lines[p.i].text = content
			v, err := p.mapping(indent + 2)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
			continue
		}
		p.i++
		v, err := p.value(content, indent, l.n)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
}

// value parses what follows "key:" or "- " on line n (rest), reading nested lines deeper than
// parent when it is empty, a lone tag or a block scalar indicator.
func (p *yparser) value(rest string, parent, n int) (any, error) {
	tag := ""
	if strings.HasPrefix(rest, "!") {
		tag, rest, _ = strings.Cut(rest, " ")
		rest = strings.TrimSpace(rest)
	}
	var v any
	var err error
	switch {
	case rest == "":
		p.skipBlank()
		if p.i < len(p.lines) && p.lines[p.i].indent > parent {
			v, err = p.block(p.lines[p.i].indent)
		} else if p.i < len(p.lines) && p.lines[p.i].indent == parent && isSeqItem(p.lines[p.i].text) && tag == "" {
			v, err = p.seq(parent) // "key:" followed by "- item" at the key's indentation
		}
	case rest == "|" || rest == "|-" || rest == ">" || rest == ">-":
		v = p.blockScalar(rest, parent)
	default:
		v, err = scalarOrFlow(rest, n)
	}
	if err != nil {
		return nil, err
	}
	if tag != "" {
		return applyTag(tag, v, n)
	}
	return v, nil
}

func (p *yparser) blockScalar(style string, parent int) string {
	var lines []string
	indent := -1
	for p.i < len(p.lines) {
		l := p.lines[p.i]
		if strings.TrimSpace(l.raw) == "" {
			lines = append(lines, "")
			p.i++
			continue
		}
		if l.indent <= parent {
			break
		}
		if indent < 0 {
			indent = l.indent
		}
		lines = append(lines, l.raw[min(indent, len(l.raw)):])
		p.i++
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	sep := "\n"
	if strings.HasPrefix(style, ">") {
		sep = " "
	}
	s := strings.Join(lines, sep)
	if !strings.HasSuffix(style, "-") {
		s += "\n"
	}
	return s
}

func scalarOrFlow(s string, n int) (any, error) {
	if strings.HasPrefix(s, "{") {
		return nil, fmt.Errorf("line %d: flow mappings are not supported by this parser", n)
	}
	if strings.HasPrefix(s, "&") || strings.HasPrefix(s, "*") {
		return nil, fmt.Errorf("line %d: anchors and aliases are not supported by this parser", n)
	}
	if !strings.HasPrefix(s, "[") {
		return scalar(s, n)
	}
	if !strings.HasSuffix(s, "]") {
		return nil, fmt.Errorf("line %d: unterminated flow sequence", n)
	}
	inner := strings.TrimSpace(s[1 : len(s)-1])
	out := []any{}
	if inner == "" {
		return out, nil
	}
	for _, part := range splitFlow(inner) {
		part = strings.TrimSpace(part)
		if strings.ContainsAny(part[:1], "[{") {
			return nil, fmt.Errorf("line %d: nested flow collections are not supported by this parser", n)
		}
		tag := ""
		if strings.HasPrefix(part, "!") {
			tag, part, _ = strings.Cut(part, " ")
		}
		v, err := scalar(strings.TrimSpace(part), n)
		if err != nil {
			return nil, err
		}
		if tag != "" {
			if v, err = applyTag(tag, v, n); err != nil {
				return nil, err
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// splitFlow splits on commas outside quotes.
func splitFlow(s string) []string {
	var parts []string
	start := 0
	eachUnquoted(s, func(i int) bool {
		if s[i] == ',' {
			parts = append(parts, s[start:i])
			start = i + 1
		}
		return true
	})
	return append(parts, s[start:])
}

// scalar keeps plain scalars as strings (CloudFormation reads 'true' and true alike), except
// that ~ and null are nil.
func scalar(s string, n int) (any, error) {
	switch {
	case strings.HasPrefix(s, "'"):
		if len(s) < 2 || !strings.HasSuffix(s, "'") {
			return nil, fmt.Errorf("line %d: unterminated quoted string", n)
		}
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'"), nil
	case strings.HasPrefix(s, `"`):
		if len(s) < 2 || !strings.HasSuffix(s, `"`) {
			return nil, fmt.Errorf("line %d: unterminated quoted string", n)
		}
		r := strings.NewReplacer(`\\`, `\`, `\"`, `"`, `\n`, "\n", `\t`, "\t")
		return r.Replace(s[1 : len(s)-1]), nil
	case s == "~" || s == "null":
		return nil, nil
	}
	return s, nil
}

func applyTag(tag string, v any, n int) (any, error) {
	name := strings.TrimPrefix(tag, "!")
	switch name {
	case "Ref", "Condition":
		return map[string]any{name: v}, nil
	case "GetAtt":
		if s, ok := v.(string); ok {
			res, attr, found := strings.Cut(s, ".")
			if !found {
				return nil, fmt.Errorf("line %d: !GetAtt %q is not RESOURCE.ATTRIBUTE", n, s)
			}
			return map[string]any{"Fn::GetAtt": []any{res, attr}}, nil
		}
		return map[string]any{"Fn::GetAtt": v}, nil
	case "Sub", "If", "Equals", "Not", "And", "Or", "Join", "Select", "Split", "FindInMap",
		"GetAZs", "ImportValue", "Base64", "Cidr", "ToJsonString", "Length":
		return map[string]any{"Fn::" + name: v}, nil
	}
	return nil, fmt.Errorf("line %d: unknown tag %s", n, tag)
}
