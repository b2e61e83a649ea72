package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The dev loop's extension (agentcore dev), LOCAL ONLY: not part of the AgentCore API, and no
// AWS endpoint has it. It swaps the artifact of the version the DEFAULT endpoint serves for a
// new image or code zip, in place (no new version: the same ARN, qualifier and URL keep
// answering), and restarts that version's running container or host process with it.
//
//	PUT    /runtimes/{agentRuntimeId}/dev  {"agentRuntimeArtifact": {...}}  swap, then start it
//	DELETE /runtimes/{agentRuntimeId}/dev                                   put the original back
//
// The body's agentRuntimeArtifact has UpdateAgentRuntime's shape (containerConfiguration or
// codeConfiguration, of the version's own kind). The PUT answers once the new artifact answers
// GET /ping (or with the reason it did not). The version's original configuration is kept in
// its own bucket the first time, so the DELETE (or, after a kill -9 of the dev loop, the next
// one's) restores it; while swapped, the version's description starts with devMark. Both are
// signed like every other call.
//
// Integration note: recycling calls only runner.removeAll (with every other version kept, it
// stops the version's containers and host process) and runner.forget (drops its cached
// address), runner.pull (the new image, while the old container goes) and runner.ensure to
// start it again; the per-session sandboxes replace these.

var bucketDev = []byte("agentcore.runtime-dev") // runtimeId → devRec

// devMark starts the description of a version whose artifact agentcore dev has swapped.
const devMark = "[agentcore dev] "

type devRec struct {
	Version  int           `json:"version"`
	Original runtimeConfig `json:"original"` // the version's configuration before the first swap
	Since    time.Time     `json:"since"`
}

func (s *Service) devRecord(id string) (*devRec, error) {
	var rec *devRec
	err := s.cfg.DB.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDev)
		if b == nil {
			return nil
		}
		v := b.Get([]byte(id))
		if v == nil {
			return nil
		}
		rec = &devRec{}
		return json.Unmarshal(v, rec)
	})
	return rec, err
}

func (s *Service) putDevRecord(id string, rec *devRec) error {
	return s.cfg.DB.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketDev)
		if err != nil {
			return err
		}
		if rec == nil {
			return b.Delete([]byte(id))
		}
		v, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		return b.Put([]byte(id), v)
	})
}

// devVersion is the version the DEFAULT endpoint serves (the latest one when it says none).
func (s *Service) devVersion(rt *runtimeRec) int {
	if e, err := s.store.endpoint(rt.ID, "DEFAULT"); err == nil && e != nil {
		var n int
		if _, err := fmt.Sscan(e.LiveVersion, &n); err == nil && rt.Versions[n] != nil {
			return n
		}
	}
	return rt.Latest
}

