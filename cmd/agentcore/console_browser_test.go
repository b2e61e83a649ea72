package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/rogpeppe/go-internal/testscript"
)

// chromiumPath is Debian's Chromium (or its headless shell), "" when neither is installed.
func chromiumPath() string {
	for _, n := range []string{"chromium", "chromium-headless-shell", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// cmdConsoleBrowser drives the console in headless Chromium against the script's project:
// consolebrowser AGENT. It starts `agentcore console --no-open` as the script would, opens its
// URL, chats (streamed, then the same session), opens the invocation's trace as a waterfall,
// sees the invocations in the metrics chart, tails logs for a line the agent printed, saves
// screenshots (into $AGENTCORE_CONSOLE_ARTIFACTS, default $TMPDIR/agentcore-console-screenshots,
// replaced by each run; the chat's and the trace's also into
// $AGENTCORE_CONSOLE_SCREENSHOTS when set: make docs-screenshots points it at docs/), and logs
// the benchmark figures.
func cmdConsoleBrowser(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: consolebrowser AGENT")
	}
	agent := args[0]
	p := openConsole(ts)
	defer p.close()
	ctx, url, base, bin, env, shot, waitJS, evalStr := p.ctx, p.url, p.base, p.bin, p.env, p.shot, p.waitJS, p.evalStr
	shots := p.shots

	// 1. open with the token: the cookie is set and the agents table fills
	ts.Check(chromedp.Run(ctx, chromedp.Navigate(url)))
	waitJS("agents table filled", `document.body.dataset.agentsReady === "1"`, time.Minute)
	if got := evalStr(`document.querySelector("#agents-table tbody").innerText`); !strings.Contains(got, agent) || !strings.Contains(got, "READY") {
		ts.Fatalf("agents table lacks %s READY:\n%s", agent, got)
	}
	if evalStr(`location.search`) != "" {
		ts.Fatalf("the token stayed in the address bar")
	}
	shot("agents")
	// keyboard: the arrow keys move between the views' tabs
	ts.Check(chromedp.Run(ctx, chromedp.Focus(`#tab-agents`, chromedp.ByQuery), chromedp.KeyEvent(kb.ArrowRight)))
	waitJS("ArrowRight to Chat", `document.activeElement.id === "tab-chat" && !document.getElementById("view-chat").hidden && document.getElementById("view-agents").hidden`, time.Minute)
	ts.Check(chromedp.Run(ctx, chromedp.KeyEvent(kb.ArrowLeft)))
	waitJS("ArrowLeft back to Agents", `document.activeElement.id === "tab-agents" && !document.getElementById("view-agents").hidden`, time.Minute)
	// the first-page benchmark: reloads (cookie held) to the table filled
	var firsts []float64
	for i := 0; i < 5; i++ {
		ts.Check(chromedp.Run(ctx, chromedp.Navigate(base+"/")))
		waitJS("agents table filled after reload", `document.body.dataset.agentsReady === "1"`, time.Minute)
		var v float64
		fmt.Sscan(evalStr(`document.body.dataset.agentsReadyMs`), &v)
		firsts = append(firsts, v)
	}
	sort.Float64s(firsts)
	ts.Logf("BENCH console first page ready (agents table filled): median %.1f ms, min %.1f, max %.1f (5 loads)", firsts[2], firsts[0], firsts[4])

	// 2. chat: streamed in parts before it completes
	prompt := "alpha beta gamma delta epsilon"
	ts.Check(chromedp.Run(ctx,
		chromedp.Click(`#tab-chat`, chromedp.ByQuery),
		chromedp.Click(`#chat-new`, chromedp.ByQuery),
		chromedp.SendKeys(`#chat-prompt`, prompt, chromedp.ByQuery),
		chromedp.Click(`#chat-send`, chromedp.ByQuery)))
	partial := false
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var st struct {
			Chunks string `json:"chunks"`
			Done   string `json:"done"`
			Text   string `json:"text"`
		}
		ts.Check(chromedp.Run(ctx, chromedp.Evaluate(`(() => { const m = [...document.querySelectorAll(".msg.agent")].pop();
			return m ? {chunks: m.dataset.chunks || "", done: m.dataset.done || "", text: m.querySelector(".text").textContent} : {}; })()`, &st)))
		if st.Done == "" && st.Chunks != "" && st.Chunks != "0" && !strings.Contains(st.Text, "epsilon") {
			if !partial {
				ts.Logf("streaming seen: %s chunk(s) shown before the end: %q", st.Chunks, st.Text)
			}
			partial = true
		}
		if st.Done != "" {
			if !strings.Contains(st.Text, "You said: "+prompt) {
				ts.Fatalf("the chat answer is %q", st.Text)
			}
			break
		}
		if time.Now().After(deadline) {
			ts.Fatalf("the answer did not complete in 2 minutes")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !partial {
		ts.Fatalf("the answer never showed in parts before it completed")
	}
	firstChunk := evalStr(`[...document.querySelectorAll(".msg.agent")].pop().dataset.firstChunkMs`)
	session := evalStr(`document.getElementById("chat-session").value`)
	if len(session) < 33 {
		ts.Fatalf("no session id after the first answer: %q", session)
	}
	// 3. continue the session: the same id is sent and comes back
	ts.Check(chromedp.Run(ctx, chromedp.SendKeys(`#chat-prompt`, "zeta again", chromedp.ByQuery), chromedp.Click(`#chat-send`, chromedp.ByQuery)))
	waitJS("second answer", `(() => { const m = [...document.querySelectorAll(".msg.agent")]; return m.length === 2 && m[1].dataset.done === "1"; })()`, 2*time.Minute)
	if s2 := evalStr(`[...document.querySelectorAll(".msg.agent")][1].dataset.session`); s2 != session {
		ts.Fatalf("the second message went to session %q, not %q", s2, session)
	}
	if got := evalStr(`[...document.querySelectorAll(".msg.agent")][1].textContent`); !strings.Contains(got, "You said: zeta again") {
		ts.Fatalf("second answer: %q", got)
	}
	shot("chat")
	// the chat first-chunk benchmark, against agentcore invoke's first chunk on the same agent
	var uiFirst, deliveries []float64
	var v float64
	fmt.Sscan(firstChunk, &v)
	uiFirst = append(uiFirst, v)
	fmt.Sscan(evalStr(`[...document.querySelectorAll(".msg.agent")].pop().dataset.deliveryMs`), &v)
	deliveries = append(deliveries, v)
	for i := 0; i < 3; i++ {
		n := 3 + i
		ts.Check(chromedp.Run(ctx, chromedp.SendKeys(`#chat-prompt`, "bench", chromedp.ByQuery), chromedp.Click(`#chat-send`, chromedp.ByQuery)))
		waitJS("bench answer", fmt.Sprintf(`(() => { const m = [...document.querySelectorAll(".msg.agent")]; return m.length === %d && m[%d].dataset.done === "1"; })()`, n, n-1), 2*time.Minute)
		fmt.Sscan(evalStr(fmt.Sprintf(`[...document.querySelectorAll(".msg.agent")][%d].dataset.firstChunkMs`, n-1)), &v)
		uiFirst = append(uiFirst, v)
		fmt.Sscan(evalStr(fmt.Sprintf(`[...document.querySelectorAll(".msg.agent")][%d].dataset.deliveryMs`, n-1)), &v)
		deliveries = append(deliveries, v)
	}
	var cliFirst []float64
	for i := 0; i < 3; i++ {
		c := exec.Command(bin, "invoke", agent, "--prompt", "bench", "--session", session)
		c.Dir, c.Env = p.dir, env
		out, err := c.StdoutPipe()
		ts.Check(err)
		start := time.Now()
		ts.Check(c.Start())
		b := make([]byte, 1)
		_, _ = out.Read(b)
		cliFirst = append(cliFirst, float64(time.Since(start).Microseconds())/1000)
		_, _ = bufio.NewReader(out).ReadString(0)
		_ = c.Wait()
	}
	sort.Float64s(uiFirst)
	sort.Float64s(cliFirst)
	sort.Float64s(deliveries)
	ts.Logf("BENCH chat chunk delivery (the recipe's chunk event to shown in the page): median %.2f ms %v", deliveries[len(deliveries)/2], deliveries)
	ts.Logf("BENCH chat first chunk: console median %.1f ms (send click to first chunk shown, %v); agentcore invoke median %.1f ms (process start to first byte, %v)",
		uiFirst[len(uiFirst)/2], uiFirst, cliFirst[len(cliFirst)/2], cliFirst)

	// secrets are masked as in the terminal: the endpoint's secret key, sent as a prompt and
	// echoed back by the agent, shows as ****
	c0 := exec.Command(bin, "local", "env")
	c0.Dir, c0.Env = p.dir, env
	envOut, err := c0.Output()
	ts.Check(err)
	secret := ""
	for _, l := range strings.Split(string(envOut), "\n") {
		if _, v, ok := strings.Cut(l, "AWS_SECRET_ACCESS_KEY="); ok {
			secret = strings.Trim(strings.TrimSpace(v), `'"`)
		}
	}
	if len(secret) < 8 {
		ts.Fatalf("no secret key in agentcore local env:\n%s", envOut)
	}
	before := len(uiFirst) + 1 // the agent messages so far: the first, the continued one, the benchmark ones
	ts.Check(chromedp.Run(ctx, chromedp.SendKeys(`#chat-prompt`, "my key is "+secret, chromedp.ByQuery), chromedp.Click(`#chat-send`, chromedp.ByQuery)))
	waitJS("the masked answer", fmt.Sprintf(`(() => { const m = [...document.querySelectorAll(".msg.agent")]; return m.length === %d && m[%d].dataset.done === "1"; })()`, before+1, before), 2*time.Minute)
	if got := evalStr(fmt.Sprintf(`[...document.querySelectorAll(".msg.agent")][%d].textContent`, before)); !strings.Contains(got, "my key is ****") || strings.Contains(got, secret) {
		ts.Fatalf("the answer holding the secret key shows %q, want it masked as ****", got)
	}

	// the payload edited as JSON: refused on the page when it is not JSON, sent as is when it is
	ts.Check(chromedp.Run(ctx, chromedp.Click(`#chat-payload-box summary`, chromedp.ByQuery),
		chromedp.SendKeys(`#chat-payload`, `{"prompt": "via payload"`, chromedp.ByQuery), chromedp.Click(`#chat-send`, chromedp.ByQuery)))
	waitJS("the payload refused", `document.getElementById("chat-note").textContent.includes("not valid JSON")`, time.Minute)
	ts.Check(chromedp.Run(ctx, chromedp.SendKeys(`#chat-payload`, `}`, chromedp.ByQuery), chromedp.Click(`#chat-send`, chromedp.ByQuery)))
	waitJS("the payload's answer", fmt.Sprintf(`(() => { const m = [...document.querySelectorAll(".msg.agent")]; return m.length === %d && m[%d].dataset.done === "1"; })()`, before+2, before+1), 2*time.Minute)
	if got := evalStr(`[...document.querySelectorAll(".msg.agent")].pop().textContent`); !strings.Contains(got, "You said: via payload") {
		ts.Fatalf("the payload's answer: %q", got)
	}
	ts.Check(chromedp.Run(ctx, chromedp.SetValue(`#chat-payload`, "", chromedp.ByQuery)))

	// 4. the trace of that invocation, as a waterfall
	ts.Check(chromedp.Run(ctx, chromedp.Click(`#tab-traces`, chromedp.ByQuery)))
	sel := fmt.Sprintf(`#traces-table tr[data-session=%q] button`, session)
	waitJS("a trace of the chat's session", fmt.Sprintf(`(() => { const b = document.querySelector(%q); if (!b) { document.getElementById("traces-refresh").click(); return false; } return true; })()`, sel), 2*time.Minute)
	ts.Check(chromedp.Run(ctx, chromedp.Click(sel, chromedp.ByQuery)))
	waitJS("the waterfall", `document.querySelectorAll("#trace-view .span-row").length > 0 && document.querySelector("#trace-view .attrs").textContent.includes("session.id")`, time.Minute)
	shot("trace")

	// 5. the invocations counted in the metrics chart
	ts.Check(chromedp.Run(ctx, chromedp.Click(`#tab-metrics`, chromedp.ByQuery)))
	waitJS("invocations in the metrics chart", `(() => { const s = document.getElementById("chart-invocations"); if (!(Number(s.dataset.total) >= 2)) { document.getElementById("metrics-refresh").click(); return false; } return s.querySelectorAll("rect.pt").length > 0; })()`, 3*time.Minute)
	shot("metrics")

	// 6. tail logs: a line the agent printed, then a new one while following
	ts.Check(chromedp.Run(ctx, chromedp.Click(`#tab-logs`, chromedp.ByQuery), chromedp.Click(`#logs-start`, chromedp.ByQuery)))
	waitJS("a line the agent printed", `document.getElementById("logs-out").textContent.includes("console-marker zeta again")`, 2*time.Minute)
	c := exec.Command(bin, "invoke", agent, "--prompt", "omega-live", "--session", session)
	c.Dir, c.Env = p.dir, env
	if out, err := c.CombinedOutput(); err != nil {
		ts.Fatalf("invoke while tailing: %v\n%s", err, out)
	}
	waitJS("a line printed while tailing", `document.getElementById("logs-out").textContent.includes("console-marker omega-live")`, 2*time.Minute)
	shot("logs")
	ts.Check(chromedp.Run(ctx, chromedp.Click(`#logs-stop`, chromedp.ByQuery)))

	// 7. sessions: the chat's session listed
	ts.Check(chromedp.Run(ctx, chromedp.Click(`#tab-sessions`, chromedp.ByQuery)))
	waitJS("the chat's session listed", fmt.Sprintf(`document.getElementById("sessions-table").textContent.includes(%q)`, session), time.Minute)
	shot("sessions")
	// its stop button (the page asks first: answered yes here) ends it
	ts.Check(chromedp.Run(ctx, chromedp.Evaluate(`window.confirm = () => true`, nil),
		chromedp.Click(`#sessions-table button.stop`, chromedp.ByQuery)))
	waitJS("the session stopped", fmt.Sprintf(`document.getElementById("sessions-note").textContent.includes("stopped") && !document.getElementById("sessions-table").textContent.includes(%q)`, session), time.Minute)
	// 8. memory: the agent's memory (from status), its events and a search
	ts.Check(chromedp.Run(ctx, chromedp.Click(`#tab-memory`, chromedp.ByQuery), chromedp.Click(`#memory-form button[type=submit]`, chromedp.ByQuery)))
	waitJS("the memory's events", `document.getElementById("memory-note").textContent.includes("event(s)") && document.getElementById("memory-out").textContent.includes('"events"')`, time.Minute)
	ts.Check(chromedp.Run(ctx, chromedp.SetValue(`#memory-verb`, "search", chromedp.ByQuery), chromedp.SendKeys(`#memory-text`, "green tea", chromedp.ByQuery),
		chromedp.Click(`#memory-form button[type=submit]`, chromedp.ByQuery)))
	waitJS("the memory search", `document.getElementById("memory-out").textContent.includes('"query": "green tea"')`, time.Minute)
	shot("memory")
	ts.Logf("screenshots in %s", shots)
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
