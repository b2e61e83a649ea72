package ssm_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/agentcore/agentcore/builtins/aws"
	"github.com/agentcore/agentcore/builtins/aws/awstest"
	"github.com/agentcore/agentcore/builtins/ssm"
	"github.com/agentcore/agentcore/engine/enginetest"
	"github.com/agentcore/agentcore/project"
)

// ssmServer answers every GetParameter with value, and counts the requests it got.
func ssmServer(t *testing.T, value string, hits *int) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "AmazonSSM.GetParameter" {
			http.Error(w, "unexpected "+r.Header.Get("X-Amz-Target"), http.StatusBadRequest)
			return
		}
		var in struct{ Name string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		*hits++
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(map[string]any{"Parameter": map[string]any{
			"Name": in.Name, "Value": value, "Type": "String", "Version": 1}})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// The bug this guards: clients were cached per run, so with_env("two") after a call in "one"
// still asked one's endpoint. Each environment has its own endpoint and its own answer.
func TestClientPerEnvironment(t *testing.T) {
	var hitsOne, hitsTwo int
	one := ssmServer(t, "from-one", &hitsOne)
	two := ssmServer(t, "from-two", &hitsTwo)
	h := enginetest.New(t, aws.New(awstest.AWS()), ssm.New(awstest.AWS()))
	env := awstest.UseEnv(t, h, one.URL)
	env.Name = "one"
	h.Run.Project = &project.Project{Name: "test", Dir: h.Run.Dir, Environments: map[string]*project.Environment{
		"one": env,
		"two": {Name: "two", Provider: "aws", Region: "us-west-2", EndpointURL: two.URL},
	}}
	h.Run.EnvName = "one"
	res := h.Do(t, `
		local a = ssm.get_parameter("/p").value
		local b = with_env("two", function() return ssm.get_parameter("/p").value end)
		local c = ssm.get_parameter("/p").value
		return a, b, c`)
	if got := [3]string{res[0].String(), res[1].String(), res[2].String()}; got != [3]string{"from-one", "from-two", "from-one"} {
		t.Fatalf("values = %v, want from-one, from-two, from-one", got)
	}
	if hitsOne != 2 || hitsTwo != 1 {
		t.Errorf("requests: one %d, two %d; want 2 and 1", hitsOne, hitsTwo)
	}
}
