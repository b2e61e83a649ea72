package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/agentcore/agentcore/internal/netns"
	"github.com/agentcore/agentcore/local/internal/awsproto"
)

// A runtime session runs in a sandbox of its own, as in AgentCore (a microVM per session): a
// container, or for a code version without a runtime image a host process with its own
// working directory. A sandbox is started at the session's first request (taken from the
// version's pool of pre-started ones when it has one), serves every later request of that
// session id, and ends after idleRuntimeSessionTimeout without a request, at maxLifetime, by
// StopRuntimeSession, or when its container or process dies; the next request of an ended
// session starts a fresh one. A session stays on the version that served its first request.
// Sessions are recorded (bucketSessions, with their sandbox id) so that a restarted endpoint
// finds their containers (LabelSandbox) and processes (procRec) again.

// Settings not in the README, for tests and benchmarks.
const (
	// SessionSecondEnv is how long one second of a lifecycleConfiguration lasts (a Go
	// duration, default 1s): tests shorten idleRuntimeSessionTimeout and maxLifetime with it.
	SessionSecondEnv = "AGENTCORE_LOCAL_TEST_SESSION_SECOND"
	// MaxSessionsEnv bounds the live sessions of one runtime (default defaultMaxSessions).
	MaxSessionsEnv = "AGENTCORE_LOCAL_MAX_SESSIONS"
	// PoolSizeEnv is how many sandboxes each served version keeps started ahead of the sessions
	// that will take them at least (default 1; 0: none, a new session waits for its sandbox to
	// start, and the pool never grows).
	PoolSizeEnv = "AGENTCORE_LOCAL_SESSION_POOL"
	// PoolMaxEnv bounds how far a pool grows when new sessions come faster than it refills
	// (default defaultPoolMax; never below the pool size).
	PoolMaxEnv = "AGENTCORE_LOCAL_SESSION_POOL_MAX"
)

// The warm pool's policy (README, "Sessions"). A version's pool keeps target sandboxes started;
// every take starts a replacement at once, up to poolParallel starts at a time. A new session
// that finds the pool empty (a miss: it waits for a sandbox of its own) doubles the runtime's
// target, up to PoolMaxEnv and to what the bound on live sessions leaves (so does a take that
// empties the pool within poolBurst of the one before); each poolQuiet
// lifecycle seconds without a miss halve it again, down to PoolSizeEnv, and the reaper removes
// the pooled sandboxes beyond the target that waited that long.
const (
	defaultPoolMax = 8
	poolParallel   = 4
	poolQuiet      = 60 // lifecycle seconds (SessionSecondEnv)
	poolBurst      = 2 * time.Second
)

// AgentCore's quota is 1,000 active session workloads per account in us-east-1 and us-west-2
// (500 elsewhere); a machine runs fewer containers, so the local bound is per runtime.
const defaultMaxSessions = 100

// AgentCore's defaults when lifecycleConfiguration leaves them unset.
const (
	defaultIdleSeconds = 900
	defaultMaxSeconds  = 28800
)

// sandbox is what serves one runtime session (or waits in its version's pool for one).
type sandbox struct {
	id        string // LabelSandbox, procRec.Sandbox, part of the container name
	runtimeID string
	version   int
	addr      string   // host:port of the agent's contract port (8080, 8000, 9000; its PORT for a host process)
	container string   // container ID; "" for a host process
	proc      *procRec // host process; nil for a container
	idle      time.Duration
	maxLife   time.Duration

	ready    chan struct{} // closed once started (err says how)
	err      error
	startErr error // a pool start's own failure (err is what a session that claimed it is told)

	// Guarded by Service.sessMu.
	session  string // "" while pooled
	endpoint string
	started  time.Time // when it began serving its session (pool time does not count)
	pooledAt time.Time // when it joined its pool
	lastUsed time.Time
	busy     int // requests in flight
	ended    bool
}

func (sb *sandbox) key() string { return sb.runtimeID + "/" + sb.session }

