package otlp

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/agentcore/agentcore/local/internal/awsproto"
	"github.com/agentcore/agentcore/local/logs"
)

func setup(t *testing.T) (*Receiver, *logs.Store, *httptest.Server) {
	t.Helper()
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, "state.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := logs.New(logs.Config{Config: awsproto.Config{DB: db, Dir: filepath.Join(dir, "logs"), Account: "123456789012", Region: "us-east-1"}})
	if err != nil {
		t.Fatal(err)
	}
	rc := New(Config{Logs: st, Secret: []byte("secret"), Groups: func(id string, v int) []string {
		return []string{"/aws/bedrock-agentcore/runtimes/" + id + "-DEFAULT"}
	}})
	srv := httptest.NewServer(rc)
	t.Cleanup(func() { srv.Close(); st.Close(); db.Close() })
	return rc, st, srv
}

func post(t *testing.T, url, path, ctype, token string, body []byte) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

const spanJSON = `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"my_agent"}}]},
 "scopeSpans":[{"scope":{"name":"test"},"spans":[
  {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"invoke_agent","kind":2,
   "startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000250000000",
   "attributes":[{"key":"session.id","value":{"stringValue":"sess-123"}},{"key":"n","value":{"intValue":"42"}}],
   "status":{"code":2,"message":"boom"}},
  {"traceId":"zz","spanId":"eee19b7ec3c1b175","name":"bad"}]}]}]}`

func spans(t *testing.T, st *logs.Store) []map[string]any {
	t.Helper()
	out, err := st.Filter(logs.FilterInput{LogGroupName: SpansGroup})
	if err != nil {
		t.Fatal(err)
	}
	var res []map[string]any
	for _, e := range out.Events {
		var m map[string]any
		if err := json.Unmarshal([]byte(e.Message), &m); err != nil {
			t.Fatal(err)
		}
		res = append(res, m)
	}
	return res
}

func TestTracesJSON(t *testing.T) {
	rc, st, srv := setup(t)
	if code, body := post(t, srv.URL, "/v1/traces", "application/json", "", []byte(spanJSON)); code != 401 || !strings.Contains(string(body), `"code":16`) {
		t.Fatalf("without a token: %d %s", code, body)
	}
	if code, _ := post(t, srv.URL, "/v1/traces", "application/json", "rt-1.1.0000", []byte(spanJSON)); code != 401 {
		t.Fatalf("forged token: %d", code)
	}
	code, body := post(t, srv.URL, "/v1/traces", "application/json", rc.Token("rt-1", 1), []byte(spanJSON))
	if code != 200 || !strings.Contains(string(body), `"rejectedSpans":"1"`) {
		t.Fatalf("partial success: %d %s", code, body)
	}
	got := spans(t, st)
	if len(got) != 1 {
		t.Fatalf("spans: %v", got)
	}
	sp := got[0]
	if sp["traceId"] != "5b8efff798038103d269b633813fc60c" || sp["kind"] != "SERVER" || sp["durationNano"].(float64) != 250e6 ||
		sp["status"].(map[string]any)["code"] != "ERROR" || sp["attributes"].(map[string]any)["session.id"] != "sess-123" ||
		sp["resource"].(map[string]any)["attributes"].(map[string]any)["service.name"] != "my_agent" {
		t.Fatalf("span: %v", sp)
	}
	if code, _ := post(t, srv.URL, "/v1/traces", "application/json", rc.Token("rt-1", 1), []byte(`{"resourceSpans":`)); code != 400 {
		t.Fatalf("bad JSON: %d", code)
	}
	if code, _ := post(t, srv.URL, "/v1/traces", "text/plain", rc.Token("rt-1", 1), []byte(`x`)); code != 415 {
		t.Fatalf("text/plain: %d", code)
	}
}

