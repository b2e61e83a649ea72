package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/spf13/pflag"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/project"
)

const devUsage = `Usage: agentcore dev AGENT [--no-logs] [--interval 150ms]

Runs AGENT on the local provider and rebuilds it on every save of its sources (build = "go",
"zip" or "docker"): each rebuild replaces the running container or process of the version
the DEFAULT endpoint serves, in place: no new version, the same runtime ARN and URL, so
agentcore invoke, boto3 and the AWS CLI keep working. The agent's logs stream meanwhile.
For build = "go", a save that changes only Go sources (.go, go.mod, go.sum) compiles the
program alone and runs it mounted over the image's: no image is made or pushed.

The agent is created first when it has no runtime in the environment (and kept afterwards, as
agentcore create would). Ctrl-C ends it: the version gets its own artifact back and nothing of
it keeps running (the next invocation starts it as it was). Sources are watched by polling
their files (size and modification time) every --interval, skipping .agentcore, .git,
node_modules, __pycache__ and .venv; a burst of saves makes one rebuild (one that stays
50 ms unchanged).

Local environments only: AgentCore itself has no way to swap a version's artifact; there,
deploy with agentcore update.

Examples:
  agentcore dev my-bot
  agentcore dev my-bot -e local --no-logs`

// devSetup runs once: the agent created when it has no live runtime, then what the loop needs,
// and a function that builds and publishes the sources as they are now (the stock library's
// make_artifact and publish, as update does) and returns the runtime artifact to swap in.
const devSetup = `
local deploy = require("deploy")
local name = ...
local agent = project.agent(name)
if not deploy.is_local() then
  ui.error(("agentcore dev runs agents on the local provider, and environment %s is not local"):format(env.name()),
    { usage = true, hint = "pick a local environment with -e NAME (agentcore env list shows them)" })
end
if agent.build == "image" then
  ui.error(("agent %s deploys a prebuilt image (build = \"image\"): there are no sources to rebuild"):format(name),
    { usage = true, hint = "agentcore dev works with build = \"go\", \"zip\" or \"docker\"" })
end
local a = state.load().agents[name]
local created = false
if not (a and a.runtime_id and agentcore.get_runtime(a.runtime_id)) then
  ui.info(name .. " has no runtime in " .. env.name() .. " yet: creating it first")
  stock("create").call { agent = name }
  created = true
  a = state.load().agents[name]
end
local repo, last_image
local function rebuild(fast)
  if fast and last_image and agent.build == "go" then
    -- only Go sources changed: the program alone, mounted over the image's (no image, no push)
    local bin = oci.compile_go(deploy.go_build_opts(agent))
    return { image = last_image, digest = "sha256:" .. bin.sha256, binary = bin.path, binary_in = bin.image_path }
  end
  deploy.preflight(agent)
  local c = deploy.context(agent)
  repo = repo or deploy.ensure_repository_and_role(c)
  local art = deploy.make_artifact(agent)
  art.platform = agent.platform
  local pub = deploy.publish(art, repo)
  local s3 = deploy.parse_s3_uri(pub.image)
  if s3 then
    return { code = { bucket = s3.bucket, prefix = s3.key, version_id = s3.version_id,
      runtime = agent.runtime, entrypoint = agent.entrypoint }, digest = pub.digest }
  end
  last_image = pub.image
  return { image = pub.image, digest = pub.digest }
end
local watch = { agent.context }
if agent.build == "docker" then watch = { agent.context, agent.dockerfile } end
local go_out = agent.build == "go" and deploy.go_build_opts(agent).out or nil
return { runtime_id = a.runtime_id, created = created, build = agent.build, watch = watch, go_out = go_out }, rebuild
`

