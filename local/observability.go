package local

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/client"

	"github.com/agentcore/agentcore/local/auth"
	"github.com/agentcore/agentcore/local/control"
	"github.com/agentcore/agentcore/local/gateway"
	"github.com/agentcore/agentcore/local/logs"
	"github.com/agentcore/agentcore/local/metrics"
	"github.com/agentcore/agentcore/local/otlp"
)

// logsMaxBytes is the bound on the CloudWatch Logs store: AGENTCORE_LOCAL_LOGS_MAX_BYTES when
// set, logs.DefaultMaxBytes otherwise.
func logsMaxBytes() (int64, error) {
	v := os.Getenv(logs.MaxBytesEnv)
	if v == "" {
		return logs.DefaultMaxBytes, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 4096 {
		return 0, fmt.Errorf("%s=%q: expected a number of bytes of at least 4096 (e.g. %d for 256 MiB)", logs.MaxBytesEnv, v, logs.DefaultMaxBytes)
	}
	return n, nil
}

// otlpState is where agents send their telemetry: the OTLP receiver on the endpoint's own
// loopback port (host processes) and on the Docker bridge's gateway address (containers).
type otlpState struct {
	loopback string // http://127.0.0.1:PORT
	gateway  string // http://GATEWAY:PORT, "" when containers cannot reach the endpoint
	ln       net.Listener
	srv      *http.Server
}

// startOTLP opens the containers' way to the endpoint: a listener on the gateway address of
// the agents' Docker network (network.go), which only the host and its containers reach,
// serving the OTLP paths and, to agents' sandbox credentials, the data planes (agentcreds.go);
// the control planes stay on loopback. When the bridge's gateway is
// not an address of this machine (a remote Docker engine), containers get no OTLP endpoint.
func (s *Server) startOTLP(main net.Addr) {
	_, port, _ := net.SplitHostPort(main.String())
	st := &otlpState{loopback: "http://" + net.JoinHostPort("127.0.0.1", port)}
	if cli, ok := s.docker.(*client.Client); ok {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, gw, err := agentNetwork(ctx, cli)
		cancel()
		if gw != "" {
			ln, err := net.Listen("tcp", net.JoinHostPort(gw, port))
			if err != nil {
				ln, err = net.Listen("tcp", net.JoinHostPort(gw, "0"))
			}
			if err == nil {
				_, gport, _ := net.SplitHostPort(ln.Addr().String())
				st.gateway, st.ln = "http://"+net.JoinHostPort(gw, gport), ln
				agents := s.agentGuard(ln.Addr().String())
				st.srv = &http.Server{ReadHeaderTimeout: 30 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if gateway.IsMCP(r) {
						// Gateways' MCP URLs, with each gateway's own inbound auth.
						if agents.Front(w, r) {
							s.gateway.ServeMCP(w, r)
						}
						return
					}
					if !otlp.IsOTLP(r) {
						// The data planes, to agents' sandbox credentials only (agentcreds.go).
						agents.ServeHTTP(w, r)
						return
					}
					s.otlp.ServeHTTP(w, r)
				})}
				go st.srv.Serve(ln)
			} else {
				s.cfg.Logf("local: OTLP for containers: cannot listen on the Docker bridge gateway %s: %v; agent containers get no OTEL_EXPORTER_OTLP_ENDPOINT", gw, err)
			}
		} else {
			s.cfg.Logf("local: OTLP for containers: no gateway address for Docker's bridge network (%v); agent containers get no OTEL_EXPORTER_OTLP_ENDPOINT", err)
		}
	}
	s.mu.Lock()
	s.otlpAt = st
	s.mu.Unlock()
}

func (s *Server) stopOTLP() {
	s.mu.Lock()
	st := s.otlpAt
	s.mu.Unlock()
	if st != nil && st.srv != nil {
		st.srv.Close()
	}
}

