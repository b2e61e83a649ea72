package awscall

import "github.com/aws/aws-sdk-go-v2/service/ssm"

// SSM is SSM Parameter Store, which two modules reach: the ssm module and the state store
// (the environment's state and lock in /agentcore/PROJECT/ENV/).
func (a *AWS) SSM() *Service[*ssm.Client] {
	return &Service[*ssm.Client]{AWS: a, Name: "ssm", New: func(s *Session) *ssm.Client { return ssm.NewFromConfig(s.Config) }}
}
