package awscall

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/smithy-go"

	"github.com/agentcore/agentcore/engine"
)

// Error wraps err, returned by an AWS call made while doing (e.g. `creating ECR repository
// "my-bot"`), into an *engine.Error for the user. An AWS error carries its code in AWSCode
// (err.aws_code for a recipe after pcall) and, for the reader, first in the message:
//
//	ResourceNotFoundException: getting agent runtime abc-123: Could not find Agent Runtime ...
//
// and gets a hint when one helps.
func Error(doing string, err error) error {
	if err == nil {
		return nil
	}
	var ee *engine.Error
	if errors.As(err, &ee) { // already explained (credentials, configuration)
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", doing, err)
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		code := api.ErrorCode()
		msg := api.ErrorMessage()
		if msg == "" {
			msg = "(no message)"
		}
		return &engine.Error{Code: engine.ExitFailure, Err: err, AWSCode: code,
			Msg:  fmt.Sprintf("%s: %s: %s", code, doing, msg),
			Hint: hintFor(code)}
	}
	return &engine.Error{Code: engine.ExitFailure, Err: err, Msg: fmt.Sprintf("%s: %v", doing, err)}
}

// ErrorCode returns the AWS error code of err ("ResourceNotFoundException"), or "".
func ErrorCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

// IsNotFound reports whether err is an AWS "does not exist" error of any service.
func IsNotFound(err error) bool {
	return NotFoundCode(ErrorCode(err))
}

// NotFoundCode reports whether code is the AWS error code of a "does not exist" error of any
// service.
func NotFoundCode(code string) bool {
	switch code {
	case "ResourceNotFoundException", "RepositoryNotFoundException", "NoSuchEntity",
		"ParameterNotFound", "ImageNotFoundException", "LifecyclePolicyNotFoundException",
		"NotFoundException", "NotFound", "NoSuchBucket", "NoSuchKey":
		return true
	}
	return false
}

func hintFor(code string) string {
	switch code {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError":
		return "the credentials lack this permission: check the IAM policies of the identity aws.caller() shows (or `aws sts get-caller-identity`)"
	case "ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired":
		return "the credentials have expired: run `aws sso login` (or refresh them) and try again"
	case "UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException", "SignatureDoesNotMatch":
		return "AWS does not accept these credentials: check AWS_PROFILE / the environment's profile, and the clock"
	case "ThrottlingException", "Throttling", "TooManyRequestsException":
		return "AWS is throttling requests: wait a little and run again"
	case "RepositoryNotEmptyException":
		return "the repository still holds images: delete it with {force = true} to remove them too"
	case "ServiceQuotaExceededException", "LimitExceededException":
		return "a service quota is reached: delete unused resources or request a quota increase"
	}
	return ""
}
