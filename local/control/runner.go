package control

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	cerrdefs "github.com/containerd/errdefs"
	"io"
	"net"
	"net/http"
	goruntime "runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/pkg/stdcopy"
	"github.com/docker/go-connections/nat"
)

// Labels put on every agent container, so a restarted server (and `agentcore local reset`) finds
// them again.
const (
	LabelOwner   = "dev.agentcore.local"                 // "true" on every container this tool runs
	LabelState   = "dev.agentcore.local.state"           // the data directory of the server that owns it
	LabelRuntime = "dev.agentcore.local.runtime-id"      // agentRuntimeId
	LabelVersion = "dev.agentcore.local.runtime-version" // agentRuntimeVersion
	LabelImage   = "dev.agentcore.local.container-uri"   // the containerUri the version was created with
	LabelSandbox = "dev.agentcore.local.sandbox"         // the sandbox's id (one per runtime session)
	LabelSession = "dev.agentcore.local.session-id"      // the runtime session it was started for; "" for a pooled one
)

// runner starts, finds and removes sandboxes: the containers (or host processes, see code.go)
// that serve one runtime session each (sessions.go decides when).
type runner struct {
	docker      Docker
	stateLabel  string
	region      string
	pingTimeout time.Duration
	resolve     func(uri string) string // containerUri → reference the engine pulls
	pullAuth    func(ref string) string // X-Registry-Auth for a pull of ref ("" for none); may be nil
	http        *http.Client
	proxy       *proxyClient // invocations to sandboxes (proxyclient.go)
	code        *codeRunner  // code versions: extraction and host processes
	logf        func(format string, args ...any)
	// env adds the observability variables of an agent; onContainer and onProcess are told of
	// every agent container and host process found running or started (their output is
	// copied into the logs). Any may be nil.
	env         func(runtimeID string, version int, container bool) []string
	onContainer func(id, runtimeID string, version int)
	onProcess   func(logPath, runtimeID string, version, pid int)

	// network is the Docker network agent containers join, publishing no port ("": they
	// publish 8080 on a loopback port). ensureNw creates it again; may be nil.
	network  string
	ensureNw func(context.Context) (string, error)
	nwMu     sync.Mutex
	nwID     string // the network's ID as ensureNw last found it
}

// deployError is a failure a person can act on; its message becomes failureReason.
type deployError struct{ msg string }

func (e *deployError) Error() string { return e.msg }

func deployErrorf(format string, args ...any) error {
	return &deployError{fmt.Sprintf(format, args...)}
}

// containerName is the key of a version (activity, pools).
func containerName(runtimeID string, version int) string {
	return fmt.Sprintf("agentcore-%s-v%d", runtimeID, version)
}

// sandboxName is the container name of one sandbox of a version.
func sandboxName(runtimeID string, version int, sandboxID string) string {
	return containerName(runtimeID, version) + "-" + sandboxID
}

// find lists this server's containers of a runtime ("" for all runtimes) and version (0 for
// all versions).
func (r *runner) find(ctx context.Context, runtimeID string, version int) ([]container.Summary, error) {
	args := filters.NewArgs(
		filters.Arg("label", LabelOwner+"=true"),
		filters.Arg("label", LabelState+"="+r.stateLabel),
	)
	if runtimeID != "" {
		args.Add("label", LabelRuntime+"="+runtimeID)
	}
	if version > 0 {
		args.Add("label", fmt.Sprintf("%s=%d", LabelVersion, version))
	}
	return r.docker.ContainerList(ctx, container.ListOptions{All: true, Filters: args})
}

// startSandbox starts a sandbox of a version: a container from its image, or for a code version
// a container from the runtime image or a host process (code.go). It fills sb's address.
func (r *runner) startSandbox(ctx context.Context, sb *sandbox, cfg runtimeConfig) error {
	if cfg.Code != nil {
		return r.startCode(ctx, sb, cfg)
	}
	spec := containerSpec{image: r.resolve(cfg.ContainerURI)}
	if b := cfg.DevBinary; b != nil {
		spec.binds = []string{b.HostPath + ":" + b.Path + ":ro"}
	}
	return r.create(ctx, sb, cfg, spec)
}

