package awscall

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/project"
)

// DefaultLocalRegion is the region used with the local provider when the environment names none.
const DefaultLocalRegion = "us-east-1"

// Per-run cache keys (engine.Run.Value).
const (
	configKey  = "aws.config"
	checkedKey = "aws.credentials"
	callerKey  = "aws.caller"
)

// Session is the AWS configuration of one run's environment. Config.BaseEndpoint is set when
// requests go somewhere other than AWS (an emulator, the local endpoint): every client made
// with NewFromConfig(cfg) then uses it.
type Session struct {
	Config   awssdk.Config
	Env      *project.Environment // nil outside a project: the default AWS configuration
	Provider string               // "aws" or "local"

	clients clients // the environment's SDK clients, see Service.Client
}

// Endpoint returns the base endpoint requests go to, "" for AWS itself.
func (s *Session) Endpoint() string { return awssdk.ToString(s.Config.BaseEndpoint) }

// EnvName names the environment for messages.
func (s *Session) EnvName() string {
	if s.Env == nil || s.Env.Name == "" {
		return "(no environment)"
	}
	return s.Env.Name
}

// Local is what the local provider needs from the program that runs the recipes.
type Local struct {
	// Endpoint ensures the local AgentCore endpoint runs (starting it when it does not) and
	// returns its base URL.
	Endpoint func(ctx context.Context) (string, error)
	// Credentials returns the access key pair the local endpoint accepts.
	Credentials func() (accessKeyID, secretAccessKey string, err error)
}

// AWS is a program's way to AWS, built once from what the program gives (New) and handed to
// every AWS module when it is built: it makes the sessions of runs' environments.
type AWS struct {
	local Local
}

// New returns the AWS layer of a program whose local endpoint local reaches.
func New(local Local) *AWS { return &AWS{local: local} }

// Session returns the session of the run's current environment, loading it once per run
// and environment, and checks once that credentials can be found (with a message saying what
// was tried and how to fix it when they cannot). Call it inside engine.Unlocked: loading may
// read files and reach the network. Modules reach it through Call, Try and Service.For.
func (a *AWS) Session(ctx context.Context, run *engine.Run) (*Session, error) {
	s, err := cached(run, envKey(run, configKey), func() (*Session, error) { return a.load(ctx, run) })
	if err != nil {
		return nil, err
	}
	if _, err := cached(run, envKey(run, checkedKey), func() (bool, error) { return true, checkCredentials(ctx, s) }); err != nil {
		return nil, err
	}
	return s, nil
}

var errNotCached = errors.New("not cached")

// envKey scopes a cache key to the run's current environment: a recipe can act on a second
// environment (with_env), whose session, credentials and caller differ.
func envKey(run *engine.Run, key string) string { return key + ":" + run.EnvName }

// cached returns the per-run value under key, computing it with load when absent. Unlike
// calling engine.Run.Value directly, load runs outside the run's value lock, so it may be slow
// (network) and may itself use run values (the local endpoint's start may) without blocking or
// deadlocking other branches; when two branches load at once, the first stored value wins.
func cached[T any](run *engine.Run, key string, load func() (T, error)) (T, error) {
	if v, err := run.Value(key, func() (any, error) { return nil, errNotCached }); err == nil {
		return v.(T), nil
	}
	t, err := load()
	if err != nil {
		return t, err
	}
	v, _ := run.Value(key, func() (any, error) { return t, nil })
	return v.(T), nil
}

