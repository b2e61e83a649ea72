package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The dev loop's extension (agentcore dev), LOCAL ONLY: not part of the AgentCore API, and no
// AWS endpoint has it. It swaps the artifact of the version the DEFAULT endpoint serves for a
// new image or code zip, in place (no new version: the same ARN, qualifier and URL keep
// answering), and ends that version's session sandboxes and warm pool, so that every session's
// next request starts from the new artifact and the pool refills from it.
//
//	PUT    /runtimes/{agentRuntimeId}/dev  {"agentRuntimeArtifact": {...}}  swap, then start it
//	DELETE /runtimes/{agentRuntimeId}/dev                                   put the original back
//
// The body's agentRuntimeArtifact has UpdateAgentRuntime's shape (containerConfiguration or
// codeConfiguration, of the version's own kind); with a containerConfiguration, "devBinary"
// may name a program of this machine mounted over the image's (devBinary, below: agentcore
// dev's swap of a Go agent's program alone, the image unchanged). The PUT answers once the new artifact answers
// GET /ping (or with the reason it did not). The version's original configuration is kept in
// its own bucket the first time, so the DELETE (or, after a kill -9 of the dev loop, the next
// one's) restores it; while swapped, the version's description starts with devMark. Both are
// signed like every other call.
//
// The swap goes through the session layer (sessions.go): recycleVersion ends the version's
// sandboxes, its sessions' and its pool's (and drops its unpacked code): they are forgotten at
// once and their containers removed in the background; warm then pulls and verifies the new
// artifact and starts the pool's first sandbox from it, which is what the PUT waits for. The
// DELETE ends them too; the original artifact starts again at the version's next session
// (nothing of it runs until then).

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
		DevBinary *devBinary `json:"devBinary"`
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
	imageBefore := cfg.ContainerURI
	switch {
	case art.ContainerConfiguration != nil:
		if cfg.Code != nil {
			return validationf("version %d of AgentRuntime %s runs code; send a codeConfiguration", v, id)
		}
		uri := art.ContainerConfiguration.ContainerURI
		if uri == "" || !containerURIPattern().MatchString(uri) {
			return fieldInvalid("agentRuntimeArtifact.containerConfiguration.containerUri", uri, "Member must be a container image reference")
		}
		if b := in.DevBinary; b != nil {
			if err := b.check(); err != nil {
				return err
			}
		}
		cfg.ContainerURI = uri
		cfg.DevBinary = in.DevBinary
	default:
		if in.DevBinary != nil {
			return validationf("devBinary goes with a containerConfiguration: a code version has no program to replace")
		}
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
	// What ran the old artifact is forgotten at once and removed in the background, while the
	// new artifact is verified and its first sandbox starts.
	if err := s.devRecycle(r.Context(), rt, v, false); err != nil {
		return err
	}
	recycled := time.Now()
	// The same image with another program mounted (the fast swap) was verified when it came:
	// a sandbox's start pulls it again if the engine lost it meanwhile.
	checked := "image unchanged"
	if cfg.DevBinary == nil || cfg.ContainerURI != imageBefore {
		err = s.run.verify(r.Context(), id, v, cfg)
		checked = "artifact pulled and verified"
	}
	verified := time.Now()
	if err == nil {
		err = s.warmPool(r.Context(), id, v, cfg)
	}
	if err != nil {
		var de *deployError
		if errors.As(err, &de) {
			return runtimeClientErrorf("the new artifact of version %d did not start: %s", v, de.msg)
		}
		return err
	}
	ms := func(d time.Duration) string { return d.Round(time.Millisecond).String() }
	s.cfg.Logf("control: agentcore dev: runtime %s version %d now runs %s %s (restarted in %s: old sandboxes forgotten %s, %s %s, first sandbox answering %s)",
		id, v, cfg.describe(), cfg.DevBinary.describe(), ms(time.Since(start)), ms(recycled.Sub(start)), checked, ms(verified.Sub(recycled)), ms(time.Since(verified)))
	writeJSON(w, http.StatusOK, map[string]any{
		"agentRuntimeId":      id,
		"agentRuntimeVersion": itoa(v),
		"status":              statusReady,
	})
	return nil
}

// devBinary is the fast swap of a Go agent (build = "go"): the version keeps its image, and its
// sandboxes run the program at HostPath, a file of this machine bind-mounted read-only over
// Path in the image (the image's entry point), so a rebuild is a compile and a container start:
// no layer, no push, no pull, no extraction. The dev loop writes each build to a new file.
type devBinary struct {
	HostPath string `json:"hostPath"`
	Path     string `json:"path"`
}

func (b *devBinary) check() error {
	if !filepath.IsAbs(b.HostPath) || filepath.Clean(b.HostPath) != b.HostPath {
		return fieldInvalid("devBinary.hostPath", b.HostPath, "Member must be an absolute, clean path of this machine")
	}
	st, err := os.Stat(b.HostPath)
	if err != nil || !st.Mode().IsRegular() || st.Mode().Perm()&0o100 == 0 {
		return fieldInvalid("devBinary.hostPath", b.HostPath, "Member must name an executable file")
	}
	if !path.IsAbs(b.Path) || path.Clean(b.Path) != b.Path || b.Path == "/" || strings.ContainsAny(b.Path, ":,") {
		return fieldInvalid("devBinary.path", b.Path, "Member must be an absolute path in the image, such as /app/agent")
	}
	if strings.ContainsAny(b.HostPath, ":,") {
		return fieldInvalid("devBinary.hostPath", b.HostPath, "Member must not contain ':' or ','")
	}
	return nil
}

func (b *devBinary) describe() string {
	if b == nil {
		return ""
	}
	return " with " + b.HostPath + " as " + b.Path
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
		if err := s.devRecycle(ctx, rt, rec.Version, true); err != nil {
			return err
		}
	}
	return s.putDevRecord(rt.ID, nil)
}

// devRecycle ends what runs of version v (its sessions' sandboxes and its pool) and drops its
// extracted package, keeping every other version's. wait: their removal is done when it
// returns (the DELETE: nothing of the version runs after it); otherwise it goes on in the
// background while the new artifact starts.
func (s *Service) devRecycle(_ context.Context, rt *runtimeRec, v int, wait bool) error {
	s.recycleVersion(rt.ID, v, "agentcore dev swapped its artifact", wait)
	return nil
}