func (a *app) cmdDev(args []string) error {
	flags := pflag.NewFlagSet("dev", pflag.ContinueOnError)
	noLogs := flags.Bool("no-logs", false, "do not stream the agent's logs")
	interval := flags.Duration("interval", 150*time.Millisecond, "how often the sources are checked for changes")
	rest, err := a.parse(flags, args, devUsage)
	if err != nil {
		return helpOK(err)
	}
	if len(rest) != 1 {
		return usageErr(devUsage, "dev takes one agent name")
	}
	if *interval < 10*time.Millisecond {
		return usageErr("for example --interval 150ms", "--interval %s is too short", *interval)
	}
	name := rest[0]
	p, err := a.loadProject()
	if err != nil {
		return err
	}
	if _, ok := p.Agents[name]; !ok {
		names := make([]string, 0, len(p.Agents))
		for n := range p.Agents {
			names = append(names, n)
		}
		sort.Strings(names)
		return usageErr("agents of this project: "+strings.Join(names, ", "), "unknown agent %q%s", name, project.Suggest(name, names))
	}
	run, err := a.newRun(p, true)
	if err != nil {
		return err
	}
	vm := engine.NewVM(run, a.registry())
	defer vm.Close()
	vm.Recipes = a.resolver(p)
	res, err := vm.DoString("agentcore dev", devSetup, lua.LString(name))
	if err != nil {
		return err
	}
	if len(res) != 2 {
		return fmt.Errorf("agentcore dev: the setup returned %d values", len(res))
	}
	var info struct {
		RuntimeID string   `json:"runtime_id"`
		Created   bool     `json:"created"`
		Build     string   `json:"build"`
		Watch     []string `json:"watch"`
		GoOut     string   `json:"go_out"` // build = "go": oci.build_go's out, whose .bin holds the dev programs
	}
	if err := json.Unmarshal([]byte(engine.Inspect(res[0])), &info); err != nil {
		return fmt.Errorf("agentcore dev: reading the setup's result: %w", err)
	}
	rebuild := res[1]

	base, err := a.ensureLocal(a.ctx)
	if err != nil {
		return err
	}
	ctl := &devControl{base: strings.TrimRight(base, "/"), runtimeID: info.RuntimeID}
	// Whatever happens from here, the version gets its artifact back (Ctrl-C included: the
	// run's context is cancelled by then, so this one is not).
	defer func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(a.ctx), time.Minute)
		defer cancel()
		if v, err := ctl.restore(ctx); err != nil {
			a.out.Warn("", fmt.Sprintf("putting the original artifact back on %s: %v (run agentcore dev %s again, then Ctrl-C, to retry)", info.RuntimeID, err, name))
		} else {
			if info.GoOut != "" {
				// The programs of the fast swaps (oci.compile_go): nothing mounts them any more.
				old, _ := filepath.Glob(filepath.Join(p.Dir, filepath.FromSlash(info.GoOut)+".bin", "dev-*"))
				for _, f := range old {
					_ = os.Remove(f)
				}
			}
			if v != "" {
				a.out.OK("", fmt.Sprintf("dev ended: V%s has its own artifact back and nothing of it runs (the next invocation starts it)", v))
			}
		}
	}()

	if !*noLogs {
		stop := a.devLogs(name, run.EnvName)
		defer stop()
	}

	snap := devSnapshot(info.Watch)
	swap := func(first, fast bool) {
		start := time.Now()
		out, err := vm.Call(rebuild, lua.LBool(fast))
		if err != nil {
			if a.ctx.Err() == nil {
				a.out.Fail("", fmt.Sprintf("build failed: %v (fix and save again)", err))
			}
			return
		}
		built := time.Since(start)
		var art devArtifact
		if len(out) == 1 {
			_ = json.Unmarshal([]byte(engine.Inspect(out[0])), &art)
		}
		v, err := ctl.swap(a.ctx, art)
		if err != nil {
			if a.ctx.Err() == nil {
				a.out.Fail("", fmt.Sprintf("the new build did not start: %v (fix and save again)", err))
			}
			return
		}
		what := "a change"
		if first {
			what = "the sources as they are"
		} else if art.Binary != "" {
			what = "a change (the new program in the same image)"
		}
		a.out.OK("", fmt.Sprintf("V%s of %s runs %s (%s): built in %s, answering %s after the change was seen",
			v, name, what, shortDigest(art.Digest), built.Round(10*time.Millisecond), time.Since(start).Round(10*time.Millisecond)))
	}
	swap(true, false)
	a.out.Info("", fmt.Sprintf("watching %s for changes; Ctrl-C ends dev", strings.Join(relAll(p.Dir, info.Watch), ", ")))
	tick := time.NewTicker(*interval)
	defer tick.Stop()
	for {
		select {
		case <-a.ctx.Done():
			return nil
		case <-tick.C:
		}
		now := devSnapshot(info.Watch)
		if now.equal(snap) {
			continue
		}
		// A burst of saves (an editor's write and rename, a formatter) makes one rebuild: wait
		// until the files stay the same for a quiet moment (devQuiet, or one interval when that
		// is shorter). A later save only costs a second rebuild.
		quiet := min(*interval, devQuiet)
		for {
			select {
			case <-a.ctx.Done():
				return nil
			case <-time.After(quiet):
			}
			again := devSnapshot(info.Watch)
			if again.equal(now) {
				break
			}
			now = again
		}
		fast := devOnlyGo(snap, now)
		snap = now
		a.out.Step("", "sources changed: rebuilding")
		swap(false, fast)
	}
}