// verify checks a version's artifact, what makes it READY in AgentCore: the image is in the
// registry, on the engine, and built for this machine's platform; a code package is unpacked
// with its entry point, and its interpreter (or runtime image) is here.
func (r *runner) verify(ctx context.Context, runtimeID string, version int, cfg runtimeConfig) error {
	if cfg.Code != nil {
		return r.verifyCode(ctx, runtimeID, version, cfg)
	}
	ref := r.resolve(cfg.ContainerURI)
	if err := r.pull(ctx, ref, cfg.ContainerURI); err != nil {
		return err
	}
	img, err := r.docker.ImageInspect(ctx, ref)
	if err != nil {
		return fmt.Errorf("inspecting image %s: %w", ref, err)
	}
	if (img.Os != "" && img.Os != "linux") || (img.Architecture != "" && img.Architecture != goruntime.GOARCH) {
		return deployErrorf("the image %s was built for another platform (the image is %s/%s): it would fail with exec format error; this machine runs linux/%s, rebuild with docker build --platform linux/%s",
			cfg.ContainerURI, img.Os, img.Architecture, goruntime.GOARCH, goruntime.GOARCH)
	}
	return nil
}

// containerSpec is how a version's container differs between image versions (the image as
// built) and code versions run in a runtime image (the package mounted, a command given).
type containerSpec struct {
	image   string
	cmd     []string
	workdir string
	binds   []string
	env     []string
}

func (r *runner) started(id, runtimeID string, version int) {
	if r.onContainer != nil {
		r.onContainer(id, runtimeID, version)
	}
}

// baseEnv is what every agent gets, container or host process: the region, the observability
// variables AgentCore sets (OTEL_*), and the version's environmentVariables, which win.
func (r *runner) baseEnv(cfg runtimeConfig, runtimeID string, version int, container bool) []string {
	env := []string{"AWS_REGION=" + r.region, "AWS_DEFAULT_REGION=" + r.region}
	if r.env != nil {
		env = append(env, r.env(runtimeID, version, container)...)
	}
	for k, v := range cfg.EnvironmentVariables {
		env = append(env, k+"="+v)
	}
	return env
}

