package awscall_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/engine"
)

func TestError(t *testing.T) {
	apiErr := func(code string) error {
		return fmt.Errorf("operation error X: %w", &smithy.GenericAPIError{Code: code, Message: "the message"})
	}
	for _, tc := range []struct {
		err       error
		msg, hint string
		notFound  bool
		exitCode  int
	}{
		{apiErr("ResourceNotFoundException"), "ResourceNotFoundException: doing it: the message", "", true, engine.ExitFailure},
		{apiErr("AccessDeniedException"), "AccessDeniedException: doing it: the message", "IAM policies", false, engine.ExitFailure},
		{apiErr("ExpiredTokenException"), "ExpiredTokenException: doing it: the message", "aws sso login", false, engine.ExitFailure},
		{apiErr("RepositoryNotEmptyException"), "RepositoryNotEmptyException: doing it: the message", "force = true", false, engine.ExitFailure},
		{errors.New("dial tcp: refused"), "doing it: dial tcp: refused", "", false, engine.ExitFailure},
		{context.Canceled, "doing it: context canceled", "", false, engine.ExitInterrupted},
	} {
		err := awscall.Error("doing it", tc.err)
		if err.Error() != tc.msg {
			t.Errorf("%v: message %q, want %q", tc.err, err.Error(), tc.msg)
		}
		var e *engine.Error
		if tc.hint != "" && (!errors.As(err, &e) || !strings.Contains(e.Hint, tc.hint)) {
			t.Errorf("%v: hint lacks %q", tc.err, tc.hint)
		}
		if awscall.IsNotFound(err) != tc.notFound {
			t.Errorf("%v: IsNotFound = %v", tc.err, !tc.notFound)
		}
		if engine.ExitCode(err) != tc.exitCode {
			t.Errorf("%v: exit code %d, want %d", tc.err, engine.ExitCode(err), tc.exitCode)
		}
	}
	// an already explained error passes through untouched
	usage := engine.Usagef("hint", "bad")
	if got := awscall.Error("doing it", usage); got != error(usage) {
		t.Errorf("engine.Error rewrapped: %v", got)
	}
}
