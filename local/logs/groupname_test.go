package logs

import (
	"regexp"
	"strings"
	"testing"
)

// isGroupName must accept exactly what CloudWatch Logs' pattern accepts.
func TestIsGroupNameMatchesThePattern(t *testing.T) {
	pattern := regexp.MustCompile(`^[\.\-_/#A-Za-z0-9]{1,512}$`)
	names := []string{
		"", "a", "/aws/bedrock-agentcore/runtimes/my_bot-abc123-DEFAULT", "a#b.c", "with space",
		"tab\t", "ü", "a:b", "a*b", strings.Repeat("x", 512), strings.Repeat("x", 513), "\x00",
	}
	for c := 0; c < 256; c++ {
		names = append(names, "g"+string(rune(c)), string([]byte{byte(c)}))
	}
	for _, n := range names {
		if got, want := isGroupName(n), pattern.MatchString(n); got != want {
			t.Errorf("isGroupName(%q) = %v, the pattern says %v", n, got, want)
		}
	}
}
