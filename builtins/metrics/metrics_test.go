package metrics

import (
	"testing"
	"time"
)

func TestHealth(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	h := health(map[string]*Series{
		"inv": {Timestamps: []time.Time{t0, t0.Add(time.Minute)}, Values: []float64{5, 2}},
		"sys": {Timestamps: []time.Time{t0, t0.Add(time.Minute)}, Values: []float64{1, 0}},
		"usr": {Timestamps: []time.Time{t0.Add(2 * time.Minute)}, Values: []float64{1}},
	})
	if !h.Available || h.Invocations != 7 || h.Errors != 2 || h.SystemErrors != 1 || h.UserErrors != 1 {
		t.Fatalf("health = %+v", h)
	}
	if h.LastError == nil || *h.LastError != "2026-11-27T08:02:00Z" {
		t.Fatalf("last error %v", h.LastError)
	}
	h = health(map[string]*Series{"inv": {}, "sys": {}, "usr": {}})
	if h.Available || h.LastError != nil || h.Invocations != 0 {
		t.Fatalf("no metrics: %+v", h)
	}
	h = health(map[string]*Series{"inv": {Timestamps: []time.Time{t0}, Values: []float64{3}}, "sys": {Timestamps: []time.Time{t0}, Values: []float64{0}}})
	if !h.Available || h.LastError != nil || h.Errors != 0 {
		t.Fatalf("no errors: %+v", h)
	}
}

func TestRuntimeDimensions(t *testing.T) {
	d := RuntimeDimensions("arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/bot-abc", "bot", "stable")
	if d["Resource"] != "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/bot-abc" || d["Operation"] != "InvokeAgentRuntime" || d["Name"] != "bot::stable" {
		t.Fatalf("dimensions %v", d)
	}
}
