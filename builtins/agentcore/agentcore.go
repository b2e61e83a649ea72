// Package agentcore is the `agentcore` Lua module: Amazon Bedrock AgentCore Runtime's control
// plane (runtimes, versions, endpoints, waiters) and data plane (invoke with a streamed
// response, stop_session), for AWS or the local endpoint alike. Results are shaped like the
// API's output (agentRuntimeId, status, createdAt as RFC 3339). It reaches AgentCore through
// builtins/aws/awscall.
package agentcore

import (
	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/engine"
)

// New returns the agentcore Lua module.
func New(a *awscall.AWS) *engine.Module {
	m := newModule(a)
	return &engine.Module{
		Name: "agentcore",
		Doc: "Amazon Bedrock AgentCore Runtime: create, update and delete agent runtimes and their " +
			"endpoints, wait for them to be ready, and invoke them with the response streamed. Errors " +
			"keep the AWS error code first (\"ResourceNotFoundException: ...\"; err.aws_code after pcall); the " +
			"get_* lookups answer nil instead of raising when the resource does not exist. Versions are " +
			"strings in results (\"3\"); arguments accept 3, \"3\" and \"V3\".",
		Classes: []*engine.Class{
			{Name: "agentcore.RuntimeSpec", Of: runtimeSpec{}, Doc: "What create_runtime takes: the name, the role, image or code, and the runtime's settings."},
			{Name: "agentcore.RuntimeUpdate", Of: runtimeUpdate{}, Doc: "What update_runtime takes: the settings to change (a runtime's name and tags are set on creation only)."},
			{Name: "agentcore.Code", Of: codeSpec{}, Doc: "A code package in S3 run by a managed runtime (PYTHON_3_10..PYTHON_3_14, NODE_22), entrypoint 1 or 2 entries."},
			{Name: "agentcore.Lifecycle", Of: lifecycleSpec{}, Doc: "Session lifecycle times in seconds (or \"15m\")."},
			{Name: "agentcore.Authorizer", Of: authorizerSpec{}},
			{Name: "agentcore.GetOpts", Of: getOpts{}},
			{Name: "agentcore.EndpointOpts", Of: endpointOpts{}},
			{Name: "agentcore.EndpointUpdate", Of: endpointUpdate{}, Doc: "What update_endpoint takes (an endpoint's tags are set on creation only)."},
			{Name: "agentcore.WaitOpts", Of: waitOpts{}, Doc: "timeout and interval in seconds (or \"10m\")."},
			{Name: "agentcore.RuntimeWaitOpts", Of: runtimeWaitOpts{}, Doc: "The version to wait for (default: the latest), and timeout and interval in seconds (or \"10m\")."},
			{Name: "agentcore.InvokeRequest", Of: invokeOpts{}},
			{Name: "agentcore.StopOpts", Of: stopOpts{}},
			{Name: "agentcore.Runtime", Open: true, Doc: "An agent runtime as the AgentCore control API describes it; the fields present depend on the call.",
				Fields: "agentRuntimeId: string, agentRuntimeArn?: string, agentRuntimeName?: string, agentRuntimeVersion?: string, status: string, " +
					"failureReason?: string, agentRuntimeArtifact?: table, roleArn?: string, environmentVariables?: table<string, string>, " +
					"lifecycleConfiguration?: table, createdAt?: string, lastUpdatedAt?: string, workloadIdentityDetails?: table"},
			{Name: "agentcore.Endpoint", Open: true, Doc: "A runtime endpoint as the AgentCore control API describes it; the fields present depend on the call.",
				Fields: "name?: string, id?: string, endpointName?: string, agentRuntimeEndpointArn?: string, agentRuntimeArn?: string, agentRuntimeId?: string, " +
					"status: string, liveVersion?: string, targetVersion?: string, failureReason?: string, createdAt?: string"},
			{Name: "agentcore.InvokeResult", Fields: "statusCode: integer, contentType: string, runtimeSessionId?: string, mcpSessionId?: string, mcpProtocolVersion?: string, body?: string, answer: agentcore.Answer"},
			{Name: "agentcore.Answer", Fields: "body: string, text: string, json?: any, truncated: boolean, shape: string",
				Doc: "An agent's answer (at most 1 MiB of it: truncated says it was cut): body as received; text for people (a JSON body's one text field of response, answer, output, text, result, else the document pretty-printed; a stream's text pieces joined; else the body); json, the JSON document (a stream's last JSON event); shape: json, events or text."},
			{Name: "agentcore.StopResult", Fields: "runtimeSessionId: string, statusCode: integer"},
			{Name: "agentcore.CommandRequest", Of: commandOpts{}, Doc: "A command for run_command: the shell command line, the session, and a timeout (1s to 1h, AgentCore's default 300s)."},
			{Name: "agentcore.CommandResult", Fields: "exitCode: integer, status: string, runtimeSessionId?: string"},
			{Name: "agentcore.ShellRequest", Of: shellOpts{}},
			{Name: "agentcore.ShellResult", Fields: "exitCode: integer, shellId?: string, runtimeSessionId?: string"},
			{Name: "agentcore.Session", Doc: "A live runtime session as the local endpoint lists it (times RFC 3339, lifetimes in seconds).",
				Fields: "runtimeSessionId: string, endpointName: string, agentRuntimeVersion?: string, startedAt?: string, lastRequestAt: string, " +
					"idleTimeoutAt: string, maxLifetimeAt?: string, idleRuntimeSessionTimeout: integer, maxLifetime: integer"},
			{Name: "agentcore.URLOpts", Of: urlOpts{}},
			{Name: "agentcore.CardOpts", Of: cardOpts{}},
			{Name: "agentcore.CardResult", Of: cardResult{}, Doc: "An A2A agent card (agentCard, as the agent serves it) and the runtime session it was read in."},
			{Name: "agentcore.WebSocketRequest", Of: wsOpts{}, Doc: "A WebSocket exchange: the runtime, endpoint and session, a payload sent first, interactive (each line of stdin sent as a text message), idle (end after this long without a message; default 3s)."},
			{Name: "agentcore.WebSocketResult", Of: wsResult{}, Doc: "messages received and sent, the agent's close code and reason when it closed, the runtime session."},
			{Name: "agentcore.SessionList", Fields: "agentRuntimeArn: string, sessions: agentcore.Session[]"},
		},
		Funcs: []engine.Func{
			{Name: "create_runtime",
				Params:  "spec: agentcore.RuntimeSpec",
				Returns: "agentcore.Runtime",
				Doc: "Creates an agent runtime (CreateAgentRuntime) from a container image (image) or from a code zip in S3 " +
					"run by a managed runtime (code: runtime is PYTHON_3_10..PYTHON_3_14 or NODE_22, entrypoint 1 or 2 entries; " +
					"a runtime cannot switch between the two later). name: letters, digits " +
					"and underscores, up to 48. protocol defaults to HTTP, network to PUBLIC; lifecycle times " +
					"are seconds (or \"15m\"). authorizer makes callers present a JWT from that OpenID Connect " +
					"issuer (a custom JWT authorizer) instead of signing with IAM. The runtime starts in status " +
					"CREATING: wait_runtime waits for READY.",
				Go: m.luaCreateRuntime},
			{Name: "update_runtime",
				Params:  "id: string, spec: agentcore.RuntimeUpdate",
				Returns: "agentcore.Runtime",
				Doc: "Creates a new version of the runtime (UpdateAgentRuntime). What spec leaves out keeps its " +
					"current value (env = {} clears the variables). The runtime goes UPDATING: wait_runtime " +
					"waits for READY.",
				Go: m.luaUpdateRuntime},
			{Name: "get_runtime", Params: "id: string, opts?: agentcore.GetOpts", Returns: "agentcore.Runtime?",
				Doc: "The runtime (its latest version, or the given one), or nil when it does not exist.",
				Go:  m.luaGetRuntime},
			{Name: "list_runtimes", Returns: "agentcore.Runtime[]",
				Doc: "Every agent runtime of the account and region (all pages).",
				Go:  m.luaListRuntimes},
			{Name: "list_versions", Params: "id: string", Returns: "agentcore.Runtime[]",
				Doc: "Every version of a runtime (all pages), newest first whatever order the service " +
					"answers in (AWS does not document one; moto and the local endpoint answer newest first).",
				Go: m.luaListVersions},
			{Name: "tag_resource", Params: "arn: string, tags: table<string, string|number|boolean>",
				Doc: "Adds tags to a runtime or endpoint (TagResource); tags not named keep their value.",
				Go:  m.luaTagResource},
			{Name: "untag_resource", Params: "arn: string, keys: string|string[]",
				Doc: "Removes tags from a runtime or endpoint (UntagResource).",
				Go:  m.luaUntagResource},
			{Name: "list_tags", Params: "arn: string", Returns: "table<string, string>?",
				Doc: "The tags of a runtime or endpoint (ListTagsForResource), or nil when it does not exist.",
				Go:  m.luaListTags},
			{Name: "delete_runtime", Params: "id: string", Returns: "agentcore.Runtime",
				Doc: "Deletes the runtime with its endpoints. It goes DELETING, then disappears: wait_runtime " +
					"returns nil once it is gone. Raises ResourceNotFoundException when it does not exist.",
				Go: m.luaDeleteRuntime},
			{Name: "create_endpoint", Params: "id: string, name: string, opts?: agentcore.EndpointOpts", Returns: "agentcore.Endpoint",
				Doc: "Creates a named endpoint of the runtime pointing at a version (default: the latest).",
				Go:  m.luaCreateEndpoint},
			{Name: "update_endpoint", Params: "id: string, name: string, opts: agentcore.EndpointUpdate", Returns: "agentcore.Endpoint",
				Doc: "Points the endpoint at another version. It goes UPDATING: wait_endpoint waits for READY.",
				Go:  m.luaUpdateEndpoint},
			{Name: "get_endpoint", Params: "id: string, name: string", Returns: "agentcore.Endpoint?",
				Doc: "The endpoint, or nil when it (or the runtime) does not exist.",
				Go:  m.luaGetEndpoint},
			{Name: "list_endpoints", Params: "id: string", Returns: "agentcore.Endpoint[]",
				Doc: "The runtime's endpoints (all pages).",
				Go:  m.luaListEndpoints},
			{Name: "delete_endpoint", Params: "id: string, name: string", Returns: "agentcore.Endpoint",
				Doc: "Deletes the endpoint.",
				Go:  m.luaDeleteEndpoint},
			{Name: "wait_runtime", Params: "id: string, opts?: agentcore.RuntimeWaitOpts", Returns: "agentcore.Runtime?",
				Doc: "Polls the runtime until its status is terminal, showing each status change as it happens. " +
					"READY returns the runtime; CREATE_FAILED, UPDATE_FAILED and DELETE_FAILED raise with the " +
					"failureReason; a runtime that does not exist (already deleted, or gone after DELETING) returns " +
					"nil, one that disappears while CREATING or UPDATING raises. timeout and interval " +
					"are seconds (or \"10m\"); running out of time raises. Ctrl-C stops it.",
				Go: m.luaWaitRuntime},
			{Name: "wait_endpoint", Params: "id: string, name: string, opts?: agentcore.WaitOpts", Returns: "agentcore.Endpoint?",
				Doc: "wait_runtime for an endpoint.",
				Go:  m.luaWaitEndpoint},
			{Name: "invoke",
				Params:  "req: agentcore.InvokeRequest",
				Returns: "agentcore.InvokeResult",
				Doc: "Invokes the agent (InvokeAgentRuntime) and streams its response: each chunk goes to " +
					"on_chunk as soon as it arrives, or, without on_chunk, to the output and into body; " +
					"answer is the whole answer read (agentcore.Answer: text, json, body, at most 1 MiB); " +
					"secrets are masked in all of it, also when one is split across chunks. A table payload " +
					"is sent as JSON; payload_file reads the payload from a file, or from stdin with \"-\" " +
					"(at most 100 MB, the API's limit: more is refused with exit 2; check_json refuses one that is not JSON). session_id keeps a " +
					"conversation (33 to 256 printable characters, checked before sending); the answer's " +
					"runtimeSessionId is the one used. headers adds HTTP headers " +
					"(X-Amzn-Bedrock-AgentCore-Runtime-Custom-*). timeout bounds the call and the reading of the whole answer (raising \"no complete answer within ...\", exit 1).",
				Fn: m.luaInvoke},
			{Name: "answer", Params: "body: string", Returns: "agentcore.Answer",
				Doc: "Reads an answer's body as invoke's answer does: its text (a JSON body's one text field, a stream's text), its JSON document, bounded to 1 MiB.",
				Go:  luaAnswer},
			{Name: "stop_session", Params: "arn: string, session_id: string, opts?: agentcore.StopOpts", Returns: "agentcore.StopResult",
				Doc: "Stops a runtime session (StopRuntimeSession), ending its microVM.",
				Go:  m.luaStopSession},
			{Name: "run_command", Params: "req: agentcore.CommandRequest", Returns: "agentcore.CommandResult",
				Doc: "Runs a shell command line in a runtime session (InvokeAgentRuntimeCommand: /bin/sh -c in the session's " +
					"sandbox) and streams its stdout and stderr to ours as they arrive, secrets masked (log events with -o json). " +
					"exitCode is the command's (-1: a platform error or TIMED_OUT); status is COMPLETED or TIMED_OUT.",
				Go: m.luaRunCommand},
			{Name: "shell", Params: "req: agentcore.ShellRequest", Returns: "agentcore.ShellResult",
				Doc: "Opens an interactive shell in a runtime session (InvokeAgentRuntimeCommandShell, a WebSocket with a PTY " +
					"behind it) and connects it to this terminal until the shell exits: raw mode, the window size sent at " +
					"start and on every resize, every key passed through (Ctrl-C reaches the shell's job). exitCode is the shell's.",
				Go: m.luaShell},
			{Name: "invocation_url", Params: "arn: string, opts?: agentcore.URLOpts", Returns: "string",
				Doc: "The data plane URL of the runtime's invocations (/runtimes/ESCAPED-ARN/invocations?qualifier=Q) on the environment's endpoint (AWS's bedrock-agentcore.REGION.amazonaws.com or the local endpoint): " +
					"what an MCP client speaks streamable HTTP to (mcp.tools(url, {sigv4 = true})).",
				Go: m.luaInvocationURL},
			{Name: "agent_card", Params: "arn: string, opts?: agentcore.CardOpts", Returns: "agentcore.CardResult",
				Doc: "The agent card of an A2A runtime (GetAgentCard): its name, description, skills, capabilities (streaming) as the agent serves them. A runtime of another protocol raises ValidationException.",
				Go:  m.luaAgentCard},
			{Name: "websocket", Params: "req: agentcore.WebSocketRequest", Returns: "agentcore.WebSocketResult",
				Doc: "Opens the runtime's WebSocket (GET /runtimes/ARN/ws, SigV4 in the upgrade's headers; the HTTP and AG-UI contracts), sends payload as a text message, " +
					"with interactive each line of stdin too, and prints the agent's messages as they arrive (log events with -o json; binary ones as their size), secrets masked. " +
					"It ends when the agent closes (its close code in the result), or when nothing was sent or received for idle and stdin is done.",
				Go: m.luaWebSocket},
			{Name: "list_sessions", Params: "arn: string", Returns: "agentcore.SessionList",
				Doc: "The runtime's live sessions, newest request first, from the local endpoint's own route " +
					"(GET /runtimes/ARN/sessions): AgentCore has no API that lists sessions, so on AWS this raises (exit 2). " +
					"startedAt is when the session's sandbox began serving it, lastRequestAt the end of its last request.",
				Go: m.luaListSessions},
		},
	}
}
