package templates

import (
	"reflect"
	"testing"
)

// The alarms watch what AgentCore publishes for one endpoint (AlarmEndpoint, DEFAULT unless
// alarms.endpoint says otherwise): namespace AWS/Bedrock-AgentCore, dimensions Resource,
// Operation = InvokeAgentRuntime and Name = <runtime>::<endpoint> (moto does not create alarms,
// so this is their check).
func TestObservabilityAlarms(t *testing.T) {
	doc := load(t, "observability.yaml")
	res := doc["Resources"].(map[string]any)
	dims := []any{
		map[string]any{"Name": "Resource", "Value": map[string]any{"Ref": "RuntimeArn"}},
		map[string]any{"Name": "Operation", "Value": "InvokeAgentRuntime"},
		map[string]any{"Name": "Name", "Value": map[string]any{"Fn::Sub": "${RuntimeName}::${AlarmEndpoint}"}},
	}
	lat := res["LatencyAlarm"].(map[string]any)["Properties"].(map[string]any)
	if lat["Namespace"] != "AWS/Bedrock-AgentCore" || lat["MetricName"] != "Latency" || lat["ExtendedStatistic"] != "p99" ||
		!reflect.DeepEqual(lat["Dimensions"], dims) || lat["Threshold"].(map[string]any)["Ref"] != "LatencyP99Ms" {
		t.Errorf("latency alarm %v", lat)
	}
	errs := res["ErrorsAlarm"].(map[string]any)["Properties"].(map[string]any)
	names := map[string]bool{}
	for _, m := range errs["Metrics"].([]any) {
		ms, ok := m.(map[string]any)["MetricStat"].(map[string]any)
		if !ok {
			continue
		}
		metric := ms["Metric"].(map[string]any)
		if metric["Namespace"] != "AWS/Bedrock-AgentCore" || !reflect.DeepEqual(metric["Dimensions"], dims) || ms["Stat"] != "Sum" {
			t.Errorf("errors alarm metric %v", ms)
		}
		names[metric["MetricName"].(string)] = true
	}
	if !names["SystemErrors"] || !names["UserErrors"] || errs["ComparisonOperator"] != "GreaterThanOrEqualToThreshold" {
		t.Errorf("errors alarm %v", errs)
	}
	for _, n := range []string{"ErrorsAlarm", "LatencyAlarm", "Topic", "Subscription1", "Subscription2", "Subscription3"} {
		if res[n].(map[string]any)["Condition"] == nil {
			t.Errorf("%s is made without its condition", n)
		}
	}
}
