package control

import (
	"fmt"
	"net/http"

	"github.com/agentcore/agentcore/local/internal/awsproto"
)

// apiError is the error of every operation (local/internal/awsproto): restJson1 writes its
// code in X-Amzn-ErrorType and its message (and, for a ValidationException, reason and
// fieldList) in the JSON body.
type apiError = awsproto.Error

func validationf(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "ValidationException", Message: fmt.Sprintf(format, args...), Reason: "FieldValidationFailed"}
}

// fieldInvalid is the AWS wording for a member that fails its model constraint.
func fieldInvalid(field, value, constraint string) *apiError {
	msg := fmt.Sprintf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, field, constraint)
	e := validationf("%s", msg)
	e.Fields = []awsproto.FieldError{{Name: field, Message: constraint}}
	return e
}

func fieldMissing(field string) *apiError {
	return fieldInvalid(field, "null", "Member must not be null")
}

func notFoundf(format string, args ...any) *apiError {
	return awsproto.Errorf(http.StatusNotFound, "ResourceNotFoundException", format, args...)
}

func conflictf(format string, args ...any) *apiError {
	return awsproto.Errorf(http.StatusConflict, "ConflictException", format, args...)
}

func runtimeClientErrorf(format string, args ...any) *apiError {
	return awsproto.Errorf(http.StatusFailedDependency, "RuntimeClientError", format, args...)
}

func internalf(format string, args ...any) *apiError {
	return awsproto.Errorf(http.StatusInternalServerError, "InternalServerException", format, args...)
}

// protocol writes every answer of the service: restJson1.
var protocol = awsproto.RestJSON{}

// writeError renders err; anything that is not an *apiError is an InternalServerException.
func writeError(w http.ResponseWriter, err error) { protocol.WriteError(w, nil, err) }

func writeJSON(w http.ResponseWriter, status int, v any) { protocol.Write(w, status, v) }
