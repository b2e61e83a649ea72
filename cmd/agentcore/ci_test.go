package main

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdCISchema checks a generated pipeline file: cischema github|gitlab FILE. The file is parsed
// by PyYAML (an independent YAML 1.1 parser: it also catches the `on:` key that YAML 1.1 reads
// as true), then checked against the structure of the GitHub Actions workflow syntax or the
// GitLab CI file syntax that agentcore ci init generates: a focused structural schema written
// here (the official JSON schemas are large and need the network), covering the required keys,
// the job structure, the triggers, the concurrency settings and the OIDC credentials.
func cmdCISchema(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: cischema github|gitlab FILE")
	}
	path := ts.MkAbs(args[1])
	doc, err := pyYAML(path)
	if err != nil {
		if neg {
			return
		}
		ts.Fatalf("%v", err)
	}
	var problems []string
	switch args[0] {
	case "github":
		problems = checkGitHubWorkflow(doc)
	case "gitlab":
		problems = checkGitLabCI(doc)
	default:
		ts.Fatalf("cischema: unknown kind %q", args[0])
	}
	switch {
	case neg && len(problems) == 0:
		ts.Fatalf("%s passed the %s schema check", filepath.Base(path), args[0])
	case !neg && len(problems) > 0:
		ts.Fatalf("%s fails the %s schema check:\n  %s", filepath.Base(path), args[0], strings.Join(problems, "\n  "))
	}
	if neg {
		ts.Logf("schema problems (expected): %s", strings.Join(problems, "; "))
	}
}

// pyYAML reads a YAML file with PyYAML, an independent parser, as JSON values.
func pyYAML(path string) (any, error) {
	out, err := exec.Command("python3", "-c", `import json, sys, yaml
with open(sys.argv[1]) as f:
    doc = yaml.safe_load(f)
json.dump(doc, sys.stdout)`, path).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%s is not YAML: %v\n%s", filepath.Base(path), err, out)
	}
	var doc any
	if err := json.Unmarshal(out, &doc); err != nil {
		return nil, fmt.Errorf("decoding PyYAML's answer: %v", err)
	}
	return doc, nil
}

type checker struct{ problems []string }

func (c *checker) errf(format string, a ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, a...))
}

func (c *checker) mapping(path string, v any) map[string]any {
	m, ok := v.(map[string]any)
	if !ok {
		c.errf("%s: want a mapping, got %T", path, v)
		return map[string]any{}
	}
	return m
}

func (c *checker) list(path string, v any) []any {
	l, ok := v.([]any)
	if !ok {
		c.errf("%s: want a list, got %T", path, v)
	}
	return l
}

func (c *checker) str(path string, v any) string {
	s, ok := v.(string)
	if !ok || s == "" {
		c.errf("%s: want a non-empty string, got %T %v", path, v, v)
	}
	return s
}

// only reports keys outside the allowed set.
func (c *checker) only(path string, m map[string]any, allowed ...string) {
	ok := map[string]bool{}
	for _, a := range allowed {
		ok[a] = true
	}
	for _, k := range sortedMapKeys(m) {
		if !ok[k] {
			c.errf("%s: unknown key %q", path, k)
		}
	}
}

func (c *checker) require(path string, m map[string]any, keys ...string) {
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			c.errf("%s: missing %q", path, k)
		}
	}
}

func sortedMapKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// checkGitHubWorkflow: the workflow syntax of GitHub Actions (docs.github.com, "Workflow syntax
// for GitHub Actions"), as far as agentcore's workflow uses it, plus what the pipeline must do.
func checkGitHubWorkflow(doc any) []string {
	c := &checker{}
	top := c.mapping("workflow", doc)
	c.only("workflow", top, "name", "run-name", "on", "permissions", "env", "defaults", "concurrency", "jobs")
	c.require("workflow", top, "on", "jobs")
	on := c.mapping("on", top["on"])
	c.only("on", on, "pull_request", "push", "workflow_dispatch", "merge_group", "schedule")
	if _, ok := on["pull_request"]; !ok {
		c.errf("on: no pull_request trigger (changes must be built and tested)")
	}
	push := c.mapping("on.push", on["push"])
	branches := c.list("on.push.branches", push["branches"])
	if len(branches) == 0 {
		c.errf("on.push.branches: empty")
	}
	jobs := c.mapping("jobs", top["jobs"])
	if len(jobs) == 0 {
		c.errf("jobs: none")
	}
	var rollout map[string]any
	for _, id := range sortedMapKeys(jobs) {
		p := "jobs." + id
		job := c.mapping(p, jobs[id])
		c.only(p, job, "name", "needs", "if", "runs-on", "permissions", "environment", "concurrency", "outputs",
			"env", "defaults", "steps", "timeout-minutes", "strategy", "continue-on-error", "container", "services")
		c.require(p, job, "runs-on", "steps")
		c.str(p+".runs-on", job["runs-on"])
		if n, ok := job["needs"]; ok {
			need, _ := n.(string)
			if _, ok := jobs[need]; !ok {
				c.errf("%s.needs: %v is not a job", p, n)
			}
		}
		steps := c.list(p+".steps", job["steps"])
		if len(steps) == 0 {
			c.errf("%s.steps: none", p)
		}
		deploys := false
		for i, s := range steps {
			sp := fmt.Sprintf("%s.steps[%d]", p, i)
			step := c.mapping(sp, s)
			c.only(sp, step, "id", "if", "name", "uses", "run", "shell", "with", "env", "working-directory",
				"continue-on-error", "timeout-minutes")
			_, uses := step["uses"]
			_, run := step["run"]
			if uses == run {
				c.errf("%s: a step has exactly one of uses and run", sp)
			}
			if uses {
				u := c.str(sp+".uses", step["uses"])
				if !strings.Contains(u, "@") {
					c.errf("%s.uses: %q has no version (@v4)", sp, u)
				}
				if w, ok := step["with"]; ok {
					for k, v := range c.mapping(sp+".with", w) {
						switch v.(type) {
						case string, bool, float64:
						default:
							c.errf("%s.with.%s: inputs are scalars, got %T", sp, k, v)
						}
					}
				}
				if strings.HasPrefix(u, "aws-actions/configure-aws-credentials@") {
					with := c.mapping(sp+".with", step["with"])
					c.require(sp+".with", with, "role-to-assume", "aws-region")
				}
			} else {
				r := c.str(sp+".run", step["run"])
				if strings.Contains(r, "agentcore rollout ") {
					deploys = true
					for _, want := range []string{"--through ", "-o json"} {
						if !strings.Contains(r, want) {
							c.errf("%s.run: rollout without %q: %s", sp, want, r)
						}
					}
				}
			}
		}
		if deploys {
			rollout = job
			perms := c.mapping(p+".permissions", job["permissions"])
			if perms["id-token"] != "write" {
				c.errf("%s.permissions: id-token must be write (OIDC credentials)", p)
			}
			conc := c.mapping(p+".concurrency", job["concurrency"])
			c.str(p+".concurrency.group", conc["group"])
			if conc["cancel-in-progress"] != false {
				c.errf("%s.concurrency.cancel-in-progress: must be false (a deploy is never cancelled half-way)", p)
			}
			if cond, _ := job["if"].(string); !strings.Contains(cond, "github.ref == 'refs/heads/") {
				c.errf("%s.if: %q does not restrict the rollout to a branch", p, job["if"])
			}
			if _, ok := job["environment"]; ok {
				c.errf("%s.environment: a GitHub environment changes the token's sub claim, which the deploy role pins to the branch", p)
			}
		} else if perms, ok := job["permissions"].(map[string]any); ok && perms["id-token"] == "write" {
			c.errf("%s: asks for an OIDC token without deploying", p)
		}
	}
	if rollout == nil {
		c.errf("jobs: no job runs agentcore rollout")
	}
	return c.problems
}

// gitlabKeywords are the global keywords of .gitlab-ci.yml (docs.gitlab.com, "CI/CD YAML
// syntax reference"); every other top-level key is a job (or a hidden .template).
var gitlabKeywords = map[string]bool{"default": true, "include": true, "stages": true, "variables": true, "workflow": true}