// wait waits until the sandbox has started (its start's error), or ctx ends.
func (sb *sandbox) wait(ctx context.Context) error {
	select {
	case <-sb.ready:
		return sb.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (sb *sandbox) record() sessionRec {
	return sessionRec{RuntimeID: sb.runtimeID, SessionID: sb.session, Endpoint: sb.endpoint, LastUsed: sb.lastUsed.UTC(),
		Version: sb.version, Sandbox: sb.id, Started: sb.started.UTC()}
}

// pool holds the started sandboxes of one version that no session has taken yet.
type pool struct {
	ready    []*sandbox
	starting []*sandbox    // starts in flight for the version's artifact as it is now, unclaimed
	gen      int           // bumped by recycleVersion: a start begun before it is thrown away
	changed  chan struct{} // closed and replaced whenever a start ends (warm waits on it)
	err      error         // how the last start failed; nil once one succeeds
	dropped  bool          // the version is no longer served: no more starts
	takes    int           // sandboxes sessions took since the pool (or its gen) began
	lastTake time.Time
}

func (p *pool) notify() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// poolDemand is a runtime's pool target (policy above); guarded by Service.sessMu.
type poolDemand struct {
	target int
	missAt time.Time
}

// poolTarget is how many sandboxes each served version of a runtime keeps in its pool now.
// Called with sessMu held.
func (s *Service) poolTarget(runtimeID string) int {
	base := envInt(PoolSizeEnv, 1)
	if base == 0 {
		return 0
	}
	t := base
	if d := s.demand[runtimeID]; d != nil {
		t = d.target
		quiet := time.Duration(poolQuiet) * envDuration(SessionSecondEnv, time.Second)
		for since := time.Since(d.missAt); since >= quiet && t > base; since -= quiet {
			t /= 2
		}
	}
	t = min(max(t, base), max(base, envInt(PoolMaxEnv, defaultPoolMax)))
	// Pooled sandboxes are containers too: the bound on live sessions leaves room for them.
	if room := envInt(MaxSessionsEnv, defaultMaxSessions) - s.sessionCount[runtimeID]; t > base && t > room {
		t = max(base, room)
	}
	return t
}

// poolMiss is told that a new session found its version's pool empty: the runtime's pool
// target doubles. Called with sessMu held.
func (s *Service) poolMiss(runtimeID string) {
	if envInt(PoolSizeEnv, 1) == 0 {
		return
	}
	t := s.poolTarget(runtimeID)
	s.demand[runtimeID] = &poolDemand{target: max(2*t, t+1), missAt: time.Now()}
}

func newSandbox(runtimeID string, version int, cfg runtimeConfig) *sandbox {
	idle, max := lifecycleOf(cfg)
	return &sandbox{id: strings.ToLower(randomAlnum(10)), runtimeID: runtimeID, version: version, idle: idle, maxLife: max,
		ready: make(chan struct{})}
}

// lifecycleOf is a version's idle timeout and maximum lifetime, with AgentCore's defaults: 900 s
// and 28800 s, and an idle timeout no longer than a maxLifetime given alone.
func lifecycleOf(cfg runtimeConfig) (idle, max time.Duration) {
	var lc struct {
		Idle *int `json:"idleRuntimeSessionTimeout"`
		Max  *int `json:"maxLifetime"`
	}
	if len(cfg.LifecycleConfiguration) > 0 {
		json.Unmarshal(cfg.LifecycleConfiguration, &lc)
	}
	maxS, idleS := defaultMaxSeconds, defaultIdleSeconds
	if lc.Max != nil && *lc.Max > 0 {
		maxS = *lc.Max
	}
	if lc.Idle != nil && *lc.Idle > 0 {
		idleS = *lc.Idle
	} else if maxS < idleS {
		idleS = maxS
	}
	unit := envDuration(SessionSecondEnv, time.Second)
	return time.Duration(idleS) * unit, time.Duration(maxS) * unit
}

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil && d > 0 {
		return d
	}
	return def
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n >= 0 {
		return n
	}
	return def
}

func serviceQuotaf(format string, args ...any) *apiError {
	return awsproto.Errorf(http.StatusPaymentRequired, "ServiceQuotaExceededException", format, args...)
}

// sessionSandbox returns the sandbox of a runtime session, starting one (or taking one from the
// pool of the version the endpoint serves) when the session has none: its first request, or the
// first after it ended. isNew tells the latter. It is what the data plane, and exec in a
// session, go through.
//
// A start whose container someone else removed meanwhile (docker rm -f, agentcore local reset)
// is tried once more, from scratch: the session did nothing wrong.
func (s *Service) sessionSandbox(ctx context.Context, rt *runtimeRec, qualifier, sessionID string) (*sandbox, bool, error) {
	for attempt := 0; ; attempt++ {
		sb, isNew, err := s.sessionSandboxOnce(ctx, rt, qualifier, sessionID)
		var v *vanishedStart
		if errors.As(err, &v) {
			if attempt == 0 && ctx.Err() == nil {
				s.cfg.Logf("control: runtime %s session %s: %v; starting another", rt.ID, sessionID, v.cause)
				continue
			}
			err = v.err
		}
		return sb, isNew, err
	}
}

// errVanished says that a sandbox's container was removed by someone else while it started.
var errVanished = errors.New("the container was removed while it started")

// vanishedStart is the error of a session's start that failed with errVanished: err is what
// the caller is answered if it is not tried again, cause the start's own error.
type vanishedStart struct{ err, cause error }

func (v *vanishedStart) Error() string { return v.err.Error() }
func (v *vanishedStart) Unwrap() error { return v.err }

// startFailed is the error a session is answered when its sandbox could not be started.
func startFailed(sb *sandbox, err error) error {
	e := runtimeClientErrorf("Runtime initialization failed: the sandbox of session %s (version %d of agent runtime %s) could not be started: %v", sb.session, sb.version, sb.runtimeID, err)
	if errors.Is(err, errVanished) {
		return &vanishedStart{err: e, cause: err}
	}
	return e
}

func (s *Service) sessionSandboxOnce(ctx context.Context, rt *runtimeRec, qualifier, sessionID string) (sb *sandbox, isNew bool, err error) {
	key := rt.ID + "/" + sessionID
	s.sessMu.Lock()
	if sb := s.sessions[key]; sb != nil {
		s.sessMu.Unlock()
		if err := sb.wait(ctx); err != nil {
			return nil, false, err
		}
		return sb, false, nil
	}
	s.sessMu.Unlock()

	ep, err := s.store.cachedEndpoint(rt.ID, qualifier)
	if err != nil {
		return nil, false, notFoundf("No endpoint named '%s' found for agent runtime %s", qualifier, rt.Arn)
	}
	v, _ := strconv.Atoi(ep.LiveVersion)
	ver := rt.Versions[v]
	if ver == nil {
		return nil, false, validationf("endpoint %s of agent runtime %s is %s and serves no version yet", qualifier, rt.ID, ep.Status)
	}

	s.sessMu.Lock()
	if sb := s.sessions[key]; sb != nil { // started meanwhile
		s.sessMu.Unlock()
		return s.sessionSandboxOnce(ctx, rt, qualifier, sessionID)
	}
	if max := envInt(MaxSessionsEnv, defaultMaxSessions); s.sessionCount[rt.ID] >= max {
		s.sessMu.Unlock()
		return nil, false, serviceQuotaf("maxVms limit exceeded: agent runtime %s has %d active sessions, the most this endpoint runs at once (AgentCore's quota is on active session workloads per account); stop sessions with StopRuntimeSession or wait until idle ones end", rt.ID, max)
	}
	now := time.Now()
	p := s.pools[containerName(rt.ID, v)]
	if p != nil && len(p.ready) > 0 {
		// The newest first: the oldest ones are what the reaper removes when the pool shrinks.
		sb = p.ready[len(p.ready)-1]
		p.ready = p.ready[:len(p.ready)-1]
		p.takes++
		if len(p.ready) == 0 && p.takes > 1 && now.Sub(p.lastTake) < poolBurst {
			s.poolMiss(rt.ID) // drained by takes faster than a refill: the next one would miss
		}
		p.lastTake = now
		sb.session, sb.endpoint, sb.started, sb.lastUsed = sessionID, qualifier, now, now
		s.sessions[key] = sb
		s.sessionCount[rt.ID]++
		s.sessMu.Unlock()
		s.fill(rt.ID, v, ver.Config) // its replacement
		s.putSession(sb)
		return sb, true, nil
	}
	if p != nil && p.takes > 0 {
		// Demand outran the pool: it served sessions and has none left (a pool emptied on
		// purpose, by agentcore dev's swap, or not filled yet, says nothing of the demand).
		s.poolMiss(rt.ID)
	}
	if p != nil && len(p.starting) > 0 {
		// A pool start in flight: the session claims it (it is further along than a start of
		// its own would be); poolStart hands it over once it answers.
		sb = p.starting[0]
		p.starting = p.starting[1:]
		p.takes++
		p.lastTake = now
		sb.session, sb.endpoint, sb.started, sb.lastUsed = sessionID, qualifier, now, now
		s.sessions[key] = sb
		s.sessionCount[rt.ID]++
		s.sessMu.Unlock()
		s.fill(rt.ID, v, ver.Config)
		if err := sb.wait(ctx); err != nil {
			return nil, false, err
		}
		return sb, true, nil
	}
	sb = newSandbox(rt.ID, v, ver.Config)
	sb.session, sb.endpoint, sb.started, sb.lastUsed = sessionID, qualifier, now, now
	s.sessions[key] = sb
	s.sessionCount[rt.ID]++
	s.sandboxes[sb.id] = sb
	s.sessMu.Unlock()

	// The start outlives a caller that goes away (another request of the session may wait
	// for it); the runtime's deletion or the server's close cancels it. The pool grows
	// meanwhile (poolMiss), for the sessions that come next.
	s.sessionStart(rt.ID, sb, ver.Config)
	s.fill(rt.ID, v, ver.Config)
	if err := sb.wait(ctx); err != nil {
		return nil, false, err
	}
	return sb, true, nil
}

// sessionStart starts a session's own sandbox in the background; sb.ready closes when it is up
// or has failed (the session is then forgotten: its next request tries again).
func (s *Service) sessionStart(runtimeID string, sb *sandbox, cfg runtimeConfig) {
	s.goRuntime(runtimeID, func(ctx context.Context) {
		err := s.run.startSandbox(ctx, sb, cfg)
		if err != nil {
			s.sessMu.Lock()
			if s.sessions[sb.key()] == sb {
				delete(s.sessions, sb.key())
				s.sessionCount[runtimeID]--
			}
			delete(s.sandboxes, sb.id)
			sb.ended = true
			s.sessMu.Unlock()
			if ctx.Err() == nil {
				err = startFailed(sb, err)
			}
			sb.err = err
			close(sb.ready)
			return
		}
		s.sessMu.Lock()
		sb.started, sb.lastUsed = time.Now(), time.Now() // its lifetime counts from its start
		s.sessMu.Unlock()
		s.putSession(sb)
		close(sb.ready)
		s.sessMu.Lock()
		gone := sb.ended
		s.sessMu.Unlock()
		if gone { // stopped while it started
			s.run.destroy(context.WithoutCancel(ctx), sb)
		}
	})
}

func (s *Service) putSession(sb *sandbox) {
	s.sessMu.Lock()
	rec := sb.record()
	s.sessSeen[sb.key()] = time.Now()
	s.sessMu.Unlock()
	if err := s.store.touchSession(rec); err != nil {
		s.cfg.Logf("control: recording session %s: %v", rec.SessionID, err)
	}
}

// use marks a request of a session in flight (an idle timeout does not end it meanwhile); the
// returned func ends it.
func (s *Service) use(sb *sandbox) func() {
	s.sessMu.Lock()
	sb.busy++
	sb.lastUsed = time.Now()
	s.sessMu.Unlock()
	return func() {
		s.sessMu.Lock()
		sb.busy--
		sb.lastUsed = time.Now()
		s.sessMu.Unlock()
	}
}

// endSandbox ends a sandbox: forgotten (its session's next request starts a fresh one), its
// record deleted, its container removed or its process stopped.
func (s *Service) endSandbox(ctx context.Context, sb *sandbox, why string) {
	if s.detach(sb, why) {
		s.destroyEnded(ctx, sb)
	}
}

// detach forgets a sandbox and deletes its session's record: from its return on, nothing is
// served by it. It reports false when the sandbox had ended already.
func (s *Service) detach(sb *sandbox, why string) bool {
	s.sessMu.Lock()
	if sb.ended {
		s.sessMu.Unlock()
		return false
	}
	sb.ended = true
	session := sb.session
	if session != "" && s.sessions[sb.key()] == sb {
		delete(s.sessions, sb.key())
		delete(s.sessSeen, sb.key())
		s.sessionCount[sb.runtimeID]--
	}
	delete(s.sandboxes, sb.id)
	s.sessMu.Unlock()
	if session != "" {
		if _, err := s.store.stopSession(sb.runtimeID, session); err != nil {
			s.cfg.Logf("control: forgetting session %s: %v", session, err)
		}
		s.cfg.Logf("control: runtime %s session %s ended (%s)", sb.runtimeID, session, why)
	}
	return true
}

// destroyEnded removes the container or stops the process of a detached sandbox; one still
// starting is destroyed by its start once started (sessionStart, poolStart).
func (s *Service) destroyEnded(ctx context.Context, sb *sandbox) {
	select {
	case <-sb.ready:
		s.run.destroy(ctx, sb)
	default:
	}
}

// sandboxGone is told that a container stopped: the session it served has ended.
func (s *Service) sandboxGone(containerID string) {
	s.sessMu.Lock()
	var found *sandbox
	for _, sb := range s.sandboxes {
		if sb.container == containerID {
			found = sb
			break
		}
	}
	if found != nil && found.session == "" {
		// A pooled one: out of its pool.
		if p := s.pools[containerName(found.runtimeID, found.version)]; p != nil {
			for i, x := range p.ready {
				if x == found {
					p.ready = append(p.ready[:i:i], p.ready[i+1:]...)
					break
				}
			}
		}
	}
	s.sessMu.Unlock()
	if found != nil {
		s.endSandbox(s.ctx, found, "its container stopped")
	}
}

// fill starts sandboxes in the background until the version's pool holds its target (ready
// and starting), poolParallel at a time; each start that ends tops the pool up again.
func (s *Service) fill(runtimeID string, version int, cfg runtimeConfig) {
	limit := poolParallel
	if cfg.Code != nil {
		// Host processes start one at a time: with several at once, TestCodeRuntime found a
		// session's netns sandbox unreachable after a restart (not understood yet).
		limit = 1
	}
	s.fillUpTo(runtimeID, version, cfg, limit)
}

// fillUpTo is fill with at most limit starts in flight; it returns the starts it began.
func (s *Service) fillUpTo(runtimeID string, version int, cfg runtimeConfig, limit int) (*pool, []*sandbox) {
	s.sessMu.Lock()
	k := containerName(runtimeID, version)
	p := s.pools[k]
	if p == nil {
		p = &pool{changed: make(chan struct{})}
		s.pools[k] = p
	}
	var launch []*sandbox
	if !p.dropped {
		target := s.poolTarget(runtimeID)
		for len(p.ready)+len(p.starting) < target && len(p.starting) < limit {
			if len(p.starting) == 0 {
				p.err = nil
			}
			sb := newSandbox(runtimeID, version, cfg)
			s.sandboxes[sb.id] = sb // held from now on: collect leaves its container alone
			p.starting = append(p.starting, sb)
			launch = append(launch, sb)
		}
	}
	gen := p.gen
	s.sessMu.Unlock()
	for _, sb := range launch {
		s.poolStart(p, gen, sb, cfg)
	}
	return p, launch
}

// poolStart starts one sandbox of a pool in the background. It joins the pool once it answers,
// or serves the session that claimed it meanwhile (sessionSandbox).
func (s *Service) poolStart(p *pool, gen int, sb *sandbox, cfg runtimeConfig) {
	s.goRuntime(sb.runtimeID, func(ctx context.Context) {
		err := s.run.startSandbox(ctx, sb, cfg)
		s.sessMu.Lock()
		current := gen == p.gen && !p.dropped
		for i, x := range p.starting {
			if x == sb {
				p.starting = append(p.starting[:i:i], p.starting[i+1:]...)
				break
			}
		}
		claimed := sb.session != ""
		if err != nil {
			if claimed && s.sessions[sb.key()] == sb {
				delete(s.sessions, sb.key())
				s.sessionCount[sb.runtimeID]--
			}
			delete(s.sandboxes, sb.id)
			sb.ended = true
			sb.startErr, sb.err = err, err
			if claimed && ctx.Err() == nil {
				sb.err = startFailed(sb, err)
			}
			if current {
				p.err = err
			}
			close(sb.ready)
			p.notify()
			s.sessMu.Unlock()
			return
		}
		if claimed {
			now := time.Now()
			sb.started, sb.lastUsed = now, now // its lifetime counts from its start
			p.notify()
			s.sessMu.Unlock()
			s.putSession(sb)
			close(sb.ready)
			s.sessMu.Lock()
			gone := sb.ended
			s.sessMu.Unlock()
			if gone { // ended while it started (its version recycled, its runtime deleted)
				s.run.destroy(context.WithoutCancel(ctx), sb)
			}
			return
		}
		close(sb.ready)
		// Ended while it started (the runtime deleted), or started from an artifact that
		// agentcore dev has swapped since (recycleVersion): it goes.
		keep := current && !sb.ended
		if keep {
			sb.pooledAt = time.Now()
			p.ready = append(p.ready, sb)
			p.err = nil
		} else {
			sb.ended = true
			delete(s.sandboxes, sb.id)
		}
		p.notify()
		s.sessMu.Unlock()
		if !keep {
			s.run.destroy(context.WithoutCancel(ctx), sb)
			return
		}
		s.fill(sb.runtimeID, sb.version, cfg) // the target may have grown meanwhile
	})
}

// warm verifies a version's artifact and starts its pool's first sandbox: a version that cannot
// start is reported at once, by create and update, with its output. The first start runs
// alone (it is what the caller waits for); the rest of the pool's target starts after it.
func (s *Service) warm(ctx context.Context, runtimeID string, version int, cfg runtimeConfig) error {
	if err := s.run.verify(ctx, runtimeID, version, cfg); err != nil {
		return err
	}
	return s.warmPool(ctx, runtimeID, version, cfg)
}

// warmPool is warm after the verification: it waits for a sandbox of the pool to answer (one
// started by it, or one in flight already), which a new session may claim meanwhile.
func (s *Service) warmPool(ctx context.Context, runtimeID string, version int, cfg runtimeConfig) error {
	if envInt(PoolSizeEnv, 1) == 0 {
		return nil
	}
	p, launched := s.fillUpTo(runtimeID, version, cfg, 1)
	s.sessMu.Lock()
	var sb *sandbox
	switch {
	case len(p.ready) > 0:
	case len(launched) > 0:
		sb = launched[0]
	case len(p.starting) > 0:
		sb = p.starting[0]
	}
	s.sessMu.Unlock()
	if sb != nil {
		select {
		case <-sb.ready:
		case <-ctx.Done():
			return ctx.Err()
		}
		if sb.startErr != nil {
			return sb.startErr
		}
	} else {
		s.sessMu.Lock()
		empty := len(p.ready) == 0
		s.sessMu.Unlock()
		if empty {
			return context.Canceled // the pool was dropped (a runtime deleted, the server closing)
		}
	}
	s.fill(runtimeID, version, cfg)
	return nil
}

// reaper ends the sessions that were idle for their idle timeout or reached their maximum
// lifetime, as AgentCore does.
func (s *Service) reaper() {
	every := min(time.Second, envDuration(SessionSecondEnv, time.Second))
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-tick.C:
		}
		now := time.Now()
		var idle, old []*sandbox
		s.sessMu.Lock()
		for _, sb := range s.sessions {
			select {
			case <-sb.ready:
			default:
				continue // starting
			}
			if sb.err != nil {
				continue
			}
			if now.Sub(sb.started) >= sb.maxLife {
				old = append(old, sb)
			} else if sb.busy == 0 && now.Sub(sb.lastUsed) >= sb.idle {
				idle = append(idle, sb)
			}
		}
		s.sessMu.Unlock()
		for _, sb := range old {
			s.endSandbox(s.ctx, sb, fmt.Sprintf("it reached its maximum lifetime, %s", sb.maxLife))
		}
		for _, sb := range idle {
			s.endSandbox(s.ctx, sb, fmt.Sprintf("idle for %s", sb.idle))
		}
		s.shrinkPools(now)
	}
}

