package local

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// botocoreModel is a service model of botocore's data directory (service-2.json, gzipped or
// not); the test is skipped without botocore.
type botocoreModel struct {
	Operations map[string]struct {
		HTTP   struct{ RequestURI string }
		Output *struct{ Shape string }
	}
	Shapes map[string]modelShape
}

type modelShape struct {
	Type     string
	Members  map[string]struct{ Shape string }
	Required []string
	Member   *struct{ Shape string }
	Value    *struct{ Shape string }
	Enum     []string
	Pattern  string
	Min, Max *float64
	Union    bool
	// TimestampFormat is iso8601 for the shapes answered as strings (Gateway's DateTimestamp).
	TimestampFormat string
}

func loadModel(t *testing.T, service string) *botocoreModel {
	t.Helper()
	out, err := exec.Command("python3", "-c", "import botocore,os;print(os.path.dirname(botocore.__file__))").Output()
	if err != nil {
		t.Skip("no botocore")
	}
	dirs, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "data", service, "*"))
	if len(dirs) == 0 {
		t.Skipf("botocore has no model of %s", service)
	}
	var r io.Reader
	f, err := os.Open(filepath.Join(dirs[len(dirs)-1], "service-2.json"))
	if err != nil {
		if f, err = os.Open(filepath.Join(dirs[len(dirs)-1], "service-2.json.gz")); err != nil {
			t.Fatal(err)
		}
		if r, err = gzip.NewReader(f); err != nil {
			t.Fatal(err)
		}
	} else {
		r = f
	}
	defer f.Close()
	var m botocoreModel
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return &m
}

// check lists how a JSON value departs from shape: members the model does not have, required
// members missing, enums, patterns, lengths and types.
func (m *botocoreModel) check(shape, path string, v any) []string {
	s, ok := m.Shapes[shape]
	if !ok {
		return []string{path + ": unknown shape " + shape}
	}
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, path+": "+fmt.Sprintf(format, args...)) }
	switch s.Type {
	case "structure":
		obj, ok := v.(map[string]any)
		if !ok {
			bad("want an object, got %T", v)
			break
		}
		for _, req := range s.Required {
			if _, ok := obj[req]; !ok {
				bad("required member %s missing", req)
			}
		}
		if s.Union && len(obj) != 1 {
			bad("a union with %d members set", len(obj))
		}
		for k, val := range obj {
			mem, ok := s.Members[k]
			if !ok {
				bad("member %s is not in the model", k)
				continue
			}
			errs = append(errs, m.check(mem.Shape, path+"."+k, val)...)
		}
	case "list":
		l, ok := v.([]any)
		if !ok {
			bad("want a list, got %T", v)
			break
		}
		for i, e := range l {
			errs = append(errs, m.check(s.Member.Shape, fmt.Sprintf("%s[%d]", path, i), e)...)
		}
	case "map":
		if _, ok := v.(map[string]any); !ok {
			bad("want a map, got %T", v)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			bad("want a string, got %T", v)
			break
		}
		if len(s.Enum) > 0 && !contains(s.Enum, str) {
			bad("%q is not in the enum %v", str, s.Enum)
		}
		// The provider ARN patterns name the service acps; AWS answers bedrock-agentcore
		// (docs/local-identity.md).
		if s.Pattern != "" && !strings.Contains(s.Pattern, ":acps:") && !regexp.MustCompile("^(?:"+s.Pattern+")$").MatchString(str) {
			bad("%q does not match %s", str, s.Pattern)
		}
		if s.Min != nil && float64(len(str)) < *s.Min || s.Max != nil && float64(len(str)) > *s.Max {
			bad("length %d out of [%v, %v]", len(str), s.Min, s.Max)
		}
	case "timestamp":
		if s.TimestampFormat == "iso8601" {
			if str, ok := v.(string); !ok || !iso8601.MatchString(str) {
				bad("want an iso8601 string, got %v", v)
			}
		} else if _, ok := v.(float64); !ok {
			bad("want a number, got %T", v)
		}
	case "integer", "long":
		if _, ok := v.(float64); !ok {
			bad("want a number, got %T", v)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			bad("want a boolean, got %T", v)
		}
	}
	return errs
}