func checkGitLabCI(doc any) []string {
	c := &checker{}
	top := c.mapping("file", doc)
	stages := map[string]bool{}
	for i, s := range c.list("stages", top["stages"]) {
		stages[c.str(fmt.Sprintf("stages[%d]", i), s)] = true
	}
	vars, _ := top["variables"].(map[string]any)
	for k, v := range vars {
		if _, ok := v.(string); !ok {
			c.errf("variables.%s: want a string, got %T", k, v)
		}
	}
	if d, ok := top["default"]; ok {
		def := c.mapping("default", d)
		c.only("default", def, "image", "services", "cache", "before_script", "after_script", "artifacts", "tags", "retry", "timeout", "interruptible")
		if cache, ok := def["cache"]; ok {
			cm := c.mapping("default.cache", cache)
			c.require("default.cache", cm, "key", "paths")
			if key, ok := cm["key"].(map[string]any); ok {
				files := c.list("default.cache.key.files", key["files"])
				if len(files) == 0 || len(files) > 2 {
					c.errf("default.cache.key.files: GitLab takes one or two files, got %d", len(files))
				}
			}
		}
	}
	jobs := map[string]map[string]any{}
	for _, k := range sortedMapKeys(top) {
		if gitlabKeywords[k] || strings.HasPrefix(k, ".") {
			continue
		}
		jobs[k] = c.mapping(k, top[k])
	}
	if len(jobs) == 0 {
		c.errf("file: no jobs")
	}
	deployJobs := 0
	for _, name := range sortedMapKeys(anyMap(jobs)) {
		job := jobs[name]
		c.only(name, job, "stage", "image", "services", "script", "before_script", "after_script", "rules", "needs",
			"variables", "resource_group", "id_tokens", "artifacts", "cache", "environment", "tags", "timeout",
			"retry", "interruptible", "when", "allow_failure")
		c.require(name, job, "stage", "script")
		if st := c.str(name+".stage", job["stage"]); !stages[st] {
			c.errf("%s.stage: %q is not in stages", name, st)
		}
		script := c.list(name+".script", job["script"])
		if len(script) == 0 {
			c.errf("%s.script: empty", name)
		}
		for i, r := range asAnyList(job["rules"]) {
			rule := c.mapping(fmt.Sprintf("%s.rules[%d]", name, i), r)
			c.only(fmt.Sprintf("%s.rules[%d]", name, i), rule, "if", "when", "changes", "exists", "variables")
		}
		for i, n := range asAnyList(job["needs"]) {
			if _, ok := jobs[c.str(fmt.Sprintf("%s.needs[%d]", name, i), n)]; !ok {
				c.errf("%s.needs: %v is not a job", name, n)
			}
		}
		deploys := false
		for i, line := range script {
			l := c.str(fmt.Sprintf("%s.script[%d]", name, i), line)
			if strings.Contains(l, "agentcore rollout ") {
				deploys = true
				for _, want := range []string{"--through ", "-o json"} {
					if !strings.Contains(l, want) {
						c.errf("%s.script[%d]: rollout without %q", name, i, want)
					}
				}
			}
		}
		if !deploys {
			if _, ok := job["id_tokens"]; ok {
				c.errf("%s: asks for an OIDC token without deploying", name)
			}
			continue
		}
		deployJobs++
		c.str(name+".resource_group", job["resource_group"])
		tokens := c.mapping(name+".id_tokens", job["id_tokens"])
		if len(tokens) == 0 {
			c.errf("%s.id_tokens: none", name)
		}
		vars := c.mapping(name+".variables", job["variables"])
		c.require(name+".variables", vars, "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE")
		for tok, spec := range tokens {
			c.str(name+".id_tokens."+tok+".aud", c.mapping(name+".id_tokens."+tok, spec)["aud"])
		}
		branchRule := false
		for _, r := range asAnyList(job["rules"]) {
			if m, ok := r.(map[string]any); ok && strings.Contains(fmt.Sprint(m["if"]), "$CI_COMMIT_BRANCH == ") {
				branchRule = true
			}
		}
		if !branchRule {
			c.errf("%s.rules: the rollout is not restricted to a branch", name)
		}
	}
	if deployJobs == 0 {
		c.errf("file: no job runs agentcore rollout")
	}
	return c.problems
}

func anyMap[V any](m map[string]V) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func asAnyList(v any) []any {
	l, _ := v.([]any)
	return l
}

