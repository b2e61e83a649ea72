package auth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/agentcore/agentcore/local/auth"
)

// harness serves a Guard on loopback in front of a handler that records what got through.
type harness struct {
	url, host string
	creds     auth.Credentials
	guard     *auth.Guard
	mu        sync.Mutex
	seen      []*auth.Identity
	body      string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	creds, err := auth.Generate()
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{creds: creds}
	h.guard = &auth.Guard{Creds: creds, Classify: classify, Next: http.HandlerFunc(h.next)}
	srv := httptest.NewServer(h.guard)
	t.Cleanup(srv.Close)
	h.url = srv.URL
	h.host = strings.TrimPrefix(srv.URL, "http://")
	_, h.guard.Port, _ = net.SplitHostPort(h.host)
	return h
}

// classify routes like local.Server: /v2 is the registry, X-Amz-Target awsJson, Action
// awsQuery, /bucket S3, the rest restJson.
func classify(r *http.Request) auth.Route {
	switch {
	case strings.HasPrefix(r.URL.Path, "/v2"):
		return auth.Route{Protocol: auth.Registry}
	case r.Header.Get("X-Amz-Target") != "":
		return auth.Route{Protocol: auth.AWSJSON}
	case strings.HasPrefix(r.URL.Path, "/bucket"):
		return auth.Route{Protocol: auth.S3, UserContentType: true}
	case r.URL.Query().Get("Action") != "" || r.URL.Path == "/" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
		return auth.Route{Protocol: auth.Query}
	}
	return auth.Route{Protocol: auth.RestJSON, UserContentType: strings.HasSuffix(r.URL.Path, "/invocations")}
}

func (h *harness) next(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.seen = append(h.seen, auth.FromContext(r.Context()))
	h.body = string(b)
	h.mu.Unlock()
	switch {
	case r.Header.Get("X-Amz-Target") == "AmazonSSM.GetParameter":
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, `{"Parameter":{"Name":"/p","Value":"v","Type":"String"}}`)
	case strings.Contains(string(b), "Action=GetCallerIdentity"):
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:root</Arn><UserId>123456789012</UserId><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>`)
	default:
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"agentRuntimeId":"rt-1","status":"READY"}`)
	}
}

func (h *harness) last() *auth.Identity {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.seen) == 0 {
		return nil
	}
	return h.seen[len(h.seen)-1]
}

func (h *harness) cfg(id, secret string) aws.Config {
	return aws.Config{Region: "us-east-1", RetryMaxAttempts: 1, BaseEndpoint: aws.String(h.url),
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, "")}
}

// TestSDKClients: the Go SDK's signatures verify for each protocol, including a path that
// holds an ARN (encoded twice in the canonical request) and a body.
func TestSDKClients(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	cfg := h.cfg(h.creds.AccessKeyID, h.creds.SecretAccessKey)
	if out, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/p")}); err != nil || aws.ToString(out.Parameter.Value) != "v" {
		t.Fatalf("ssm GetParameter: %v", err)
	}
	if id := h.last(); id == nil || id.Service != "ssm" || id.AccessKeyID != h.creds.AccessKeyID || id.Region != "us-east-1" {
		t.Fatalf("identity %+v", id)
	}
	if _, err := ctl.NewFromConfig(cfg).GetAgentRuntime(ctx, &ctl.GetAgentRuntimeInput{AgentRuntimeId: aws.String("rt-1")}); err != nil {
		t.Fatalf("GetAgentRuntime: %v", err)
	}
	if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	arn := "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/rt-1"
	out, err := bedrockagentcore.NewFromConfig(cfg).InvokeAgentRuntime(ctx, &bedrockagentcore.InvokeAgentRuntimeInput{
		AgentRuntimeArn: aws.String(arn), Payload: []byte("a plain text payload"), ContentType: aws.String("text/plain"),
		Qualifier: aws.String("DEFAULT"),
	})
	if err != nil {
		t.Fatalf("InvokeAgentRuntime: %v", err)
	}
	out.Response.Close()
	if h.body != "a plain text payload" {
		t.Fatalf("the handler read %q: the body was not put back", h.body)
	}
}

// apiCode makes the SDK call and returns the error code it decoded from the refusal.
func apiCode(t *testing.T, err error) string {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("not an API error: %v", err)
	}
	return ae.ErrorCode() + ": " + ae.ErrorMessage()
}