// shrinkPools removes the pooled sandboxes beyond their runtime's target that waited in their
// pool for poolQuiet lifecycle seconds (the oldest first: takes pick the newest).
func (s *Service) shrinkPools(now time.Time) {
	quiet := time.Duration(poolQuiet) * envDuration(SessionSecondEnv, time.Second)
	var extra []*sandbox
	s.sessMu.Lock()
	for _, p := range s.pools {
		if p.dropped || len(p.ready) == 0 {
			continue
		}
		target := s.poolTarget(p.ready[0].runtimeID)
		for len(p.ready) > target && now.Sub(p.ready[0].pooledAt) >= quiet {
			sb := p.ready[0]
			p.ready = p.ready[1:]
			sb.ended = true
			delete(s.sandboxes, sb.id)
			extra = append(extra, sb)
		}
	}
	s.sessMu.Unlock()
	for _, sb := range extra {
		s.run.destroy(s.ctx, sb)
	}
}

// stopRuntimeSessions ends every sandbox of a runtime (it is being deleted).
func (s *Service) stopRuntimeSessions(runtimeID string) {
	s.sessMu.Lock()
	var list []*sandbox
	for _, sb := range s.sandboxes {
		if sb.runtimeID == runtimeID {
			list = append(list, sb)
		}
	}
	prefix := "agentcore-" + runtimeID + "-v"
	for k, p := range s.pools {
		if strings.HasPrefix(k, prefix) {
			p.dropped = true
			p.ready = nil
			p.notify()
		}
	}
	s.sessMu.Unlock()
	for _, sb := range list {
		s.endSandbox(s.ctx, sb, "its runtime was deleted")
	}
}

