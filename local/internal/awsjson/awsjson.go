// Package awsjson is the awsJson1_1 wire protocol the local ECR and SSM services share:
// dispatch on X-Amz-Target, JSON bodies, errors with __type, epoch-seconds timestamps.
package awsjson

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Error is an awsJson1_1 error: the HTTP status and the __type the SDKs map to a typed
// exception.
type Error struct {
	Status int
	Code   string
	Msg    string
}

func (e *Error) Error() string { return e.Code + ": " + e.Msg }

// Errorf returns a 400 error of the given code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: code, Msg: fmt.Sprintf(format, args...)}
}

// Op is one operation: it decodes its input from the request and returns its output.
type Op[S any] func(S, *http.Request) (any, error)

// Service answers the operations of one awsJson1_1 service.
type Service[S any] struct {
	Prefix       string // X-Amz-Target prefix, e.g. "AmazonSSM."
	Ops          map[string]Op[S]
	InternalCode string // __type of unexpected errors (ServerException, InternalServerError...)
}

// Serve dispatches req to the operation its X-Amz-Target names.
func (sv *Service[S]) Serve(s S, w http.ResponseWriter, req *http.Request) {
	w.Header().Set("x-amzn-RequestId", RequestID())
	target := req.Header.Get("X-Amz-Target")
	name, hasPrefix := strings.CutPrefix(target, sv.Prefix)
	op, ok := sv.Ops[name]
	if req.Method != http.MethodPost || !hasPrefix || !ok {
		sv.WriteError(w, &Error{Status: http.StatusBadRequest, Code: "UnknownOperationException", Msg: "Unknown operation " + target})
		return
	}
	out, err := op(s, req)
	if err != nil {
		sv.WriteError(w, err)
		return
	}
	b, err := json.Marshal(out)
	if err != nil {
		sv.WriteError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Write(b)
}

// WriteError writes err; one that is not an *Error is an internal error.
func (sv *Service[S]) WriteError(w http.ResponseWriter, err error) {
	var ae *Error
	if !errors.As(err, &ae) {
		ae = &Error{Status: http.StatusInternalServerError, Code: sv.InternalCode, Msg: err.Error()}
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", ae.Code)
	w.WriteHeader(ae.Status)
	// Exception shapes name the member "message" or "Message" depending on the service and
	// shape; sending both lets every typed exception carry the text.
	b, _ := json.Marshal(map[string]string{"__type": ae.Code, "message": ae.Msg, "Message": ae.Msg})
	w.Write(b)
}

// Decode reads the JSON body into v; an unreadable body is a SerializationException.
//
// The body is read to its end, so that bytes after the JSON document are refused as AWS
// refuses them (a stream decoder stopped at the first document and ignored the rest).
func Decode(req *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(nil, req.Body, 1<<20))
	if err != nil {
		return Errorf("SerializationException", "could not read the request body: %v", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return Errorf("SerializationException", "could not parse request body: %v", err)
	}
	return nil
}

// RequestID returns a fresh request id in AWS's UUID form.
func RequestID() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Epoch is how awsJson1_1 encodes timestamps: seconds since the epoch, fractional.
type Epoch time.Time

// MarshalJSON implements json.Marshaler.
func (t Epoch) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprintf("%.3f", float64(time.Time(t).UnixMilli())/1000)), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Epoch) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*t = Epoch(time.UnixMilli(int64(f * 1000)).UTC())
	return nil
}
