package main

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdJenkinsCheck checks a generated Jenkinsfile against the GitHub workflow of the same
// project: jenkinscheck JENKINSFILE WORKFLOW. The Jenkinsfile is read by a small Groovy block
// scanner written here (comments, the four string forms, balanced braces; no Jenkins is
// available to lint it), then checked against the declarative pipeline's structure (one
// pipeline with agent, options, environment and stages; each stage with steps; the rollout
// stage only on the workflow's branch), and each stage's shell commands must equal those of
// the workflow job of the same name (PyYAML reads the workflow), in order.
func cmdJenkinsCheck(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: jenkinscheck JENKINSFILE WORKFLOW")
	}
	src, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	doc, err := pyYAML(ts.MkAbs(args[1]))
	ts.Check(err)
	wf, _ := doc.(map[string]any)
	problems := checkJenkinsfile(string(src), wf)
	switch {
	case neg && len(problems) == 0:
		ts.Fatalf("%s passed the Jenkinsfile check", filepath.Base(args[0]))
	case !neg && len(problems) > 0:
		ts.Fatalf("%s fails the Jenkinsfile check:\n  %s", filepath.Base(args[0]), strings.Join(problems, "\n  "))
	case neg:
		ts.Logf("Jenkinsfile problems (expected): %s", strings.Join(problems, "; "))
	}
}

// groovyBlock is one `head { ... }` of a Groovy file: its statements (the text at its own
// depth, one per line) and its nested blocks, in order.
type groovyBlock struct {
	head  string
	items []any // string (a statement) or *groovyBlock
}

func (b *groovyBlock) blocks() []*groovyBlock {
	var out []*groovyBlock
	for _, it := range b.items {
		if c, ok := it.(*groovyBlock); ok {
			out = append(out, c)
		}
	}
	return out
}

func (b *groovyBlock) child(head string) *groovyBlock {
	for _, c := range b.blocks() {
		if c.head == head {
			return c
		}
	}
	return nil
}

// parseGroovy scans src into blocks. Strings keep their quotes (statements are decoded later).
func parseGroovy(src string) (*groovyBlock, error) {
	root := &groovyBlock{}
	stack := []*groovyBlock{root}
	var cur strings.Builder
	line := 1
	flush := func() {
		if s := strings.TrimSpace(cur.String()); s != "" {
			top := stack[len(stack)-1]
			top.items = append(top.items, s)
		}
		cur.Reset()
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case strings.HasPrefix(src[i:], "//"):
			for i < len(src) && src[i] != '\n' {
				i++
			}
			i--
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, fmt.Errorf("line %d: unterminated comment", line)
			}
			line += strings.Count(src[i:i+2+end], "\n")
			i += end + 3
		case strings.HasPrefix(src[i:], "'''") || strings.HasPrefix(src[i:], `"""`):
			q := src[i : i+3]
			end := strings.Index(src[i+3:], q)
			if end < 0 {
				return nil, fmt.Errorf("line %d: unterminated %s string", line, q)
			}
			cur.WriteString(src[i : i+6+end])
			line += strings.Count(src[i:i+6+end], "\n")
			i += end + 5
		case c == '\'' || c == '"':
			j := i + 1
			for ; j < len(src) && src[j] != c; j++ {
				if src[j] == '\\' {
					j++
				} else if src[j] == '\n' {
					return nil, fmt.Errorf("line %d: unterminated string", line)
				}
			}
			if j >= len(src) {
				return nil, fmt.Errorf("line %d: unterminated string", line)
			}
			cur.WriteString(src[i : j+1])
			i = j
		case c == '{':
			b := &groovyBlock{head: strings.TrimSpace(cur.String())}
			cur.Reset()
			top := stack[len(stack)-1]
			top.items = append(top.items, b)
			stack = append(stack, b)
		case c == '}':
			flush()
			if len(stack) == 1 {
				return nil, fmt.Errorf("line %d: } closes nothing", line)
			}
			stack = stack[:len(stack)-1]
		case c == '\n':
			flush()
			line++
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	if len(stack) != 1 {
		return nil, fmt.Errorf("%d blocks left open (from %q)", len(stack)-1, stack[len(stack)-1].head)
	}
	return root, nil
}

