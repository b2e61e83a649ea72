package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/rogpeppe/go-internal/testscript"
)

// cmdConsoleTools drives the console's Tools view in headless Chromium: consoletools AGENT
// GATEWAY, AGENT an MCP agent serving the test agent's tools add and echo, GATEWAY a gateway
// whose target calc is that agent. It picks the agent, fills the add tool's form (fields a and
// b, made from its inputSchema) with the keyboard and sees 4, calls echo and sees its text and
// structured content, then does the same through the gateway (calc___add).
func cmdConsoleTools(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: consoletools MCPAGENT GATEWAY")
	}
	agent, gateway := args[0], args[1]
	p := openConsole(ts)
	defer p.close()
	ctx := p.ctx

	ts.Check(chromedp.Run(ctx, chromedp.Navigate(p.url)))
	p.waitJS("agents table filled", `document.body.dataset.agentsReady === "1"`, time.Minute)
	// the Tools tab, reached with the keyboard (End: the last tab)
	ts.Check(chromedp.Run(ctx, chromedp.Focus(`#tab-agents`, chromedp.ByQuery), chromedp.KeyEvent(kb.End)))
	p.waitJS("the Tools view", `document.activeElement.id === "tab-tools" && !document.getElementById("view-tools").hidden`, time.Minute)
	p.waitJS("the servers listed", fmt.Sprintf(`(() => { const v = [...document.getElementById("tools-server").options].map((o) => o.value); return v.includes(%q) && v.includes(%q); })()`,
		"agent:"+agent, "gateway:"+gateway), time.Minute)
	// pick chooses a server and waits for its tools: the list of the one asked last (the page
	// drops an older list that answers late, and marks the list with its server once shown)
	pick := func(server string) {
		ts.Check(chromedp.Run(ctx, chromedp.SetValue(`#tools-server`, server, chromedp.ByQuery),
			chromedp.Evaluate(`document.getElementById("tools-server").dispatchEvent(new Event("change"))`, nil)))
		p.waitJS("the tools of "+server, fmt.Sprintf(`document.getElementById("tools-list").dataset.server === %q`, server), 2*time.Minute)
	}
	pick("agent:" + agent)
	add := `#tools-list form[data-tool="add"]`
	p.waitJS("the add tool's form", fmt.Sprintf(`!!document.querySelector('%s')`, add), 2*time.Minute)
	// the form from add's inputSchema: a and b, required numbers, each with its label
	fields := p.evalStr(fmt.Sprintf(`[...document.querySelectorAll('%s .field')].map((f) => {
		const i = f.querySelector("input,select,textarea"), l = document.querySelector('label[for="' + i.id + '"]');
		return (l ? l.firstChild.textContent + (l.querySelector(".req") ? "*" : "") : "(no label)") + "=" + i.type + (i.required ? ",required" : ""); }).join(" ")`, add))
	if fields != "a*=number,required b*=number,required" {
		ts.Fatalf("the add tool's fields are %q, want a and b, required numbers", fields)
	}
	if echo := p.evalStr(`[...document.querySelectorAll('#tools-list form[data-tool="echo"] .field input')].map((i) => i.dataset.name + "=" + i.type).join(" ")`); echo != "text=text" {
		ts.Fatalf("the echo tool's fields are %q, want text=text", echo)
	}
	ts.Logf("add's form: %s", fields)
	call := func(form string, values []string, want string) string {
		inputs := form + ` .field input`
		for i, v := range values {
			ts.Check(chromedp.Run(ctx, chromedp.Evaluate(fmt.Sprintf(`document.querySelectorAll('%s')[%d].focus()`, inputs, i), nil),
				chromedp.KeyEvent(v)))
		}
		// Enter in the last field submits the form, as any form does
		ts.Check(chromedp.Run(ctx, chromedp.KeyEvent(kb.Enter)))
		p.waitJS("the result of "+form, fmt.Sprintf(`!!document.querySelector('%s').dataset.done`, form), 2*time.Minute)
		got := p.evalStr(fmt.Sprintf(`document.querySelector('%s').dataset.done + ": " + document.querySelector('%s .tool-result').innerText`, form, form))
		if !strings.Contains(got, want) {
			ts.Fatalf("%s answered %q, want %q", form, got, want)
		}
		return got
	}
	got := call(add, []string{"2", "2"}, "ok: 4")
	ts.Logf("add 2 2 in the page: %q", got)
	got = call(`#tools-list form[data-tool="echo"]`, []string{"hello tools"}, "ok: hello tools")
	if !strings.Contains(got, "structured content") || !strings.Contains(got, `"mcpSessionId"`) {
		ts.Fatalf("echo's structured content is not shown as JSON: %q", got)
	}
	p.shot("tools")
	// a call the tool refuses (isError: here arguments against its schema, typed where the page
	// has no number field) shows as an error, with the tool's text
	ts.Check(chromedp.Run(ctx, chromedp.Evaluate(`(() => { const i = document.querySelector('#tools-list form[data-tool="add"] .field input');
		i.type = "text"; i.value = ""; })()`, nil)))
	got = call(add, []string{"two"}, "error: ")
	if !strings.Contains(got, "tool add of "+agent+" failed") || p.evalStr(`document.querySelector('#tools-list form[data-tool="add"] .tool-result .bad') ? "shown" : ""`) != "shown" {
		ts.Fatalf("the tool's error is not shown as an error: %q", got)
	}
	ts.Logf("add two 2 in the page: %q", got)

	// the other kinds of inputSchema property (the test agent's tools have numbers and strings
	// only): a form made by the page's own toolForm for a schema with each, not sent
	kinds := p.evalStr(`(() => {
		const f = toolForm("agent:none", { name: "kinds", inputSchema: { type: "object", required: ["n", "mode"], properties: {
			n: { type: "integer" }, ratio: { type: ["number", "null"] }, on: { type: "boolean" },
			mode: { type: "string", enum: ["fast", "slow"] }, tags: { type: "array", items: { type: "string" } } } } }, 99);
		f.id = "kinds-form"; document.getElementById("tools-list").append(f);
		return [...f.querySelectorAll(".field")].map((d) => { const i = d.querySelector("input,select,textarea");
			return i.dataset.name + "=" + i.tagName.toLowerCase() + ":" + (i.type || "") + (i.step ? "/" + i.step : "") + (i.required ? ",required" : "") +
				(i.tagName === "SELECT" ? "[" + [...i.options].map((o) => o.textContent).join("|") + "]" : ""); }).join(" "); })()`)
	want := `n=input:number/1,required ratio=input:number/any on=input:checkbox mode=select:select-one,required["fast"|"slow"] tags=textarea:textarea`
	if kinds != want {
		ts.Fatalf("the form of a schema with each kind is\n%s\nwant\n%s", kinds, want)
	}
	// a JSON field that is not JSON is refused on the page, before any call
	ts.Check(chromedp.Run(ctx, chromedp.SendKeys(`#kinds-form input[data-name="n"]`, "3", chromedp.ByQuery),
		chromedp.SendKeys(`#kinds-form textarea`, `["a",`, chromedp.ByQuery),
		chromedp.Click(`#kinds-form button[type=submit]`, chromedp.ByQuery)))
	p.waitJS("the JSON field refused", `document.querySelector("#kinds-form .tool-result").textContent.includes("tags is not valid JSON")`, time.Minute)
	ts.Check(chromedp.Run(ctx, chromedp.Evaluate(`document.getElementById("kinds-form").remove()`, nil)))

	// the gateway: its tools are the targets', named TARGET___TOOL
	pick("gateway:" + gateway)
	gadd := `#tools-list form[data-tool="calc___add"]`
	p.waitJS("the gateway's add tool", fmt.Sprintf(`!!document.querySelector('%s')`, gadd), 2*time.Minute)
	got = call(gadd, []string{"2", "3"}, "ok: 5")
	ts.Logf("calc___add 2 3 through gateway %s in the page: %q", gateway, got)
	p.shot("tools-gateway")
}