// Protobuf built field by field (opentelemetry-proto numbers).
func msg(fields ...[]byte) []byte { return bytes.Join(fields, nil) }
func bytesF(n protowire.Number, b []byte) []byte {
	return protowire.AppendBytes(protowire.AppendTag(nil, n, protowire.BytesType), b)
}
func strF(n protowire.Number, s string) []byte { return bytesF(n, []byte(s)) }
func varF(n protowire.Number, v uint64) []byte {
	return protowire.AppendVarint(protowire.AppendTag(nil, n, protowire.VarintType), v)
}
func fix64F(n protowire.Number, v uint64) []byte {
	return protowire.AppendFixed64(protowire.AppendTag(nil, n, protowire.Fixed64Type), v)
}
func kvStr(k, v string) []byte { return kvAt(1, k, v) }
func kvAt(n protowire.Number, k, v string) []byte {
	return bytesF(n, msg(strF(1, k), bytesF(2, strF(1, v))))
}

func TestProtobuf(t *testing.T) {
	rc, st, srv := setup(t)
	tid, _ := hex.DecodeString("0af7651916cd43dd8448eb211c80319c")
	sid, _ := hex.DecodeString("b7ad6b7169203331")
	pid, _ := hex.DecodeString("00f067aa0ba902b7")
	span := msg(bytesF(1, tid), bytesF(2, sid), bytesF(4, pid), strF(5, "tool_call"), varF(6, 1),
		fix64F(7, 1700000000000000000), fix64F(8, 1700000000001000000), kvAt(9, "session.id", "s-proto"),
		bytesF(9, msg(strF(1, "pi"), bytesF(2, fix64F(4, math.Float64bits(3.5))))),
		bytesF(15, varF(3, 1)))
	req := bytesF(1, msg(bytesF(1, kvStr("service.name", "proto_agent")), bytesF(2, msg(bytesF(1, strF(1, "scope")), bytesF(2, span)))))
	code, body := post(t, srv.URL, "/v1/traces", "application/x-protobuf", rc.Token("rt-2", 3), req)
	if code != 200 || len(body) != 0 {
		t.Fatalf("protobuf traces: %d %x", code, body)
	}
	got := spans(t, st)
	if len(got) != 1 || got[0]["parentSpanId"] != "00f067aa0ba902b7" || got[0]["kind"] != "INTERNAL" || got[0]["status"].(map[string]any)["code"] != "OK" ||
		got[0]["attributes"].(map[string]any)["pi"] != 3.5 || got[0]["attributes"].(map[string]any)["session.id"] != "s-proto" {
		t.Fatalf("span: %v", got)
	}
	rec := msg(fix64F(1, 1700000000000000000), varF(2, 17), strF(3, "ERROR"), bytesF(5, strF(1, "it broke")), kvAt(6, "session.id", "s-proto"))
	logsReq := bytesF(1, msg(bytesF(1, kvStr("service.name", "proto_agent")), bytesF(2, msg(bytesF(2, rec)))))
	if code, body := post(t, srv.URL, "/v1/logs", "application/x-protobuf", rc.Token("rt-2", 3), logsReq); code != 200 {
		t.Fatalf("protobuf logs: %d %x", code, body)
	}
	out, err := st.Filter(logs.FilterInput{LogGroupName: "/aws/bedrock-agentcore/runtimes/rt-2-DEFAULT", LogStreamNames: []string{LogsStream}, FilterPattern: `{ $.severityText = "ERROR" } `})
	if err != nil || len(out.Events) != 1 || !strings.Contains(out.Events[0].Message, `"body":"it broke"`) || !strings.Contains(out.Events[0].Message, `"severityText":"ERROR"`) {
		t.Fatalf("log record: %+v %v", out, err)
	}
	// A truncated message is a 400 with a google.rpc.Status.
	if code, _ := post(t, srv.URL, "/v1/traces", "application/x-protobuf", rc.Token("rt-2", 3), req[:len(req)-3]); code != 400 {
		t.Fatalf("truncated protobuf: %d", code)
	}
}