// TestSDKSeesAWSErrors: wrong key pairs are refused with the codes AWS uses, which the SDKs
// decode from each protocol's error shape.
func TestSDKSeesAWSErrors(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	for _, c := range []struct {
		name, id, secret string
		ssm, ctl, sts    string
	}{
		{"wrong secret", h.creds.AccessKeyID, "not-the-secret", "InvalidSignatureException: The request signature we calculated",
			"InvalidSignatureException: The request signature we calculated", "SignatureDoesNotMatch: The request signature we calculated"},
		{"unknown key", "AKIAIOSFODNN7EXAMPLE", h.creds.SecretAccessKey, "UnrecognizedClientException: The security token included in the request is invalid.",
			"UnrecognizedClientException: The security token included in the request is invalid.", "InvalidClientTokenId: The security token"},
	} {
		cfg := h.cfg(c.id, c.secret)
		_, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/p")})
		if got := apiCode(t, err); !strings.HasPrefix(got, c.ssm) {
			t.Errorf("%s: ssm: %s", c.name, got)
		}
		_, err = ctl.NewFromConfig(cfg).GetAgentRuntime(ctx, &ctl.GetAgentRuntimeInput{AgentRuntimeId: aws.String("rt-1")})
		if got := apiCode(t, err); !strings.HasPrefix(got, c.ctl) {
			t.Errorf("%s: control: %s", c.name, got)
		}
		_, err = sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if got := apiCode(t, err); !strings.HasPrefix(got, c.sts) {
			t.Errorf("%s: sts: %s", c.name, got)
		}
	}
	if n := len(h.seen); n != 0 {
		t.Fatalf("%d refused requests reached the handler", n)
	}
}

type rawCase struct {
	name   string
	req    func() *http.Request
	status int
	code   string // X-Amzn-ErrorType, __type, or the XML Code
	msg    string
}

// restJSON and awsJSON build a GetAgentRuntime and an SSM GetParameter request.
func (h *harness) restJSON() *http.Request {
	r, _ := http.NewRequest(http.MethodGet, h.url+"/runtimes/rt-1/", nil)
	return r
}

func (h *harness) awsJSON() *http.Request {
	r, _ := http.NewRequest(http.MethodPost, h.url+"/", strings.NewReader(`{"Name":"/p"}`))
	r.Header.Set("X-Amz-Target", "AmazonSSM.GetParameter")
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	return r
}

func (h *harness) sign(r *http.Request, service string, at time.Time) *http.Request {
	if err := auth.Sign(r, h.creds, "us-east-1", service, at); err != nil {
		panic(err)
	}
	return r
}

func do(t *testing.T, r *http.Request) (int, string, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	code := resp.Header.Get("X-Amzn-ErrorType")
	if code == "" {
		if _, c, ok := strings.Cut(string(b), "<Code>"); ok {
			code, _, _ = strings.Cut(c, "</Code>")
		}
	}
	return resp.StatusCode, code, string(b)
}

