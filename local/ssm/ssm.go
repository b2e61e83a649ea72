// Package ssm serves SSM Parameter Store operations (awsJson1_1, X-Amz-Target AmazonSSM.*) for
// the local provider.
//
// Parameters live in bbolt, one JSON record per name holding every kept version. SecureString
// values are stored as given: the local provider has no KMS; without WithDecryption they are
// answered with an opaque stand-in for the ciphertext.
package ssm

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
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
var operations = map[string]func(*Service, *http.Request) (any, error){
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
}

// apiError is an awsJson1_1 error.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func newErr(code, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: code, msg: fmt.Sprintf(format, args...)}
}

func validation(format string, args ...any) *apiError {
	return newErr("ValidationException", format, args...)
}

func requestID() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// ServeHTTP dispatches on X-Amz-Target.
func (s *Service) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	w.Header().Set("x-amzn-RequestId", requestID())
	name, _ := strings.CutPrefix(req.Header.Get("X-Amz-Target"), targetPrefix)
	op, ok := operations[name]
	if req.Method != http.MethodPost || !strings.HasPrefix(req.Header.Get("X-Amz-Target"), targetPrefix) || !ok {
		writeError(w, newErr("UnknownOperationException", "Unknown operation %s", req.Header.Get("X-Amz-Target")))
		return
	}
	out, err := op(s, req)
	if err != nil {
		writeError(w, err)
		return
	}
	b, err := json.Marshal(out)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Write(b)
}

func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{status: http.StatusInternalServerError, code: "InternalServerError", msg: err.Error()}
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", ae.code)
	w.WriteHeader(ae.status)
	// SSM's exception shapes name the member "message" or "Message" depending on the shape;
	// sending both lets every typed exception carry the text.
	b, _ := json.Marshal(map[string]string{"__type": ae.code, "message": ae.msg, "Message": ae.msg})
	w.Write(b)
}

func decode(req *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, req.Body, 1<<20))
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return newErr("SerializationException", "could not parse request body: %v", err)
	}
	return nil
}

// epoch is how awsJson1_1 encodes timestamps: seconds since the epoch, fractional.
type epoch time.Time

func (t epoch) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprintf("%.3f", float64(time.Time(t).UnixMilli())/1000)), nil
}

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
