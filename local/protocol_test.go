package local

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/agentcore/agentcore/local/auth"
)

// TestRefusalsSpeakTheServicesProtocol: for each wire protocol, an error of the service and a
// refusal of the guard in front of it come out of the same encoder: same media type, same
// request-id header and form, same body shape.
func TestRefusalsSpeakTheServicesProtocol(t *testing.T) {
	r := start(t, t.TempDir())
	defer r.stop(t)
	creds := r.srv.Credentials()
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	s3ID := regexp.MustCompile(`^[0-9A-F]{16}$`)

	type answer struct {
		status int
		header http.Header
		body   []byte
	}
	// send signs with the endpoint's key pair, or with a key it does not know.
	send := func(known bool, service, method, path, body string, hdr map[string]string) answer {
		t.Helper()
		req, _ := http.NewRequest(method, r.url+path, strings.NewReader(body))
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		c := creds
		if !known {
			c.AccessKeyID = "AKIAIOSFODNN7EXAMPLE"
		}
		if err := auth.Sign(req, c, "us-east-1", service, time.Now()); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return answer{resp.StatusCode, resp.Header, b}
	}
	jsonKeys := func(b []byte) string {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return "not JSON: " + string(b)
		}
		var ks []string
		for _, k := range []string{"__type", "message", "errors"} {
			if _, ok := m[k]; ok {
				ks = append(ks, k)
			}
		}
		return strings.Join(ks, ",")
	}
	xmlShape := func(b []byte, idHeader string, h http.Header) string {
		s := string(b)
		if !strings.HasPrefix(s, xml.Header) {
			return "no XML declaration"
		}
		var e struct {
			XMLName   xml.Name
			Code      string `xml:"Code"`
			Inner     string `xml:"Error>Code"`
			RequestID string `xml:"RequestId"`
			HostID    string `xml:"HostId"`
		}
		if err := xml.Unmarshal(b, &e); err != nil {
			return "not XML: " + err.Error()
		}
		if e.RequestID != h.Get(idHeader) {
			return "RequestId " + e.RequestID + " is not the header's " + h.Get(idHeader)
		}
		return e.XMLName.Local
	}
	cborKeys := func(b []byte) string {
		v, err := cbor.Decode(b)
		m, ok := v.(cbor.Map)
		if err != nil || !ok {
			return "not a CBOR map"
		}
		_, t := m["__type"]
		_, msg := m["message"]
		return map[bool]string{true: "__type,message", false: "partial"}[t && msg]
	}

	ssm := map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AmazonSSM.GetParameter"}
	cw := map[string]string{"Content-Type": "application/cbor", "Smithy-Protocol": "rpc-v2-cbor"}
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	for _, c := range []struct {
		protocol      string
		service       string
		method, path  string
		body          string
		hdr           map[string]string
		headers       []string // set in both, with the same value
		idHeader      string
		idForm        *regexp.Regexp
		shape         func(answer) string
		serviceStatus int
		refusalStatus int
	}{
		{"restJson1", "bedrock-agentcore", "GET", "/runtimes/nope-0123456789", "", nil,
			[]string{"Content-Type"}, "X-Amzn-Errortype", regexp.MustCompile(`Exception$`),
			func(a answer) string { return jsonKeys(a.body) }, 404, 403},
		{"awsJson1_1", "ssm", "POST", "/", `{"Name":"/nope"}`, ssm,
			[]string{"Content-Type"}, "X-Amzn-Requestid", uuid,
			func(a answer) string { return jsonKeys(a.body) }, 400, 400},
		{"rpc-v2-cbor", "monitoring", "POST", "/service/GraniteServiceVersion20100801/operation/GetMetricData", "", cw,
			[]string{"Content-Type", "Smithy-Protocol"}, "X-Amzn-Requestid", uuid,
			func(a answer) string {
				return cborKeys(a.body) + " query error " + strings.SplitN(a.header.Get("X-Amzn-Query-Error"), ";", 2)[1]
			}, 400, 400},
		{"awsQuery", "sts", "POST", "/", "Action=GetSessionToken&Version=2011-06-15", form,
			[]string{"Content-Type"}, "X-Amzn-Requestid", uuid,
			func(a answer) string { return xmlShape(a.body, "X-Amzn-Requestid", a.header) }, 400, 403},
		{"rest-xml", "s3", "GET", "/no-such-bucket", "", nil,
			[]string{"Content-Type"}, "X-Amz-Request-Id", s3ID,
			func(a answer) string { return xmlShape(a.body, "X-Amz-Request-Id", a.header) }, 404, 403},
	} {
		own := send(true, c.service, c.method, c.path, c.body, c.hdr)
		refused := send(false, c.service, c.method, c.path, c.body, c.hdr)
		if own.status != c.serviceStatus || refused.status != c.refusalStatus {
			t.Errorf("%s: statuses %d and %d, want %d and %d (%s / %s)", c.protocol, own.status, refused.status, c.serviceStatus, c.refusalStatus, own.body, refused.body)
			continue
		}
		for _, h := range c.headers {
			if own.header.Get(h) != refused.header.Get(h) || own.header.Get(h) == "" {
				t.Errorf("%s: %s %q from the service, %q from the guard", c.protocol, h, own.header.Get(h), refused.header.Get(h))
			}
		}
		for who, a := range map[string]answer{"service": own, "guard": refused} {
			if id := a.header.Get(c.idHeader); !c.idForm.MatchString(id) {
				t.Errorf("%s: the %s's %s is %q, not of the form %s", c.protocol, who, c.idHeader, id, c.idForm)
			}
		}
		if a, b := c.shape(own), c.shape(refused); a != b {
			t.Errorf("%s: the service's error is %q, the guard's %q\n%s\n%s", c.protocol, a, b, own.body, refused.body)
		}
	}
}
