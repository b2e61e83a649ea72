package gateway

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/agentcore/agentcore/internal/lazyregexp"
	"github.com/agentcore/agentcore/local/internal/awsproto"
)

// apiError is the error of every control-plane operation (restJson1): its code in
// X-Amzn-ErrorType, its message (for a ValidationException, reason and fieldList) in the body.
type apiError = awsproto.Error

var protocol = awsproto.RestJSON{Internal: "InternalServerException"}

func validationf(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "ValidationException", Message: fmt.Sprintf(format, args...), Reason: "FieldValidationFailed"}
}

// fieldInvalid is the AWS wording for a member that fails its model constraint.
func fieldInvalid(field, value, constraint string) *apiError {
	if len(value) > 256 {
		value = value[:256] + "..."
	}
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

// The model's patterns (bedrock-agentcore-control), anchored.
var (
	gatewayNamePattern = lazyregexp.New(`^([0-9a-zA-Z][-]?){1,100}$`)
	gatewayIDPattern   = lazyregexp.New(`^([0-9a-z][-]?){1,100}-[0-9a-z]{10}$`)
	targetIDPattern    = lazyregexp.New(`^[0-9a-zA-Z]{10}$`)
	clientTokenPattern = lazyregexp.New(`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,256}$`)
	roleArnPattern     = lazyregexp.New(`^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+$`)
	kmsKeyArnPattern   = lazyregexp.New(`^arn:aws(|-cn|-us-gov):kms:[a-zA-Z0-9-]*:[0-9]{12}:key/[a-zA-Z0-9-]{36}$`)
	discoveryURLPat    = lazyregexp.New(`^.+/\.well-known/openid-configuration$`)
	scopePattern       = lazyregexp.New(`^[\x21\x23-\x5B\x5D-\x7E]+$`)
	tagKeyPattern      = lazyregexp.New(`^[a-zA-Z0-9\s._:/=+@-]*$`)
	lambdaArnPattern   = lazyregexp.New(`^arn:(aws[a-zA-Z-]*)?:lambda:([a-z]{2}(-gov)?-[a-z]+-\d{1}):(\d{12}):function:([a-zA-Z0-9-_.]+)(:(\$LATEST|[a-zA-Z0-9-]+))?$`)
	providerArnPattern = lazyregexp.New(`^arn:([^:]*):([^:]*):([^:]*):([0-9]{12})?:(.+)$`)
	s3URIPattern       = lazyregexp.New(`^s3://.+$`) // the model's s3://.{1,2043}: Go bounds repeats at 1000
	accountPattern     = lazyregexp.New(`^[0-9]{12}$`)
	iamServicePattern  = lazyregexp.New(`^[a-zA-Z0-9._-]+$`)
	nextTokenPattern   = lazyregexp.New(`^\S*$`)
)

// check collects the first constraint a request fails.
type check struct{ errs *apiError }

// str checks a string member against length bounds (max 0: none) and a pattern (nil: none).
func (c *check) str(field, v string, minLen, maxLen int, re *lazyregexp.Regexp) {
	if c.errs != nil {
		return
	}
	switch {
	case len(v) < minLen:
		c.errs = fieldInvalid(field, v, fmt.Sprintf("Member must have length greater than or equal to %d", minLen))
	case maxLen > 0 && len(v) > maxLen:
		c.errs = fieldInvalid(field, v, fmt.Sprintf("Member must have length less than or equal to %d", maxLen))
	case re != nil && !re.MatchString(v):
		p := re.String()
		c.errs = fieldInvalid(field, v, "Member must satisfy regular expression pattern: "+p[1:len(p)-1])
	}
}

// secret is str for a member the model marks sensitive: the value is never echoed.
func (c *check) secret(field, v string, minLen, maxLen int, re *lazyregexp.Regexp) {
	if c.errs != nil {
		return
	}
	c.str(field, v, minLen, maxLen, re)
	if c.errs != nil {
		e := fieldInvalid(field, "***", c.errs.Fields[0].Message)
		c.errs = e
	}
}

func (c *check) optStr(field string, v *string, minLen, maxLen int, re *lazyregexp.Regexp) {
	if v != nil {
		c.str(field, *v, minLen, maxLen, re)
	}
}

func (c *check) required(field string, set bool) {
	if c.errs == nil && !set {
		c.errs = fieldMissing(field)
	}
}

func (c *check) enum(field string, v *string, values ...string) {
	if c.errs != nil || v == nil {
		return
	}
	for _, x := range values {
		if *v == x {
			return
		}
	}
	c.errs = fieldInvalid(field, *v, fmt.Sprintf("Member must satisfy enum value set: %v", values))
}

func (c *check) intRange(field string, v *int, lo, hi int) {
	if c.errs == nil && v != nil && (*v < lo || *v > hi) {
		c.errs = fieldInvalid(field, strconv.Itoa(*v), fmt.Sprintf("Member must have value between %d and %d", lo, hi))
	}
}

// count checks the length of a list or map member (hi < 0: no upper bound).
func (c *check) count(field string, n, lo, hi int) {
	if c.errs == nil && (n < lo || (hi >= 0 && n > hi)) {
		bound := fmt.Sprintf("Member must have length greater than or equal to %d", lo)
		if hi >= 0 {
			bound = fmt.Sprintf("Member must have length between %d and %d", lo, hi)
		}
		c.errs = fieldInvalid(field, strconv.Itoa(n)+" items", bound)
	}
}

func (c *check) err() error {
	if c.errs == nil {
		return nil
	}
	return c.errs
}

// tags checks a TagsMap.
func (c *check) tags(field string, tags map[string]string) {
	c.count(field, len(tags), 0, 50)
	for k, v := range tags {
		c.str(field+".key", k, 1, 128, tagKeyPattern)
		c.str(field+"."+k, v, 0, 256, tagKeyPattern)
	}
}