// recycleVersion ends every sandbox of version v of a runtime, its sessions' and its pool's,
// and drops its extracted code package: the next session or fill starts from the version's
// configuration as it is then (agentcore dev swapped its artifact). The pool stays usable.
// The sandboxes are forgotten before it returns (no request reaches them after that), and
// removed all at once: in the background, or before it returns when wait is set (starts in
// flight included); a start in flight is thrown away when it ends.
func (s *Service) recycleVersion(runtimeID string, v int, why string, wait bool) {
	s.sessMu.Lock()
	var list []*sandbox
	for _, sb := range s.sandboxes {
		if sb.runtimeID == runtimeID && sb.version == v {
			list = append(list, sb)
		}
	}
	if p := s.pools[containerName(runtimeID, v)]; p != nil {
		p.ready, p.starting, p.err, p.takes = nil, nil, nil, 0
		p.gen++
		p.notify()
	}
	s.sessMu.Unlock()
	var ended []*sandbox
	for _, sb := range list {
		if s.detach(sb, why) {
			ended = append(ended, sb)
		}
	}
	var done sync.WaitGroup
	for _, sb := range ended {
		s.wg.Add(1)
		done.Add(1)
		go func() {
			defer s.wg.Done()
			defer done.Done()
			if !wait {
				s.destroyEnded(context.WithoutCancel(s.ctx), sb)
				return
			}
			// Its start (if in flight) removes it once started too: waited for, then removed
			// here again (a second removal finds nothing).
			<-sb.ready
			s.run.destroy(context.WithoutCancel(s.ctx), sb)
		}()
	}
	if wait {
		done.Wait()
	}
	rt, err := s.loadRuntime(runtimeID)
	if err != nil {
		return // deleted meanwhile: its deletion removes the packages
	}
	keep := map[int]bool{}
	for n := range rt.Versions {
		keep[n] = n != v
	}
	s.run.code.removeVersions(runtimeID, keep)
}

