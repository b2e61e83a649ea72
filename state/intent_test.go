package state

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// A schema 1 document (before intents) loads as it is and is saved as the current schema.
func TestSchema1Loads(t *testing.T) {
	doc := `{"schema":1,"environment":"dev","serial":3,"updated_at":"2024-01-01T00:00:00Z",
	"agents":{"bot":{"runtime_name":"b","versions":[],"endpoints":{},"resources":[]}}}`
	st, err := Decode([]byte(doc), "dev.json")
	if err != nil {
		t.Fatal(err)
	}
	if st.Schema != 1 || st.Agents["bot"].Pending != nil {
		t.Fatalf("got %+v", st)
	}
	s := NewFileStore(t.TempDir())
	if err := s.Save(context.Background(), "dev", st); err != nil {
		t.Fatal(err)
	}
	back, err := s.Load(context.Background(), "dev")
	if err != nil || back.Schema != SchemaVersion {
		t.Fatalf("reloaded: %+v, %v", back, err)
	}
}

func TestPendingRoundTripAndValidation(t *testing.T) {
	tok := "agentcore-" + strings.Repeat("a1", 16)
	s := NewFileStore(t.TempDir())
	st := New("dev")
	st.Agents["bot"] = &Agent{RuntimeName: "b", Pending: []Intent{{Op: "create_runtime", Name: "b", Token: tok,
		StartedAt: time.Now().UTC().Truncate(time.Second), Image: "r@sha256:1", ConfigHash: "h"}}}
	if err := s.Save(context.Background(), "dev", st); err != nil {
		t.Fatal(err)
	}
	back, err := s.Load(context.Background(), "dev")
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Agents["bot"].Pending; len(got) != 1 || got[0].Token != tok || got[0].Image != "r@sha256:1" {
		t.Fatalf("pending = %+v", got)
	}
	for _, bad := range []Intent{
		{Op: "launch_rocket", Name: "b", Token: tok},
		{Op: "create_runtime", Name: "", Token: tok},
		{Op: "create_runtime", Name: "b", Token: "short"},
	} {
		st.Agents["bot"].Pending = []Intent{bad}
		if err := s.Save(context.Background(), "dev", st); err == nil {
			t.Errorf("saved %+v", bad)
		}
	}
	st.Agents["bot"].Pending = []Intent{{Op: "create_runtime", Name: "b", Token: tok}, {Op: "update_runtime", Name: "b", Token: tok}}
	if err := s.Save(context.Background(), "dev", st); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate token: %v", err)
	}
}

// A schema 2 document (before source hashes) loads; the source hashes of versions and intents
// are kept by a save, which writes the current schema, and a newer schema is refused.
func TestSourceHashSchema3(t *testing.T) {
	doc := `{"schema":2,"environment":"dev","serial":1,"updated_at":"2024-01-01T00:00:00Z",
	"agents":{"bot":{"runtime_name":"b","versions":[{"number":1,"image":"r@sha256:1","digest":"sha256:1","config_hash":"h","created_at":"2024-01-01T00:00:00Z","status":"READY"}],"endpoints":{},"resources":[]}}}`
	st, err := Decode([]byte(doc), "dev.json")
	if err != nil {
		t.Fatal(err)
	}
	st.Agents["bot"].Versions[0].SourceHash = "sha256:src"
	st.Agents["bot"].Pending = []Intent{{Op: "update_runtime", Name: "b", Token: "agentcore-" + strings.Repeat("b2", 16),
		StartedAt: time.Now().UTC().Truncate(time.Second), SourceHash: "sha256:src2"}}
	s := NewFileStore(t.TempDir())
	if err := s.Save(context.Background(), "dev", st); err != nil {
		t.Fatal(err)
	}
	back, err := s.Load(context.Background(), "dev")
	if err != nil || back.Schema != SchemaVersion || back.Agents["bot"].Versions[0].SourceHash != "sha256:src" || back.Agents["bot"].Pending[0].SourceHash != "sha256:src2" {
		t.Fatalf("reloaded: %+v, %v", back, err)
	}
	if _, err := Decode([]byte(fmt.Sprintf(`{"schema":%d,"environment":"dev","agents":{}}`, SchemaVersion+1)), "dev.json"); err == nil || !strings.Contains(err.Error(), "upgrade agentcore") {
		t.Fatalf("a newer schema: %v", err)
	}
}

