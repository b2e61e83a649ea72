package logs

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// matcher decides whether a log event's message matches a filter pattern.
type matcher func(msg string) bool

// compileFilter compiles a CloudWatch Logs filter pattern
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html):
//
//   - unstructured text: terms separated by spaces must all occur (case-sensitive); "a quoted
//     phrase" is one term; a term starting with ? is one of alternatives (any of them
//     suffices); a term starting with - must not occur; %regex% is a regular expression;
//   - JSON: { $.field = value } with =, !=, <, <=, >, >= (strings with * wildcards, numbers),
//     IS TRUE / IS FALSE / IS NULL / NOT EXISTS, combined with && and || and parentheses.
//
// Space-delimited patterns ([a, b, ...]) are refused with an explanation.
func compileFilter(pattern string) (matcher, error) {
	p := strings.TrimSpace(pattern)
	switch {
	case p == "" || p == `""`:
		return func(string) bool { return true }, nil
	case strings.HasPrefix(p, "{"):
		return compileJSONFilter(p)
	case strings.HasPrefix(p, "["):
		return nil, fmt.Errorf("space-delimited filter patterns ([...]) are not supported by the local endpoint; use terms, \"quoted phrases\" or a JSON pattern { $.field = value }")
	}
	var all, none []string
	var any []string
	var regexps []*regexp.Regexp
	for _, t := range splitTerms(p) {
		neg, opt := false, false
		if strings.HasPrefix(t.text, "-") && !t.quoted {
			neg, t.text = true, t.text[1:]
		} else if strings.HasPrefix(t.text, "?") && !t.quoted {
			opt, t.text = true, t.text[1:]
			if u, err := strconv.Unquote(t.text); err == nil && strings.HasPrefix(t.text, `"`) {
				t.text = u
			}
		}
		if t.text == "" {
			continue
		}
		if !t.quoted && len(t.text) > 2 && strings.HasPrefix(t.text, "%") && strings.HasSuffix(t.text, "%") {
			re, err := regexp.Compile(t.text[1 : len(t.text)-1])
			if err != nil {
				return nil, fmt.Errorf("invalid regular expression %s in the filter pattern: %v", t.text, err)
			}
			regexps = append(regexps, re)
			continue
		}
		switch {
		case neg:
			none = append(none, t.text)
		case opt:
			any = append(any, t.text)
		default:
			all = append(all, t.text)
		}
	}
	return func(msg string) bool {
		for _, t := range all {
			if !strings.Contains(msg, t) {
				return false
			}
		}
		for _, t := range none {
			if strings.Contains(msg, t) {
				return false
			}
		}
		for _, re := range regexps {
			if !re.MatchString(msg) {
				return false
			}
		}
		if len(any) == 0 {
			return true
		}
		for _, t := range any {
			if strings.Contains(msg, t) {
				return true
			}
		}
		return false
	}, nil
}

type term struct {
	text   string
	quoted bool
}

// splitTerms splits on spaces outside double quotes; a quoted term loses its quotes.
func splitTerms(p string) []term {
	var out []term
	i := 0
	for i < len(p) {
		for i < len(p) && p[i] == ' ' {
			i++
		}
		if i >= len(p) {
			break
		}
		prefix := ""
		if (p[i] == '?' || p[i] == '-') && i+1 < len(p) && p[i+1] == '"' {
			prefix = p[i : i+1]
			i++
		}
		if p[i] == '"' {
			j := i + 1
			var b strings.Builder
			for j < len(p) && p[j] != '"' {
				if p[j] == '\\' && j+1 < len(p) {
					j++
				}
				b.WriteByte(p[j])
				j++
			}
			t := term{text: b.String(), quoted: prefix == ""}
			if prefix != "" {
				t.text = prefix + t.text
			}
			out = append(out, t)
			i = j + 1
			continue
		}
		j := i
		if p[i] == '%' {
			// %regex% runs to its closing %, spaces included.
			if k := strings.IndexByte(p[i+1:], '%'); k >= 0 {
				j = i + k + 2
			}
		}
		for j < len(p) && p[j] != ' ' {
			j++
		}
		out = append(out, term{text: p[i:j]})
		i = j
	}
	return out
}

