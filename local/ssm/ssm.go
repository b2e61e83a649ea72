// Package ssm serves SSM Parameter Store operations (awsJson1_1, X-Amz-Target AmazonSSM.*) for
// the local provider.
//
// Parameters live in bbolt, one JSON record per name holding every kept version. SecureString
// values are stored as given: the local provider has no KMS; without WithDecryption they are
// answered with an opaque stand-in for the ciphertext.
package ssm

import (
	"net/http"

	"github.com/agentcore/agentcore/local/internal/awsproto"
)

// bucketParams holds one JSON record per parameter, keyed by name.
var bucketParams = []byte("ssm.parameters")

const targetPrefix = "AmazonSSM."

// Service is Parameter Store: its operations are the table api; it implements http.Handler.
type Service struct{ cfg Config }

// Config is what Parameter Store is built from: the database, account and region of its
// ARNs, and the clock of LastModifiedDate.
type Config = awsproto.Config

// New opens the parameters, bucketParams, in cfg.DB.
func New(cfg Config) (*Service, error) {
	return awsproto.NewService(cfg, "ssm", func(c Config) *Service { return &Service{cfg: c} }, bucketParams)
}

// api is the table of contents of the service: X-Amz-Target suffix → operation.
var api = &awsproto.JSONService[*Service]{Prefix: targetPrefix, Protocol: awsproto.JSON{Version: "1.1", BothMessages: true, Internal: "InternalServerError"}, Ops: map[string]awsproto.Handler[*Service]{
	"PutParameter":        awsproto.Op((*Service).putParameter),
	"GetParameter":        awsproto.Op((*Service).getParameter),
	"GetParameters":       awsproto.Op((*Service).getParameters),
	"GetParametersByPath": awsproto.Op((*Service).getParametersByPath),
	"DeleteParameter":     awsproto.Op((*Service).deleteParameter),
	"DeleteParameters":    awsproto.Op((*Service).deleteParameters),
	"GetParameterHistory": awsproto.Op((*Service).getParameterHistory),
	"DescribeParameters":  awsproto.Op((*Service).describeParameters),
	"AddTagsToResource":   awsproto.Op((*Service).addTagsToResource),
	"ListTagsForResource": awsproto.Op((*Service).listTagsForResource),
}}

// apiError is the error of every operation (local/internal/awsproto).
type apiError = awsproto.Error

// newErr returns a 400 error of the given code.
var newErr = awsproto.ClientErrorf

func validation(format string, args ...any) *apiError {
	return newErr("ValidationException", format, args...)
}

// epoch is how awsJson1_1 encodes timestamps.
type epoch = awsproto.Epoch

// ServeHTTP dispatches on X-Amz-Target.
func (s *Service) ServeHTTP(w http.ResponseWriter, req *http.Request) { api.Serve(s, w, req) }

var pageToken = awsproto.PageToken

func parsePageToken(tok *string) (string, error) {
	return awsproto.ParsePageToken(tok, newErr("InvalidNextToken", "The specified token isn't valid."))
}