// A schema 3 endpoint (no history) loads; the moves recorded are saved, bounded to the newest
// MaxEndpointHistory, and a move to no version is refused.
func TestEndpointHistorySchema4(t *testing.T) {
	doc := `{"schema":3,"environment":"dev","serial":1,"updated_at":"2024-01-01T00:00:00Z",
	"agents":{"bot":{"runtime_name":"b","versions":[],"endpoints":{"stable":{"version":1}},"resources":[]}}}`
	st, err := Decode([]byte(doc), "dev.json")
	if err != nil || st.Agents["bot"].Endpoints["stable"].History != nil {
		t.Fatalf("schema 3: %+v, %v", st, err)
	}
	ep := st.Agents["bot"].Endpoints["stable"]
	for i := 1; i <= MaxEndpointHistory+5; i++ {
		ep.History = append(ep.History, EndpointMove{From: i, To: i + 1, At: time.Now().UTC(), By: "release"})
	}
	s := NewFileStore(t.TempDir())
	if err := s.Save(context.Background(), "dev", st); err != nil {
		t.Fatal(err)
	}
	back, err := s.Load(context.Background(), "dev")
	if err != nil {
		t.Fatal(err)
	}
	h := back.Agents["bot"].Endpoints["stable"].History
	if back.Schema != SchemaVersion || len(h) != MaxEndpointHistory || h[0].From != 6 || h[len(h)-1].To != MaxEndpointHistory+6 {
		t.Fatalf("history: schema %d, %d moves, first %+v", back.Schema, len(h), h[0])
	}
	back.Agents["bot"].Endpoints["stable"].History = []EndpointMove{{From: 1, To: 0}}
	if err := s.Save(context.Background(), "dev", back); err == nil || !strings.Contains(err.Error(), "names no version") {
		t.Fatalf("a move to version 0: %v", err)
	}
}

// A schema 4 document (no memory) loads; an agent's memory is saved and read back, and an
// intent may record create_memory and update_memory.
func TestMemorySchema5(t *testing.T) {
	doc := `{"schema":4,"environment":"dev","serial":1,"updated_at":"2024-01-01T00:00:00Z",
	"agents":{"bot":{"runtime_name":"b","versions":[],"endpoints":{},"resources":[]}}}`
	st, err := Decode([]byte(doc), "dev.json")
	if err != nil || st.Agents["bot"].Memory != nil {
		t.Fatalf("schema 4: %+v, %v", st, err)
	}
	st.Agents["bot"].Memory = &Memory{Name: "chat", MemoryName: "p_chat_dev", ID: "p_chat_dev-0123456789", ARN: "arn:aws:bedrock-agentcore:us-east-1:123456789012:memory/p_chat_dev-0123456789",
		CreatedBy: "agentcore", Strategies: []MemoryStrategyID{{Name: "semantic", Type: "semantic", ID: "s-1"}}}
	st.Agents["bot"].Pending = []Intent{{Op: "update_memory", Name: "p_chat_dev", MemoryID: "p_chat_dev-0123456789",
		Token: "agentcore-" + strings.Repeat("c3", 16), StartedAt: time.Now().UTC().Truncate(time.Second)}}
	s := NewFileStore(t.TempDir())
	if err := s.Save(context.Background(), "dev", st); err != nil {
		t.Fatal(err)
	}
	back, err := s.Load(context.Background(), "dev")
	if err != nil || back.Schema != SchemaVersion || back.Agents["bot"].Memory == nil || back.Agents["bot"].Memory.Strategies[0].ID != "s-1" ||
		back.Agents["bot"].Pending[0].MemoryID != "p_chat_dev-0123456789" {
		t.Fatalf("reloaded: %+v, %v", back, err)
	}
}
