package project

import (
	"fmt"
	"strings"
)

// Releases and rollouts: how a new version reaches callers in an environment, and the order
// in which environments get it.
//
//	[environments.prod]
//	release = "canary"        # canary first, smoke checks, then stable (default: "direct")
//
//	[rollouts.main]
//	through = ["dev", "staging", "prod-us|prod-eu"]   # waves; "a|b" (or ["a", "b"]) in parallel

// ReleaseModes are the values of [environments.NAME] release: "direct" deploys a version
// that callers of DEFAULT get at once (smoke checks then gate the next environment);
// "canary" points the canary endpoint at it, runs the smoke checks there and only then moves
// stable.
var ReleaseModes = []string{"canary", "direct"}

// Rollout is one [rollouts.NAME] table: the environments a version goes through, in waves.
type Rollout struct {
	Name  string
	Waves [][]string // each wave's environments are deployed in parallel
	Line  int
}

type rawRollout struct {
	Through []any `toml:"through"`
}

func (v *validator) releaseMode(path []string, mode string) string {
	switch mode {
	case "":
		return "direct"
	case "canary", "direct":
		return mode
	}
	v.addf(append(append([]string{}, path...), "release"), "release %q is not one of %s%s", mode,
		strings.Join(ReleaseModes, ", "), Suggest(mode, ReleaseModes))
	return "direct"
}

func (v *validator) rollouts(p *Project, raw map[string]rawRollout) map[string]*Rollout {
	out := map[string]*Rollout{}
	for _, name := range sortedKeys(raw) {
		path := []string{"rollouts", name}
		if !nameRE.MatchString(name) {
			v.addf(path, "rollout name %q is invalid: use lowercase letters, digits, '-' and '_', starting with a letter", name)
		}
		if _, ok := p.Environments[name]; ok {
			v.addf(path, "rollout %q has the name of an environment: --through %s would be ambiguous; rename it", name, name)
		}
		r := raw[name]
		line, _ := v.pos.at(path...)
		ro := &Rollout{Name: name, Line: line}
		if len(r.Through) == 0 {
			v.addf(path, "rollout %q needs through = [\"dev\", \"staging\", \"prod\"] (a wave of environments deployed in parallel: \"prod-us|prod-eu\" or [\"prod-us\", \"prod-eu\"])", name)
		}
		for i, w := range r.Through {
			wp := append(append([]string{}, path...), "through")
			switch x := w.(type) {
			case string:
				ro.Waves = append(ro.Waves, splitWave(x))
			case []any:
				var wave []string
				for _, e := range x {
					s, ok := e.(string)
					if !ok {
						v.addf(wp, "rollout %q: wave %d must list environment names (strings), not %T", name, i+1, e)
						continue
					}
					wave = append(wave, strings.TrimSpace(s))
				}
				ro.Waves = append(ro.Waves, wave)
			default:
				v.addf(wp, "rollout %q: wave %d must be an environment name, \"a|b\", or a list of names, not %T", name, i+1, w)
			}
		}
		if err := p.checkWaves(ro.Waves); err != nil {
			v.addf(append(path, "through"), "rollout %q: %v", name, err)
		}
		out[name] = ro
	}
	return out
}

func splitWave(s string) []string {
	var wave []string
	for _, e := range strings.Split(s, "|") {
		wave = append(wave, strings.TrimSpace(e))
	}
	return wave
}

// checkWaves checks that every environment of a rollout exists and appears once.
func (p *Project) checkWaves(waves [][]string) error {
	seen := map[string]bool{}
	for i, wave := range waves {
		if len(wave) == 0 {
			return fmt.Errorf("wave %d is empty", i+1)
		}
		for _, e := range wave {
			if e == "" {
				return fmt.Errorf("wave %d names an empty environment (a doubled ',' or '|'?)", i+1)
			}
			if _, ok := p.Environments[e]; !ok {
				return fmt.Errorf("environment %q is not defined%s", e, Suggest(e, p.EnvNames()))
			}
			if seen[e] {
				return fmt.Errorf("environment %q appears twice: a rollout goes through each environment once", e)
			}
			seen[e] = true
		}
	}
	return nil
}

// RolloutWaves resolves what --through names: a [rollouts.NAME] table, or environments
// separated by ',' (one after the other) and '|' (a wave: in parallel), e.g.
// dev,staging,prod-us|prod-eu. With spec "" the project's only rollout is used. It returns the
// waves and where they come from ("--through" or "[rollouts.NAME]").
func (p *Project) RolloutWaves(spec string) ([][]string, string, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		switch len(p.Rollouts) {
		case 1:
			for _, r := range p.Rollouts {
				return r.Waves, "[rollouts." + r.Name + "]", nil
			}
		case 0:
			return nil, "", fmt.Errorf("name the environments: --through dev,staging,prod (or define [rollouts.NAME] through = [...] in %s)", FileName)
		}
		return nil, "", fmt.Errorf("several rollouts are defined (%s): pick one with --through NAME", strings.Join(sortedKeys(p.Rollouts), ", "))
	}
	if r, ok := p.Rollouts[spec]; ok {
		return r.Waves, "[rollouts." + r.Name + "]", nil
	}
	var waves [][]string
	for _, w := range strings.Split(spec, ",") {
		waves = append(waves, splitWave(w))
	}
	if err := p.checkWaves(waves); err != nil {
		if len(waves) == 1 && len(waves[0]) == 1 && len(p.Rollouts) > 0 {
			if s := closest(spec, sortedKeys(p.Rollouts)); s != "" {
				return nil, "", fmt.Errorf("--through %s: no environment or rollout of that name (did you mean the rollout %q?)", spec, s)
			}
		}
		return nil, "", fmt.Errorf("--through %s: %v", spec, err)
	}
	return waves, "--through", nil
}