// create creates and starts a sandbox's container and waits until it is healthy; sb.container
// and sb.addr say where it is. A container that fails is removed.
func (r *runner) create(ctx context.Context, sb *sandbox, cfg runtimeConfig, spec containerSpec) error {
	runtimeID, version := sb.runtimeID, sb.version
	start := time.Now()
	env := append(r.baseEnv(cfg, runtimeID, version, true), spec.env...)
	port := nat.Port(contractOf(cfg).dockerPort())
	name := sandboxName(runtimeID, version, sb.id)
	config := &container.Config{
		Image:        spec.image,
		Env:          env,
		Cmd:          spec.cmd,
		WorkingDir:   spec.workdir,
		ExposedPorts: nat.PortSet{port: {}},
		Labels: map[string]string{
			LabelOwner:   "true",
			LabelState:   r.stateLabel,
			LabelRuntime: runtimeID,
			LabelVersion: itoa(version),
			LabelImage:   cfg.ContainerURI,
			LabelSandbox: sb.id,
			LabelSession: sb.session,
		},
	}
	if cfg.Code != nil {
		config.Labels[LabelImage] = cfg.describe()
	}
	hostConfig := &container.HostConfig{
		PortBindings: nat.PortMap{port: {{HostIP: "127.0.0.1", HostPort: ""}}},
		Binds:        spec.binds,
	}
	if r.network != "" {
		hostConfig.PortBindings = nil
		hostConfig.NetworkMode = container.NetworkMode(r.network)
	}
	// The engine's create and start are not cancelled with ctx: a create whose request is
	// dropped may still be made by the engine after our removal by name looked for it (a
	// container left in Created). Each is short and bounded; a cancellation is looked at after
	// it, when the container's ID is known and it can be removed for sure.
	engineCtx, cancelEngine := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancelEngine()
	// The agents' network can go between its check and the container's start (another
	// endpoint's reset removes it when no container runs on it): made again, up to 3 times.
	var created container.CreateResponse
	var err error
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if r.network != "" && r.ensureNw != nil {
			// Another endpoint's reset may have removed it (an engine checks only at start); the
			// container joins it by ID, since a name may stand for two networks for a moment.
			// The ID found last is used first (a lookup costs a start tens of milliseconds);
			// a network gone since is looked up again on the next attempt.
			id, err := r.networkID(ctx, attempt > 0)
			if err != nil {
				return err
			}
			hostConfig.NetworkMode = container.NetworkMode(id)
		}
		created, err = r.docker.ContainerCreate(engineCtx, config, hostConfig, nil, nil, name)
		if err == nil && ctx.Err() != nil {
			r.remove(engineCtx, created.ID)
			return ctx.Err()
		}
		if err != nil && strings.Contains(err.Error(), "No such image") && attempt < 2 {
			// Removed from the engine since the version was verified: pulled again.
			if perr := r.pull(ctx, spec.image, cfg.ContainerURI); perr != nil {
				return perr
			}
			continue
		}
		// The name is taken: a leftover of a run that stopped between create and cleanup, or the
		// same version's container still being removed (the endpoints left it a moment ago, and
		// the engine removes it in the background: a second removal is refused meanwhile). Remove
		// it and try again until the name is free, for up to 15 s.
		for wait := 100 * time.Millisecond; err != nil && strings.Contains(err.Error(), "is already in use"); wait = min(2*wait, 2*time.Second) {
			r.remove(engineCtx, name)
			created, err = r.docker.ContainerCreate(engineCtx, config, hostConfig, nil, nil, name)
			if err == nil && ctx.Err() != nil {
				r.remove(engineCtx, created.ID)
				return ctx.Err()
			}
			if err == nil || !strings.Contains(err.Error(), "is already in use") || time.Since(start) > 15*time.Second {
				break
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
		}
		if err != nil && networkGone(err) && attempt < 2 {
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("creating container %s from %s: %w", name, spec.image, err)
		}
		err = r.docker.ContainerStart(engineCtx, created.ID, container.StartOptions{})
		if ctx.Err() != nil {
			r.remove(engineCtx, created.ID)
			return ctx.Err()
		}
		if err != nil {
			if networkGone(err) && attempt < 2 {
				r.remove(engineCtx, created.ID)
				continue
			}
			if cerrdefs.IsNotFound(err) || strings.Contains(err.Error(), "marked for removal") {
				r.remove(context.WithoutCancel(ctx), created.ID)
				return fmt.Errorf("starting container %s: %w (%w)", created.ID[:min(12, len(created.ID))], errVanished, err)
			}
			reason := r.explainExit(ctx, created.ID, cfg.describe(), err.Error())
			r.remove(context.WithoutCancel(ctx), created.ID)
			return reason
		}
		break
	}
	r.started(created.ID, runtimeID, version)
	addr, err := r.waitHealthy(ctx, created.ID, cfg)
	if err != nil {
		r.remove(context.WithoutCancel(ctx), created.ID)
		return err
	}
	sb.container, sb.addr = created.ID, addr
	return nil
}

// networkID is the agents' network's ID: the one found last, or looked up (and made when
// missing) when there is none yet or fresh is set.
func (r *runner) networkID(ctx context.Context, fresh bool) (string, error) {
	r.nwMu.Lock()
	id := r.nwID
	r.nwMu.Unlock()
	if id != "" && !fresh {
		return id, nil
	}
	id, err := r.ensureNw(ctx)
	if err != nil {
		return "", err
	}
	r.nwMu.Lock()
	r.nwID = id
	r.nwMu.Unlock()
	return id, nil
}

func (r *runner) remove(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	r.docker.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true})
}

// destroy ends a sandbox: its container removed, or its host process stopped and its
// working directory deleted.
func (r *runner) destroy(ctx context.Context, sb *sandbox) {
	if sb.container != "" {
		r.remove(ctx, sb.container)
	}
	if sb.proc != nil {
		r.code.end(sb.proc)
	}
}

