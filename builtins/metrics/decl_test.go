package metrics

import (
	"strings"
	"testing"

	"github.com/agentcore/agentcore/builtins/aws/awstest"
	"github.com/agentcore/agentcore/engine/enginetest"
)

// Calls are checked against the declarations before CloudWatch is asked (no AWS session is
// set up here, so a call that got past the checks would fail differently).
func TestDeclaredChecks(t *testing.T) {
	h := enginetest.New(t, New(awstest.AWS()))
	for _, tc := range []struct{ code, want string }{
		{`metrics.get_data{}`, `field queries is required (a list of tables (metrics.Query))`},
		{`metrics.get_data{queries = {}}`, `metrics.get_data: queries is empty`},
		{`metrics.get_data{queries = {{id = "a", namespace = "n"}}}`, `field queries[1].metric is required`},
		{`metrics.get_data{queries = {{id = "a", namespace = "n", metric = "m", perod = 60}}}`, `unknown option "queries[1].perod" (did you mean "period"?)`},
		{`metrics.get_data{queries = {{id = "a", namespace = "n", metric = "m", period = 1.5}}}`, `period must be an integer`},
		{`metrics.get_data{queries = {}, strat = 1}`, `(did you mean "start"?)`},
		{`metrics.endpoint_health{runtime_arn = "arn"}`, `field runtime_name is required`},
		{`metrics.endpoint_health{runtime_arn = "arn", runtime_name = "n", since = 60}`, `unknown option "since"`},
		{`metrics.endpoint_health()`, `argument #1 (opts)`},
		{`metrics.endpoints_health{runtime_arn = "arn", runtime_name = "n"}`, `field endpoints is required`},
		{`metrics.endpoints_health{runtime_arn = "arn", runtime_name = "n", endpoints = {true}}`, `endpoints[1] must be a string, got a boolean`},
	} {
		err := h.Err(tc.code)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.code, err, tc.want)
		}
	}
}
