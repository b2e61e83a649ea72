package control

import (
	"net/http"

	"github.com/agentcore/agentcore/local/internal/awsproto"
)

// api is the table of contents of the service: the restJson1 operations of
// bedrock-agentcore-control (runtimes, versions, endpoints, tags) and bedrock-agentcore (the
// data plane), by method and path. An agentRuntimeArn is one path segment with its slashes
// percent-encoded; clients that leave them unencoded still reach the data plane, whose
// operation is the last segment.
var api = &awsproto.Routes[*Service]{
	Protocol: protocol,
	Table: []awsproto.Route[*Service]{
		{Method: http.MethodPut, Path: "/runtimes", Op: (*Service).createRuntime},
		{Method: http.MethodPost, Path: "/runtimes", Op: (*Service).listRuntimes},
		{Method: http.MethodPut, Path: "/runtimes/{agentRuntimeId}", Op: (*Service).updateRuntime},
		{Method: http.MethodGet, Path: "/runtimes/{agentRuntimeId}", Op: (*Service).getRuntime},
		{Method: http.MethodDelete, Path: "/runtimes/{agentRuntimeId}", Op: (*Service).deleteRuntime},
		{Method: http.MethodPost, Path: "/runtimes/{agentRuntimeId}/versions", Op: (*Service).listVersions},
		{Method: http.MethodPut, Path: "/runtimes/{agentRuntimeId}/runtime-endpoints", Op: (*Service).createEndpoint},
		{Method: http.MethodPost, Path: "/runtimes/{agentRuntimeId}/runtime-endpoints", Op: (*Service).listEndpoints},
		{Method: http.MethodPut, Path: "/runtimes/{agentRuntimeId}/runtime-endpoints/{endpointName}", Op: (*Service).updateEndpoint},
		{Method: http.MethodGet, Path: "/runtimes/{agentRuntimeId}/runtime-endpoints/{endpointName}", Op: (*Service).getEndpoint},
		{Method: http.MethodDelete, Path: "/runtimes/{agentRuntimeId}/runtime-endpoints/{endpointName}", Op: (*Service).deleteEndpoint},

		{Method: http.MethodPost, Path: "/runtimes/{agentRuntimeArn...}/invocations", Op: (*Service).invokeAgentRuntime},
		{Method: http.MethodGet, Path: "/runtimes/{agentRuntimeArn...}/invocations/.well-known/agent-card.json", Op: (*Service).getAgentCard},
		// MCP's streamable HTTP also GETs (a server stream) and DELETEs (a session's end) its URL.
		{Method: http.MethodGet, Path: "/runtimes/{agentRuntimeArn...}/invocations", Op: (*Service).invokeAgentRuntime},
		{Method: http.MethodDelete, Path: "/runtimes/{agentRuntimeArn...}/invocations", Op: (*Service).invokeAgentRuntime},
		{Method: http.MethodPost, Path: "/runtimes/{agentRuntimeArn...}/stopruntimesession", Op: (*Service).stopSession},
		{Method: http.MethodPost, Path: "/runtimes/{agentRuntimeArn...}/commands", Op: (*Service).invokeCommand},
		{Method: http.MethodGet, Path: "/runtimes/{agentRuntimeArn...}/ws/shells", Op: (*Service).openShell},
		{Method: http.MethodGet, Path: "/runtimes/{agentRuntimeArn...}/ws", Op: (*Service).openWebSocket},
		// Local only: AgentCore has no API that lists runtime sessions (see listSessions).
		{Method: http.MethodGet, Path: "/runtimes/{agentRuntimeArn...}/sessions", Op: (*Service).listSessions},

		{Method: http.MethodPut, Path: "/runtimes/{agentRuntimeId}/dev", Op: (*Service).devSwap}, // local only: dev.go
		{Method: http.MethodDelete, Path: "/runtimes/{agentRuntimeId}/dev", Op: (*Service).devRestore},

		{Method: http.MethodGet, Path: "/tags/{resourceArn...}", Op: (*Service).listTags},
		{Method: http.MethodPost, Path: "/tags/{resourceArn...}", Op: (*Service).tagResource},
		{Method: http.MethodDelete, Path: "/tags/{resourceArn...}", Op: (*Service).untagResource},
	},
	NotFound: func(r *http.Request) error {
		return awsproto.Errorf(http.StatusNotFound, "UnknownOperationException", "no such operation: %s %s", r.Method, r.URL.Path)
	},
}

// ServeHTTP answers the control plane (paths under /runtimes), the data plane
// (/runtimes/{agentRuntimeArn}/invocations and /stopruntimesession) and tagging (/tags/).
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { api.Serve(s, w, r) }
