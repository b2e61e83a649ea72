// Package templates holds the CloudFormation templates agentcore deploys (cfn.deploy{template=}):
// the agent's ECR repository, its least-privilege AgentCore execution role, and the Cognito
// user pool for agents with inbound JWT auth. lint_test.go keeps their IAM policies narrow.
package templates

import "embed"

// FS holds every template, by file name (ecr-repository.yaml, agent-role.yaml, cognito.yaml).
//
//go:embed *.yaml
var FS embed.FS
