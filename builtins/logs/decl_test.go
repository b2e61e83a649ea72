package logs

import (
	"strings"
	"testing"

	"github.com/agentcore/agentcore/builtins/aws/awstest"
	"github.com/agentcore/agentcore/engine/enginetest"
)

// Calls are checked against the declarations before anything is read: unknown options with a
// did-you-mean, missing required fields, wrong types (no AWS session is set up here, so a call
// that got past the checks would fail differently).
func TestDeclaredChecks(t *testing.T) {
	h := enginetest.New(t, New(awstest.AWS()))
	for _, tc := range []struct{ code, want string }{
		{`logs.filter{grop = "g"}`, `unknown option "grop" (did you mean "group"?)`},
		{`logs.filter{start = 1}`, `group is required (a string)`},
		{`logs.filter("g")`, `must be a table (logs.FilterOpts), got a string`},
		{`logs.filter{group = "g", any = {1, {}}}`, `field any[2] must be a string, got a table`},
		{`logs.follow{group = "g", on_event = "print"}`, `on_event must be a function`},
		{`logs.follow{group = "g", pol_seconds = 2}`, `(did you mean "poll_seconds"?)`},
		{`logs.get_events{group = "g"}`, `stream is required`},
		{`logs.describe_streams{}`, `group is required`},
		{`logs.describe_groups{prefx = "/aws"}`, `(did you mean "prefix"?)`},
		{`logs.spans{trace = "abc"}`, `(did you mean "trace_id"?)`},
		{`logs.print{{message = "m"}}`, `is required`},
		{`logs.print{{event_id = "1", timestamp = 1.5, time = "t", stream = "s", message = "m"}}`, `timestamp must be an integer`},
		{`logs.parse_time({})`, `must be a string`},
	} {
		err := h.Err(tc.code)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.code, err, tc.want)
		}
	}
	// events as get_events and live tail give them (no event id) and empty lines print
	h.Do(t, `logs.print{{event_id = "", timestamp = 1764230400000, time = "2025-11-27T08:00:00.000Z", stream = "s", message = ""}}`)
	// events as filter returns them pass, and print
	h.Do(t, `logs.print{{event_id = "1", timestamp = 1764230400123, time = "2025-11-27T08:00:00.123Z", stream = "s", message = "hello"}}`)
	if !strings.Contains(h.Stdout.String(), "hello") {
		t.Errorf("print wrote %q", h.Stdout.String())
	}
}
