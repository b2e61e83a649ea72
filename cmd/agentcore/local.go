package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/local/lifecycle"
)

const localUsage = `Usage:
  agentcore local start [--port N] [--foreground]   start the local AgentCore endpoint (background by default)
  agentcore local stop                              stop it (agent containers keep running and are found again)
  agentcore local status                            is it running, where, since when
  agentcore local logs [-f]                         its log
  agentcore local reset                             stop it and its agents (containers, host processes), remove images and state
  agentcore local env [--shell sh|fish|powershell]  print AWS_* variables for the AWS CLI and SDKs (-o json: an object)

The endpoint listens on 127.0.0.1 only (default port 4777, or AGENTCORE_LOCAL_PORT) and keeps
its data in $AGENTCORE_HOME/local (default ~/.agentcore/local). Commands that act on an
environment with provider = "local" start it when it is not running. It is its owner's alone:
every API call must be signed with the key pair generated at its first start (kept, mode 0600,
in credentials.json there); eval "$(agentcore local env)" lets the AWS CLI and SDKs use it.`

// endpoint is the local endpoint of this machine's AGENTCORE_HOME.
func endpoint() *lifecycle.Endpoint { return lifecycle.New(engine.Home()) }

// localPort is the endpoint's port (AGENTCORE_LOCAL_PORT or the default), a usage error when
// the variable is not a port number.
func localPort() (int, error) {
	n, err := lifecycle.Port()
	var pe *lifecycle.PortError
	if errors.As(err, &pe) {
		return 0, usageErr("", "%s", pe.Error())
	}
	return n, err
}

// ensureLocal is the AWS layer's local endpoint: its URL, started in the background when it
// is not running.
func (a *app) ensureLocal(ctx context.Context) (string, error) {
	u, err := endpoint().Ensure(ctx, func(port int) {
		a.out.Info("", fmt.Sprintf("starting the local AgentCore endpoint on 127.0.0.1:%d (agentcore local logs shows its log)", port))
	})
	var pe *lifecycle.PortError
	if errors.As(err, &pe) {
		return "", usageErr("", "%s", pe.Error())
	}
	return u, err
}

func (a *app) cmdLocal(args []string) error {
	fs := pflag.NewFlagSet("local", pflag.ContinueOnError)
	port := fs.Int("port", 0, "port on 127.0.0.1 (default 4777, or AGENTCORE_LOCAL_PORT)")
	fg := fs.Bool("foreground", false, "serve in this process instead of in the background")
	follow := fs.BoolP("follow", "f", false, "logs: keep printing new lines")
	shell := fs.String("shell", "sh", "env: the shell to print variables for (sh, fish, powershell)")
	rest, err := a.parse(fs, args, localUsage)
	if err != nil {
		return helpOK(err)
	}
	if len(rest) != 1 {
		return usageErr(localUsage, "local takes one of start, stop, status, logs, reset, env")
	}
	if *port == 0 {
		if *port, err = localPort(); err != nil {
			return err
		}
	}
	ep := endpoint()
	switch rest[0] {
	case "start":
		if si := ep.Running(a.ctx); si != nil {
			a.out.OK("", fmt.Sprintf("the local endpoint is already running at http://%s (pid %d)", si.Addr, si.PID))
			return nil
		}
		if *fg {
			return a.serveForeground(ep, *port)
		}
		si, err := ep.Start(a.ctx, *port)
		if err != nil {
			return err
		}
		a.out.OK("", fmt.Sprintf("local AgentCore endpoint running at http://%s (pid %d)", si.Addr, si.PID))
		a.out.Info("", "log: "+ep.LogPath())
		return nil
	case "stop":
		si, err := ep.ReadServerInfo()
		if err != nil || !ep.Healthy(a.ctx, si.Addr) {
			a.out.OK("", "the local endpoint is not running")
			return nil
		}
		if err := ep.Stop(a.ctx, si); err != nil {
			return err
		}
		a.out.OK("", fmt.Sprintf("stopped the local endpoint (pid %d); agent containers keep running and are found again at the next start", si.PID))
		return nil
	case "status":
		si := ep.Running(a.ctx)
		if a.out.JSON {
			return json.NewEncoder(a.stdout).Encode(map[string]any{"running": si != nil, "server": si, "data_dir": ep.Dir,
				"credentials_file": ep.CredentialsPath()})
		}
		if si == nil {
			a.out.Info("", "the local endpoint is not running (it starts with the first command that needs it, or: agentcore local start)")
			return nil
		}
		a.out.OK("", fmt.Sprintf("running at http://%s, pid %d, since %s, version %s", si.Addr, si.PID, si.Started.Local().Format(time.DateTime), si.Version))
		a.out.Info("", "data: "+ep.Dir)
		return nil
	case "logs":
		return a.localLogs(ep, *follow)
	case "reset":
		if !a.g.yes {
			return usageErr("run again with --yes", "local reset deletes every local runtime, image and parameter; confirm with --yes")
		}
		sum, err := ep.Reset(a.ctx, *port)
		if err != nil {
			return err
		}
		a.out.OK("", resetLine(sum, ep.CredentialsPath()))
		return nil
	case "env":
		return a.localEnv(ep, *shell, *port)
	}
	return usageErr(localUsage, "unknown local subcommand %q", rest[0])
}

