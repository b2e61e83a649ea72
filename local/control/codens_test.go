package control

import (
	"slices"
	"testing"
)

// The loopback addresses in an agent's environment are what its sandbox forwards to the host:
// the endpoint's (OTLP, AWS calls), not the agent's own port or the proxy's, nor other hosts.
func TestLoopbackForwards(t *testing.T) {
	got := loopbackForwards([]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4777",
		"AWS_ENDPOINT_URL=http://localhost:4777/", // the same address once
		"OTHER=https://[::1]:9443/x,http://127.0.0.1:5000",
		"SELF=http://127.0.0.1:8080", "PROXY=http://127.0.0.1:3128",
		"REMOTE=https://bedrock-runtime.us-east-1.amazonaws.com:443", "LAN=http://10.0.0.1:80",
		"PORT=8080", "NOPORT=http://127.0.0.1/",
	}, 8080)
	want := []string{"127.0.0.1:4777", "[::1]:9443", "127.0.0.1:5000"}
	if !slices.Equal(got, want) {
		t.Fatalf("loopbackForwards = %q, want %q", got, want)
	}
}