// groovyString decodes one single- or double-quoted Groovy string literal (no interpolation).
func groovyString(lit string) (string, bool) {
	if len(lit) < 2 || (lit[0] != '\'' && lit[0] != '"') || lit[len(lit)-1] != lit[0] {
		return "", false
	}
	var b strings.Builder
	body := lit[1 : len(lit)-1]
	for i := 0; i < len(body); i++ {
		if body[i] == '\\' && i+1 < len(body) {
			i++
			switch body[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(body[i])
			}
			continue
		}
		b.WriteByte(body[i])
	}
	return b.String(), true
}

// shScript is the script of an sh step statement: sh '...' or sh(label: '...', script: '...').
func shScript(stmt string) (string, bool) {
	switch {
	case strings.HasPrefix(stmt, "sh '") || strings.HasPrefix(stmt, `sh "`):
		return groovyString(strings.TrimSpace(stmt[3:]))
	case strings.HasPrefix(stmt, "sh(") && strings.HasSuffix(stmt, ")"):
		i := strings.Index(stmt, "script: ")
		if i < 0 {
			return "", false
		}
		rest := strings.TrimSuffix(stmt[i+len("script: "):], ")")
		if j := strings.Index(rest, ", label:"); j >= 0 {
			rest = rest[:j]
		}
		return groovyString(strings.TrimSpace(rest))
	}
	return "", false
}

// commandLines splits a script into its commands, leaving out the interpreter line and set
// options, prefixed with (cd DIR && ...) inside dir(DIR).
func commandLines(script, dir string) []string {
	var out []string
	for _, l := range strings.Split(script, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#!") || strings.HasPrefix(l, "set -") {
			continue
		}
		if dir != "" {
			l = "(cd " + dir + " && " + l + ")"
		}
		out = append(out, l)
	}
	return out
}

func stageCommands(b *groovyBlock, dir string, problems *[]string) []string {
	var out []string
	for _, it := range b.items {
		switch x := it.(type) {
		case string:
			if strings.HasPrefix(x, "sh") {
				s, ok := shScript(x)
				if !ok {
					*problems = append(*problems, fmt.Sprintf("an sh step whose script cannot be read: %s", x))
					continue
				}
				out = append(out, commandLines(s, dir)...)
			}
		case *groovyBlock:
			d := dir
			if strings.HasPrefix(x.head, "dir(") {
				if v, ok := groovyString(strings.TrimSuffix(strings.TrimPrefix(x.head, "dir("), ")")); ok {
					d = v
				}
			}
			out = append(out, stageCommands(x, d, problems)...)
		}
	}
	return out
}