// ---- JSON patterns ----

type jsonExpr interface{ eval(doc any) bool }

type jsonAnd struct{ l, r jsonExpr }
type jsonOr struct{ l, r jsonExpr }

func (e jsonAnd) eval(d any) bool { return e.l.eval(d) && e.r.eval(d) }
func (e jsonOr) eval(d any) bool  { return e.l.eval(d) || e.r.eval(d) }

type jsonCmp struct {
	path    []string // field names and [index] steps
	op      string   // = != < <= > >= IS_TRUE IS_FALSE IS_NULL NOT_EXISTS
	str     string
	num     float64
	isNum   bool
	pattern *regexp.Regexp // for strings with *
}

func compileJSONFilter(p string) (matcher, error) {
	if !strings.HasSuffix(p, "}") {
		return nil, fmt.Errorf("invalid JSON filter pattern %q: it must end with }", p)
	}
	lx := &jsonLexer{s: strings.TrimSpace(p[1 : len(p)-1])}
	e, err := lx.parseOr()
	if err != nil {
		return nil, fmt.Errorf("invalid JSON filter pattern %q: %v", p, err)
	}
	if lx.skip(); lx.i < len(lx.s) {
		return nil, fmt.Errorf("invalid JSON filter pattern %q: unexpected %q", p, lx.s[lx.i:])
	}
	return func(msg string) bool {
		if !strings.HasPrefix(strings.TrimSpace(msg), "{") {
			return false
		}
		var doc any
		if json.Unmarshal([]byte(msg), &doc) != nil {
			return false
		}
		return e.eval(doc)
	}, nil
}

type jsonLexer struct {
	s string
	i int
}

func (l *jsonLexer) skip() {
	for l.i < len(l.s) && (l.s[l.i] == ' ' || l.s[l.i] == '\t') {
		l.i++
	}
}

func (l *jsonLexer) eat(tok string) bool {
	l.skip()
	if strings.HasPrefix(l.s[l.i:], tok) {
		l.i += len(tok)
		return true
	}
	return false
}

func (l *jsonLexer) parseOr() (jsonExpr, error) {
	e, err := l.parseAnd()
	for err == nil && l.eat("||") {
		var r jsonExpr
		if r, err = l.parseAnd(); err == nil {
			e = jsonOr{e, r}
		}
	}
	return e, err
}

func (l *jsonLexer) parseAnd() (jsonExpr, error) {
	e, err := l.parseUnit()
	for err == nil && l.eat("&&") {
		var r jsonExpr
		if r, err = l.parseUnit(); err == nil {
			e = jsonAnd{e, r}
		}
	}
	return e, err
}