// devQuiet is how long the watched files must stay unchanged before a rebuild: an editor's
// write and rename of one save come within milliseconds of each other.
const devQuiet = 50 * time.Millisecond

func shortDigest(d string) string {
	d = strings.TrimPrefix(d, "sha256:")
	if len(d) > 12 {
		d = d[:12]
	}
	return d
}

func relAll(dir string, paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = relPath(p)
		if r, err := filepath.Rel(dir, p); err == nil {
			out[i] = r
		}
	}
	return out
}

// devLogs streams the agent's logs (agentcore logs AGENT -f, a child of this process) and
// returns the function that stops it.
func (a *app) devLogs(name, env string) func() {
	self := os.Args[0]
	if !strings.ContainsRune(self, filepath.Separator) {
		if p, err := exec.LookPath(self); err == nil {
			self = p
		}
	}
	cmd := exec.Command(self, "logs", name, "-f", "-e", env)
	if a.g.noColor {
		cmd.Args = append(cmd.Args, "--no-color")
	}
	cmd.Stdout, cmd.Stderr = a.stdout, a.stderr
	devChildAttrs(cmd)
	if err := cmd.Start(); err != nil {
		a.out.Warn("", fmt.Sprintf("not streaming the logs: %v (agentcore logs %s -f shows them)", err, name))
		return func() {}
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	return func() {
		// It holds nothing to clean up (the endpoint ends a live tail whose caller went away),
		// and a signal it handles would print its own "interrupting" line.
		_ = cmd.Process.Kill()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
	}
}

// devSnapshot lists the watched files: path → size and modification time of each, skipping
// what is never a source.
type devFiles map[string]string

func devSnapshot(roots []string) devFiles {
	files := devFiles{}
	for _, root := range roots {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // a file removed while walking: the next snapshot sees it
			}
			base := d.Name()
			if d.IsDir() {
				switch base {
				case ".agentcore", ".git", "node_modules", "__pycache__", ".venv", ".idea", ".vscode":
					if p != root {
						return filepath.SkipDir
					}
				}
				return nil
			}
			if strings.HasSuffix(base, "~") || strings.HasSuffix(base, ".swp") || strings.HasSuffix(base, ".swx") ||
				strings.HasPrefix(base, ".#") || base == "4913" || strings.HasSuffix(base, ".pyc") {
				return nil // editor and interpreter droppings
			}
			fi, err := d.Info()
			if err != nil {
				return nil
			}
			files[p] = fmt.Sprintf("%d\x00%d", fi.Size(), fi.ModTime().UnixNano())
			return nil
		})
	}
	return files
}

