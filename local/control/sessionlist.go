package control

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// sessionInfo is one live session as the local-only ListRuntimeSessions route answers it.
type sessionInfo struct {
	RuntimeSessionID string    `json:"runtimeSessionId"`
	EndpointName     string    `json:"endpointName"`
	Version          string    `json:"agentRuntimeVersion,omitempty"`
	StartedAt        *string   `json:"startedAt,omitempty"` // not recorded yet: omitted
	LastRequestAt    time.Time `json:"lastRequestAt"`
	IdleTimeoutAt    time.Time `json:"idleTimeoutAt"`
	MaxLifetimeAt    *string   `json:"maxLifetimeAt,omitempty"` // known with startedAt only
	IdleTimeout      int       `json:"idleRuntimeSessionTimeout"`
	MaxLifetime      int       `json:"maxLifetime"`
}

// listSessions answers GET /runtimes/{agentRuntimeArn}/sessions, a route of the local endpoint
// only (AgentCore has no API that lists runtime sessions): the runtime's sessions that have not
// ended, newest request first. A session ends idleRuntimeSessionTimeout after its last request
// (lastRequestAt is recorded to the minute), or by StopRuntimeSession.
func (s *Service) listSessions(w http.ResponseWriter, r *http.Request) error {
	rt, err := s.runtimeForArn(r.PathValue("agentRuntimeArn"), r.URL.Query().Get("accountId"))
	if err != nil {
		return err
	}
	var recs []sessionRec
	err = s.store.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSessions).ForEach(func(k, v []byte) error {
			var rec sessionRec
			if json.Unmarshal(v, &rec) == nil && rec.RuntimeID == rt.ID {
				recs = append(recs, rec)
			}
			return nil
		})
	})
	if err != nil {
		return internalf("reading sessions: %v", err)
	}
	now := time.Now().UTC()
	out := []sessionInfo{}
	for _, rec := range recs {
		info := sessionInfo{RuntimeSessionID: rec.SessionID, EndpointName: rec.Endpoint, LastRequestAt: rec.LastUsed.Truncate(time.Second)}
		var cfg runtimeConfig
		if v := rt.Versions[rt.Latest]; v != nil {
			cfg = v.Config
		}
		if ep, err := s.store.cachedEndpoint(rt.ID, rec.Endpoint); err == nil && ep.LiveVersion != "" {
			info.Version = ep.LiveVersion
			if v, _ := strconv.Atoi(ep.LiveVersion); rt.Versions[v] != nil {
				cfg = rt.Versions[v].Config
			}
		}
		idle, max := lifecycleOf(cfg)
		info.IdleTimeout, info.MaxLifetime = int(idle/time.Second), int(max/time.Second)
		info.IdleTimeoutAt = info.LastRequestAt.Add(idle)
		if !info.IdleTimeoutAt.After(now) {
			continue // ended: idle too long
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].LastRequestAt.Equal(out[j].LastRequestAt) {
			return out[i].LastRequestAt.After(out[j].LastRequestAt)
		}
		return out[i].RuntimeSessionID < out[j].RuntimeSessionID
	})
	writeJSON(w, http.StatusOK, map[string]any{"agentRuntimeArn": rt.Arn, "sessions": out})
	return nil
}