func (l *jsonLexer) parseUnit() (jsonExpr, error) {
	if l.eat("(") {
		e, err := l.parseOr()
		if err != nil {
			return nil, err
		}
		if !l.eat(")") {
			return nil, fmt.Errorf("missing )")
		}
		return e, nil
	}
	l.skip()
	if !strings.HasPrefix(l.s[l.i:], "$") {
		return nil, fmt.Errorf("expected a selector starting with $ at %q", l.s[l.i:])
	}
	j := l.i + 1
	for j < len(l.s) && !strings.ContainsRune(" =!<>)&|\t", rune(l.s[j])) {
		j++
	}
	sel := l.s[l.i+1 : j]
	l.i = j
	var path []string
	for _, part := range strings.Split(strings.TrimPrefix(sel, "."), ".") {
		if part == "" {
			continue
		}
		for {
			k := strings.IndexByte(part, '[')
			if k < 0 {
				path = append(path, part)
				break
			}
			if k > 0 {
				path = append(path, part[:k])
			}
			end := strings.IndexByte(part, ']')
			if end < k {
				return nil, fmt.Errorf("bad selector $%s", sel)
			}
			path = append(path, part[k:end+1])
			part = part[end+1:]
			if part == "" {
				break
			}
		}
	}
	c := &jsonCmp{path: path}
	switch {
	case l.eat("IS TRUE"):
		c.op = "IS_TRUE"
		return c, nil
	case l.eat("IS FALSE"):
		c.op = "IS_FALSE"
		return c, nil
	case l.eat("IS NULL"):
		c.op = "IS_NULL"
		return c, nil
	case l.eat("NOT EXISTS"):
		c.op = "NOT_EXISTS"
		return c, nil
	}
	for _, op := range []string{"!=", "<=", ">=", "=", "<", ">"} {
		if l.eat(op) {
			c.op = op
			break
		}
	}
	if c.op == "" {
		return nil, fmt.Errorf("expected an operator after $%s", sel)
	}
	l.skip()
	if l.i < len(l.s) && l.s[l.i] == '"' {
		j := l.i + 1
		for j < len(l.s) && l.s[j] != '"' {
			if l.s[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(l.s) {
			return nil, fmt.Errorf("unterminated string")
		}
		v, err := strconv.Unquote(l.s[l.i : j+1])
		if err != nil {
			v = l.s[l.i+1 : j]
		}
		c.str = v
		l.i = j + 1
	} else {
		j := l.i
		for j < len(l.s) && !strings.ContainsRune(" )&|\t", rune(l.s[j])) {
			j++
		}
		c.str = l.s[l.i:j]
		l.i = j
		if c.str == "" {
			return nil, fmt.Errorf("expected a value after $%s %s", sel, c.op)
		}
		if f, err := strconv.ParseFloat(c.str, 64); err == nil {
			c.num, c.isNum = f, true
		}
	}
	if (c.op == "<" || c.op == "<=" || c.op == ">" || c.op == ">=") && !c.isNum {
		return nil, fmt.Errorf("%s needs a number, not %q", c.op, c.str)
	}
	if strings.Contains(c.str, "*") && !c.isNum {
		parts := strings.Split(c.str, "*")
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		c.pattern = regexp.MustCompile("^" + strings.Join(parts, ".*") + "$")
	}
	return c, nil
}

func (c *jsonCmp) eval(doc any) bool {
	v, ok := doc, true
	for _, step := range c.path {
		if strings.HasPrefix(step, "[") {
			arr, isArr := v.([]any)
			n, err := strconv.Atoi(strings.Trim(step, "[]"))
			if step == "[*]" && isArr {
				rest := &jsonCmp{path: nil}
				*rest = *c
				rest.path = c.path[indexOf(c.path, step)+1:]
				for _, el := range arr {
					if rest.eval(el) {
						return true
					}
				}
				return false
			}
			if !isArr || err != nil || n < 0 || n >= len(arr) {
				ok = false
				break
			}
			v = arr[n]
			continue
		}
		m, isMap := v.(map[string]any)
		if !isMap {
			ok = false
			break
		}
		if v, ok = m[step]; !ok {
			break
		}
	}
	switch c.op {
	case "NOT_EXISTS":
		return !ok
	case "IS_NULL":
		return ok && v == nil
	case "IS_TRUE":
		return ok && v == true
	case "IS_FALSE":
		return ok && v == false
	}
	if !ok {
		return false
	}
	var eq bool
	switch x := v.(type) {
	case float64:
		if !c.isNum {
			return c.op == "!="
		}
		switch c.op {
		case "=":
			return x == c.num
		case "!=":
			return x != c.num
		case "<":
			return x < c.num
		case "<=":
			return x <= c.num
		case ">":
			return x > c.num
		case ">=":
			return x >= c.num
		}
	case string:
		if c.pattern != nil {
			eq = c.pattern.MatchString(x)
		} else {
			eq = x == c.str
		}
	case bool:
		eq = strconv.FormatBool(x) == c.str
	default:
		return false
	}
	switch c.op {
	case "=":
		return eq
	case "!=":
		return !eq
	}
	return false
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}
