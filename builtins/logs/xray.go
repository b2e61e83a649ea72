package logs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/xray"
	xraytypes "github.com/aws/aws-sdk-go-v2/service/xray/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/engine"
)

// PolicyName is the CloudWatch Logs resource policy agentcore adds when no policy lets X-Ray
// write spans yet.
const PolicyName = "agentcore-transaction-search"

// transactionSearchPolicy is the resource policy AWS documents for enabling Transaction
// Search with the API: X-Ray may put log events in aws/spans and /aws/application-signals/data
// of this account and region, on behalf of this account's X-Ray only.
// Source: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Enable-TransactionSearch.html
func transactionSearchPolicy(partition, region, account string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"TransactionSearchXRayAccess","Effect":"Allow",`+
		`"Principal":{"Service":"xray.amazonaws.com"},"Action":"logs:PutLogEvents",`+
		`"Resource":["arn:%[1]s:logs:%[2]s:%[3]s:log-group:aws/spans:*","arn:%[1]s:logs:%[2]s:%[3]s:log-group:/aws/application-signals/data:*"],`+
		`"Condition":{"ArnLike":{"aws:SourceArn":"arn:%[1]s:xray:%[2]s:%[3]s:*"},"StringEquals":{"aws:SourceAccount":"%[3]s"}}}]}`,
		partition, region, account)
}

// grantsXRay reports whether a resource policy document already lets X-Ray write spans.
func grantsXRay(doc string) bool {
	return strings.Contains(doc, "xray.amazonaws.com") && strings.Contains(doc, "aws/spans") && strings.Contains(doc, "logs:PutLogEvents")
}

// unsupported reports whether err says the endpoint has no such API (an emulator).
func unsupported(err error) bool {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && (re.HTTPStatusCode() == http.StatusNotFound || re.HTTPStatusCode() == http.StatusNotImplemented) {
		return true
	}
	switch awscall.ErrorCode(err) {
	case "NotImplemented", "UnknownOperationException", "InvalidAction":
		return true
	}
	return strings.Contains(strings.ToLower(err.Error()), "not yet implemented")
}

// TransactionSearch is what ensure_transaction_search returns.
type TransactionSearch struct {
	Enabled     bool   `json:"enabled"`
	Changed     bool   `json:"changed"`
	Destination string `json:"destination,omitempty"`
	Status      string `json:"status,omitempty"`
	Policy      string `json:"policy,omitempty"` // the resource policy that grants X-Ray, when known
	Unsupported string `json:"unsupported,omitempty"`
}

func (m *module) luaEnsureTransactionSearch(L *lua.LState) (TransactionSearch, error) {
	run := engine.FromL(L)
	return awscall.Call(L, m.service, "enabling CloudWatch Transaction Search", func(ctx context.Context, c *cwl.Client) (TransactionSearch, error) {
		var res TransactionSearch
		x, err := m.xrayService.For(ctx, run)
		if err != nil {
			return res, err
		}
		dest, err := x.GetTraceSegmentDestination(ctx, &xray.GetTraceSegmentDestinationInput{})
		switch {
		case err != nil && unsupported(err):
			res.Unsupported = "this endpoint has no X-Ray GetTraceSegmentDestination"
		case err != nil:
			return res, fmt.Errorf("reading the X-Ray trace segment destination: %w", err)
		case dest.Destination == xraytypes.TraceSegmentDestinationCloudWatchLogs:
			res.Enabled, res.Destination, res.Status = true, string(dest.Destination), string(dest.Status)
			return res, nil // already set: nothing to do or to check
		default:
			res.Destination, res.Status = string(dest.Destination), string(dest.Status)
		}
		// the resource policy first: X-Ray refuses the destination without it
		pols, err := c.DescribeResourcePolicies(ctx, &cwl.DescribeResourcePoliciesInput{})
		if err != nil {
			return res, fmt.Errorf("reading the CloudWatch Logs resource policies: %w", err)
		}
		for _, p := range pols.ResourcePolicies {
			if grantsXRay(awssdk.ToString(p.PolicyDocument)) {
				res.Policy = awssdk.ToString(p.PolicyName)
				break
			}
		}
		if res.Policy == "" {
			caller, err := m.service.AWS.Caller(ctx, run)
			if err != nil {
				return res, err
			}
			partition := "aws"
			if parts := strings.SplitN(caller.Arn, ":", 3); len(parts) == 3 && parts[1] != "" {
				partition = parts[1]
			}
			doc := transactionSearchPolicy(partition, c.Options().Region, caller.Account)
			if _, err := c.PutResourcePolicy(ctx, &cwl.PutResourcePolicyInput{PolicyName: awssdk.String(PolicyName), PolicyDocument: &doc}); err != nil {
				return res, fmt.Errorf("adding the CloudWatch Logs resource policy %s for X-Ray: %w", PolicyName, err)
			}
			res.Policy, res.Changed = PolicyName, true
		}
		if res.Unsupported != "" {
			return res, nil
		}
		up, err := x.UpdateTraceSegmentDestination(ctx, &xray.UpdateTraceSegmentDestinationInput{Destination: xraytypes.TraceSegmentDestinationCloudWatchLogs})
		if err != nil {
			return res, fmt.Errorf("setting the X-Ray trace segment destination to CloudWatchLogs: %w", err)
		}
		res.Enabled, res.Changed = true, true
		res.Destination, res.Status = string(up.Destination), string(up.Status)
		return res, nil
	})
}