var iso8601 = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$`)

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// Hostile and malformed bodies get a ValidationException, never a panic or a 500.
func TestIdentityBadInput(t *testing.T) {
	r := start(t, t.TempDir())
	defer r.stop(t)
	r.raw(t, "/identities/CreateWorkloadIdentity", `{"name":"bad-input"}`)
	for _, c := range []struct{ path, body string }{
		{"/identities/CreateWorkloadIdentity", `{"name":`},
		{"/identities/CreateWorkloadIdentity", `{"name":5}`},
		{"/identities/CreateWorkloadIdentity", `{}`},
		{"/identities/CreateOauth2CredentialProvider", `{"name":"x","credentialProviderVendor":"CustomOauth2","oauth2ProviderConfigInput":{"customOauth2ProviderConfig":null}}`},
		{"/identities/CreateOauth2CredentialProvider", `{"name":"x","credentialProviderVendor":"CustomOauth2","oauth2ProviderConfigInput":{}}`},
		{"/identities/CreateOauth2CredentialProvider", `{"name":"x","credentialProviderVendor":"CustomOauth2","oauth2ProviderConfigInput":{"customOauth2ProviderConfig":{"oauthDiscovery":{}}}}`},
		{"/identities/GetWorkloadAccessTokenForJWT", `{"workloadName":"bad-input","userToken":"a-b-c"}`},
		{"/identities/GetWorkloadAccessTokenForJWT", `{"workloadName":"bad-input","userToken":"a.%%%.c"}`},
		{"/identities/oauth2/token", `{"workloadIdentityToken":"x","resourceCredentialProviderName":"p"}`},
		{"/identities/set-token-vault-cmk", `{"kmsConfiguration":{}}`},
		{"/identities/ListOauth2CredentialProviders", `{"maxResults":0}`},
	} {
		status, body := r.raw(t, c.path, c.body)
		if status != 400 && status != 401 || !strings.Contains(body, `"message"`) {
			t.Errorf("%s %s: %d %s", c.path, c.body, status, body)
		}
	}
	if status, _ := r.raw(t, "/identities/NoSuchOperation", `{}`); status != 404 {
		t.Errorf("an unknown operation: %d", status)
	}
}

// TestIdentityModelShapes checks the raw answer of every Identity operation against the
// output shape of the botocore models: no member the model lacks, every required one, enums,
// patterns, lengths and types.
func TestIdentityModelShapes(t *testing.T) {
	models := map[string]*botocoreModel{"control": loadModel(t, "bedrock-agentcore-control"), "data": loadModel(t, "bedrock-agentcore")}
	r := start(t, t.TempDir())
	defer r.stop(t)
	ts, _ := tokenServer(t)
	meta := fmt.Sprintf(`{"authorizationServerMetadata":{"issuer":%q,"authorizationEndpoint":%q,"tokenEndpoint":%q}}`, ts.URL, ts.URL+"/authorize", ts.URL+"/token")
	custom := `{"customOauth2ProviderConfig":{"clientId":"cid","clientSecret":"csecret","oauthDiscovery":` + meta + `}}`
	var token string
	steps := []struct {
		plane, op, body string
		status          int
	}{
		{"control", "CreateWorkloadIdentity", `{"name":"shape-wl","allowedResourceOauth2ReturnUrls":["https://a.example/cb"]}`, 201},
		{"control", "GetWorkloadIdentity", `{"name":"shape-wl"}`, 200},
		{"control", "UpdateWorkloadIdentity", `{"name":"shape-wl","allowedResourceOauth2ReturnUrls":[]}`, 200},
		{"control", "ListWorkloadIdentities", `{"maxResults":1}`, 200},
		{"control", "CreateApiKeyCredentialProvider", `{"name":"shape-key","apiKey":"k"}`, 201},
		{"control", "GetApiKeyCredentialProvider", `{"name":"shape-key"}`, 200},
		{"control", "UpdateApiKeyCredentialProvider", `{"name":"shape-key","apiKey":"k2"}`, 200},
		{"control", "ListApiKeyCredentialProviders", `{}`, 200},
		{"control", "CreateOauth2CredentialProvider", `{"name":"shape-oa","credentialProviderVendor":"CustomOauth2","oauth2ProviderConfigInput":` + custom + `}`, 201},
		{"control", "CreateOauth2CredentialProvider", `{"name":"shape-gh","credentialProviderVendor":"GithubOauth2","oauth2ProviderConfigInput":{"githubOauth2ProviderConfig":{"clientId":"a","clientSecret":"b"}}}`, 201},
		{"control", "CreateOauth2CredentialProvider", `{"name":"shape-okta","credentialProviderVendor":"OktaOauth2","oauth2ProviderConfigInput":{"includedOauth2ProviderConfig":{"clientId":"a","clientSecret":"b","issuer":"https://x.okta.com","tokenEndpoint":"https://x.okta.com/token","authorizationEndpoint":"https://x.okta.com/authorize"}}}`, 201},
		{"control", "GetOauth2CredentialProvider", `{"name":"shape-oa"}`, 200},
		{"control", "GetOauth2CredentialProvider", `{"name":"shape-okta"}`, 200},
		{"control", "UpdateOauth2CredentialProvider", `{"name":"shape-oa","credentialProviderVendor":"CustomOauth2","oauth2ProviderConfigInput":` + custom + `}`, 200},
		{"control", "ListOauth2CredentialProviders", `{"maxResults":2}`, 200},
		{"control", "GetTokenVault", `{}`, 200},
		{"control", "SetTokenVaultCMK", `{"kmsConfiguration":{"keyType":"ServiceManagedKey"}}`, 200},
		{"data", "GetWorkloadAccessToken", `{"workloadName":"shape-wl"}`, 200},
		{"data", "GetWorkloadAccessTokenForUserId", `{"workloadName":"shape-wl","userId":"u"}`, 200},
		{"data", "GetResourceApiKey", `{"workloadIdentityToken":TOKEN,"resourceCredentialProviderName":"shape-key"}`, 200},
		{"data", "GetResourceOauth2Token", `{"workloadIdentityToken":TOKEN,"resourceCredentialProviderName":"shape-oa","scopes":["s"],"oauth2Flow":"M2M"}`, 200},
		{"control", "DeleteOauth2CredentialProvider", `{"name":"shape-gh"}`, 204},
		{"control", "DeleteApiKeyCredentialProvider", `{"name":"shape-key"}`, 204},
		{"control", "DeleteWorkloadIdentity", `{"name":"shape-wl"}`, 204},
	}
	for _, st := range steps {
		m := models[st.plane]
		op, ok := m.Operations[st.op]
		if !ok {
			t.Fatalf("%s is not in the model", st.op)
		}
		body := strings.ReplaceAll(st.body, "TOKEN", fmt.Sprintf("%q", token))
		status, answer := r.raw(t, op.HTTP.RequestURI, body)
		if status != st.status {
			t.Fatalf("%s: HTTP %d, want %d: %s", st.op, status, st.status, answer)
		}
		if status == 204 {
			continue
		}
		var v any
		if err := json.Unmarshal([]byte(answer), &v); err != nil {
			t.Fatalf("%s: %v: %s", st.op, err, answer)
		}
		if errs := m.check(op.Output.Shape, st.op, v); len(errs) > 0 {
			t.Errorf("%s answered outside its model:\n%s\n%s", st.op, strings.Join(errs, "\n"), answer)
		}
		if st.op == "GetWorkloadAccessToken" {
			token = v.(map[string]any)["workloadAccessToken"].(string)
		}
	}
}
