package ecr

import (
	"context"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws"
	"github.com/agentcore/agentcore/engine"
)

// api is the part of the ECR API this module calls.
type api interface {
	CreateRepository(context.Context, *ecr.CreateRepositoryInput, ...func(*ecr.Options)) (*ecr.CreateRepositoryOutput, error)
	DescribeRepositories(context.Context, *ecr.DescribeRepositoriesInput, ...func(*ecr.Options)) (*ecr.DescribeRepositoriesOutput, error)
	DeleteRepository(context.Context, *ecr.DeleteRepositoryInput, ...func(*ecr.Options)) (*ecr.DeleteRepositoryOutput, error)
	PutImageScanningConfiguration(context.Context, *ecr.PutImageScanningConfigurationInput, ...func(*ecr.Options)) (*ecr.PutImageScanningConfigurationOutput, error)
	GetAuthorizationToken(context.Context, *ecr.GetAuthorizationTokenInput, ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error)
	DescribeImages(context.Context, *ecr.DescribeImagesInput, ...func(*ecr.Options)) (*ecr.DescribeImagesOutput, error)
	BatchDeleteImage(context.Context, *ecr.BatchDeleteImageInput, ...func(*ecr.Options)) (*ecr.BatchDeleteImageOutput, error)
	PutLifecyclePolicy(context.Context, *ecr.PutLifecyclePolicyInput, ...func(*ecr.Options)) (*ecr.PutLifecyclePolicyOutput, error)
	ListTagsForResource(context.Context, *ecr.ListTagsForResourceInput, ...func(*ecr.Options)) (*ecr.ListTagsForResourceOutput, error)
}

// clientFor returns the ECR client of the session's environment.
func clientFor(run *engine.Run, s *aws.Session) api {
	return aws.Client(run, s, "ecr", func(cfg awssdk.Config) api { return ecr.NewFromConfig(cfg) })
}

// call runs fn against the run's ECR client with the interpreter lock released, raising
// (aws.Error) on failure.
func call[T any](L *lua.LState, doing string, fn func(ctx context.Context, c api) (T, error)) T {
	run := engine.FromL(L)
	return aws.Call(L, doing, func(ctx context.Context, s *aws.Session) (T, error) {
		return fn(ctx, clientFor(run, s))
	})
}

// try is call returning the error instead of raising, for lookups that answer nil.
func try[T any](L *lua.LState, fn func(ctx context.Context, c api) (T, error)) (T, error) {
	run := engine.FromL(L)
	return aws.Try(L, func(ctx context.Context, s *aws.Session) (T, error) {
		return fn(ctx, clientFor(run, s))
	})
}
