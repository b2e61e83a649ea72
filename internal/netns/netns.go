// Package netns runs an agent process in a sandbox of its own: a private network namespace
// (so every sandbox can listen on 127.0.0.1:8080, as AgentCore's port contract says, and no
// host process can reach it), a PID namespace (so stopping the sandbox ends everything the
// agent started, daemons included) and a mount namespace (for a /proc that shows the
// sandbox's own processes). The host reaches the agent only through Unix sockets in the
// sandbox's state directory, which is mode 0700: only its owner gets in.
//
// # How it runs
//
// Start re-executes the running binary (/proc/self/exe) with the environment variable
// AGENTCORE_NETNS_INIT=1 in new PID and mount namespaces (plus a user namespace mapping root
// inside to the caller, when the caller is not root). Init, called first in main, recognises
// the marker and becomes the sandbox init, PID 1 of its namespace. It makes the network
// namespace on one of its threads only (unshare), and makes there what belongs inside: the
// loopback interface brought up, the agent and exec'd processes, the connections of Dial, the
// listeners of Spec.Forward. Its other threads stay in the host's network, which is how a
// forwarded address (the local endpoint) reaches the host. It mounts a fresh /proc (best
// effort), listens on dial.sock and exec.sock in the state directory, starts the agent in a
// process group of its own, reaps every process of the namespace, and exits when the agent
// exits, after writing the agent's exit status to exit.json. When PID 1 of a PID namespace
// exits, the kernel kills every other process in it: nothing outlives the agent. The init
// runs in a session of its own (setsid), so it outlives its parent (the local endpoint) until
// Stop; Attach finds it again from sandbox.json after the parent was restarted. A SIGTERM to
// the init is passed to the agent's process group (Terminate: a graceful stop).
//
// # The network inside
//
// Only the loopback interface: 127.0.0.1:Port is the agent's, Spec.Forward addresses lead to
// the same addresses on the host, and Spec.ProxyPort serves an HTTP proxy whose connections
// leave from the host's network (names are resolved there: the sandbox has no DNS server of
// its own, so clients must use the proxy for anything outside; HTTPS_PROXY and HTTP_PROXY
// are honoured by boto3, requests, httpx, Go and curl; Node's fetch needs
// NODE_USE_ENV_PROXY=1).
//
// Inside a user namespace (a caller that is not root) the agent runs as root of that
// namespace: the caller's own uid outside, files it writes are the caller's.
//
// Start is crash safe: the parent writes sandbox.json (the init's pid and start time) before
// it lets the init go on, and an init whose parent dies before that (its control socket reads
// end-of-file) exits at once.
//
// # State directory
//
//	sandbox.json  the init's pid, its start time (/proc/PID/stat field 22, which tells it from
//	              a later process given the same pid), port, argv and log path
//	exit.json     the agent's exit status, written by the init when the agent exits
//	dial.sock     Dial: each connection asks the init for a TCP connection to 127.0.0.1:PORT
//	              in the namespace; the init answers one message, "o" with the connected
//	              socket's file descriptor (SCM_RIGHTS), or "e<errno> <message>". The caller
//	              then talks to the agent directly over that socket: no proxy copies bytes.
//	exec.sock     Exec, with the framing below
//
// # Exec framing
//
// Every message on exec.sock is a frame: one type byte, a 4-byte big-endian payload length
// (at most 1 MiB), then the payload.
//
//	'R' client→init, first frame: the request, JSON {"argv","env","dir","tty"}
//	'0' client→init: stdin bytes        'E' client→init: end of stdin
//	'W' client→init: resize, 4 bytes: rows, cols (uint16 big-endian each)
//	'1' init→client: stdout bytes       '2' init→client: stderr bytes (none with a TTY)
//	'X' init→client: exit code, 4 bytes (int32; 128+N for a process killed by signal N);
//	    the last frame
//	'F' init→client: the command could not start; the payload says why; the last frame
//
// A client that closes the connection before 'X' kills the command (its process group).
package netns

import (
	"errors"
	"io"
	"time"
)

// DisableEnv names the environment variable that turns sandboxes off, as on a machine that
// refuses namespaces: with AGENTCORE_NETNS=off Supported is false and Start fails.
const DisableEnv = "AGENTCORE_NETNS"

// initEnv marks a re-executed process as a sandbox init (see Init).
const initEnv = "AGENTCORE_NETNS_INIT"

// ErrGone is wrapped by the errors of Attach, Dial and Exec when the sandbox no longer runs.
var ErrGone = errors.New("the sandbox is gone")

// Spec describes the agent a sandbox runs.
type Spec struct {
	Argv     []string // the agent's command; Argv[0] is looked up in Env's PATH
	Dir      string   // its working directory ("" is /)
	Env      []string // its whole environment (nil: this process's environment)
	Port     int      // where it listens inside its namespace (8080)
	StateDir string   // per-sandbox directory (created 0700): the sockets, sandbox.json, exit.json
	LogPath  string   // the agent's stdout and stderr are appended here ("" discards them)
	// Forward lists loopback TCP addresses of the host (127.0.0.1:PORT, [::1]:PORT) that the
	// agent reaches at the same address in its namespace, e.g. the local endpoint's
	// 127.0.0.1:4777 for its AWS calls and OTLP. Nothing else outside the sandbox is
	// reachable, except through ProxyPort.
	Forward []string
	// ProxyPort, when not 0, serves an HTTP proxy (CONNECT for HTTPS, absolute URLs for
	// HTTP) on 127.0.0.1:ProxyPort in the namespace, connecting from the host's network: the
	// agent's way to the internet (Bedrock models, tools). Put HTTPS_PROXY, HTTP_PROXY
	// (http://127.0.0.1:ProxyPort) and NO_PROXY=127.0.0.1,localhost in Env.
	ProxyPort int
}

// ExecSpec describes a command run inside a sandbox by Exec.
type ExecSpec struct {
	Argv   []string
	Env    []string // added to the agent's environment (a name given here wins)
	Dir    string   // "" is the agent's working directory
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer        // unused with TTY: a terminal has one output
	TTY    bool             // run on a pseudo-terminal (24x80 until the first resize)
	Resize <-chan [2]uint16 // rows, cols; applied to the terminal as they come
}

// ExitStatus is how a sandbox's agent ended, as the init recorded it in exit.json.
type ExitStatus struct {
	Code   int       `json:"code"`             // the exit code, or 128+N when killed by signal N
	Signal string    `json:"signal,omitempty"` // the signal that killed it, if any
	At     time.Time `json:"at"`
}

// record is sandbox.json.
type record struct {
	Pid       int       `json:"pid"`
	StartTime uint64    `json:"start_time"`
	Port      int       `json:"port"`
	Argv      []string  `json:"argv"`
	LogPath   string    `json:"log_path,omitempty"`
	Started   time.Time `json:"started"`
}

const (
	recordFile = "sandbox.json"
	exitFile   = "exit.json"
	dialSock   = "dial.sock"
	execSock   = "exec.sock"
)
