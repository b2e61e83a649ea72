package memory

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"sync"

	"github.com/agentcore/agentcore/local/internal/awsproto"
)

// apiError is the error of every operation (local/internal/awsproto): restJson1 writes its
// code in X-Amzn-ErrorType and its message (for a ValidationException, reason and fieldList)
// in the body. Unexpected errors are the models' ServiceException.
type apiError = awsproto.Error

var protocol = awsproto.RestJSON{Internal: "ServiceException"}

func validationf(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "ValidationException", Message: fmt.Sprintf(format, args...), Reason: "FieldValidationFailed"}
}

// fieldInvalid is the AWS wording for a member that fails its model constraint.
func fieldInvalid(field, value, constraint string) *apiError {
	e := validationf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, field, constraint)
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

// lazyRegexp compiles a pattern on first use: the binary links this package for every
// command, and compiling at start-up would cost every command.
func lazyRegexp(pattern string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(pattern) })
}

// The models' patterns, anchored.
var (
	namePattern      = lazyRegexp(`^[a-zA-Z][a-zA-Z0-9_]{0,47}$`)
	memoryIDPattern  = lazyRegexp(`^[a-zA-Z][a-zA-Z0-9-_]{0,99}-[a-zA-Z0-9]{10}$`)
	arnPattern       = lazyRegexp(`^arn:[a-z0-9-\.]{1,63}:[a-z0-9-\.]{0,63}:[a-z0-9-\.]{0,63}:[a-z0-9-\.]{0,63}:[^/].{0,1023}$`)
	templatePattern  = lazyRegexp(`^[a-zA-Z0-9\-_\/]*(\{(actorId|sessionId|memoryStrategyId)\}[a-zA-Z0-9\-_\/]*)*$`)
	actorPattern     = lazyRegexp(`^[a-zA-Z0-9][a-zA-Z0-9-_/]*(?::[a-zA-Z0-9-_/]+)*[a-zA-Z0-9-_/]*$`)
	sessionPattern   = lazyRegexp(`^[a-zA-Z0-9][a-zA-Z0-9-_]*$`)
	eventIDPattern   = lazyRegexp(`^[0-9]+#[a-fA-F0-9]+$`)
	recordIDPattern  = lazyRegexp(`^mem-[a-zA-Z0-9-_]*$`)
	namespacePattern = lazyRegexp(`^[a-zA-Z0-9/*][a-zA-Z0-9-_/*]*(?::[a-zA-Z0-9-_/*]+)*[a-zA-Z0-9-_/*]*$`)
	strategyIDRecord = lazyRegexp(`^[a-zA-Z0-9][a-zA-Z0-9-_]*$`)
	requestIDPattern = lazyRegexp(`^[a-zA-Z0-9_-]+$`)
	metaKeyPattern   = lazyRegexp(`^[a-zA-Z0-9\s._:/=+@-]*$`)
	tagPattern       = lazyRegexp(`^[a-zA-Z0-9\s._:/=+@-]*$`) // TagKey and TagValue
)

// check is one member's constraint: its name in errors, its value, and whether it is set.
type check struct{ errs *apiError }

// str checks a string member against length bounds (max 0: none) and a pattern (nil: none).
func (c *check) str(field, v string, minLen, maxLen int, re func() *regexp.Regexp) {
	if c.errs != nil {
		return
	}
	switch {
	case len(v) < minLen:
		c.errs = fieldInvalid(field, v, fmt.Sprintf("Member must have length greater than or equal to %d", minLen))
	case maxLen > 0 && len(v) > maxLen:
		c.errs = fieldInvalid(field, v, fmt.Sprintf("Member must have length less than or equal to %d", maxLen))
	case re != nil && !re().MatchString(v):
		c.errs = fieldInvalid(field, v, "Member must satisfy regular expression pattern: "+re().String()[1:len(re().String())-1])
	}
}

// optStr is str for an optional member.
func (c *check) optStr(field string, v *string, minLen, maxLen int, re func() *regexp.Regexp) {
	if v != nil {
		c.str(field, *v, minLen, maxLen, re)
	}
}

// required records a missing required member.
func (c *check) required(field string, set bool) {
	if c.errs == nil && !set {
		c.errs = fieldMissing(field)
	}
}

// intRange checks an optional integer member.
func (c *check) intRange(field string, v *int, lo, hi int) {
	if c.errs == nil && v != nil && (*v < lo || *v > hi) {
		c.errs = fieldInvalid(field, strconv.Itoa(*v), fmt.Sprintf("Member must have value between %d and %d", lo, hi))
	}
}

// count checks the length of a list or map member.
func (c *check) count(field string, n, lo, hi int) {
	if c.errs == nil && (n < lo || n > hi) {
		c.errs = fieldInvalid(field, strconv.Itoa(n)+" items", fmt.Sprintf("Member must have length between %d and %d", lo, hi))
	}
}

// tags checks a TagsMap: at most 50 tags, keys of 1 to 128 and values of at most 256
// characters, both of the model's pattern.
func (c *check) tags(field string, tags map[string]string) {
	c.count(field, len(tags), 0, 50)
	for k, v := range tags {
		c.str(field+".key", k, 1, 128, tagPattern)
		c.str(field+"."+k, v, 0, 256, tagPattern)
	}
}

// fail records an error of its own.
func (c *check) fail(e *apiError) {
	if c.errs == nil {
		c.errs = e
	}
}

// err returns the first failure, or nil (as an error interface that is nil).
func (c *check) err() error {
	if c.errs == nil {
		return nil
	}
	return c.errs
}
