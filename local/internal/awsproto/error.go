// Package awsproto is the local endpoint's protocol layer: the one error type every service
// and the auth guard return, one encoder per wire protocol (restJson1, awsJson 1.0 and 1.1,
// awsQuery, rest-xml, rpc-v2-cbor and the OCI registry's error JSON), the route tables that
// send a request to its operation, and the Config every service is built from.
//
// A service declares its operations in one table: JSONService or QueryService for the
// protocols that name the operation in the request, Routes for the REST ones. Adding an
// operation is one function and one row; for SSM's GetParameter (awsJson):
//
//	"GetParameter": awsproto.Op((*Service).getParameter), // the row, in ssm's api table
//
//	func (s *Service) getParameter(in *getParameterInput) (any, error) // decoded input, output or *Error
//
// and for bedrock-agentcore-control's GetAgentRuntime (restJson1), whose path values are the
// request's PathValue:
//
//	{Method: http.MethodGet, Path: "/runtimes/{agentRuntimeId}", Op: (*Service).getRuntime},
package awsproto

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
)

// Error is an AWS error as every protocol carries it: the HTTP status, the error code the
// SDKs map to a typed exception, and the message. The other fields are the extras some
// protocols carry; each encoder writes the ones its protocol has.
type Error struct {
	Status  int
	Code    string // __type, X-Amzn-ErrorType, <Code>, or the registry's code
	Message string

	// QueryCode is the awsQuery code of a service with the awsQueryCompatible trait
	// (CloudWatch), sent in X-Amzn-Query-Error; "" when it equals Code.
	QueryCode string
	// Reason and Fields are a restJson1 ValidationException's reason and fieldList.
	Reason string
	Fields []FieldError
	// Elements are rest-xml's elements after Message, in order (BucketName, Key...).
	Elements [][2]string
	// Detail is the registry error's detail.
	Detail any
}

// FieldError is one entry of a ValidationException's fieldList.
type FieldError struct {
	Name    string `json:"name"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an error of the given status and code.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// With returns e with the rest-xml elements kv (name, value, name, value...) added.
func (e *Error) With(kv ...string) *Error {
	for i := 0; i+1 < len(kv); i += 2 {
		e.Elements = append(e.Elements, [2]string{kv[i], kv[i+1]})
	}
	return e
}

// CodeOf returns the code of err when it is an *Error, else "".
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// asError returns err as an *Error; anything else becomes internal, with err's text.
func asError(err error, internal func(msg string) *Error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return internal(err.Error())
}

// RequestID returns a fresh request id in AWS's UUID form.
func RequestID() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// requestID returns the request id already set in header name, setting a fresh one first when
// there is none.
func requestID(w http.ResponseWriter, name string, fresh func() string) string {
	id := w.Header().Get(name)
	if id == "" {
		id = fresh()
		w.Header().Set(name, id)
	}
	return id
}

// ClientErrorf returns a 400 error of the given code: the status of most AWS client errors.
func ClientErrorf(code, format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, code, format, args...)
}