// TestRefusals: unsigned, wrongly signed, unknown key, skewed, foreign-Host, browser requests,
// for a restJson1 and an awsJson1_1 operation, with AWS's status and code for each.
func TestRefusals(t *testing.T) {
	h := newHarness(t)
	now := time.Now()
	with := func(r *http.Request, f func(*http.Request)) *http.Request { f(r); return r }
	otherKey := func(r *http.Request, service string) *http.Request {
		c := h.creds
		c.AccessKeyID = "AKIAIOSFODNN7EXAMPLE"
		auth.Sign(r, c, "us-east-1", service, now)
		return r
	}
	wrongSecret := func(r *http.Request, service string) *http.Request {
		c := h.creds
		c.SecretAccessKey = "not-the-secret-not-the-secret"
		auth.Sign(r, c, "us-east-1", service, now)
		return r
	}
	cases := []rawCase{
		{"rest unsigned", h.restJSON, 403, "MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"json unsigned", h.awsJSON, 400, "MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"rest unknown key", func() *http.Request { return otherKey(h.restJSON(), "bedrock-agentcore") }, 403, "UnrecognizedClientException", "The security token included in the request is invalid."},
		{"json unknown key", func() *http.Request { return otherKey(h.awsJSON(), "ssm") }, 400, "UnrecognizedClientException", "The security token included in the request is invalid."},
		{"rest wrong secret", func() *http.Request { return wrongSecret(h.restJSON(), "bedrock-agentcore") }, 403, "InvalidSignatureException", "The request signature we calculated does not match"},
		{"json wrong secret", func() *http.Request { return wrongSecret(h.awsJSON(), "ssm") }, 400, "InvalidSignatureException", "The request signature we calculated does not match"},
		{"json body changed after signing", func() *http.Request {
			r := h.sign(h.awsJSON(), "ssm", now)
			r.Body = io.NopCloser(strings.NewReader(`{"Name":"/q"}`))
			return r
		}, 400, "InvalidSignatureException", "does not match"},
		{"rest path changed after signing", func() *http.Request {
			r := h.sign(h.restJSON(), "bedrock-agentcore", now)
			r.URL.Path = "/runtimes/rt-2/"
			return r
		}, 403, "InvalidSignatureException", "does not match"},
		{"rest signed 20 minutes ago", func() *http.Request { return h.sign(h.restJSON(), "bedrock-agentcore", now.Add(-20*time.Minute)) }, 403, "InvalidSignatureException", "Signature expired: "},
		{"json signed 20 minutes ago", func() *http.Request { return h.sign(h.awsJSON(), "ssm", now.Add(-20*time.Minute)) }, 400, "InvalidSignatureException", "Signature expired: "},
		{"json signed 20 minutes ahead", func() *http.Request { return h.sign(h.awsJSON(), "ssm", now.Add(20*time.Minute)) }, 400, "InvalidSignatureException", "Signature not yet current: "},
		{"rest foreign host", func() *http.Request {
			r := h.sign(h.restJSON(), "bedrock-agentcore", now)
			r.Host = "rebind.attacker.example:" + h.guard.Port
			return r
		}, 403, "AccessDeniedException", "DNS rebinding"},
		{"json foreign host", func() *http.Request {
			return with(h.awsJSON(), func(r *http.Request) { r.Host = "rebind.attacker.example:" + h.guard.Port })
		}, 403, "AccessDeniedException", "DNS rebinding"},
		{"json other port", func() *http.Request {
			return with(h.awsJSON(), func(r *http.Request) { r.Host = "127.0.0.1:1" })
		}, 403, "AccessDeniedException", "127.0.0.1:" + h.guard.Port},
		{"json text/plain", func() *http.Request {
			return with(h.awsJSON(), func(r *http.Request) { r.Header.Set("Content-Type", "text/plain;charset=UTF-8") })
		}, 403, "AccessDeniedException", `Content-Type \"text/plain\"`},
		{"rest form post", func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, h.url+"/runtimes/", strings.NewReader("a=b"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}, 403, "AccessDeniedException", "form"},
		{"rest multipart post", func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, h.url+"/runtimes/", strings.NewReader("--x--"))
			r.Header.Set("Content-Type", "multipart/form-data; boundary=x")
			return r
		}, 403, "AccessDeniedException", "form"},
		{"signed with an Origin", func() *http.Request {
			r := h.awsJSON()
			r.Header.Set("Origin", "https://attacker.example")
			return h.sign(r, "ssm", now)
		}, 403, "AccessDeniedException", "Origin"},
		{"query unsigned", func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, h.url+"/", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			return r
		}, 403, "MissingAuthenticationToken", "Missing Authentication Token"},
		{"query skewed", func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, h.url+"/", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			return h.sign(r, "sts", now.Add(-time.Hour))
		}, 403, "SignatureDoesNotMatch", "Signature expired"},
		{"not SigV4", func() *http.Request {
			return with(h.restJSON(), func(r *http.Request) { r.Header.Set("Authorization", "Basic QVdTOng=") })
		}, 403, "IncompleteSignatureException", "Signature Version 4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, code, body := do(t, c.req())
			if status != c.status || code != c.code || !strings.Contains(body, c.msg) {
				t.Fatalf("got %d %s %s\nwant %d %s ...%s...", status, code, body, c.status, c.code, c.msg)
			}
		})
	}
	if n := len(h.seen); n != 0 {
		t.Fatalf("%d refused requests reached the handler", n)
	}
	// The same requests, signed and addressed right, go through, by every loopback name.
	for _, host := range []string{"127.0.0.1", "localhost", "[::1]"} {
		r := h.awsJSON()
		r.Host = host + ":" + h.guard.Port
		if status, code, body := do(t, h.sign(r, "ssm", now.Add(-10*time.Minute))); status != 200 {
			t.Fatalf("Host %s: %d %s %s", r.Host, status, code, body)
		}
	}
	if status, code, body := do(t, h.sign(h.restJSON(), "bedrock-agentcore", now)); status != 200 {
		t.Fatalf("%d %s %s", status, code, body)
	}
}

