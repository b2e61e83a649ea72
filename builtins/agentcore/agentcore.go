// Package agentcore is the `agentcore` Lua module: Amazon Bedrock AgentCore Runtime's control
// plane (runtimes, versions, endpoints, waiters) and data plane (invoke with a streamed
// response, stop_session), for AWS or the local endpoint alike. Results are shaped like the
// API's output (agentRuntimeId, status, createdAt as RFC 3339). It reaches AgentCore through
// the session of builtins/aws.
package agentcore

import (
	"github.com/agentcore/agentcore/engine"
)

// Module is the agentcore Lua module.
var Module = &engine.Module{
	Name: "agentcore",
	Doc: "Amazon Bedrock AgentCore Runtime: create, update and delete agent runtimes and their " +
		"endpoints, wait for them to be ready, and invoke them with the response streamed. Errors " +
		"keep the AWS error code first (\"ResourceNotFoundException: ...\", see aws.error_code); the " +
		"get_* lookups answer nil instead of raising when the resource does not exist. Versions are " +
		"strings in results (\"3\"); arguments accept 3, \"3\" and \"V3\".",
	Funcs: []engine.Func{
		{Name: "create_runtime",
			Args: "(spec: {name, image | code: {bucket, key, version_id?, runtime, entrypoint}, role_arn, env?: table, protocol?: \"HTTP\"|\"MCP\"|\"A2A\"|\"AGUI\", network?: \"PUBLIC\", " +
				"description?, lifecycle?: {idle_timeout, max_lifetime}, authorizer?: {discovery_url, allowed_clients, allowed_audience}, tags?: table, client_token?})",
			Returns: "table {agentRuntimeId, agentRuntimeArn, agentRuntimeVersion, status, createdAt, workloadIdentityDetails}",
			Doc: "Creates an agent runtime (CreateAgentRuntime) from a container image (image) or from a code zip in S3 " +
				"run by a managed runtime (code: runtime is PYTHON_3_10..PYTHON_3_14 or NODE_22, entrypoint 1 or 2 entries; " +
				"a runtime cannot switch between the two later). name: letters, digits " +
				"and underscores, up to 48. protocol defaults to HTTP, network to PUBLIC; lifecycle times " +
				"are seconds (or \"15m\"). authorizer makes callers present a JWT from that OpenID Connect " +
				"issuer (a custom JWT authorizer) instead of signing with IAM. The runtime starts in status " +
				"CREATING: wait_runtime waits for READY.",
			Fn: createRuntime},
		{Name: "update_runtime",
			Args:    "(id: string, spec: {image? | code?, role_arn?, env?, protocol?, network?, description?, lifecycle?, authorizer? (false removes it), client_token?})",
			Returns: "table {agentRuntimeId, agentRuntimeArn, agentRuntimeVersion, status, lastUpdatedAt, ...}",
			Doc: "Creates a new version of the runtime (UpdateAgentRuntime). What spec leaves out keeps its " +
				"current value (env = {} clears the variables). The runtime goes UPDATING: wait_runtime " +
				"waits for READY.",
			Fn: updateRuntime},
		{Name: "get_runtime", Args: "(id: string, opts?: {version})",
			Returns: "table {agentRuntimeId, agentRuntimeName, agentRuntimeArn, agentRuntimeVersion, status, failureReason, " +
				"agentRuntimeArtifact, roleArn, environmentVariables, lifecycleConfiguration, ...} | nil",
			Doc: "The runtime (its latest version, or the given one), or nil when it does not exist.",
			Fn:  getRuntime},
		{Name: "list_runtimes", Args: "()",
			Returns: "list of table {agentRuntimeId, agentRuntimeName, agentRuntimeArn, agentRuntimeVersion, status, lastUpdatedAt}",
			Doc:     "Every agent runtime of the account and region (all pages).",
			Fn:      listRuntimes},
		{Name: "list_versions", Args: "(id: string)",
			Returns: "list of table {agentRuntimeVersion, status, lastUpdatedAt, ...}",
			Doc: "Every version of a runtime (all pages), newest first whatever order the service " +
				"answers in (AWS does not document one; moto and the local endpoint answer newest first).",
			Fn: listVersions},
		{Name: "tag_resource", Args: "(arn: string, tags: table)",
			Doc: "Adds tags to a runtime or endpoint (TagResource); tags not named keep their value.",
			Fn:  tagResource},
		{Name: "untag_resource", Args: "(arn: string, keys: {string})",
			Doc: "Removes tags from a runtime or endpoint (UntagResource).",
			Fn:  untagResource},
		{Name: "list_tags", Args: "(arn: string)", Returns: "table {key = value} | nil",
			Doc: "The tags of a runtime or endpoint (ListTagsForResource), or nil when it does not exist.",
			Fn:  listTags},
		{Name: "delete_runtime", Args: "(id: string)", Returns: "table {agentRuntimeId, status}",
			Doc: "Deletes the runtime with its endpoints. It goes DELETING, then disappears: wait_runtime " +
				"returns nil once it is gone. Raises ResourceNotFoundException when it does not exist.",
			Fn: deleteRuntime},
		{Name: "create_endpoint", Args: "(id: string, name: string, opts?: {version, description, tags, client_token})",
			Returns: "table {agentRuntimeEndpointArn, agentRuntimeArn, endpointName, targetVersion, status, createdAt}",
			Doc:     "Creates a named endpoint of the runtime pointing at a version (default: the latest).",
			Fn:      createEndpoint},
		{Name: "update_endpoint", Args: "(id: string, name: string, opts: {version, description, client_token})",
			Returns: "table {agentRuntimeEndpointArn, liveVersion, targetVersion, status, ...}",
			Doc:     "Points the endpoint at another version. It goes UPDATING: wait_endpoint waits for READY.",
			Fn:      updateEndpoint},
		{Name: "get_endpoint", Args: "(id: string, name: string)",
			Returns: "table {name, id, agentRuntimeEndpointArn, status, liveVersion, targetVersion, failureReason, ...} | nil",
			Doc:     "The endpoint, or nil when it (or the runtime) does not exist.",
			Fn:      getEndpoint},
		{Name: "list_endpoints", Args: "(id: string)",
			Returns: "list of table {name, id, agentRuntimeEndpointArn, status, liveVersion, targetVersion, ...}",
			Doc:     "The runtime's endpoints (all pages).",
			Fn:      listEndpoints},
		{Name: "delete_endpoint", Args: "(id: string, name: string)", Returns: "table {agentRuntimeId, endpointName, status}",
			Doc: "Deletes the endpoint.",
			Fn:  deleteEndpoint},
		{Name: "wait_runtime", Args: "(id: string, opts?: {version, timeout = 600, interval = 3})",
			Returns: "table (as get_runtime) | nil",
			Doc: "Polls the runtime until its status is terminal, showing each status change as it happens. " +
				"READY returns the runtime; CREATE_FAILED, UPDATE_FAILED and DELETE_FAILED raise with the " +
				"failureReason; a runtime that does not exist (already deleted, or gone after DELETING) returns " +
				"nil, one that disappears while CREATING or UPDATING raises. timeout and interval " +
				"are seconds (or \"10m\"); running out of time raises. Ctrl-C stops it.",
			Fn: waitRuntime},
		{Name: "wait_endpoint", Args: "(id: string, name: string, opts?: {timeout = 600, interval = 3})",
			Returns: "table (as get_endpoint) | nil",
			Doc:     "wait_runtime for an endpoint.",
			Fn:      waitEndpoint},
		{Name: "invoke",
			Args: "(req: {arn, payload: string|table, payload_file?: path|\"-\", check_json = false, qualifier = \"DEFAULT\", session_id?, user_id?, headers?: table, " +
				"content_type = \"application/json\", accept?, on_chunk?: function(text), timeout?: seconds | \"30s\"})",
			Returns: "table {statusCode, contentType, runtimeSessionId, body}",
			Doc: "Invokes the agent (InvokeAgentRuntime) and streams its response: each chunk goes to " +
				"on_chunk as soon as it arrives, or, without on_chunk, to the output and into body; " +
				"secrets are masked in all of it, also when one is split across chunks. A table payload " +
				"is sent as JSON; payload_file reads the payload from a file, or from stdin with \"-\" " +
				"(at most 100 MB, the API's limit: more is refused with exit 2; check_json refuses one that is not JSON). session_id keeps a " +
				"conversation (33 to 256 printable characters, checked before sending); the answer's " +
				"runtimeSessionId is the one used. headers adds HTTP headers " +
				"(X-Amzn-Bedrock-AgentCore-Runtime-Custom-*). timeout bounds the call and the reading of the whole answer (raising \"no complete answer within ...\", exit 1).",
			Fn: invoke},
		{Name: "stop_session", Args: "(arn: string, session_id: string, opts?: {qualifier = \"DEFAULT\", client_token})",
			Returns: "table {runtimeSessionId, statusCode}",
			Doc:     "Stops a runtime session (StopRuntimeSession), ending its microVM.",
			Fn:      stopSession},
	},
}