// The schema checks must fail on what they exist to catch.
func TestCISchemaCatches(t *testing.T) {
	good := func() map[string]any {
		return map[string]any{
			"on": map[string]any{"pull_request": nil, "push": map[string]any{"branches": []any{"main"}}},
			"jobs": map[string]any{
				"check": map[string]any{"runs-on": "ubuntu-latest", "steps": []any{map[string]any{"run": "agentcore recipes"}}},
				"rollout": map[string]any{"runs-on": "ubuntu-latest", "needs": "check", "if": "github.ref == 'refs/heads/main'",
					"permissions": map[string]any{"id-token": "write"},
					"concurrency": map[string]any{"group": "g", "cancel-in-progress": false},
					"steps": []any{
						map[string]any{"uses": "aws-actions/configure-aws-credentials@v4", "with": map[string]any{"role-to-assume": "x", "aws-region": "us-east-1"}},
						map[string]any{"run": "agentcore rollout a --through dev -o json"}}},
			},
		}
	}
	if p := checkGitHubWorkflow(good()); len(p) != 0 {
		t.Fatalf("good workflow: %v", p)
	}
	for name, mutate := range map[string]func(m map[string]any){
		"on read as true": func(m map[string]any) { delete(m, "on") },
		"cancel":          func(m map[string]any) { job(m, "rollout")["concurrency"].(map[string]any)["cancel-in-progress"] = true },
		"no id-token":     func(m map[string]any) { delete(job(m, "rollout"), "permissions") },
		"environment":     func(m map[string]any) { job(m, "rollout")["environment"] = "prod" },
		"no json": func(m map[string]any) {
			steps(m, "rollout")[1].(map[string]any)["run"] = "agentcore rollout a --through dev"
		},
		"uses and run": func(m map[string]any) { steps(m, "check")[0].(map[string]any)["uses"] = "x@v1" },
		"unknown key":  func(m map[string]any) { job(m, "check")["runs_on"] = "x" },
		"bad needs":    func(m map[string]any) { job(m, "rollout")["needs"] = "build" },
		"no role": func(m map[string]any) {
			delete(steps(m, "rollout")[0].(map[string]any)["with"].(map[string]any), "role-to-assume")
		},
	} {
		m := good()
		mutate(m)
		if p := checkGitHubWorkflow(m); len(p) == 0 {
			t.Errorf("github %s: passed", name)
		}
	}
	gl := func() map[string]any {
		return map[string]any{
			"stages": []any{"test", "deploy"},
			"check":  map[string]any{"stage": "test", "script": []any{"agentcore recipes"}},
			"rollout": map[string]any{"stage": "deploy", "needs": []any{"check"}, "resource_group": "g",
				"rules":     []any{map[string]any{"if": `$CI_COMMIT_BRANCH == "main"`}},
				"id_tokens": map[string]any{"T": map[string]any{"aud": "sts.amazonaws.com"}},
				"variables": map[string]any{"AWS_ROLE_ARN": "x", "AWS_WEB_IDENTITY_TOKEN_FILE": "f"},
				"script":    []any{"agentcore rollout a --through dev -o json"}},
		}
	}
	if p := checkGitLabCI(gl()); len(p) != 0 {
		t.Fatalf("good gitlab file: %v", p)
	}
	for name, mutate := range map[string]func(m map[string]any){
		"no resource_group": func(m map[string]any) { delete(m["rollout"].(map[string]any), "resource_group") },
		"no id_tokens":      func(m map[string]any) { delete(m["rollout"].(map[string]any), "id_tokens") },
		"bad stage":         func(m map[string]any) { m["check"].(map[string]any)["stage"] = "build" },
		"no branch rule":    func(m map[string]any) { delete(m["rollout"].(map[string]any), "rules") },
		"no rollout":        func(m map[string]any) { delete(m, "rollout") },
		"unknown job key":   func(m map[string]any) { m["check"].(map[string]any)["scripts"] = []any{"x"} },
	} {
		m := gl()
		mutate(m)
		if p := checkGitLabCI(m); len(p) == 0 {
			t.Errorf("gitlab %s: passed", name)
		}
	}
}

func job(m map[string]any, id string) map[string]any {
	return m["jobs"].(map[string]any)[id].(map[string]any)
}

func steps(m map[string]any, id string) []any { return job(m, id)["steps"].([]any) }