// collect ends the pools of the versions of a runtime that no endpoint serves or waits for any
// more, and removes the containers and processes no sandbox of ours holds (left by a crash).
// Sessions keep their sandbox (and their version) until they end.
func (s *Service) collect(ctx context.Context, id string) {
	eps, err := s.store.endpoints(id)
	if err != nil {
		return
	}
	keep := map[int]bool{}
	for _, e := range eps {
		for _, v := range []string{e.LiveVersion, e.TargetVersion} {
			var n int
			if _, err := fmt.Sscan(v, &n); err == nil {
				keep[n] = true
			}
		}
	}
	// What runs is listed before what we hold is read: a sandbox registered after the
	// listing is not in it, one registered before is held.
	found, ferr := s.run.find(ctx, id, 0)
	recs, perr := s.store.processes(id)
	var drop []*sandbox
	s.sessMu.Lock()
	for k, p := range s.pools {
		var rt string
		var v int
		if i := strings.LastIndex(k, "-v"); i > 0 {
			rt = strings.TrimPrefix(k[:i], "agentcore-")
			v, _ = strconv.Atoi(k[i+2:])
		}
		if rt != id || keep[v] {
			continue
		}
		p.dropped = true
		for _, sb := range p.ready {
			delete(s.sandboxes, sb.id)
			sb.ended = true
			drop = append(drop, sb)
		}
		p.ready = nil
		p.notify()
		delete(s.pools, k)
	}
	held := map[string]bool{}
	versions := map[int]bool{}
	for sid, sb := range s.sandboxes {
		held[sid] = true
		if sb.runtimeID == id {
			versions[sb.version] = true
		}
	}
	s.sessMu.Unlock()
	for _, sb := range drop {
		held[sb.id] = true // removed here, not reported as a leftover below
		s.run.destroy(ctx, sb)
	}
	if ferr == nil {
		for _, c := range found {
			if !held[c.Labels[LabelSandbox]] {
				s.cfg.Logf("control: removing container %s of runtime %s version %s: no session or pool holds it", c.ID[:min(12, len(c.ID))], id, c.Labels[LabelVersion])
				s.run.remove(ctx, c.ID)
			}
		}
	}
	if perr == nil {
		for _, rec := range recs {
			if !held[rec.Sandbox] || rec.Sandbox == "" {
				s.run.code.end(rec)
			}
		}
	}
	for v := range versions {
		keep[v] = true
	}
	s.run.code.removeVersions(id, keep)
}

