package agentcore

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore/types"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/engine"
	proj "github.com/agentcore/agentcore/project"
)

// Limits of InvokeAgentRuntimeCommand (bedrock-agentcore model).
const (
	maxCommandLen     = 65536
	maxCommandTimeout = 3600 * time.Second
)

type commandOpts struct {
	Arn       string   `json:"arn"`
	Qualifier string   `json:"qualifier,omitempty"`
	SessionID string   `json:"session_id,omitempty"`
	Command   string   `json:"command"`
	Timeout   *Seconds `json:"timeout,omitempty" lua:"number|string"` // 1s to 1h; AgentCore's default 300s
}

type commandResult struct {
	ExitCode         int    `json:"exitCode"`
	Status           string `json:"status"` // COMPLETED or TIMED_OUT
	RuntimeSessionID string `json:"runtimeSessionId,omitempty"`
}

// luaRunCommand runs a command in a runtime session (InvokeAgentRuntimeCommand) and streams its
// stdout and stderr to ours as they arrive (masked), or as log events with -o json.
func (m *module) luaRunCommand(L *lua.LState, o commandOpts) (*commandResult, error) {
	const fn = "agentcore.run_command"
	switch {
	case o.Arn == "":
		return nil, engine.Usagef("", "%s: arn is required", fn)
	case o.Command == "":
		return nil, engine.Usagef("give the command after --: agentcore exec AGENT -- ls -l", "%s: command is required", fn)
	case len(o.Command) > maxCommandLen:
		return nil, engine.Usagef("", "%s: the command is %d bytes; AgentCore accepts at most %d", fn, len(o.Command), maxCommandLen)
	}
	if o.SessionID != "" {
		if err := proj.CheckSessionID(o.SessionID); err != nil {
			return nil, engine.Usagef("", "%s: %v", fn, err)
		}
	}
	in := &bedrockagentcore.InvokeAgentRuntimeCommandInput{
		AgentRuntimeArn:  &o.Arn,
		Qualifier:        strPtr(orDefault(o.Qualifier, "DEFAULT")),
		RuntimeSessionId: strPtr(o.SessionID),
		ContentType:      strPtr("application/json"),
		Accept:           strPtr("application/vnd.amazon.eventstream"),
		Body:             &types.InvokeAgentRuntimeCommandRequestBody{Command: &o.Command},
	}
	if o.Timeout != nil {
		t := time.Duration(*o.Timeout)
		if t < time.Second || t > maxCommandTimeout {
			return nil, engine.Usagef("", "%s: timeout %s is out of AgentCore's range (1s to 1h)", fn, t)
		}
		n := int32(t / time.Second)
		in.Body.Timeout = &n
	}
	run := engine.FromL(L)
	branch := run.Branch(L)
	doing := fmt.Sprintf("running %q in agent runtime %s", o.Command, o.Arn)
	return awscall.Call(L, m.dataPlane, doing, func(ctx context.Context, c dataAPI) (*commandResult, error) {
		out, err := c.InvokeAgentRuntimeCommand(ctx, in)
		if err != nil {
			return nil, err
		}
		stream := out.GetStream()
		defer stream.Close()
		res := &commandResult{RuntimeSessionID: o.SessionID}
		masks := map[string]*engine.StreamMasker{"stdout": run.Out.StreamMasker(), "stderr": run.Out.StreamMasker()}
		emit := func(name, text string) {
			if text == "" {
				return
			}
			if run.Out.JSON {
				run.Out.Log(branch, name, strings.TrimRight(text, "\n"))
				return
			}
			w := run.Out.Stdout
			if name == "stderr" {
				w = run.Out.Stderr
			}
			_, _ = io.WriteString(w, text)
		}
		stopped := false
		for ev := range stream.Events() {
			chunk, ok := ev.(*types.InvokeAgentRuntimeCommandStreamOutputMemberChunk)
			if !ok {
				continue
			}
			switch {
			case chunk.Value.ContentDelta != nil:
				d := chunk.Value.ContentDelta
				if d.Stdout != nil {
					emit("stdout", masks["stdout"].Write(*d.Stdout))
				}
				if d.Stderr != nil {
					emit("stderr", masks["stderr"].Write(*d.Stderr))
				}
			case chunk.Value.ContentStop != nil:
				stopped = true
				if chunk.Value.ContentStop.ExitCode != nil {
					res.ExitCode = int(*chunk.Value.ContentStop.ExitCode)
				}
				res.Status = string(chunk.Value.ContentStop.Status)
			}
		}
		emit("stdout", masks["stdout"].Flush())
		emit("stderr", masks["stderr"].Flush())
		if err := stream.Err(); err != nil {
			return nil, fmt.Errorf("reading the command's output: %w", err)
		}
		if !stopped {
			return nil, fmt.Errorf("the command's output ended before its exit status (contentStop)")
		}
		return res, nil
	})
}
