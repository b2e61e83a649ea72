package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Sign signs req with c for service and region, as an AWS SDK would: for the clients that
// call the endpoint without an SDK (health checks, benchmarks, tests). The body is read to
// hash it and put back.
func Sign(req *http.Request, c Credentials, region, service string, now time.Time) error {
	sum := sha256.Sum256(nil)
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return err
		}
		sum = sha256.Sum256(b)
		req.Body = io.NopCloser(bytes.NewReader(b))
		req.ContentLength = int64(len(b))
	}
	return v4.NewSigner().SignHTTP(context.Background(), c.AWS(), req, hex.EncodeToString(sum[:]), service, region, now)
}

// AWS returns c as SDK credentials.
func (c Credentials) AWS() aws.Credentials {
	return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, Source: "agentcore local endpoint"}
}

// Provider returns c as an SDK credentials provider.
func (c Credentials) Provider() aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return c.AWS(), nil })
}
