package awsproto

import (
	"encoding/xml"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/smithy-go/encoding/cbor"
)

// wire is what a response puts on the wire: status, the headers that matter, body.
type wire struct {
	status  int
	headers map[string]string // "" asserts the header is absent
	body    string
}

func check(t *testing.T, name string, rec *httptest.ResponseRecorder, want wire) {
	t.Helper()
	if rec.Code != want.status {
		t.Errorf("%s: status %d, want %d", name, rec.Code, want.status)
	}
	for k, v := range want.headers {
		if got := rec.Header().Get(k); got != v {
			t.Errorf("%s: %s = %q, want %q", name, k, got, v)
		}
	}
	if want.body != "" && rec.Body.String() != want.body {
		t.Errorf("%s: body\n%s\nwant\n%s", name, rec.Body.String(), want.body)
	}
}

// TestEncoders pins each protocol's errors as the AWS models have them: status, code
// headers and body shape.
func TestEncoders(t *testing.T) {
	get := httptest.NewRequest("GET", "/", nil)
	head := httptest.NewRequest("HEAD", "/b/k", nil)
	validation := &Error{Status: 400, Code: "ValidationException", Message: "bad", Fields: []FieldError{{"f", "m"}}}
	cw := &Error{Status: 400, Code: "InvalidParameterValueException", QueryCode: "InvalidParameterValue", Message: "no"}
	cloudwatch := JSON{Version: "1.0", Namespace: "com.amazonaws.cloudwatch#", QueryCompatible: true, Internal: "InternalServiceFault", InternalQuery: "InternalServiceError"}
	sts := Query{Xmlns: "https://sts.amazonaws.com/doc/2011-06-15/"}
	for _, c := range []struct {
		name  string
		p     Protocol
		r     *http.Request
		err   error
		preID [2]string // a request id header the service set first
		want  wire
	}{
		{"restJson validation", RestJSON{}, get, validation, [2]string{}, wire{400,
			map[string]string{"Content-Type": "application/json", "X-Amzn-ErrorType": "ValidationException"},
			`{"fieldList":[{"name":"f","message":"m"}],"message":"bad","reason":"FieldValidationFailed"}` + "\n"}},
		{"restJson other", RestJSON{}, get, Errorf(404, "ResourceNotFoundException", "gone"), [2]string{}, wire{404,
			map[string]string{"X-Amzn-ErrorType": "ResourceNotFoundException"}, `{"message":"gone"}` + "\n"}},
		{"restJson internal", RestJSON{}, get, errors.New("boom"), [2]string{}, wire{500,
			map[string]string{"X-Amzn-ErrorType": "InternalServerException"}, `{"message":"boom"}` + "\n"}},
		{"awsJson 1.1", JSON{Version: "1.1", BothMessages: true, Internal: "ServerException"}, get, ClientErrorf("RepositoryNotFoundException", "none"), [2]string{}, wire{400,
			map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amzn-ErrorType": "RepositoryNotFoundException", "X-Amzn-Query-Error": ""},
			`{"Message":"none","__type":"RepositoryNotFoundException","message":"none"}`}},
		{"awsJson 1.1 internal", JSON{Version: "1.1", Internal: "ServerException"}, get, errors.New("boom"), [2]string{}, wire{500,
			map[string]string{"X-Amzn-ErrorType": "ServerException"}, `{"__type":"ServerException","message":"boom"}`}},
		{"awsJson 1.0 query-compatible", cloudwatch, get, cw, [2]string{}, wire{400,
			map[string]string{"Content-Type": "application/x-amz-json-1.0", "X-Amzn-ErrorType": "", "X-Amzn-Query-Error": "InvalidParameterValue;Sender"},
			`{"__type":"com.amazonaws.cloudwatch#InvalidParameterValueException","message":"no"}`}},
		{"awsJson 1.0 internal", cloudwatch, get, errors.New("boom"), [2]string{}, wire{500,
			map[string]string{"X-Amzn-Query-Error": "InternalServiceError;Receiver"}, ""}},
		{"query", sts, get, ClientErrorf("InvalidAction", "nope"), [2]string{"x-amzn-RequestId", "RID"}, wire{400,
			map[string]string{"Content-Type": "text/xml", "x-amzn-RequestId": "RID"},
			xml.Header + `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>nope</Message></Error><RequestId>RID</RequestId></ErrorResponse>`}},
		{"rest-xml", RestXML{}, get, Errorf(404, "NoSuchKey", "The specified key does not exist.").With("Key", "a&b"), [2]string{"x-amz-request-id", "RID"}, wire{404,
			map[string]string{"Content-Type": "application/xml", "Content-Length": "192"},
			xml.Header + `<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>a&amp;b</Key><RequestId>RID</RequestId><HostId>RID</HostId></Error>`}},
		{"rest-xml HEAD", RestXML{}, head, Errorf(404, "NoSuchKey", "x"), [2]string{"x-amz-request-id", "RID"}, wire{404,
			map[string]string{"Content-Type": ""}, ""}},
		{"rest-xml internal", RestXML{}, get, errors.New("boom"), [2]string{"x-amz-request-id", "RID"}, wire{500, nil,
			xml.Header + `<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again. (local: boom)</Message><RequestId>RID</RequestId><HostId>RID</HostId></Error>`}},
		{"registry 401", Registry{}, get, Errorf(401, "UNAUTHORIZED", "log in"), [2]string{}, wire{401,
			map[string]string{"Content-Type": "application/json; charset=utf-8", "WWW-Authenticate": RegistryChallenge},
			`{"errors":[{"code":"UNAUTHORIZED","message":"log in"}]}` + "\n"}},
		{"registry detail", Registry{}, get, &Error{Status: 404, Code: "BLOB_UNKNOWN", Message: "blob unknown to registry", Detail: "sha256:x"}, [2]string{}, wire{404,
			map[string]string{"WWW-Authenticate": ""},
			`{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry","detail":"sha256:x"}]}` + "\n"}},
	} {
		rec := httptest.NewRecorder()
		if c.preID[0] != "" {
			rec.Header().Set(c.preID[0], c.preID[1])
		}
		c.p.WriteError(rec, c.r, c.err)
		check(t, c.name, rec, c.want)
	}

	// rpc-v2-cbor: the same fields in a CBOR map.
	rec := httptest.NewRecorder()
	CBOR{Namespace: "com.amazonaws.cloudwatch#", QueryCompatible: true}.WriteError(rec, get, cw)
	check(t, "cbor", rec, wire{400, map[string]string{"Content-Type": "application/cbor", "Smithy-Protocol": "rpc-v2-cbor",
		"X-Amzn-Query-Error": "InvalidParameterValue;Sender"}, ""})
	v, err := cbor.Decode(rec.Body.Bytes())
	m, _ := v.(cbor.Map)
	if err != nil || m["__type"] != cbor.String("com.amazonaws.cloudwatch#InvalidParameterValueException") || m["message"] != cbor.String("no") || len(m) != 2 {
		t.Errorf("cbor body: %#v %v", v, err)
	}
}

