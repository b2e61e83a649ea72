// Package ssm serves SSM Parameter Store operations (awsJson1_1, X-Amz-Target AmazonSSM.*) for
// the local provider.
//
// Parameters live in bbolt, one JSON record per name holding every kept version. SecureString
// values are stored as given: the local provider has no KMS; without WithDecryption they are
// answered with an opaque stand-in for the ciphertext.
package ssm

import (
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/agentcore/agentcore/local/internal/awsjson"
	"net/http"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bucketParams holds one JSON record per parameter, keyed by name.
var bucketParams = []byte("ssm.parameters")

const targetPrefix = "AmazonSSM."

// Service is the SSM handler.
type Service struct {
	db      *bolt.DB
	account string
	region  string
	now     func() time.Time
}

// New returns the SSM handler.
func New(db *bolt.DB, account, region string) (http.Handler, error) {
	return NewService(db, account, region, time.Now)
}

// NewService is New with the concrete type and a clock.
func NewService(db *bolt.DB, account, region string, now func() time.Time) (*Service, error) {
	if account == "" || region == "" {
		return nil, errors.New("ssm: account and region are required")
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketParams)
		return err
	}); err != nil {
		return nil, fmt.Errorf("ssm: creating bucket: %w", err)
	}
	return &Service{db: db, account: account, region: region, now: now}, nil
}

// operations is the table of contents of the service: X-Amz-Target suffix → handler.
var api = &awsjson.Service[*Service]{Prefix: targetPrefix, InternalCode: "InternalServerError", Ops: map[string]awsjson.Op[*Service]{
	"PutParameter":        (*Service).putParameter,
	"GetParameter":        (*Service).getParameter,
	"GetParameters":       (*Service).getParameters,
	"GetParametersByPath": (*Service).getParametersByPath,
	"DeleteParameter":     (*Service).deleteParameter,
	"DeleteParameters":    (*Service).deleteParameters,
	"GetParameterHistory": (*Service).getParameterHistory,
	"DescribeParameters":  (*Service).describeParameters,
	"AddTagsToResource":   (*Service).addTagsToResource,
	"ListTagsForResource": (*Service).listTagsForResource,
}}

// apiError is an awsJson1_1 error (local/internal/awsjson).
type apiError = awsjson.Error

func newErr(code, format string, args ...any) *apiError { return awsjson.Errorf(code, format, args...) }

func validation(format string, args ...any) *apiError {
	return newErr("ValidationException", format, args...)
}

// epoch is how awsJson1_1 encodes timestamps.
type epoch = awsjson.Epoch

// ServeHTTP dispatches on X-Amz-Target.
func (s *Service) ServeHTTP(w http.ResponseWriter, req *http.Request) { api.Serve(s, w, req) }

func decode(req *http.Request, v any) error { return awsjson.Decode(req, v) }

func pageToken(after string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(after))
}

func parsePageToken(tok *string) (string, error) {
	if tok == nil || *tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*tok)
	if err != nil || len(b) == 0 {
		return "", newErr("InvalidNextToken", "The specified token isn't valid.")
	}
	return string(b), nil
}
