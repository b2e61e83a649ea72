package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/smithy-go"
)

// identityCall answers a payload {"identity": {"workload": W, "provider": P}}: with the AWS
// credentials and endpoint of its environment (the SDK's default chain, as any agent), it
// gets its workload's access token, then provider P's API key, and answers the key's sha256
// (never the key). {"provider_env": VAR} instead of provider names the variable holding the
// provider's name (AGENTCORE_CREDENTIAL_NAME, as agentcore deploys it). It also tries a control-plane call (ListAgentRuntimes) and answers how it
// failed.
func identityCall(ctx context.Context, req map[string]any) map[string]any {
	workload, _ := req["workload"].(string)
	provider, _ := req["provider"].(string)
	if env, _ := req["provider_env"].(string); provider == "" && env != "" {
		provider = os.Getenv(env) // as an agent deployed by agentcore: AGENTCORE_CREDENTIAL_NAME
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out := map[string]any{}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryMaxAttempts(1))
	if err != nil {
		out["error"] = "loading the AWS config: " + err.Error()
		return out
	}
	dp := bedrockagentcore.NewFromConfig(cfg)
	tok, err := dp.GetWorkloadAccessToken(ctx, &bedrockagentcore.GetWorkloadAccessTokenInput{WorkloadName: aws.String(workload)})
	if err != nil {
		out["error"] = "GetWorkloadAccessToken: " + err.Error()
		return out
	}
	key, err := dp.GetResourceApiKey(ctx, &bedrockagentcore.GetResourceApiKeyInput{
		WorkloadIdentityToken: tok.WorkloadAccessToken, ResourceCredentialProviderName: aws.String(provider)})
	if err != nil {
		out["error"] = "GetResourceApiKey: " + err.Error()
		return out
	}
	sum := sha256.Sum256([]byte(aws.ToString(key.ApiKey)))
	out["apiKeySha256"] = hex.EncodeToString(sum[:])
	_, err = ctl.NewFromConfig(cfg).ListAgentRuntimes(ctx, &ctl.ListAgentRuntimesInput{})
	var ae smithy.APIError
	switch {
	case err == nil:
		out["controlPlane"] = "allowed"
	case errors.As(err, &ae):
		out["controlPlane"] = ae.ErrorCode() + ": " + ae.ErrorMessage()
	default:
		out["controlPlane"] = err.Error()
	}
	return out
}

func writeIdentity(w http.ResponseWriter, r *http.Request, req map[string]any) {
	writeJSON(w, identityCall(r.Context(), req))
}