func TestQueryWrite(t *testing.T) {
	type result struct {
		XMLName xml.Name `xml:"GetCallerIdentityResult"`
		Arn     string   `xml:"Arn"`
	}
	rec := httptest.NewRecorder()
	rec.Header().Set("x-amzn-RequestId", "RID")
	Query{Xmlns: "https://sts.amazonaws.com/doc/2011-06-15/"}.Write(rec, "GetCallerIdentity", result{Arn: "a"})
	check(t, "query output", rec, wire{200, map[string]string{"Content-Type": "text/xml"},
		xml.Header + `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>a</Arn></GetCallerIdentityResult><ResponseMetadata><RequestId>RID</RequestId></ResponseMetadata></GetCallerIdentityResponse>`})
}

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		pattern, path string
		want          []string // nil: no match
	}{
		{"/", "/", []string{}},
		{"/", "/x", nil},
		{"/runtimes", "/runtimes", []string{}},
		{"/runtimes", "/runtimes/", []string{}},
		{"/runtimes", "/runtimesx", nil},
		{"/runtimes/{id}", "/runtimes/rt-1", []string{"id", "rt-1"}},
		{"/runtimes/{id}", "/runtimes/rt-1/", []string{"id", "rt-1"}},
		{"/runtimes/{id}", "/runtimes/", nil},
		{"/runtimes/{id}", "/runtimes/a/b", nil},
		{"/runtimes/{id}/runtime-endpoints/{ep}", "/runtimes/a/runtime-endpoints/DEFAULT", []string{"id", "a", "ep", "DEFAULT"}},
		// a wildcard in the middle takes every segment but the pattern's last ones
		{"/runtimes/{arn...}/invocations", "/runtimes/arn%3Aaws%3Ax%2Fid/invocations", []string{"arn", "arn%3Aaws%3Ax%2Fid"}},
		{"/runtimes/{arn...}/invocations", "/runtimes/arn:aws:x/id/invocations/", []string{"arn", "arn:aws:x/id"}},
		{"/runtimes/{arn...}/invocations", "/runtimes/invocations", nil},
		{"/v2/{name...}/manifests/{ref}", "/v2/a/manifests/b/blobs/sha256:1", nil},
		{"/v2/{name...}/blobs/{digest}", "/v2/a/manifests/b/blobs/sha256:1", []string{"name", "a/manifests/b", "digest", "sha256:1"}},
		// a wildcard at the end keeps the rest as it is, trailing and doubled slashes too
		{"/{Bucket}/{Key...}", "/b/dir//f/", []string{"Bucket", "b", "Key", "dir//f/"}},
		{"/{Bucket}/{Key...}", "/b/", nil},
		{"/{Bucket}", "/b/", []string{"Bucket", "b"}},
		{"/tags/{arn...}", "/tags/", nil},
	} {
		got, ok := Match(c.pattern, c.path)
		if ok != (c.want != nil) || (ok && strings.Join(got, "|") != strings.Join(c.want, "|")) {
			t.Errorf("Match(%q, %q) = %q %v, want %q", c.pattern, c.path, got, ok, c.want)
		}
	}
}

