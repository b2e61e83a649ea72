package control

import (
	"context"
	"fmt"
)

// execTarget is where a session's commands and shells run: a Docker container (container set)
// or the host, in dir with env (a code version run as a host process).
type execTarget struct {
	version   int
	container string
	dir       string
	env       []string
}

// execTargetFor finds where to run a command for a session of a runtime's endpoint, starting
// the sandbox when none runs. It is the one place that knows how sandboxes are found: today
// every session of a version shares the version's container (or host process).
func (s *Service) execTargetFor(ctx context.Context, rt *runtimeRec, version int, _ string) (execTarget, error) {
	ver := rt.Versions[version]
	if ver == nil {
		return execTarget{}, internalf("version %d of agent runtime %s is missing", version, rt.ID)
	}
	if _, err := s.run.ensure(ctx, rt.ID, version, ver.Config); err != nil {
		return execTarget{}, err
	}
	found, err := s.run.find(ctx, rt.ID, version)
	if err != nil {
		return execTarget{}, fmt.Errorf("listing containers: %w", err)
	}
	for _, c := range found {
		if c.State == "running" {
			return execTarget{version: version, container: c.ID}, nil
		}
	}
	p, err := s.store.process(rt.ID, version)
	if err != nil {
		return execTarget{}, err
	}
	if p == nil || !s.run.code.alive(p) {
		return execTarget{}, fmt.Errorf("version %d of agent runtime %s runs in no container or host process", version, rt.ID)
	}
	return execTarget{version: version, dir: p.Dir, env: s.run.code.env(s.run, ver.Config, rt.ID, version, p.Dir, p.Port)}, nil
}
