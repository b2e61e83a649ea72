package docker

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/client"

	"github.com/agentcore/agentcore/engine"
)

// Hints shown with the errors users meet most. Kept together so the wording stays consistent.
const (
	hintEngineDown = "start Docker (Docker Desktop, or `sudo systemctl start docker`), or check DOCKER_HOST and the current context (`docker context ls`)"
	hintSocketPerm = "add your user to the docker group (`sudo usermod -aG docker $USER`, then log in again) or use rootless Docker"
	hintNoImage    = "list local images with `docker images`; build the image first with docker.build"
	hintAuth       = "check the credentials passed as auth (for ECR they come from ecr.login and expire after 12 hours)"
	hintNoRepo     = "create the repository first (for ECR: ecr.create_repository), and check the name in the image reference"
	hintRegistry   = "check the registry address in the image reference and that the registry is running and reachable from the Docker engine"
	hintInsecure   = "the engine uses HTTPS for every registry except loopback ones; add the registry to \"insecure-registries\" in daemon.json"
	hintPlatform   = "build on a host of that platform, or register QEMU emulators (`docker run --privileged --rm tonistiigi/binfmt --install all`) so the engine can run foreign binaries"
)

// registryProblems maps substrings of registry errors, as the engine relays them in a push
// stream, to a short explanation and a hint. First match wins.
var registryProblems = []struct{ match, what, hint string }{
	{"unauthorized", "the registry refused the credentials", hintAuth},
	{"authentication required", "the registry requires credentials", hintAuth},
	{"no basic auth credentials", "no credentials were sent", hintAuth},
	{"denied", "the registry denied access", hintAuth},
	{"name unknown", "the repository does not exist in the registry", hintNoRepo},
	{"does not exist", "the repository does not exist in the registry", hintNoRepo},
	{"server gave http response to https client", "the registry speaks plain HTTP", hintInsecure},
	{"connection refused", "the registry is not reachable (connection refused)", hintRegistry},
	{"no such host", "the registry's host name does not resolve", hintRegistry},
	{"i/o timeout", "the registry did not answer in time", hintRegistry},
	{"exec format error", "the engine could not run a binary built for another platform", hintPlatform},
}

// explain turns err, met while doing something ("building image my-bot:3 from ./agent"), into
// the error the user sees: what was being done, what went wrong, and what to try. It is the one
// place that classifies Docker engine and registry errors.
func explain(err error, doing, host string) error {
	if err == nil {
		return nil
	}
	var done *engine.Error
	if errors.As(err, &done) { // explained where it happened: only say what was being done
		e := *done
		if !strings.HasPrefix(e.Msg, doing) {
			e.Msg = doing + ": " + e.Msg
		}
		return &e
	}
	switch {
	case errors.Is(err, context.Canceled):
		return &engine.Error{Code: engine.ExitInterrupted, Msg: doing + ": interrupted", Err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &engine.Error{Code: engine.ExitFailure, Msg: doing + ": timed out", Err: err}
	case isSocketPermission(err):
		return &engine.Error{Code: engine.ExitFailure, Hint: hintSocketPerm, Err: err,
			Msg: fmt.Sprintf("%s: permission denied on the Docker socket at %s", doing, host)}
	case client.IsErrConnectionFailed(err):
		return &engine.Error{Code: engine.ExitFailure, Hint: hintEngineDown, Err: err,
			Msg: fmt.Sprintf("%s: the Docker engine is not running or not reachable at %s", doing, host)}
	case cerrdefs.IsNotFound(err):
		return &engine.Error{Code: engine.ExitFailure, Hint: hintNoImage, Err: err,
			Msg: fmt.Sprintf("%s: %s", doing, daemonMessage(err))}
	}
	msg := daemonMessage(err)
	low := strings.ToLower(msg)
	for _, p := range registryProblems {
		if strings.Contains(low, p.match) {
			return &engine.Error{Code: engine.ExitFailure, Hint: p.hint, Err: err,
				Msg: fmt.Sprintf("%s: %s: %s", doing, p.what, msg)}
		}
	}
	return &engine.Error{Code: engine.ExitFailure, Msg: doing + ": " + msg, Err: err}
}

// isSocketPermission reports whether err is the client failing to open the engine's socket
// for lack of permission (as opposed to, say, an unreadable file in a build context).
func isSocketPermission(err error) bool {
	if !client.IsErrConnectionFailed(err) {
		return false
	}
	return errors.Is(err, fs.ErrPermission) ||
		strings.Contains(err.Error(), "permission denied while trying to connect to the Docker daemon socket")
}

// daemonMessage is err's text without the client's "Error response from daemon: " prefix and
// without the repetition some engines add ("no such image: x: No such image: x").
func daemonMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), "Error response from daemon: ")
	parts := strings.Split(msg, ": ")
	if n := len(parts); n%2 == 0 {
		half := n / 2
		if strings.EqualFold(strings.Join(parts[:half], ": "), strings.Join(parts[half:], ": ")) {
			return strings.Join(parts[half:], ": ")
		}
	}
	return msg
}