// TestS3Signatures: S3's canonical URI is the path as sent (not encoded again), its payload
// hash may be UNSIGNED-PAYLOAD or STREAMING-*, and presigned URLs verify and expire.
func TestS3Signatures(t *testing.T) {
	h := newHarness(t)
	now := time.Now()
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := h.creds.AWS()
	for _, payload := range []string{auth.UnsignedPayload, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"} {
		r, _ := http.NewRequest(http.MethodPut, h.url+"/bucket/dir/a%20b+c%2Bd~e.txt?tagging=&x-id=PutObject", nil)
		r.Header.Set("X-Amz-Content-Sha256", payload)
		r.Header.Set("Content-Type", "text/plain") // an object's type: not a browser form here
		if err := signer.SignHTTP(context.Background(), creds, r, payload, "s3", "us-east-1", now); err != nil {
			t.Fatal(err)
		}
		if status, code, body := do(t, r); status != 200 {
			t.Fatalf("%s: %d %s %s", payload, status, code, body)
		}
		if id := h.last(); id.PayloadSHA256 != payload || id.Service != "s3" || len(id.SigningKey) != 32 || id.Signature == "" {
			t.Fatalf("identity %+v", id)
		}
	}

	presign := func(path string, expires time.Duration, at time.Time) string {
		r, _ := http.NewRequest(http.MethodGet, h.url+path+"?X-Amz-Expires="+fmt.Sprint(int(expires.Seconds())), nil)
		u, _, err := signer.PresignHTTP(context.Background(), creds, r, auth.UnsignedPayload, "s3", "us-east-1", at)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	get := func(u string) (int, string, string) {
		r, _ := http.NewRequest(http.MethodGet, u, nil)
		return do(t, r)
	}
	if status, code, body := get(presign("/bucket/k%3Dv.txt", time.Hour, now.Add(-30*time.Minute))); status != 200 {
		t.Fatalf("presigned: %d %s %s", status, code, body)
	}
	if id := h.last(); !id.Presigned {
		t.Fatalf("identity %+v", id)
	}
	if status, code, body := get(presign("/bucket/k", time.Hour, now.Add(-2*time.Hour))); status != 403 || code != "AccessDenied" || !strings.Contains(body, "Request has expired") {
		t.Fatalf("expired presigned: %d %s %s", status, code, body)
	}
	tampered := strings.Replace(presign("/bucket/k", time.Hour, now), "/bucket/k", "/bucket/other", 1)
	if status, code, body := get(tampered); status != 403 || code != "SignatureDoesNotMatch" || !strings.Contains(body, "<AWSAccessKeyId>"+h.creds.AccessKeyID) {
		t.Fatalf("tampered presigned: %d %s %s", status, code, body)
	}
	r, _ := http.NewRequest(http.MethodGet, h.url+"/bucket/k", nil)
	if status, code, body := do(t, r); status != 403 || code != "AccessDenied" || !strings.HasPrefix(body, "<?xml") {
		t.Fatalf("anonymous: %d %s %s", status, code, body)
	}
	other := h.creds
	other.AccessKeyID = "AKIAIOSFODNN7EXAMPLE"
	r, _ = http.NewRequest(http.MethodGet, h.url+"/bucket/k", nil)
	r.Header.Set("X-Amz-Content-Sha256", auth.UnsignedPayload)
	signer.SignHTTP(context.Background(), other.AWS(), r, auth.UnsignedPayload, "s3", "us-east-1", now)
	if status, code, _ := do(t, r); status != 403 || code != "InvalidAccessKeyId" {
		t.Fatalf("unknown key: %d %s", status, code)
	}
	r, _ = http.NewRequest(http.MethodGet, h.url+"/bucket/k", nil)
	r.Header.Set("X-Amz-Content-Sha256", auth.UnsignedPayload)
	signer.SignHTTP(context.Background(), creds, r, auth.UnsignedPayload, "s3", "us-east-1", now.Add(-time.Hour))
	if status, code, _ := do(t, r); status != 403 || code != "RequestTimeTooSkewed" {
		t.Fatalf("skewed: %d %s", status, code)
	}
}

// TestRegistryTokens: /v2/ wants ECR's token as Basic credentials of user AWS; none, a forged
// one and an expired one get a 401 with a Basic challenge, as docker login expects.
func TestRegistryTokens(t *testing.T) {
	h := newHarness(t)
	token, expires := h.creds.AuthorizationToken(time.Now())
	if d := time.Until(expires); d < 11*time.Hour || d > 12*time.Hour {
		t.Fatalf("token expires in %s, want 12h", d)
	}
	dec, _ := base64.StdEncoding.DecodeString(token)
	if !strings.HasPrefix(string(dec), "AWS:") {
		t.Fatalf("token %q", dec)
	}
	get := func(authz string) (int, http.Header, string) {
		r, _ := http.NewRequest(http.MethodGet, h.url+"/v2/", nil)
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	basic := func(user, pw string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pw))
	}
	pw := strings.TrimPrefix(string(dec), "AWS:")
	if status, _, body := get("Basic " + token); status != 200 {
		t.Fatalf("with the token: %d %s", status, body)
	}
	other, _ := auth.Generate()
	otherPW, _ := other.RegistryToken(time.Now())
	for name, authz := range map[string]string{
		"none":         "",
		"other user":   basic("admin", pw),
		"forged":       basic("AWS", "v1.99999999999.AAAA"),
		"other secret": basic("AWS", otherPW),
		"bearer":       "Bearer " + pw,
	} {
		status, hdr, body := get(authz)
		var e struct {
			Errors []struct{ Code, Message string }
		}
		json.Unmarshal([]byte(body), &e)
		if status != 401 || !strings.HasPrefix(hdr.Get("WWW-Authenticate"), `Basic realm=`) || len(e.Errors) != 1 || e.Errors[0].Code != "UNAUTHORIZED" {
			t.Errorf("%s: %d %v %s", name, status, hdr, body)
		}
	}
	h.guard.Now = func() time.Time { return time.Now().Add(13 * time.Hour) }
	if status, _, body := get("Basic " + token); status != 401 || !strings.Contains(body, "expired") {
		t.Fatalf("expired token: %d %s", status, body)
	}
}