// recoverSessions finds again, after a restart, the sandboxes a previous server left running:
// those of recorded sessions serve them again, pooled ones go back to their pool; the rest
// (stopped containers, dead processes, runtimes that are gone) are removed, and the records of
// sessions whose sandbox is gone are deleted: those sessions have ended.
func (s *Service) recoverSessions(runtimes []*runtimeRec) {
	known := map[string]*runtimeRec{}
	for _, r := range runtimes {
		if r.Status != statusDeleting {
			known[r.ID] = r
		}
	}
	recs, err := s.store.sessionRecs()
	if err != nil {
		s.cfg.Logf("control: reading sessions: %v", err)
	}
	bySandbox := map[string]*sessionRec{}
	for _, r := range recs {
		if r.Sandbox != "" {
			bySandbox[r.Sandbox] = r
		}
	}
	adopted := map[string]bool{}
	now := time.Now()
	// artifact is the container's LabelImage ("" for a host process): a container started from
	// an artifact the version no longer has (agentcore dev swapped it, and the endpoint was
	// killed before the old container was removed) is not adopted.
	adopt := func(sb *sandbox, labelSession, artifact string) bool {
		rt := known[sb.runtimeID]
		if rt == nil || rt.Versions[sb.version] == nil {
			return false
		}
		if cfg := rt.Versions[sb.version].Config; artifact != "" && artifact != cfg.ContainerURI && (cfg.Code == nil || artifact != cfg.describe()) {
			return false
		}
		sb.idle, sb.maxLife = lifecycleOf(rt.Versions[sb.version].Config)
		close(sb.ready)
		s.sessMu.Lock()
		defer s.sessMu.Unlock()
		if rec := bySandbox[sb.id]; rec != nil && rec.RuntimeID == sb.runtimeID {
			// The restart counts as its last use: idle time before it is not known to the minute.
			sb.session, sb.endpoint, sb.started, sb.lastUsed = rec.SessionID, rec.Endpoint, rec.Started, now
			if sb.started.IsZero() {
				sb.started = now
			}
			s.sessions[sb.key()] = sb
			s.sessionCount[sb.runtimeID]++
			adopted[rec.RuntimeID+"/"+rec.SessionID] = true
		} else if labelSession == "" {
			k := containerName(sb.runtimeID, sb.version)
			if s.pools[k] == nil {
				s.pools[k] = &pool{changed: make(chan struct{})}
			}
			sb.pooledAt = now
			s.pools[k].ready = append(s.pools[k].ready, sb)
		} else {
			return false // a session's sandbox whose session was stopped meanwhile
		}
		s.sandboxes[sb.id] = sb
		return true
	}
	if found, err := s.run.find(s.ctx, "", 0); err != nil {
		s.cfg.Logf("control: listing agent containers: %v", err)
	} else {
		for _, c := range found {
			var v int
			fmt.Sscan(c.Labels[LabelVersion], &v)
			sb := &sandbox{id: c.Labels[LabelSandbox], runtimeID: c.Labels[LabelRuntime], version: v, container: c.ID, ready: make(chan struct{})}
			ok := false
			if sb.id != "" && c.State == "running" {
				if info, err := s.cfg.Docker.ContainerInspect(s.ctx, c.ID); err == nil && info.State != nil && info.State.Running {
					ct := contract{protocol: protocolHTTP, port: 8080}
					if rt := known[sb.runtimeID]; rt != nil && rt.Versions[v] != nil {
						ct = contractOf(rt.Versions[v].Config)
					}
					if sb.addr = s.run.hostAddr(info, ct); sb.addr != "" {
						ok = adopt(sb, c.Labels[LabelSession], c.Labels[LabelImage])
					}
				}
			}
			if !ok {
				if known[sb.runtimeID] == nil {
					s.cfg.Logf("control: removing container %s of unknown runtime %q", c.ID[:min(12, len(c.ID))], sb.runtimeID)
				} else {
					s.cfg.Logf("control: removing container %s of runtime %s: stopped, or of an ended session", c.ID[:min(12, len(c.ID))], sb.runtimeID)
				}
				s.run.remove(s.ctx, c.ID)
			}
		}
	}
	if procs, err := s.store.processes(""); err != nil {
		s.cfg.Logf("control: reading recorded processes: %v", err)
	} else {
		for _, rec := range procs {
			sb := &sandbox{id: rec.Sandbox, runtimeID: rec.RuntimeID, version: rec.Version, proc: rec,
				addr: procAddr(rec), ready: make(chan struct{})}
			if rec.Sandbox == "" || !s.run.code.alive(rec) || !adopt(sb, rec.Session, "") {
				s.run.code.end(rec)
			}
		}
	}
	for _, r := range recs {
		if !adopted[r.RuntimeID+"/"+r.SessionID] {
			s.store.stopSession(r.RuntimeID, r.SessionID)
		}
	}
	s.sessMu.Lock()
	n := len(s.sessions)
	s.sessMu.Unlock()
	if n > 0 {
		s.cfg.Logf("control: %d live sessions found again", n)
	}
}