func (a *AWS) load(ctx context.Context, run *engine.Run) (*Session, error) {
	env := run.Env()
	s := &Session{Env: env, Provider: "aws"}
	if env != nil && env.Provider != "" {
		s.Provider = env.Provider
	}
	switch s.Provider {
	case "local":
		if a.local.Endpoint == nil || a.local.Credentials == nil {
			return nil, engine.Failf("run it through the agentcore command, which starts the local endpoint",
				"environment %q uses the local provider, but no local endpoint is available here", s.EnvName())
		}
		url, err := a.local.Endpoint(ctx)
		if err != nil {
			return nil, fmt.Errorf("starting the local AgentCore endpoint: %w", err)
		}
		id, secret, err := a.local.Credentials()
		if err != nil {
			return nil, &engine.Error{Code: engine.ExitFailure, Err: err,
				Msg:  fmt.Sprintf("environment %s: reading the local endpoint's credentials: %v", s.EnvName(), err),
				Hint: "they are generated at its first start under $AGENTCORE_HOME/local; `agentcore local env` prints them"}
		}
		run.Out.AddSecret(secret)
		region := DefaultLocalRegion
		if env.Region != "" {
			region = env.Region
		}
		// Built by hand, not with LoadDefaultConfig: the local endpoint takes only its own key
		// pair, and the user's AWS profile (which may not exist here) must not matter.
		s.Config = awssdk.Config{
			Region:       region,
			Credentials:  credentials.NewStaticCredentialsProvider(id, secret, ""),
			BaseEndpoint: awssdk.String(url),
			HTTPClient:   HTTPClient(nil),
		}
		return s, nil
	case "aws":
		var opts []func(*config.LoadOptions) error
		if env != nil {
			if env.Region != "" {
				opts = append(opts, config.WithRegion(env.Region))
			}
			if env.Profile != "" {
				opts = append(opts, config.WithSharedConfigProfile(env.Profile))
			}
			if env.EndpointURL != "" {
				opts = append(opts, config.WithBaseEndpoint(env.EndpointURL))
			}
		}
		cfg, err := config.LoadDefaultConfig(ctx, opts...)
		if err != nil {
			return nil, configError(s, err)
		}
		if cfg.Region == "" {
			return nil, engine.Usagef("set region in the environment's table in agentcore.toml, or AWS_REGION",
				"environment %s: no AWS region configured", s.EnvName())
		}
		// After loading: a CA bundle (AWS_CA_BUNDLE) needs the SDK's own client type there.
		cfg.HTTPClient = HTTPClient(cfg.HTTPClient)
		s.Config = cfg
		return s, nil
	default:
		return nil, engine.Usagef(`use provider = "aws" or provider = "local"`,
			"environment %s: unknown provider %q", s.EnvName(), s.Provider)
	}
}

func configError(s *Session, err error) error {
	var missing config.SharedConfigProfileNotExistError
	if errors.As(err, &missing) {
		return &engine.Error{Code: engine.ExitUsage, Err: err,
			Msg: fmt.Sprintf("environment %s: AWS profile %q not found in the shared config and credentials files (~/.aws/config, ~/.aws/credentials)",
				s.EnvName(), missing.Profile),
			Hint: fmt.Sprintf("create it with `aws configure --profile %s` (or `aws configure sso`), or fix profile in agentcore.toml", missing.Profile)}
	}
	return &engine.Error{Code: engine.ExitUsage, Err: err,
		Msg:  fmt.Sprintf("environment %s: loading the AWS configuration: %v", s.EnvName(), err),
		Hint: "check ~/.aws/config and the AWS_* environment variables"}
}

// checkCredentials retrieves credentials once so that a missing or expired login is reported
// with a clear message before the first API call, not as a signing error inside it.
func checkCredentials(ctx context.Context, s *Session) error {
	if s.Config.Credentials == nil {
		return credentialsError(s, errors.New("no credentials provider"))
	}
	if _, err := s.Config.Credentials.Retrieve(ctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return credentialsError(s, err)
	}
	return nil
}

func credentialsError(s *Session, err error) error {
	// The chain the SDK walks: a profile named in agentcore.toml is used on its own; otherwise
	// the environment variables come first, then the profile, then the machine's role.
	tried := "profile %s in ~/.aws/config and ~/.aws/credentials (keys, SSO, credential_process, role)"
	if s.Env != nil && s.Env.Profile != "" {
		tried = fmt.Sprintf(tried, fmt.Sprintf("%q (from agentcore.toml)", s.Env.Profile))
	} else {
		profile := `"default"`
		if p := os.Getenv("AWS_PROFILE"); p != "" {
			profile = fmt.Sprintf("%q (AWS_PROFILE)", p)
		}
		tried = "the AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY variables, " + fmt.Sprintf(tried, profile) +
			", web identity, and the container and EC2 instance roles"
	}
	msg := fmt.Sprintf("environment %s: no usable AWS credentials; tried %s: %v", s.EnvName(), tried, err)
	hint := "set AWS_PROFILE (or profile in agentcore.toml), run `aws configure`, or `aws sso login` for an SSO profile"
	low := strings.ToLower(err.Error())
	if strings.Contains(low, "sso") || strings.Contains(low, "token") && strings.Contains(low, "expired") {
		hint = "the SSO session has expired: run `aws sso login"
		if s.Env != nil && s.Env.Profile != "" {
			hint += " --profile " + s.Env.Profile
		}
		hint += "`"
	}
	return &engine.Error{Code: engine.ExitUsage, Msg: msg, Hint: hint, Err: err}
}
