package local

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/agentcore/agentcore/local/auth"
)

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// signedPut is a PUT of body to url signed for the payload hash payload (set as
// X-Amz-Content-Sha256), as an SDK signs it.
func signedPut(t *testing.T, r *running, url, payload string, body io.Reader, at time.Time, extra map[string]string) *http.Request {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, url, body)
	req.Header.Set("X-Amz-Content-Sha256", payload)
	for k, v := range extra {
		req.Header.Set(k, v)
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), r.srv.Credentials().AWS(), req, payload, "s3", "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	return req
}

func send(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// chunkedBody encodes chunks as STREAMING-AWS4-HMAC-SHA256-PAYLOAD, each signed after the
// previous signature (the seed is the request's), or with zero signatures when zero is set.
func chunkedBody(key []byte, at time.Time, seed string, chunks []string, zero bool) string {
	scope := at.Format("20060102") + "/us-east-1/s3/aws4_request"
	prev := seed
	var b strings.Builder
	for _, c := range append(chunks, "") {
		toSign := strings.Join([]string{"AWS4-HMAC-SHA256-PAYLOAD", at.Format("20060102T150405Z"), scope, prev, hexSum(nil), hexSum([]byte(c))}, "\n")
		m := hmac.New(sha256.New, key)
		m.Write([]byte(toSign))
		sig := hex.EncodeToString(m.Sum(nil))
		prev = sig
		if zero {
			sig = strings.Repeat("0", 64)
		}
		fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n%s\r\n", len(c), sig, c)
	}
	return b.String()
}

// TestS3ChecksWhatWasSigned: S3 refuses a body other than the one signed (a replayed request
// with another body), and a streaming upload whose chunk signatures are not the chain of the
// request's signature.
func TestS3ChecksWhatWasSigned(t *testing.T) {
	needDocker(t)
	r := start(t, t.TempDir())
	defer r.stop(t)
	ctx := context.Background()
	s3c := s3Client(r)
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("signed")}); err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC()
	exists := func(key string) bool {
		_, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("signed"), Key: aws.String(key)})
		return err == nil
	}

	code, body := send(t, signedPut(t, r, r.url+"/signed/ok", hexSum([]byte("original")), strings.NewReader("original"), at, nil))
	if code != 200 {
		t.Fatalf("a PUT with the body signed: %d %s", code, body)
	}
	code, body = send(t, signedPut(t, r, r.url+"/signed/tampered", hexSum([]byte("original")), strings.NewReader("EVILEVIL"), at, nil))
	if code != 400 || !strings.Contains(body, "<Code>XAmzContentSHA256Mismatch</Code>") {
		t.Fatalf("a PUT with another body than the one signed: %d %s", code, body)
	}
	if exists("tampered") {
		t.Fatal("the tampered object was stored")
	}

	chunks := []string{strings.Repeat("a", 8192), strings.Repeat("b", 100)}
	decoded := fmt.Sprint(len(chunks[0]) + len(chunks[1]))
	stream := func(key string, zero, tamper bool) (int, string) {
		const mode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
		req := signedPut(t, r, r.url+"/signed/"+key, mode, nil, at, map[string]string{
			"Content-Encoding": "aws-chunked", "X-Amz-Decoded-Content-Length": decoded})
		seed := req.Header.Get("Authorization")
		seed = seed[strings.LastIndex(seed, "Signature=")+len("Signature="):]
		skey := auth.SigningKey(r.srv.Credentials().SecretAccessKey, at.Format("20060102"), "us-east-1", "s3")
		enc := chunkedBody(skey, at, seed, chunks, zero)
		if tamper {
			enc = strings.Replace(enc, "bbbb", "EVIL", 1)
		}
		req.Body = io.NopCloser(strings.NewReader(enc))
		req.ContentLength = int64(len(enc))
		return send(t, req)
	}
	if code, body := stream("chunks-ok", false, false); code != 200 {
		t.Fatalf("signed chunks: %d %s", code, body)
	}
	if code, body := stream("chunks-zero", true, false); code != 403 || !strings.Contains(body, "SignatureDoesNotMatch") {
		t.Fatalf("zeroed chunk signatures: %d %s", code, body)
	}
	if code, body := stream("chunks-tampered", false, true); code != 403 || !strings.Contains(body, "SignatureDoesNotMatch") {
		t.Fatalf("a chunk other than the one signed: %d %s", code, body)
	}
	for _, k := range []string{"chunks-zero", "chunks-tampered"} {
		if exists(k) {
			t.Fatalf("%s was stored", k)
		}
	}
	if !exists("chunks-ok") {
		t.Fatal("the signed stream was not stored")
	}
}
