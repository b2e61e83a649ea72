package awscall

import (
	"context"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/agentcore/agentcore/engine"
)

// Caller is the identity the credentials of an environment belong to.
type Caller struct {
	Account string `json:"account"`
	Arn     string `json:"arn"`
	UserID  string `json:"userId"`
}

// Caller returns the caller identity of the credentials of the run's current environment,
// asked once per run and environment. Call it inside engine.Unlocked.
func (a *AWS) Caller(ctx context.Context, run *engine.Run) (*Caller, error) {
	svc := &Service[*sts.Client]{AWS: a, Name: "sts", New: func(s *Session) *sts.Client { return sts.NewFromConfig(s.Config) }}
	c, err := svc.For(ctx, run)
	if err != nil {
		return nil, err
	}
	return cached(run, envKey(run, callerKey), func() (*Caller, error) {
		out, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return nil, Error("asking STS who the credentials belong to", err)
		}
		return &Caller{Account: awssdk.ToString(out.Account), Arn: awssdk.ToString(out.Arn), UserID: awssdk.ToString(out.UserId)}, nil
	})
}