func checkJenkinsfile(src string, wf map[string]any) []string {
	var problems []string
	errf := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	root, err := parseGroovy(src)
	if err != nil {
		return []string{err.Error()}
	}
	if len(root.items) != 1 || root.child("pipeline") == nil {
		return []string{fmt.Sprintf("want one top-level pipeline { } block, got %d items", len(root.items))}
	}
	p := root.child("pipeline")
	hasAgent := p.child("agent") != nil
	for _, it := range p.items {
		if s, ok := it.(string); ok && strings.HasPrefix(s, "agent ") {
			hasAgent = true
		} else if ok {
			errf("pipeline: unexpected statement %q", s)
		}
	}
	if !hasAgent {
		errf("pipeline: no agent")
	}
	allowed := map[string]bool{"agent": true, "options": true, "environment": true, "stages": true, "post": true, "triggers": true, "parameters": true}
	for _, b := range p.blocks() {
		if !allowed[b.head] {
			errf("pipeline: unexpected section %q", b.head)
		}
	}
	if o := p.child("options"); o == nil || !reflect.DeepEqual(o.items, []any{"disableConcurrentBuilds()"}) {
		errf("pipeline: options must be disableConcurrentBuilds() (one deploy at a time)")
	}
	stages := p.child("stages")
	if stages == nil {
		return append(problems, "pipeline: no stages")
	}
	byName := map[string]*groovyBlock{}
	var names []string
	for _, it := range stages.items {
		b, ok := it.(*groovyBlock)
		if !ok || !strings.HasPrefix(b.head, "stage(") {
			errf("stages: want only stage('NAME') { } blocks, got %v", it)
			continue
		}
		name, ok := groovyString(strings.TrimSuffix(strings.TrimPrefix(b.head, "stage("), ")"))
		if !ok {
			errf("stage %s: name is not a string", b.head)
			continue
		}
		names = append(names, name)
		byName[name] = b
		if b.child("steps") == nil {
			errf("stage %s: no steps", name)
		}
		for _, c := range b.blocks() {
			switch c.head {
			case "steps", "when", "environment", "post", "options", "agent":
			default:
				errf("stage %s: unexpected section %q", name, c.head)
			}
		}
	}

	// The workflow's jobs, by name, with their commands.
	jobs, _ := wf["jobs"].(map[string]any)
	var branch string
	if on, ok := wf["on"].(map[string]any); ok {
		if push, ok := on["push"].(map[string]any); ok {
			if bs, ok := push["branches"].([]any); ok && len(bs) == 1 {
				branch, _ = bs[0].(string)
			}
		}
	}
	var jobNames []string
	for _, id := range []string{"check", "rollout"} {
		job, _ := jobs[id].(map[string]any)
		name, _ := job["name"].(string)
		jobNames = append(jobNames, name)
		var want []string
		steps, _ := job["steps"].([]any)
		for _, st := range steps {
			m, _ := st.(map[string]any)
			run, ok := m["run"].(string)
			if !ok {
				continue
			}
			dir, _ := m["working-directory"].(string)
			want = append(want, commandLines(run, dir)...)
		}
		b := byName[name]
		if b == nil {
			continue
		}
		got := stageCommands(b.child("steps"), "", &problems)
		if !reflect.DeepEqual(got, want) {
			errf("stage %s: commands\n    %s\n  the workflow's job %s runs\n    %s", name, strings.Join(got, "\n    "), id, strings.Join(want, "\n    "))
		}
	}
	if !reflect.DeepEqual(names, jobNames) {
		errf("stages %q, the workflow's jobs %q", names, jobNames)
	}
	if r := byName["rollout"]; r != nil {
		w := r.child("when")
		if w == nil || !reflect.DeepEqual(w.items, []any{"branch '" + branch + "'"}) {
			errf("stage rollout: want when { branch '%s' } (the workflow's push branch)", branch)
		}
	}
	if b := byName["build and test"]; b != nil && b.child("when") != nil {
		errf("stage build and test: runs on every change, no when")
	}
	return problems
}

// The scanner and the checks on small inputs: what they must refuse.
func TestJenkinsfileCheck(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"open block", "pipeline {\n agent any\n", "blocks left open"},
		{"unterminated string", "pipeline {\n sh 'x\n}\n", "unterminated string"},
		{"extra close", "pipeline {\n}\n}\n", "closes nothing"},
		{"no pipeline", "node {\n}\n", "want one top-level pipeline"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := checkJenkinsfile(tc.src, map[string]any{})
			if len(p) == 0 || !strings.Contains(strings.Join(p, "\n"), tc.want) {
				t.Fatalf("problems %q, want %q", p, tc.want)
			}
		})
	}
	if s, ok := shScript(`sh(label: 'rollout a', script: '#!/bin/bash\nset -eo pipefail\nagentcore rollout a --through \'x|y\' | tee r.jsonl')`); !ok ||
		!reflect.DeepEqual(commandLines(s, ""), []string{"agentcore rollout a --through 'x|y' | tee r.jsonl"}) {
		t.Fatalf("sh script %q", s)
	}
}
