package local

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	dockerbuild "github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/moby/go-archive"

	"github.com/agentcore/agentcore/internal/dockerclient"
	"github.com/agentcore/agentcore/internal/netns"
	"github.com/agentcore/agentcore/internal/proctree"
	testagent "github.com/agentcore/agentcore/internal/testagent/build"
	"github.com/agentcore/agentcore/local/control"
)

// A stdlib-only agent: the entry point sits in app/ and imports shared.py from the package
// root, which works only when PYTHONPATH holds the package.
var codeAgent = map[string]string{
	"shared.py": "NAME = 'shared'\n",
	"app/main.py": `import json, os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import shared

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/ping":
            return self.reply({"status": "Healthy"})
        self.send_error(404)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.reply({"echo": json.loads(body or b"{}"), "pid": os.getpid(), "port": os.environ["PORT"],
                    "who": os.environ.get("WHO"), "region": os.environ.get("AWS_REGION"),
                    "cwd": os.getcwd(), "shared": shared.NAME})

    def reply(self, obj):
        data = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass

ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("PORT", "8080"))), Handler).serve_forever()
`,
}

func zipOf(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func codeArtifact(bucket, key, runtime string, entry ...string) types.AgentRuntimeArtifact {
	return &types.AgentRuntimeArtifactMemberCodeConfiguration{Value: types.CodeConfiguration{
		Code:       &types.CodeMemberS3{Value: types.S3Location{Bucket: aws.String(bucket), Prefix: aws.String(key)}},
		Runtime:    types.AgentManagedRuntimeType(runtime),
		EntryPoint: entry,
	}}
}

type codeAnswer struct {
	Echo   map[string]any `json:"echo"`
	PID    int            `json:"pid"`
	Port   string         `json:"port"`
	Who    string         `json:"who"`
	Region string         `json:"region"`
	Cwd    string         `json:"cwd"`
	Shared string         `json:"shared"`
}

// codeSession is the runtime session the code runtime tests invoke in (each session has its own
// host process).
const codeSession = "code-runtime-session-0123456789abcdefghij"

func invokeCode(t *testing.T, cfg aws.Config, url, arn string) codeAnswer {
	return invokeCodeIn(t, cfg, url, arn, codeSession)
}

func invokeCodeIn(t testing.TB, cfg aws.Config, url, arn, session string) codeAnswer {
	t.Helper()
	dp := bedrockagentcore.NewFromConfig(cfg, func(o *bedrockagentcore.Options) { o.BaseEndpoint = aws.String(url) })
	out, err := dp.InvokeAgentRuntime(context.Background(), &bedrockagentcore.InvokeAgentRuntimeInput{AgentRuntimeArn: aws.String(arn), RuntimeSessionId: aws.String(session), Payload: []byte(`{"prompt":"hi"}`)})
	if err != nil {
		t.Fatalf("InvokeAgentRuntime: %v", err)
	}
	defer out.Response.Close()
	var ans codeAnswer
	if err := json.NewDecoder(out.Response).Decode(&ans); err != nil {
		t.Fatal(err)
	}
	return ans
}

// hostPID is the pid, on this host, of what serves a code session: the agent's own when it
// runs on the host's network, its netns sandbox's init otherwise (the agent's pid is then one
// of the sandbox's PID namespace; the init's state directory is next to its working
// directory). Killing the init's group ends the whole sandbox.
func hostPID(t *testing.T, ans codeAnswer) int {
	t.Helper()
	if !netns.Supported() {
		return ans.PID
	}
	data, err := os.ReadFile(ans.Cwd + ".ns/sandbox.json")
	if err != nil {
		t.Fatalf("the session's sandbox record: %v", err)
	}
	var rec struct {
		Pid int `json:"pid"`
	}
	if err := json.Unmarshal(data, &rec); err != nil || rec.Pid <= 0 {
		t.Fatalf("the session's sandbox record %s: %v", data, err)
	}
	return rec.Pid
}

// stopSandboxes stops the code sessions' sandboxes a failed test left in its data directory
// (they outlive the server, by design).
func stopSandboxes(dir string) {
	states, _ := filepath.Glob(filepath.Join(dir, "code", "*", "sessions", "*.ns"))
	for _, st := range states {
		if b, err := netns.Attach(st); err == nil {
			b.Stop()
		}
	}
}

func processAlive(pid int) bool {
	return proctree.Signalable(pid) && !strings.Contains(procState(pid), "Z")
}

func procState(pid int) string {
	out, _ := exec.Command("ps", "-o", "stat=", "-p", strconv.Itoa(pid)).Output()
	return strings.TrimSpace(string(out))
}

// TestCodeRuntime deploys a .zip from the endpoint's S3 as a PYTHON_3_11 code runtime: it runs
// as a host process, is invoked through the data plane, is adopted by a restarted server, is
// restarted when it dies, and is stopped when the runtime is deleted.
func TestCodeRuntime(t *testing.T) {
	needDocker(t)
	if err := exec.Command("python3.11", "-c", "pass").Run(); err != nil {
		t.Skip("python3.11 is not installed")
	}
	dir := t.TempDir()
	t.Cleanup(func() { stopSandboxes(dir) })
	r := start(t, dir)
	ctx := context.Background()
	s3c := s3Client(r)
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("agent-code")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("agent-code"), Key: aws.String("code_agent/deployment.zip"), Body: bytes.NewReader(zipOf(t, codeAgent))}); err != nil {
		t.Fatal(err)
	}
	ctlc := ctl.NewFromConfig(r.cfg, func(o *ctl.Options) { o.BaseEndpoint = aws.String(r.url) })
	created, err := ctlc.CreateAgentRuntime(ctx, &ctl.CreateAgentRuntimeInput{
		AgentRuntimeName:     aws.String("code_agent"),
		AgentRuntimeArtifact: codeArtifact("agent-code", "code_agent/deployment.zip", "PYTHON_3_11", "app/main.py"),
		RoleArn:              aws.String("arn:aws:iam::123456789012:role/R"),
		NetworkConfiguration: &types.NetworkConfiguration{NetworkMode: types.NetworkModePublic},
		EnvironmentVariables: map[string]string{"WHO": "code"},
	})
	if err != nil {
		t.Fatal(err)
	}
	id, arn := *created.AgentRuntimeId, *created.AgentRuntimeArn
	pid := 0
	t.Cleanup(func() {
		if processAlive(pid) {
			_ = proctree.KillGroup(pid)
		}
	})
	waitReady(t, ctlc, id)
	got, err := ctlc.GetAgentRuntime(ctx, &ctl.GetAgentRuntimeInput{AgentRuntimeId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	code, ok := got.AgentRuntimeArtifact.(*types.AgentRuntimeArtifactMemberCodeConfiguration)
	if !ok || code.Value.Runtime != "PYTHON_3_11" || code.Value.EntryPoint[0] != "app/main.py" ||
		*code.Value.Code.(*types.CodeMemberS3).Value.Prefix != "code_agent/deployment.zip" {
		t.Fatalf("GetAgentRuntime artifact: %#v", got.AgentRuntimeArtifact)
	}

	ans := invokeCode(t, r.cfg, r.url, arn)
	pid = hostPID(t, ans)
	// In a netns sandbox the agent has port 8080, as in AWS; on the host's network a free port.
	if ans.Echo["prompt"] != "hi" || ans.Who != "code" || ans.Region != "us-east-1" || ans.Shared != "shared" || (ans.Port == "8080") != netns.Supported() || !strings.Contains(ans.Cwd, "/code/"+id+"/sessions/") {
		t.Fatalf("answer %+v (sandboxes: %v)", ans, netns.Supported())
	}
	// Another session has a process and a working directory of its own.
	other := invokeCodeIn(t, r.cfg, r.url, arn, "code-runtime-other-0123456789abcdefghijk")
	if hostPID(t, other) == pid || other.PID == 0 || other.Cwd == ans.Cwd || (!netns.Supported() && other.Port == ans.Port) {
		t.Fatalf("two sessions share a process: %+v and %+v", ans, other)
	}
	if !processAlive(pid) {
		t.Fatalf("agent pid %d not running", pid)
	}

	// A restarted server adopts the running process.
	r.stop(t)
	if !processAlive(pid) {
		t.Fatal("the agent process did not outlive the server")
	}
	r = start(t, dir)
	ctlc = ctl.NewFromConfig(r.cfg, func(o *ctl.Options) { o.BaseEndpoint = aws.String(r.url) })
	if again := invokeCode(t, r.cfg, r.url, arn); hostPID(t, again) != pid || again.Cwd != ans.Cwd {
		t.Fatalf("after restart: pid %d in %s, want the adopted %d in %s", hostPID(t, again), again.Cwd, pid, ans.Cwd)
	}
	// A process that died is started again on the next invocation.
	_ = proctree.KillGroup(pid)
	for deadline := time.Now().Add(5 * time.Second); processAlive(pid) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	restarted := invokeCode(t, r.cfg, r.url, arn)
	if restarted.PID == 0 || hostPID(t, restarted) == pid {
		t.Fatalf("after the process died: pid %d", restarted.PID)
	}
	pid = hostPID(t, restarted)

	// Deleting the runtime stops its process.
	if _, err := ctlc.DeleteAgentRuntime(ctx, &ctl.DeleteAgentRuntimeInput{AgentRuntimeId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for processAlive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("agent pid %d still running after DeleteAgentRuntime", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.stop(t)
}

// TestCodeRuntimeFailures: a runtime whose interpreter is missing fails with a reason naming
// it, and an update cannot switch a runtime between container and code.
func TestCodeRuntimeFailures(t *testing.T) {
	needDocker(t)
	r := start(t, t.TempDir())
	defer r.stop(t)
	ctx := context.Background()
	s3c := s3Client(r)
	s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("agent-code")})
	s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("agent-code"), Key: aws.String("a.zip"), Body: bytes.NewReader(zipOf(t, codeAgent))})
	ctlc := ctl.NewFromConfig(r.cfg, func(o *ctl.Options) { o.BaseEndpoint = aws.String(r.url) })
	create := func(name string, art types.AgentRuntimeArtifact) string {
		out, err := ctlc.CreateAgentRuntime(ctx, &ctl.CreateAgentRuntimeInput{AgentRuntimeName: aws.String(name), AgentRuntimeArtifact: art,
			RoleArn: aws.String("arn:aws:iam::123456789012:role/R"), NetworkConfiguration: &types.NetworkConfiguration{NetworkMode: types.NetworkModePublic}})
		if err != nil {
			t.Fatal(err)
		}
		return *out.AgentRuntimeId
	}
	failed := func(id string) string {
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			out, err := ctlc.GetAgentRuntime(ctx, &ctl.GetAgentRuntimeInput{AgentRuntimeId: aws.String(id)})
			if err != nil {
				t.Fatal(err)
			}
			if out.Status == types.AgentRuntimeStatusCreateFailed {
				return aws.ToString(out.FailureReason)
			}
			if out.Status == types.AgentRuntimeStatusReady {
				t.Fatalf("%s became READY", id)
			}
		}
		t.Fatalf("%s did not fail", id)
		return ""
	}

	if exec.Command("python3.13", "-c", "pass").Run() == nil {
		t.Log("python3.13 is installed here: skipping the missing-interpreter case")
	} else {
		reason := failed(create("py313", codeArtifact("agent-code", "a.zip", "PYTHON_3_13", "app/main.py")))
		if !strings.Contains(reason, "python3.13") || !strings.Contains(reason, "PYTHON_3_13") {
			t.Fatalf("failureReason %q", reason)
		}
		if exec.Command("python3.11", "-c", "pass").Run() == nil && !strings.Contains(reason, "PYTHON_3_11") {
			t.Fatalf("failureReason does not suggest the installed PYTHON_3_11: %q", reason)
		}
		t.Logf("failureReason: %s", reason)
	}
	if reason := failed(create("nozip", codeArtifact("agent-code", "missing.zip", "PYTHON_3_11", "main.py"))); !strings.Contains(reason, "s3://agent-code/missing.zip") || !strings.Contains(reason, "NoSuchKey") {
		t.Fatalf("missing package: %q", reason)
	}
	if reason := failed(create("noentry", codeArtifact("agent-code", "a.zip", "PYTHON_3_11", "main.py"))); !strings.Contains(reason, `entryPoint "main.py"`) || !strings.Contains(reason, "app/main.py") {
		t.Fatalf("missing entry point: %q", reason)
	}

	// Container → code on update: ValidationException.
	container := create("container_agent", &types.AgentRuntimeArtifactMemberContainerConfiguration{Value: types.ContainerConfiguration{ContainerUri: aws.String(strings.TrimPrefix(r.url, "http://") + "/absent:v1")}})
	failed(container)
	_, err := ctlc.UpdateAgentRuntime(ctx, &ctl.UpdateAgentRuntimeInput{AgentRuntimeId: aws.String(container),
		AgentRuntimeArtifact: codeArtifact("agent-code", "a.zip", "PYTHON_3_11", "app/main.py"),
		RoleArn:              aws.String("arn:aws:iam::123456789012:role/R"), NetworkConfiguration: &types.NetworkConfiguration{NetworkMode: types.NetworkModePublic}})
	var ve *types.ValidationException
	if !errors.As(err, &ve) || !strings.Contains(ve.ErrorMessage(), "containerConfiguration") {
		t.Fatalf("container → code update: %v", err)
	}
	// Validation of the code configuration itself.
	_, err = ctlc.CreateAgentRuntime(ctx, &ctl.CreateAgentRuntimeInput{AgentRuntimeName: aws.String("bad"), AgentRuntimeArtifact: codeArtifact("agent-code", "a.zip", "PYTHON_2_7", "main.py"),
		RoleArn: aws.String("arn:aws:iam::123456789012:role/R"), NetworkConfiguration: &types.NetworkConfiguration{NetworkMode: types.NetworkModePublic}})
	if !errors.As(err, &ve) || !strings.Contains(ve.ErrorMessage(), "agentRuntimeArtifact.codeConfiguration.runtime") {
		t.Fatalf("bad runtime: %v", err)
	}
}