// TestCredentialsFile: generated once, mode 0600 in a 0700 directory, the same pair for every
// process that races to create it.
func TestCredentialsFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "home", "local")
	path := filepath.Join(dir, auth.FileName)
	var wg sync.WaitGroup
	got := make([]auth.Credentials, 8)
	errs := make([]error, 8)
	for i := range got {
		wg.Add(1)
		go func() { defer wg.Done(); got[i], errs[i] = auth.LoadOrCreate(path) }()
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil || got[i] != got[0] {
			t.Fatalf("%d: %+v %v, first %+v", i, got[i], errs[i], got[0])
		}
	}
	c := got[0]
	if len(c.AccessKeyID) != 20 || !strings.HasPrefix(c.AccessKeyID, auth.AccessKeyPrefix) || len(c.SecretAccessKey) != 40 {
		t.Fatalf("pair %+v", c)
	}
	if strings.Contains(c.String(), c.SecretAccessKey) {
		t.Fatalf("String shows the secret: %s", c)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, dir: 0o700} {
		fi, err := os.Stat(p)
		if runtime.GOOS == "windows" {
			break // no Unix modes: Go reports 0666 (0444 read-only) and 0777 whatever the ACL
		}
		if err != nil || fi.Mode().Perm() != want {
			t.Fatalf("%s: %v %v, want %v", p, fi.Mode().Perm(), err, want)
		}
	}
	if again, err := auth.LoadOrCreate(path); err != nil || again != c {
		t.Fatalf("second load: %+v %v", again, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
	os.WriteFile(path, []byte("{"), 0o600)
	if _, err := auth.LoadOrCreate(path); err == nil || !strings.Contains(err.Error(), "delete the file") {
		t.Fatalf("corrupt file: %v", err)
	}
}