type svc struct{ calls []string }

func TestRoutes(t *testing.T) {
	rt := &Routes[*svc]{
		Protocol: RestJSON{},
		Table: []Route[*svc]{
			{Method: "GET", Path: "/things/{id}", If: HasQuery("special"), Op: func(s *svc, w http.ResponseWriter, r *http.Request) error {
				s.calls = append(s.calls, "special "+r.PathValue("id"))
				return nil
			}},
			{Method: "GET", Path: "/things/{id}", Op: func(s *svc, w http.ResponseWriter, r *http.Request) error {
				s.calls = append(s.calls, "get "+r.PathValue("id"))
				return Errorf(409, "ConflictException", "busy")
			}},
		},
		NotFound: func(r *http.Request) error { return Errorf(404, "UnknownOperationException", "no %s", r.Method) },
	}
	s := &svc{}
	for _, c := range []struct {
		method, target string
		status         int
	}{
		{"GET", "/things/a%2Fb?special", 200},
		{"GET", "/things/x", 409},
		{"PUT", "/things/x", 404},
	} {
		rec := httptest.NewRecorder()
		rt.Serve(s, rec, httptest.NewRequest(c.method, c.target, nil))
		if rec.Code != c.status {
			t.Errorf("%s %s: %d, want %d", c.method, c.target, rec.Code, c.status)
		}
	}
	if strings.Join(s.calls, ",") != "special a/b,get x" {
		t.Errorf("calls %q", s.calls)
	}
}

func TestJSONService(t *testing.T) {
	type in struct {
		Name string `json:"name"`
	}
	sv := &JSONService[*svc]{Prefix: "Svc.", Protocol: JSON{Version: "1.1", Internal: "InternalError"}, Ops: map[string]Handler[*svc]{
		"Echo": Op(func(s *svc, in *in) (any, error) { return map[string]string{"name": in.Name}, nil }),
		"Stream": func(*svc, *http.Request) (any, error) {
			return Streamed(func(w http.ResponseWriter) { w.Write([]byte("streamed")) }), nil
		},
	}}
	for _, c := range []struct {
		method, target, body string
		status               int
		want                 string
	}{
		{"POST", "Svc.Echo", `{"name":"a"}`, 200, `{"name":"a"}`},
		{"POST", "Svc.Echo", `{"name":"a"} x`, 400, `"__type":"SerializationException"`},
		{"POST", "Svc.Stream", ``, 200, `streamed`},
		{"POST", "Svc.Nope", ``, 400, `"__type":"UnknownOperationException"`},
		{"POST", "Other.Echo", ``, 400, `"__type":"UnknownOperationException"`},
		{"GET", "Svc.Echo", ``, 400, `"__type":"UnknownOperationException"`},
	} {
		r := httptest.NewRequest(c.method, "/", strings.NewReader(c.body))
		r.Header.Set("X-Amz-Target", c.target)
		rec := httptest.NewRecorder()
		sv.Serve(&svc{}, rec, r)
		if rec.Code != c.status || !strings.Contains(rec.Body.String(), c.want) || rec.Header().Get("x-amzn-RequestId") == "" {
			t.Errorf("%s %s %s: %d %s", c.method, c.target, c.body, rec.Code, rec.Body)
		}
	}
}

func TestQueryService(t *testing.T) {
	sv := &QueryService[*svc]{Version: "2011-06-15", Protocol: Query{Xmlns: "ns"}, Ops: map[string]func(*svc, url.Values) (any, error){
		"Hello": func(*svc, url.Values) (any, error) {
			return struct {
				XMLName xml.Name `xml:"HelloResult"`
			}{}, nil
		},
	}}
	for _, c := range []struct {
		form   string
		status int
		want   string
	}{
		{"Action=Hello&Version=2011-06-15", 200, "<HelloResponse xmlns=\"ns\"><HelloResult></HelloResult>"},
		{"Action=Hello", 200, "<HelloResult>"},
		{"Action=Hello&Version=2020-01-01", 400, "<Code>InvalidAction</Code><Message>Could not find operation Hello for version 2020-01-01</Message>"},
		{"Action=Nope&Version=2020-01-01", 400, "<Message>Could not find operation Nope for version 2011-06-15</Message>"},
		{"Version=2011-06-15", 400, "<Code>MissingAction</Code>"},
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(c.form))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		sv.Serve(&svc{}, rec, r)
		if rec.Code != c.status || !strings.Contains(rec.Body.String(), c.want) {
			t.Errorf("%s: %d %s", c.form, rec.Code, rec.Body)
		}
	}
}