// resetLine says in one line what local reset stopped and removed.
func resetLine(s lifecycle.ResetSummary, creds string) string {
	plural := func(n int, one, many string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %s", n, many)
	}
	server := "the endpoint was not running"
	if s.ServerPID > 0 {
		server = fmt.Sprintf("stopped the endpoint (pid %d)", s.ServerPID)
	}
	return fmt.Sprintf("local endpoint reset: %s; stopped %s and %s; removed %s and its state (runtimes, registry, logs; its credentials are kept: %s)",
		server, plural(s.Containers, "agent container", "agent containers"), plural(s.Processes, "host process", "host processes"),
		plural(s.ImageTags, "image tag", "image tags"), creds)
}

// localEnv prints the variables that point the AWS CLI and SDKs at the local endpoint, with
// its credentials, for eval. The endpoint is started when it is not running.
func (a *app) localEnv(ep *lifecycle.Endpoint, shell string, port int) error {
	switch shell {
	case "sh", "bash", "zsh", "fish", "powershell", "pwsh":
	default:
		return usageErr("use --shell sh, fish or powershell", "local env: unknown shell %q", shell)
	}
	creds, err := ep.Credentials()
	if err != nil {
		return err
	}
	si := ep.Running(a.ctx)
	if si == nil {
		fmt.Fprintf(a.stderr, "starting the local AgentCore endpoint on 127.0.0.1:%d (agentcore local logs shows its log)\n", port)
		if si, err = ep.Start(a.ctx, port); err != nil {
			return err
		}
	}
	region := "us-east-1"
	if h, err := ep.Health(a.ctx, si.Addr); err == nil && h.Region != "" {
		region = h.Region
	}
	vars := [][2]string{
		{"AWS_ACCESS_KEY_ID", creds.AccessKeyID},
		{"AWS_SECRET_ACCESS_KEY", creds.SecretAccessKey},
		{"AWS_ENDPOINT_URL", "http://" + si.Addr},
		{"AWS_REGION", region},         // the Go, Java and JavaScript SDKs
		{"AWS_DEFAULT_REGION", region}, // the AWS CLI and boto3
	}
	if a.out.JSON {
		m := map[string]string{}
		for _, v := range vars {
			m[v[0]] = v[1]
		}
		return json.NewEncoder(a.stdout).Encode(m)
	}
	a.out.AddSecret(creds.SecretAccessKey)
	var b strings.Builder
	for _, v := range vars {
		switch shell {
		case "fish":
			fmt.Fprintf(&b, "set -gx %s %s;\n", v[0], shQuote(v[1]))
		case "powershell", "pwsh":
			fmt.Fprintf(&b, "$Env:%s = \"%s\"\n", v[0], v[1])
		default:
			fmt.Fprintf(&b, "export %s=%s\n", v[0], shQuote(v[1]))
		}
	}
	// A session token left from an AWS login would be sent along and mean nothing here.
	switch shell {
	case "fish":
		b.WriteString("set -e AWS_SESSION_TOKEN;\n")
	case "powershell", "pwsh":
		b.WriteString("Remove-Item Env:AWS_SESSION_TOKEN -ErrorAction SilentlyContinue\n")
	default:
		b.WriteString("unset AWS_SESSION_TOKEN\n")
	}
	b.WriteString("# eval \"$(agentcore local env)\" points the AWS CLI and SDKs at the local endpoint\n")
	_, err = io.WriteString(a.stdout, b.String())
	return err
}

// shQuote quotes s for sh and fish when it holds anything but safe characters.
func shQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func (a *app) localLogs(ep *lifecycle.Endpoint, follow bool) error {
	path := ep.LogPath()
	f, err := os.Open(path)
	if err != nil {
		return usageErr("agentcore local start", "no log yet at %s", path)
	}
	defer f.Close()
	if _, err := io.Copy(a.stdout, f); err != nil {
		return err
	}
	for follow {
		select {
		case <-a.ctx.Done():
			return nil
		case <-time.After(300 * time.Millisecond):
		}
		if _, err := io.Copy(a.stdout, f); err != nil {
			return err
		}
	}
	return nil
}

// serveForeground runs the endpoint in this process until SIGINT or SIGTERM.
func (a *app) serveForeground(ep *lifecycle.Endpoint, port int) error {
	o := lifecycle.ServeOptions{Port: port, Version: version}
	if v := os.Getenv("AGENTCORE_LOCAL_PING_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return usageErr("for example AGENTCORE_LOCAL_PING_TIMEOUT=90s", "AGENTCORE_LOCAL_PING_TIMEOUT=%q is not a duration", v)
		}
		o.PingTimeout = d
	}
	return ep.Serve(a.ctx, o)
}