func (f devFiles) equal(g devFiles) bool { return maps.Equal(f, g) }

// devOnlyGo says whether every difference between two snapshots is a Go source (a .go file,
// go.mod, go.sum): then only the program changed, and a Go agent's image stays as it is.
func devOnlyGo(before, after devFiles) bool {
	goFile := func(p string) bool {
		b := filepath.Base(p)
		return strings.HasSuffix(b, ".go") || b == "go.mod" || b == "go.sum"
	}
	for p, v := range after {
		if before[p] != v && !goFile(p) {
			return false
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok && !goFile(p) {
			return false
		}
	}
	return true
}

// devArtifact is what the setup's rebuild returns: an image, or a code zip on S3.
type devArtifact struct {
	Image  string `json:"image"`
	Digest string `json:"digest"`
	// Binary, for the fast swap of a Go agent: the program (a host path) mounted over
	// BinaryIn in Image.
	Binary   string `json:"binary"`
	BinaryIn string `json:"binary_in"`
	Code     *struct {
		Bucket     string   `json:"bucket"`
		Prefix     string   `json:"prefix"`
		VersionID  string   `json:"version_id"`
		Runtime    string   `json:"runtime"`
		Entrypoint []string `json:"entrypoint"`
	} `json:"code"`
}

// devControl calls the local endpoint's dev extension (local/control/dev.go), signed with the
// endpoint's key pair like every call.
type devControl struct {
	base      string
	runtimeID string
}

func (c *devControl) swap(ctx context.Context, art devArtifact) (string, error) {
	artifact := map[string]any{}
	if art.Code != nil {
		s3 := map[string]any{"bucket": art.Code.Bucket, "prefix": art.Code.Prefix}
		if art.Code.VersionID != "" {
			s3["versionId"] = art.Code.VersionID
		}
		artifact["codeConfiguration"] = map[string]any{"code": map[string]any{"s3": s3},
			"runtime": art.Code.Runtime, "entryPoint": art.Code.Entrypoint}
	} else {
		artifact["containerConfiguration"] = map[string]any{"containerUri": art.Image}
	}
	body := map[string]any{"agentRuntimeArtifact": artifact}
	if art.Binary != "" {
		body["devBinary"] = map[string]any{"hostPath": art.Binary, "path": art.BinaryIn}
	}
	var out struct {
		Version string `json:"agentRuntimeVersion"`
	}
	err := c.call(ctx, http.MethodPut, body, &out)
	return out.Version, err
}

// restore puts the version's own artifact back; it returns the version, "" when there was
// nothing to restore.
func (c *devControl) restore(ctx context.Context) (string, error) {
	var out struct {
		Restored bool   `json:"restored"`
		Version  string `json:"agentRuntimeVersion"`
	}
	if err := c.call(ctx, http.MethodDelete, nil, &out); err != nil {
		return "", err
	}
	if !out.Restored {
		return "", nil
	}
	return out.Version, nil
}

func (c *devControl) call(ctx context.Context, method string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	u := c.base + "/runtimes/" + url.PathEscape(c.runtimeID) + "/dev"
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	creds, err := endpoint().Credentials()
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", payload)
	// The endpoint accepts any region in the signature's scope, as it serves every region.
	const region = "us-east-1"
	err = v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey},
		req, payload, "bedrock-agentcore", region, time.Now())
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		var e struct {
			Message string `json:"message"`
			Msg     string `json:"Message"`
		}
		_ = json.Unmarshal(b, &e)
		msg := e.Message + e.Msg
		if msg == "" {
			msg = strings.TrimSpace(string(b))
		}
		return fmt.Errorf("%s (HTTP %d)", msg, resp.StatusCode)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}
