package lifecycle

import "strings"

// ChildEnv is the environment of an endpoint started in the background by a command: only
// what it needs to find programs, files and the Docker engine, and its own settings. The
// caller's other variables (API keys, AWS credentials, tokens) are not handed to a process
// that outlives the command.
func ChildEnv(environ []string) []string {
	keep := map[string]bool{
		"PATH": true, "HOME": true, "USER": true, "LOGNAME": true, "LANG": true, "LC_ALL": true, "TMPDIR": true, "TZ": true,
		"XDG_RUNTIME_DIR": true, // rootless Docker's socket
		"DOCKER_HOST":     true, "DOCKER_CONTEXT": true, "DOCKER_CONFIG": true, "DOCKER_CERT_PATH": true,
		"DOCKER_TLS_VERIFY": true, "DOCKER_API_VERSION": true,
		"PYENV_ROOT": true, "PYENV_VERSION": true, // code runtimes' interpreters behind pyenv shims
		"GOCOVERDIR": true, // coverage of the tests' binaries
	}
	var out []string
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		// AGENTCORE_* are the endpoint's own settings (home, port, logs bound, runtime images);
		// LC_* the locale.
		if keep[k] || strings.HasPrefix(k, "AGENTCORE_") || strings.HasPrefix(k, "LC_") {
			out = append(out, kv)
		}
	}
	return out
}
