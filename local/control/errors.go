package control

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// apiError is an AWS restJson1 error: the SDKs read the type from X-Amzn-ErrorType and the
// message (and, for ValidationException, reason and fieldList) from the JSON body.
type apiError struct {
	Status int
	Type   string
	Msg    string
	Reason string // ValidationException only
	Fields []fieldError
}

type fieldError struct {
	Name    string `json:"name"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return e.Type + ": " + e.Msg }

func validationf(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: "ValidationException", Msg: fmt.Sprintf(format, args...), Reason: "FieldValidationFailed"}
}

// fieldInvalid is the AWS wording for a member that fails its model constraint.
func fieldInvalid(field, value, constraint string) *apiError {
	msg := fmt.Sprintf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, field, constraint)
	e := validationf("%s", msg)
	e.Fields = []fieldError{{Name: field, Message: constraint}}
	return e
}

func fieldMissing(field string) *apiError {
	return fieldInvalid(field, "null", "Member must not be null")
}

func notFoundf(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusNotFound, Type: "ResourceNotFoundException", Msg: fmt.Sprintf(format, args...)}
}

func conflictf(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusConflict, Type: "ConflictException", Msg: fmt.Sprintf(format, args...)}
}

func runtimeClientErrorf(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusFailedDependency, Type: "RuntimeClientError", Msg: fmt.Sprintf(format, args...)}
}

func internalf(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusInternalServerError, Type: "InternalServerException", Msg: fmt.Sprintf(format, args...)}
}

// writeError renders err; anything that is not an *apiError is an InternalServerException.
func writeError(w http.ResponseWriter, err error) {
	e, ok := err.(*apiError)
	if !ok {
		e = internalf("%v", err)
	}
	body := map[string]any{"message": e.Msg}
	if e.Type == "ValidationException" {
		reason := e.Reason
		if reason == "" {
			reason = "FieldValidationFailed"
		}
		body["reason"] = reason
		if len(e.Fields) > 0 {
			body["fieldList"] = e.Fields
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", e.Type)
	w.WriteHeader(e.Status)
	json.NewEncoder(w).Encode(body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