// sandboxTarget is where a command runs in a session's sandbox (InvokeAgentRuntimeCommand, the
// interactive shell): `docker exec` in Container, or for a host process a command started in
// Dir with Env (the agent's own environment: region, environmentVariables, PORT, TMPDIR).
type sandboxTarget struct {
	Container string
	Dir       string
	Env       []string
	PID       int            // the host process's pid (0 for a container)
	NS        *netns.Sandbox // the host process's netns sandbox, nil when it runs on the host's network
}

// sandboxTarget describes sb for exec; get it from sessionSandbox, which starts the session's
// sandbox when it has none.
func (s *Service) sandboxTarget(rt *runtimeRec, sb *sandbox) sandboxTarget {
	if sb.proc == nil {
		return sandboxTarget{Container: sb.container}
	}
	t := sandboxTarget{Dir: sb.proc.Dir, PID: sb.proc.PID}
	if sb.proc.NetNS != "" {
		// The command runs in the sandbox, with the agent's own environment.
		t.NS = s.run.code.nsOf(sb.proc)
		if t.NS != nil {
			return t
		}
	}
	if ver := rt.Versions[sb.version]; ver != nil && ver.Config.Code != nil {
		t.Env = s.run.code.env(s.run, ver.Config, sb.runtimeID, sb.version, s.run.code.versionDir(sb.runtimeID, sb.version), sb.proc.Dir, sb.proc.Port)
	}
	return t
}
