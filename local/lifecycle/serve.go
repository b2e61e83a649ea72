package lifecycle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/agentcore/agentcore/local"
	"github.com/agentcore/agentcore/local/auth"
	"github.com/agentcore/agentcore/state"
)

// ServeOptions are the foreground server's settings.
type ServeOptions struct {
	Port        int
	Version     string        // the program's version, in server.json and the health answer
	PingTimeout time.Duration // how long an agent may take to answer its first ping (0: the default)
}

// Serve runs the endpoint in this process until SIGINT or SIGTERM (or ctx ends): it listens on
// 127.0.0.1:PORT, writes server.json while it serves, and removes it when it stops.
func (e *Endpoint) Serve(ctx context.Context, o ServeOptions) error {
	logger := log.New(os.Stderr, "", log.LstdFlags|log.Lmicroseconds)
	ln, err := local.Listen(o.Port)
	if err != nil {
		return fmt.Errorf("listening on 127.0.0.1:%d: %w (another program uses the port? set AGENTCORE_LOCAL_PORT)", o.Port, err)
	}
	local.Version = o.Version
	srv, err := local.New(local.Config{Dir: e.Dir, Logf: logger.Printf, PingTimeout: o.PingTimeout})
	if err != nil {
		ln.Close()
		return err
	}
	si := ServerInfo{PID: os.Getpid(), Addr: ln.Addr().String(), Started: time.Now().UTC(), Version: o.Version}
	b, _ := json.Marshal(si)
	if err := state.WriteFileAtomic(e.InfoPath(), b, 0o644); err != nil {
		return err
	}
	defer os.Remove(e.InfoPath())
	logger.Printf("local AgentCore endpoint listening on http://%s (data %s)", si.Addr, e.Dir)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, os.Interrupt)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	case <-sigs:
	case <-ctx.Done():
	}
	logger.Printf("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// ResetSummary is what a reset stopped and removed.
type ResetSummary struct {
	ServerPID  int // the endpoint it stopped (0: it was not running)
	Containers int // agent containers removed
	Processes  int // agents' host processes stopped
	ImageTags  int // image tags removed
}

// Reset stops the server when it runs, then its agents' host processes and containers, and
// removes the images it tagged and its data, keeping its credentials. The Docker engine's
// part does not hold back the rest: the data goes whatever the engine says (containers left
// behind carry labels by which the next reset finds them), and an error from the engine is
// returned as *EngineError after the rest is done. The agents' network stays: every endpoint
// on the engine shares it. The summary counts what was done, also on error.
func (e *Endpoint) Reset(ctx context.Context, port int) (ResetSummary, error) {
	var sum ResetSummary
	if si, err := e.ReadServerInfo(); err == nil && e.Healthy(ctx, si.Addr) {
		if err := e.Stop(ctx, si); err != nil {
			return sum, err
		}
		sum.ServerPID = si.PID
	}
	n, err := local.StopHostProcesses(e.Dir)
	sum.Processes = n
	if err != nil {
		return sum, err
	}
	sum.Containers, err = local.RemoveContainers(ctx, e.Dir)
	dockerErr := err
	if dockerErr == nil {
		sum.ImageTags, dockerErr = local.RemoveImageTags(ctx, port)
	}
	if err := e.RemoveAllBut(auth.FileName); err != nil {
		return sum, err
	}
	if dockerErr != nil {
		return sum, &EngineError{Err: dockerErr}
	}
	return sum, nil
}

// EngineError is a reset whose data is removed but whose containers or images on the Docker
// engine are not.
type EngineError struct{ Err error }

func (e *EngineError) Error() string {
	return fmt.Sprintf("the local endpoint's state is removed, but not what it left on the Docker engine: %v; run agentcore local reset --yes again once the engine answers (agent containers are found by their labels)", e.Err)
}

func (e *EngineError) Unwrap() error { return e.Err }
