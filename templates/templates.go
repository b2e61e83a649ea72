// Package templates holds the CloudFormation templates agentcore deploys (cfn.deploy{template=}):
// the agent's ECR repository, its least-privilege AgentCore execution role, the Cognito user
// pool for agents with inbound JWT auth, the S3 bucket of a project's code packages
// (agents deployed with build = "zip"), an agent's CloudWatch dashboard and alarms
// (observability.yaml), and the deploy role of a CI pipeline with its OIDC provider
// (agentcore ci role). lint_test.go keeps their IAM policies narrow.
package templates

import "embed"

// FS holds every template, by file name (ecr-repository.yaml, agent-role.yaml, cognito.yaml,
// code-bucket.yaml, observability.yaml, ci-role.yaml).
//
//go:embed *.yaml
var FS embed.FS
