package control

import (
	"net/http"
	"sort"
	"time"
)

// sessionInfo is one live session as the local-only ListRuntimeSessions route answers it.
type sessionInfo struct {
	RuntimeSessionID string    `json:"runtimeSessionId"`
	EndpointName     string    `json:"endpointName"`
	Version          string    `json:"agentRuntimeVersion,omitempty"`
	StartedAt        time.Time `json:"startedAt"`
	LastRequestAt    time.Time `json:"lastRequestAt"`
	IdleTimeoutAt    time.Time `json:"idleTimeoutAt"`
	MaxLifetimeAt    time.Time `json:"maxLifetimeAt"`
	IdleTimeout      int       `json:"idleRuntimeSessionTimeout"`
	MaxLifetime      int       `json:"maxLifetime"`
}

// listSessions answers GET /runtimes/{agentRuntimeArn}/sessions, a route of the local endpoint
// only (AgentCore has no API that lists runtime sessions): the runtime's live sessions, those
// whose sandbox is up (sessions.go's reaper ends them at their idle timeout or maximum
// lifetime, StopRuntimeSession at once), newest request first. The times are the sandbox's
// own: started when it began serving the session, the last request as it ended (a session
// with a request in flight is not idle: its idle timeout counts from now).
func (s *Service) listSessions(w http.ResponseWriter, r *http.Request) error {
	rt, err := s.runtimeForArn(r.PathValue("agentRuntimeArn"), r.URL.Query().Get("accountId"))
	if err != nil {
		return err
	}
	unit := envDuration(SessionSecondEnv, time.Second)
	now := time.Now()
	out := []sessionInfo{}
	s.sessMu.Lock()
	for _, sb := range s.sessions {
		if sb.runtimeID != rt.ID || sb.ended {
			continue
		}
		select {
		case <-sb.ready:
		default:
			continue // still starting: live once it serves its first request
		}
		if sb.err != nil {
			continue
		}
		last := sb.lastUsed
		if sb.busy > 0 {
			last = now
		}
		out = append(out, sessionInfo{
			RuntimeSessionID: sb.session,
			EndpointName:     sb.endpoint,
			Version:          itoa(sb.version),
			StartedAt:        sb.started.UTC().Truncate(time.Second),
			LastRequestAt:    last.UTC().Truncate(time.Second),
			IdleTimeoutAt:    last.Add(sb.idle).UTC().Truncate(time.Second),
			MaxLifetimeAt:    sb.started.Add(sb.maxLife).UTC().Truncate(time.Second),
			IdleTimeout:      int(sb.idle / unit),
			MaxLifetime:      int(sb.maxLife / unit),
		})
	}
	s.sessMu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].LastRequestAt.Equal(out[j].LastRequestAt) {
			return out[i].LastRequestAt.After(out[j].LastRequestAt)
		}
		return out[i].RuntimeSessionID < out[j].RuntimeSessionID
	})
	writeJSON(w, http.StatusOK, map[string]any{"agentRuntimeArn": rt.Arn, "sessions": out})
	return nil
}