func (s *Service) devSwap(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("agentRuntimeId")
	rt, err := s.loadRuntime(id)
	if err != nil {
		return err
	}
	var in struct {
		AgentRuntimeArtifact *struct {
			ContainerConfiguration *struct {
				ContainerURI string `json:"containerUri"`
			} `json:"containerConfiguration"`
			CodeConfiguration json.RawMessage `json:"codeConfiguration"`
		} `json:"agentRuntimeArtifact"`
	}
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	art := in.AgentRuntimeArtifact
	if art == nil || (art.ContainerConfiguration == nil) == (art.CodeConfiguration == nil) {
		return validationf("agentRuntimeArtifact must hold exactly one of containerConfiguration and codeConfiguration")
	}
	rec, err := s.devRecord(id)
	if err != nil {
		return err
	}
	v := s.devVersion(rt)
	if rec != nil && rec.Version != v {
		// A dev loop killed earlier swapped a version DEFAULT no longer serves (an update came
		// since): that one gets its original back first.
		if err := s.devPutBack(r.Context(), rt, rec); err != nil {
			return err
		}
		rec = nil
	}
	ver := rt.Versions[v]
	if ver == nil {
		return conflictf("AgentRuntime %s has no version to develop on", id)
	}
	if ver.Status != statusReady {
		return conflictf("version %d of AgentRuntime %s is %s; agentcore dev swaps the artifact of a READY version", v, id, ver.Status)
	}
	cfg := ver.Config
	switch {
	case art.ContainerConfiguration != nil:
		if cfg.Code != nil {
			return validationf("version %d of AgentRuntime %s runs code; send a codeConfiguration", v, id)
		}
		uri := art.ContainerConfiguration.ContainerURI
		if uri == "" || !containerURIPattern().MatchString(uri) {
			return fieldInvalid("agentRuntimeArtifact.containerConfiguration.containerUri", uri, "Member must be a container image reference")
		}
		cfg.ContainerURI = uri
	default:
		if cfg.Code == nil {
			return validationf("version %d of AgentRuntime %s runs a container image; send a containerConfiguration", v, id)
		}
		code, err := parseCodeConfiguration(art.CodeConfiguration)
		if err != nil {
			return err
		}
		cfg.Code = code
	}
	if rec == nil || rec.Version != v {
		rec = &devRec{Version: v, Original: ver.Config, Since: time.Now().UTC()}
		if err := s.putDevRecord(id, rec); err != nil {
			return err
		}
	}
	cfg.Description = devMark + strings.TrimPrefix(rec.Original.Description, devMark)
	err = s.mutate(id, func(rt *runtimeRec, _ map[string]*endpointRec) error {
		if ver := rt.Versions[v]; ver != nil {
			ver.Config = cfg
			ver.LastUpdatedAt = time.Now().UTC()
		}
		return nil
	})
	if err != nil {
		return err
	}
	start := time.Now()
	// The new image is pulled while the old container goes (ensure's own pull then finds it).
	pulled := make(chan error, 1)
	if cfg.Code == nil {
		go func() { pulled <- s.run.pull(r.Context(), s.resolveURI(cfg.ContainerURI), cfg.ContainerURI) }()
	} else {
		pulled <- nil
	}
	recycleErr := s.devRecycle(r.Context(), rt, v)
	if err := <-pulled; err != nil {
		return runtimeClientErrorf("the new artifact of version %d did not start: %v", v, err)
	}
	if recycleErr != nil {
		return recycleErr
	}
	addr, err := s.run.ensure(r.Context(), id, v, cfg)
	if err != nil {
		var de *deployError
		if errors.As(err, &de) {
			return runtimeClientErrorf("the new artifact of version %d did not start: %s", v, de.msg)
		}
		return err
	}
	s.cfg.Logf("control: agentcore dev: runtime %s version %d now runs %s on %s (restarted in %s)", id, v, cfg.describe(), addr, time.Since(start).Round(time.Millisecond))
	writeJSON(w, http.StatusOK, map[string]any{
		"agentRuntimeId":      id,
		"agentRuntimeVersion": itoa(v),
		"status":              statusReady,
	})
	return nil
}

func (s *Service) devRestore(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("agentRuntimeId")
	rec, err := s.devRecord(id)
	if err != nil {
		return err
	}
	out := map[string]any{"agentRuntimeId": id, "restored": false}
	if rec == nil {
		writeJSON(w, http.StatusOK, out)
		return nil
	}
	rt, err := s.loadRuntime(id)
	var api *apiError
	if errors.As(err, &api) && api.Status == http.StatusNotFound {
		rt = nil // deleted meanwhile: only the record goes
	} else if err != nil {
		return err
	}
	if rt != nil && rt.Versions[rec.Version] != nil {
		out["agentRuntimeVersion"] = itoa(rec.Version)
		out["restored"] = true
	}
	if rt == nil {
		if err := s.putDevRecord(id, nil); err != nil {
			return err
		}
	} else if err := s.devPutBack(r.Context(), rt, rec); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// devPutBack gives a swapped version its original configuration back, stops what runs of it
// (the original starts again at the next invocation) and forgets the swap.
func (s *Service) devPutBack(ctx context.Context, rt *runtimeRec, rec *devRec) error {
	if rt.Versions[rec.Version] != nil {
		err := s.mutate(rt.ID, func(r *runtimeRec, _ map[string]*endpointRec) error {
			if ver := r.Versions[rec.Version]; ver != nil {
				ver.Config = rec.Original
				ver.LastUpdatedAt = time.Now().UTC()
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := s.devRecycle(ctx, rt, rec.Version); err != nil {
			return err
		}
	}
	return s.putDevRecord(rt.ID, nil)
}

// devRecycle stops version v's running container or host process (and drops its extracted
// package), keeping every other version's.
func (s *Service) devRecycle(ctx context.Context, rt *runtimeRec, v int) error {
	keep := map[int]bool{}
	for n := range rt.Versions {
		if n != v {
			keep[n] = true
		}
	}
	s.run.forget(rt.ID, v)
	if err := s.run.removeAll(context.WithoutCancel(ctx), rt.ID, keep); err != nil {
		return fmt.Errorf("stopping version %d of %s: %w", v, rt.ID, err)
	}
	s.run.forget(rt.ID, v)
	return nil
}
