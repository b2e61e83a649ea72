package aws_test

import (
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
)

func TestToLuaShapesLikeTheAPI(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	out := &bedrockagentcorecontrol.GetAgentRuntimeOutput{
		AgentRuntimeId:      awssdk.String("rt-1"),
		AgentRuntimeVersion: awssdk.String("2"),
		Status:              types.AgentRuntimeStatusReady,
		CreatedAt:           &at,
		AgentRuntimeArtifact: &types.AgentRuntimeArtifactMemberContainerConfiguration{
			Value: types.ContainerConfiguration{ContainerUri: awssdk.String("img:1")}},
		LifecycleConfiguration: &types.LifecycleConfiguration{IdleRuntimeSessionTimeout: awssdk.Int32(60)},
		EnvironmentVariables:   map[string]string{"A": "b"},
	}
	L.SetGlobal("r", engine.ToLua(L, out))
	if err := L.DoString(`
		assert(r.agentRuntimeId == "rt-1", "id")
		assert(r.agentRuntimeVersion == "2", "version")
		assert(r.status == "READY", "status")
		assert(r.createdAt == "2026-11-25T10:00:00Z", "time " .. tostring(r.createdAt))
		assert(r.agentRuntimeArtifact.containerConfiguration.containerUri == "img:1", "union")
		assert(r.lifecycleConfiguration.idleRuntimeSessionTimeout == 60, "int")
		assert(r.environmentVariables.A == "b", "map")
		assert(r.description == nil, "nil omitted")
		assert(r.resultMetadata == nil, "metadata skipped")
	`); err != nil {
		t.Fatal(err)
	}
}

type opts struct {
	Name       string            `json:"name"`
	ScanOnPush *bool             `json:"scan_on_push"`
	Tags       engine.StringMap  `json:"tags"`
	Digests    engine.StringList `json:"digests"`
	Timeout    float64           `json:"timeout"`
	OnChunk    any               `json:"on_chunk"`
}

func TestDecode(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	eval := func(src string) lua.LValue {
		t.Helper()
		if err := L.DoString("v = " + src); err != nil {
			t.Fatal(err)
		}
		return L.GetGlobal("v")
	}
	var o opts
	if err := engine.Decode(eval(`{name="x", scan_on_push=true, tags={PORT=8080, on=true, s="t"}, digests={"a","b"}, timeout=1.5, on_chunk=function() end}`), &o); err != nil {
		t.Fatal(err)
	}
	if o.Name != "x" || o.ScanOnPush == nil || !*o.ScanOnPush || o.Tags["PORT"] != "8080" || o.Tags["on"] != "true" ||
		len(o.Digests) != 2 || o.Timeout != 1.5 {
		t.Fatalf("decoded %+v", o)
	}
	o = opts{}
	if err := engine.Decode(eval(`{tags={}}`), &o); err != nil || o.Tags == nil || len(o.Tags) != 0 {
		t.Fatalf("empty table: %+v %v", o, err)
	}
	err := engine.Decode(eval(`{scan_on_pushh=true}`), &o)
	if err == nil || !strings.Contains(err.Error(), `did you mean "scan_on_push"`) {
		t.Fatalf("typo: %v", err)
	}
	err = engine.Decode(eval(`{name={1}}`), &o)
	if err == nil || !strings.Contains(err.Error(), "option name: expected a string, got a table") {
		t.Fatalf("type: %v", err)
	}
}

func TestMemberNames(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	v := struct {
		AgentRuntimeId string
		ARN            string
		KMSKeyId       string
		Name           string
		Tagged         string `json:"tagged_name"`
	}{"a", "b", "c", "d", "e"}
	tbl := engine.ToLua(L, v).(*lua.LTable)
	for _, k := range []string{"agentRuntimeId", "ARN", "kmsKeyId", "name", "tagged_name"} {
		if tbl.RawGetString(k) == lua.LNil {
			t.Errorf("no member %q in %v", k, tbl)
		}
	}
}