// TestCodeRuntimeImage: with AGENTCORE_LOCAL_RUNTIME_IMAGE_PYTHON_3_12 naming an image on the
// engine, a PYTHON_3_12 code version runs in a container from it, with the package mounted at
// /var/task. The "runtime image" here is the test agent installed as /usr/bin/python3 (no
// image can be pulled on the test machines); it ignores the script and echoes its environment.
func TestCodeRuntimeImage(t *testing.T) {
	needDocker(t)
	cli, err := dockerclient.New()
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ref := "agentcore-test/fake-python:3.12"
	ctxDir := testagent.Context(t, filepath.Join(t.TempDir(), "ctx"))
	os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte("FROM scratch\nCOPY testagent /usr/bin/python3\nENV PATH=/usr/bin\n"), 0o644)
	tar, err := archive.TarWithOptions(ctxDir, &archive.TarOptions{})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := cli.ImageBuild(context.Background(), tar, dockerbuild.ImageBuildOptions{Tags: []string{ref}, Labels: map[string]string{testagent.Label: "1"}, Remove: true})
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	t.Cleanup(func() { testagent.RemoveImage(cli, ref) })
	t.Setenv(control.RuntimeImageEnv+"PYTHON_3_12", ref)

	dir := t.TempDir()
	t.Cleanup(func() { Reset(context.Background(), dir) })
	r := start(t, dir)
	defer r.stop(t)
	ctx := context.Background()
	s3c := s3Client(r)
	s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("agent-code")})
	s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("agent-code"), Key: aws.String("a.zip"), Body: bytes.NewReader(zipOf(t, codeAgent))})
	ctlc := ctl.NewFromConfig(r.cfg, func(o *ctl.Options) { o.BaseEndpoint = aws.String(r.url) })
	out, err := ctlc.CreateAgentRuntime(ctx, &ctl.CreateAgentRuntimeInput{AgentRuntimeName: aws.String("in_image"),
		AgentRuntimeArtifact: codeArtifact("agent-code", "a.zip", "PYTHON_3_12", "app/main.py"),
		RoleArn:              aws.String("arn:aws:iam::123456789012:role/R"), NetworkConfiguration: &types.NetworkConfiguration{NetworkMode: types.NetworkModePublic},
		EnvironmentVariables: map[string]string{"WHO": "image"}})
	if err != nil {
		t.Fatal(err)
	}
	waitReady(t, ctlc, *out.AgentRuntimeId)
	dp := bedrockagentcore.NewFromConfig(r.cfg, func(o *bedrockagentcore.Options) { o.BaseEndpoint = aws.String(r.url) })
	inv, err := dp.InvokeAgentRuntime(ctx, &bedrockagentcore.InvokeAgentRuntimeInput{AgentRuntimeArn: out.AgentRuntimeArn, Payload: []byte(`{"hi":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	defer inv.Response.Close()
	var ans struct {
		Env map[string]string `json:"env"`
	}
	json.NewDecoder(inv.Response).Decode(&ans)
	if ans.Env["WHO"] != "image" || ans.Env["PORT"] != "8080" || ans.Env["PYTHONPATH"] != "/var/task" {
		t.Fatalf("env in the runtime container: %v", ans.Env)
	}
	found, err := cli.ContainerList(ctx, container.ListOptions{Filters: filters.NewArgs(filters.Arg("label", control.LabelRuntime+"="+*out.AgentRuntimeId))})
	if err != nil || len(found) != 1 || found[0].Image != ref || len(found[0].Mounts) != 1 || found[0].Mounts[0].Destination != "/var/task" {
		t.Fatalf("runtime container: %+v %v", found, err)
	}
}

// BenchmarkCodeSessionFirstAnswer: a new session's first answer from a code version run as a
// host process, with no pooled sandbox to take (AGENTCORE_LOCAL_SESSION_POOL=0): the start of
// the session's process (in a netns sandbox on Linux; run with AGENTCORE_NETNS=off for a
// plain host process) until its first answer. The pool hides this from callers normally.
func BenchmarkCodeSessionFirstAnswer(b *testing.B) {
	needDocker(b)
	if err := exec.Command("python3.11", "-c", "pass").Run(); err != nil {
		b.Skip("python3.11 is not installed")
	}
	b.Setenv(control.PoolSizeEnv, "0")
	dir := b.TempDir()
	b.Cleanup(func() { stopSandboxes(dir) })
	r := start(b, dir)
	defer r.stop(b)
	ctx := context.Background()
	s3c := s3Client(r)
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("agent-code")}); err != nil {
		b.Fatal(err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("agent-code"), Key: aws.String("code_agent/deployment.zip"), Body: bytes.NewReader(zipOf(b, codeAgent))}); err != nil {
		b.Fatal(err)
	}
	ctlc := ctl.NewFromConfig(r.cfg, func(o *ctl.Options) { o.BaseEndpoint = aws.String(r.url) })
	created, err := ctlc.CreateAgentRuntime(ctx, &ctl.CreateAgentRuntimeInput{
		AgentRuntimeName:     aws.String("code_bench"),
		AgentRuntimeArtifact: codeArtifact("agent-code", "code_agent/deployment.zip", "PYTHON_3_11", "app/main.py"),
		RoleArn:              aws.String("arn:aws:iam::123456789012:role/R"),
		NetworkConfiguration: &types.NetworkConfiguration{NetworkMode: types.NetworkModePublic},
		EnvironmentVariables: map[string]string{"WHO": "code"},
	})
	if err != nil {
		b.Fatal(err)
	}
	waitReady(b, ctlc, *created.AgentRuntimeId)
	dp := bedrockagentcore.NewFromConfig(r.cfg, func(o *bedrockagentcore.Options) { o.BaseEndpoint = aws.String(r.url) })
	b.ResetTimer()
	for i := range b.N {
		session := fmt.Sprintf("bench-session-%06d-0123456789abcdefghijk", i)
		if ans := invokeCodeIn(b, r.cfg, r.url, *created.AgentRuntimeArn, session); ans.Who != "code" {
			b.Fatalf("answer %+v", ans)
		}
		b.StopTimer() // one session at a time: its sandbox ends before the next starts
		if _, err := dp.StopRuntimeSession(ctx, &bedrockagentcore.StopRuntimeSessionInput{AgentRuntimeArn: created.AgentRuntimeArn, RuntimeSessionId: aws.String(session)}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	if _, err := ctlc.DeleteAgentRuntime(ctx, &ctl.DeleteAgentRuntimeInput{AgentRuntimeId: created.AgentRuntimeId}); err != nil {
		b.Fatal(err)
	}
}
