package auth

import (
	"bytes"
	"net/http/httptest"
	"testing"
	"time"
)

// FuzzVerify: any Authorization header, date, query and body is verified or refused with a
// Failure, never a panic.
func FuzzVerify(f *testing.F) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20261207/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=00", "20261207T120000Z", "", "", []byte("body"))
	f.Add("", "", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20261207%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261207T120000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00", "", []byte{})
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/e,SignedHeaders=,Signature=", "x", "%zz", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", []byte{})
	creds := Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}
	f.Fuzz(func(t *testing.T, authz, date, query, payload string, body []byte) {
		req := httptest.NewRequest("POST", "/p?x=1", bytes.NewReader(body))
		req.URL.RawQuery = query
		req.RequestURI = "/p?" + query
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		if date != "" {
			req.Header.Set("X-Amz-Date", date)
		}
		if payload != "" {
			req.Header.Set("X-Amz-Content-Sha256", payload)
		}
		v := Verifier{Creds: creds, Now: func() time.Time { return now }, MaxBody: 1 << 16}
		id, fail := v.Verify(req)
		if id != nil && fail != nil {
			t.Fatal("both an identity and a failure")
		}
		if id != nil {
			t.Fatalf("a made-up request verified: %q", authz)
		}
		discardBody(req)
	})
}