// agentEnv is the observability environment AgentCore Runtime gives a hosted agent, pointed
// at this endpoint: OTLP/HTTP protobuf to the endpoint's receiver with the agent's token, the
// service name, and resource attributes naming its log group and runtime. The variable names
// and values follow "Enabling observability for agents hosted outside of AgentCore" in
// https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/observability-configure.html
// (AGENT_OBSERVABILITY_ENABLED, OTEL_RESOURCE_ATTRIBUTES with service.name,
// aws.log.group.names and cloud.resource_id, OTEL_EXPORTER_OTLP_LOGS_HEADERS with
// x-aws-log-group and x-aws-log-stream, OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf,
// OTEL_TRACES_EXPORTER=otlp). The ADOT-only OTEL_PYTHON_DISTRO/OTEL_PYTHON_CONFIGURATOR are left
// out: they select exporters that SigV4-sign for AWS's endpoints.
//
// It also gives the agent its AWS credentials and endpoint (agentAWSEnv), and makes sure its
// runtime has its workload identity (made at create; this converges after a kill).
func (s *Server) agentEnv(info control.AgentInfo) []string {
	s.mu.Lock()
	st := s.otlpAt
	s.mu.Unlock()
	if st == nil || s.otlp == nil {
		return nil
	}
	endpoint := st.loopback
	if info.Container {
		endpoint = st.gateway
	}
	if endpoint == "" {
		return nil
	}
	if info.RuntimeName != "" {
		if _, err := s.ident.EnsureRuntimeWorkload(info.RuntimeID, info.RuntimeName); err != nil {
			s.cfg.Logf("local: the workload identity of runtime %s: %v", info.RuntimeID, err)
		}
	}
	name := info.RuntimeName
	if name == "" {
		name = info.RuntimeID
	}
	group := ""
	for _, g := range info.LogGroups {
		if group == "" || strings.HasSuffix(g, "-DEFAULT") {
			group = g
		}
	}
	auth := "Authorization=Bearer%20" + s.otlp.Token(info.RuntimeID, info.Version)
	res := "service.name=" + name + ",cloud.resource_id=" + info.RuntimeArn
	logsHeaders := auth
	if group != "" {
		res += ",aws.log.group.names=" + group
		logsHeaders += ",x-aws-log-group=" + group + ",x-aws-log-stream=" + otlp.LogsStream + ",x-aws-metric-namespace=bedrock-agentcore"
	}
	return append(s.agentAWSEnv(info, endpoint),
		"AGENT_OBSERVABILITY_ENABLED=true",
		"OTEL_EXPORTER_OTLP_ENDPOINT="+endpoint,
		"OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
		"OTEL_EXPORTER_OTLP_HEADERS="+auth,
		"OTEL_EXPORTER_OTLP_LOGS_HEADERS="+logsHeaders,
		"OTEL_TRACES_EXPORTER=otlp",
		"OTEL_SERVICE_NAME="+name,
		"OTEL_RESOURCE_ATTRIBUTES="+res,
	)
}

// otlpSecret is the key the agents' OTLP tokens are signed with, derived from the endpoint's
// secret key (a reset, which makes new credentials, invalidates every token).
func otlpSecret(c auth.Credentials) []byte {
	m := hmac.New(sha256.New, []byte(c.SecretAccessKey))
	m.Write([]byte("agentcore-local-otlp-tokens"))
	return m.Sum(nil)
}

// localAddrIn is this machine's IPv4 address inside subnet (CIDR), "" when it has none.
func localAddrIn(subnet string) string {
	_, n, err := net.ParseCIDR(subnet)
	if err != nil {
		return ""
	}
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil && n.Contains(ipn.IP) {
			return ipn.IP.String()
		}
	}
	return ""
}

// observe counts an invocation in the runtime metrics (namespace AWS/Bedrock-AgentCore,
// dimensions Resource, Operation, Name; see local/metrics).
func (s *Server) observe(inv control.Invocation) {
	if inv.RuntimeArn == "" || inv.Endpoint == "" {
		return // refused before a runtime endpoint was known: nothing to attribute it to
	}
	first := inv.FirstByte
	if first.IsZero() {
		first = inv.End
	}
	s.metrics.Record(metrics.Sample{Resource: inv.RuntimeArn, Name: inv.RuntimeName + "::" + inv.Endpoint, Time: inv.Start,
		Latency: float64(first.Sub(inv.Start).Microseconds()) / 1000, Duration: float64(inv.End.Sub(inv.Start).Microseconds()) / 1000,
		Status: inv.Status, NewSession: inv.NewSession})
}