// alive reports whether a sandbox still runs (a Docker call for a container: not for the hot
// path, only when its address stopped answering).
func (r *runner) alive(ctx context.Context, sb *sandbox) bool {
	if sb.proc != nil {
		return r.code.alive(sb.proc)
	}
	info, err := r.docker.ContainerInspect(ctx, sb.container)
	return err == nil && info.State != nil && info.State.Running
}

// removeAll removes every container and host process of a runtime, and its code files.
func (r *runner) removeAll(ctx context.Context, runtimeID string) error {
	if err := r.code.removeAll(runtimeID); err != nil {
		return err
	}
	found, err := r.find(ctx, runtimeID, 0)
	if err != nil {
		return err
	}
	for _, c := range found {
		r.remove(ctx, c.ID)
	}
	return nil
}

var refPattern = lazyRegexp(`^([^/]+)/(.+?)(?::([^:@/]+))?(?:@(.+))?$`)

func (r *runner) pull(ctx context.Context, ref, uri string) error {
	var opts image.PullOptions
	if r.pullAuth != nil {
		opts.RegistryAuth = r.pullAuth(ref)
	}
	rc, err := r.docker.ImagePull(ctx, ref, opts)
	if err == nil {
		err = readPullStream(rc)
		rc.Close()
	}
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	msg := err.Error()
	if strings.Contains(msg, "not found") || strings.Contains(msg, "manifest unknown") || strings.Contains(msg, "name unknown") ||
		strings.Contains(msg, "NAME_UNKNOWN") || strings.Contains(msg, "MANIFEST_UNKNOWN") {
		what := "it is not there"
		if m := refPattern().FindStringSubmatch(uri); m != nil {
			tag := m[3]
			if m[4] != "" {
				tag = m[4]
			} else if tag == "" {
				tag = "latest"
			}
			what = fmt.Sprintf("repository %q has no image %q", m[2], tag)
			if strings.Contains(msg, "name unknown") || strings.Contains(msg, "NAME_UNKNOWN") {
				what = fmt.Sprintf("repository %q does not exist", m[2])
			}
		}
		return deployErrorf("image %s not found in the registry: %s; push it first (docker push %s). The engine said: %s", uri, what, ref, msg)
	}
	if strings.Contains(msg, "connection refused") || strings.Contains(msg, "no such host") {
		return deployErrorf("pulling %s: the registry is not reachable from the Docker engine: %s", ref, msg)
	}
	return deployErrorf("pulling %s: %s", ref, msg)
}

