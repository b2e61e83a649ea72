package main

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/agentcore/agentcore/engine"
)

// consolePage is `agentcore console --no-open` started in the script's project and opened in
// headless Chromium: what the browser steps of the scripts drive.
type consolePage struct {
	ts    *testscript.TestScript
	ctx   context.Context
	bin   string   // the agentcore on the script's PATH
	dir   string   // the project
	env   []string // the script's environment, for agentcore commands the steps run
	url   string   // with the token
	base  string   // http://127.0.0.1:PORT
	shots string   // the screenshots' directory
	stop  func()
}

// openConsole starts the console and a browser; close ends both.
func openConsole(ts *testscript.TestScript) *consolePage {
	chrome := chromiumPath()
	if chrome == "" {
		ts.Fatalf("no Chromium (guard the script with [!chromium] skip)")
	}
	p := &consolePage{ts: ts, dir: ts.MkAbs(".")}
	for _, d := range filepath.SplitList(ts.Getenv("PATH")) {
		if b := filepath.Join(d, "agentcore"); fileExists(b) {
			p.bin = b
			break
		}
	}
	if p.bin == "" {
		ts.Fatalf("agentcore is not on the script's PATH")
	}
	for _, k := range []string{"PATH", "HOME", "AGENTCORE_HOME", "AGENTCORE_LOCAL_PORT", "GOCACHE", "GOMODCACHE", "GOPATH",
		"DOCKER_HOST", "GOROOT", "GOTOOLCHAIN", "GOFLAGS", "NO_COLOR", "AGENTCORE_LOCAL_PING_TIMEOUT", engine.CheckResultsEnv, "TMPDIR"} {
		if v := ts.Getenv(k); v != "" {
			p.env = append(p.env, k+"="+v)
		}
	}
	cmd := exec.Command(p.bin, "console", "--no-open")
	cmd.Dir, cmd.Env = p.dir, p.env
	stdout, err := cmd.StdoutPipe()
	ts.Check(err)
	stderrf, err := os.Create(ts.MkAbs("console.stderr"))
	ts.Check(err)
	cmd.Stderr = stderrf
	ts.Check(cmd.Start())
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stops := []func(){func() { _ = cmd.Process.Signal(os.Interrupt); <-exited; stderrf.Close() }}
	p.stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if i := strings.Index(sc.Text(), "http://127.0.0.1:"); i >= 0 {
				urlc <- sc.Text()[i:]
			}
		}
	}()
	select {
	case p.url = <-urlc:
	case <-exited:
		p.stop()
		ts.Fatalf("agentcore console exited before printing its URL: %s", ts.ReadFile("console.stderr"))
	case <-time.After(2 * time.Minute):
		p.stop()
		ts.Fatalf("agentcore console printed no URL in 2 minutes")
	}
	ts.Logf("console at %s", p.url[:strings.Index(p.url, "?")])
	p.base = p.url[:strings.Index(p.url, "/?")]

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chrome), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 860), chromedp.Flag("disable-dev-shm-usage", true))
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	// chromedp v0.11's protocol bindings predate some of this Chromium's event values (the
	// IPAddressSpace "Loopback" of network events): it logs each event it cannot decode, which
	// the test does not read; other errors are still printed.
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithErrorf(func(format string, args ...any) {
		if msg := fmt.Sprintf(format, args...); !strings.Contains(msg, "could not unmarshal event") {
			log.Print(msg)
		}
	}))
	ctx, tcancel := context.WithTimeout(ctx, 8*time.Minute)
	p.ctx = ctx
	stops = append(stops, acancel, cancel, tcancel)
	// the artifacts outlive the script's $WORK: the last run's, in one place, named in the log
	p.shots = os.Getenv("AGENTCORE_CONSOLE_ARTIFACTS")
	if p.shots == "" {
		p.shots = filepath.Join(os.TempDir(), "agentcore-console-screenshots")
	}
	ts.Check(os.MkdirAll(p.shots, 0o755))
	return p
}

func (p *consolePage) close() { p.stop() }

// shot saves a screenshot as NAME.png in the artifacts (and the README's chat and trace into
// $AGENTCORE_CONSOLE_SCREENSHOTS when set: make docs-screenshots points it at docs/).
func (p *consolePage) shot(name string) {
	var png []byte
	p.ts.Check(chromedp.Run(p.ctx, chromedp.FullScreenshot(&png, 100)))
	p.ts.Check(os.WriteFile(filepath.Join(p.shots, name+".png"), png, 0o644))
	if d := os.Getenv("AGENTCORE_CONSOLE_SCREENSHOTS"); d != "" && (name == "chat" || name == "trace") {
		p.ts.Check(os.WriteFile(filepath.Join(d, "console-"+name+".png"), png, 0o644))
	}
}

// waitJS polls a JS expression until it is true (no timing assumed: the machine is shared).
func (p *consolePage) waitJS(what, expr string, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for {
		var ok bool
		if err := chromedp.Run(p.ctx, chromedp.Evaluate(expr, &ok)); err != nil {
			p.ts.Fatalf("%s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			var body string
			_ = chromedp.Run(p.ctx, chromedp.Evaluate(`document.body.innerText`, &body))
			p.ts.Fatalf("%s: not within %s; the page says:\n%s", what, limit, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *consolePage) evalStr(expr string) string {
	var s string
	p.ts.Check(chromedp.Run(p.ctx, chromedp.Evaluate(expr, &s)))
	return s
}