// readPullStream drains the engine's JSON progress stream; errors arrive inside it.
func readPullStream(rc io.Reader) error {
	dec := json.NewDecoder(rc)
	for {
		var m struct {
			Error       string `json:"error"`
			ErrorDetail struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := dec.Decode(&m); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		if m.ErrorDetail.Message != "" {
			return errors.New(m.ErrorDetail.Message)
		}
		if m.Error != "" {
			return errors.New(m.Error)
		}
	}
}

// hostAddr is where the endpoint reaches a container's contract port (8080, 8000 or 9000): its
// address on the agents' network, or the loopback port it publishes when there is no such
// network.
func (r *runner) hostAddr(info container.InspectResponse, c contract) string {
	if info.NetworkSettings == nil {
		return ""
	}
	if r.network != "" {
		if ep := info.NetworkSettings.Networks[r.network]; ep != nil && ep.IPAddress != "" {
			return net.JoinHostPort(ep.IPAddress, strconv.Itoa(c.port))
		}
		return ""
	}
	for _, b := range info.NetworkSettings.Ports[nat.Port(c.dockerPort())] {
		if b.HostPort != "" {
			ip := b.HostIP
			if ip == "" || ip == "0.0.0.0" || ip == "::" {
				ip = "127.0.0.1"
			}
			return net.JoinHostPort(ip, b.HostPort)
		}
	}
	return ""
}

// waitHealthy polls the agent's readiness check (its protocol's: GET /ping, an MCP ping, the
// A2A agent card; contract.go) until it passes, the container exits or the ping timeout
// passes; each way out says what to fix. A static agent answers within milliseconds of
// its start, so the first polls come fast (5 ms, doubling to 100 ms); the container is inspected
// for its address first and then at most every 250 ms while the ping fails (an exited one is
// reported then).
func (r *runner) waitHealthy(ctx context.Context, id string, cfg runtimeConfig) (string, error) {
	uri, c := cfg.describe(), contractOf(cfg)
	deadline := time.Now().Add(r.pingTimeout)
	var lastAnswer string // last HTTP answer to /ping, "" while nothing answered
	var lastErr error
	var addr string
	var inspected time.Time
	wait := 5 * time.Millisecond
	for {
		if addr == "" || time.Since(inspected) >= 250*time.Millisecond {
			info, err := r.docker.ContainerInspect(ctx, id)
			if err != nil {
				if ctx.Err() != nil {
					return "", ctx.Err()
				}
				if cerrdefs.IsNotFound(err) {
					return "", fmt.Errorf("inspecting container %s: %w (%w)", id[:min(12, len(id))], errVanished, err)
				}
				return "", fmt.Errorf("inspecting container %s: %w", id[:min(12, len(id))], err)
			}
			inspected = time.Now()
			if info.State != nil && (info.State.Dead || info.State.Status == "removing") {
				return "", fmt.Errorf("container %s: %w (it is %s)", id[:min(12, len(id))], errVanished, info.State.Status)
			}
			if info.State == nil || !info.State.Running {
				code := 0
				if info.State != nil {
					code = info.State.ExitCode
				}
				return "", r.explainExit(ctx, id, uri, fmt.Sprintf("the container exited with code %d", code))
			}
			addr = r.hostAddr(info, c)
		}
		if addr != "" {
			healthy, answer, err := c.healthy(ctx, r.http, addr)
			if healthy {
				return addr, nil
			}
			if err != nil {
				lastErr = err
			} else {
				lastAnswer = answer
			}
		}
		if time.Now().After(deadline) {
			logs := r.tail(ctx, id, 10)
			if lastAnswer == "" {
				return "", deployErrorf("Runtime initialization failed: the agent in %s did not serve port %d within %s (last error: %v): %s (protocol %s)%s", uri, c.port, r.pingTimeout, lastErr, c.listen(), c.protocol, logs)
			}
			return "", deployErrorf("Runtime initialization failed: the agent in %s never reported healthy within %s: %s; %s%s", uri, r.pingTimeout, lastAnswer, c.listen(), logs)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 100*time.Millisecond)
	}
}

// explainExit turns a container that stopped (or could not start) into a failure reason.
func (r *runner) explainExit(ctx context.Context, id, uri, what string) error {
	logs := r.tail(ctx, id, 20)
	if strings.Contains(what+logs, "exec format error") {
		platform := ""
		if img, err := r.docker.ImageInspect(ctx, r.resolve(uri)); err == nil {
			platform = fmt.Sprintf(" (the image is %s/%s)", img.Os, img.Architecture)
		}
		return deployErrorf("the image %s was built for another platform%s: exec format error; this machine runs linux/%s, rebuild with docker build --platform linux/%s%s", uri, platform, goruntime.GOARCH, goruntime.GOARCH, logs)
	}
	return deployErrorf("%s: %s%s", uri, what, logs)
}

// tail returns the last n log lines of a container formatted for a failure reason.
func (r *runner) tail(ctx context.Context, id string, n int) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	rc, err := r.docker.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true, Tail: itoa(n)})
	if err != nil {
		return ""
	}
	defer rc.Close()
	var buf bytes.Buffer
	if _, err := stdcopy.StdCopy(&buf, &buf, rc); err != nil {
		return ""
	}
	var lines []string
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			if len(l) > 300 {
				l = l[:300] + "…"
			}
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return ""
	}
	return "; last log lines: " + strings.Join(lines, " | ")
}

// networkGone reports whether the engine refused a container because its network no longer
// exists.
func networkGone(err error) bool {
	m := err.Error()
	return strings.Contains(m, "network") && strings.Contains(m, "not found")
}
