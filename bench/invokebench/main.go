// Command invokebench measures what the local AgentCore endpoint adds to an invocation: N
// sequential InvokeAgentRuntime calls through the aws-sdk-go-v2 bedrockagentcore client
// against N direct POST /invocations calls to the agent's container, interleaved so both see
// the same load, then the time to the first byte of a streamed answer through both paths, then
// the first byte of a call in a new session (a fresh session id each time) against one in the
// live session. bench/lifecycle.sh runs it against a deployed sample agent.
//
//	invokebench -endpoint http://127.0.0.1:4777 -arn arn:aws:bedrock-agentcore:...:runtime/ID -direct 172.18.0.5:8080
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/local/auth"
)

const (
	// A runtime session id is 33 to 256 characters.
	sessionID     = "invokebench-session-0000000000000000001"
	plainPayload  = `{"prompt":"hello from invokebench"}`
	streamPayload = `{"prompt":"a b c d e f","stream":true}`
)

type options struct {
	endpoint string
	creds    string // the local endpoint's credentials file
	arn      string
	direct   string
	n        int
	streams  int
	sessions int
	pid      int // the endpoint's process, whose CPU time is read around the timed calls (Linux)
}

func main() {
	var o options
	flag.StringVar(&o.endpoint, "endpoint", "", "base URL of the local AgentCore endpoint (http://127.0.0.1:PORT)")
	flag.StringVar(&o.arn, "arn", "", "agent runtime ARN")
	flag.StringVar(&o.creds, "credentials", defaultCredentials(), "the local endpoint's key pair (its credentials.json)")
	flag.StringVar(&o.direct, "direct", "", "the agent container's own address, HOST:8080 on the endpoint's agents' network (containers publish no host port)")
	flag.IntVar(&o.n, "n", 200, "calls per path")
	flag.IntVar(&o.streams, "streams", 5, "streamed calls per path for the time to first byte")
	flag.IntVar(&o.sessions, "sessions", 10, "calls in a new session and in the live one, for the first byte of a new session")
	flag.IntVar(&o.pid, "endpoint-pid", 0, "the endpoint's process id: its CPU time per call is reported (Linux /proc)")
	flag.Parse()
	if o.endpoint == "" || o.arn == "" || o.direct == "" || o.n < 1 || o.streams < 1 || o.sessions < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(context.Background(), o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "invokebench:", err)
		os.Exit(1)
	}
}

// call makes one invocation and reads the answer; ttfb is the time to the first byte of the
// body, total the time to its end.
type call func(ctx context.Context, payload string) (ttfb, total time.Duration, body []byte, err error)

// defaultCredentials is where the local endpoint of $AGENTCORE_HOME keeps its key pair.
func defaultCredentials() string {
	home := os.Getenv("AGENTCORE_HOME")
	if home == "" {
		h, _ := os.UserHomeDir()
		home = filepath.Join(h, ".agentcore")
	}
	return filepath.Join(home, "local", auth.FileName)
}

func run(ctx context.Context, o options, w io.Writer) error {
	creds, err := auth.Load(o.creds)
	if err != nil {
		return fmt.Errorf("the local endpoint's key pair: %w", err)
	}
	client := bedrockagentcore.New(bedrockagentcore.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(o.endpoint),
		Credentials:  creds.Provider(),
		// the same HTTP client as agentcore's own (see awscall.HTTPClient)
		HTTPClient: awscall.HTTPClient(nil),
	})
	inSession := func(ctx context.Context, session, payload string) (time.Duration, time.Duration, []byte, error) {
		start := time.Now()
		out, err := client.InvokeAgentRuntime(ctx, &bedrockagentcore.InvokeAgentRuntimeInput{
			AgentRuntimeArn:  aws.String(o.arn),
			RuntimeSessionId: aws.String(session),
			ContentType:      aws.String("application/json"),
			Payload:          []byte(payload),
		})
		if err != nil {
			return 0, 0, nil, err
		}
		defer out.Response.Close()
		return readTimed(start, out.Response)
	}
	viaEndpoint := func(ctx context.Context, payload string) (time.Duration, time.Duration, []byte, error) {
		return inSession(ctx, sessionID, payload)
	}

	direct := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	url := "http://" + o.direct + "/invocations"
	viaContainer := func(ctx context.Context, payload string) (time.Duration, time.Duration, []byte, error) {
		start := time.Now()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(payload))
		if err != nil {
			return 0, 0, nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id", sessionID)
		resp, err := direct.Do(req)
		if err != nil {
			return 0, 0, nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(resp.Body)
			return 0, 0, nil, fmt.Errorf("POST %s: %s: %s", url, resp.Status, b)
		}
		return readTimed(start, resp.Body)
	}

	// The endpoint without the SDK (no retry middleware, the request signed by hand): splits
	// what the endpoint adds from what the client adds.
	rawURL := strings.TrimSuffix(o.endpoint, "/") + "/runtimes/" + neturl.PathEscape(o.arn) + "/invocations"
	viaEndpointRaw := func(ctx context.Context, payload string) (time.Duration, time.Duration, []byte, error) {
		start := time.Now()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, strings.NewReader(payload))
		if err != nil {
			return 0, 0, nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id", sessionID)
		if err := auth.Sign(req, creds, "us-east-1", "bedrock-agentcore", time.Now()); err != nil {
			return 0, 0, nil, err
		}
		resp, err := direct.Do(req)
		if err != nil {
			return 0, 0, nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(resp.Body)
			return 0, 0, nil, fmt.Errorf("POST %s: %s: %s", rawURL, resp.Status, b)
		}
		return readTimed(start, resp.Body)
	}

	// Every path must give the same answer before anything is timed.
	_, _, a, err := viaEndpoint(ctx, plainPayload)
	if err != nil {
		return fmt.Errorf("InvokeAgentRuntime through %s: %w", o.endpoint, err)
	}
	_, _, b, err := viaContainer(ctx, plainPayload)
	if err != nil {
		return err
	}
	_, _, c, err := viaEndpointRaw(ctx, plainPayload)
	if err != nil {
		return err
	}
	if !bytes.Contains(a, []byte("hello from invokebench")) || !bytes.Equal(a, b) || !bytes.Equal(a, c) {
		return fmt.Errorf("the paths answer differently:\n  SDK:       %s\n  container: %s\n  raw HTTP:  %s", a, b, c)
	}

	// Warm both paths (connections, the endpoint's container lookup), then interleave, each
	// path going first every other round.
	for range 10 {
		if _, _, _, err := viaEndpoint(ctx, plainPayload); err != nil {
			return err
		}
		if _, _, _, err := viaContainer(ctx, plainPayload); err != nil {
			return err
		}
		if _, _, _, err := viaEndpointRaw(ctx, plainPayload); err != nil {
			return err
		}
	}
	var ep, ct, raw []time.Duration
	cpu0 := processCPU(o.pid)
	for i := range o.n {
		order := []struct {
			c   call
			out *[]time.Duration
		}{{viaEndpoint, &ep}, {viaContainer, &ct}, {viaEndpointRaw, &raw}}
		// Rotate so each path goes first, second and third equally often.
		for range i % len(order) {
			order = append(order[1:], order[0])
		}
		for _, p := range order {
			_, total, _, err := p.c(ctx, plainPayload)
			if err != nil {
				return err
			}
			*p.out = append(*p.out, total)
		}
	}

	cpu := time.Duration(-1) // the endpoint served 2n calls: by the SDK and signed by hand
	if c1 := processCPU(o.pid); cpu0 >= 0 && c1 >= 0 {
		cpu = c1 - cpu0
	}
	fmt.Fprintf(w, "invoke latency, %d sequential calls per path (payload %s)\n", o.n, plainPayload)
	fmt.Fprintf(w, "  %-38s %10s %10s\n", "path", "median", "p90")
	fmt.Fprintf(w, "  %-38s %10s %10s\n", "InvokeAgentRuntime via local endpoint", ms(pct(ep, 50)), ms(pct(ep, 90)))
	fmt.Fprintf(w, "  %-38s %10s %10s\n", "POST /invocations to the container", ms(pct(ct, 50)), ms(pct(ct, 90)))
	fmt.Fprintf(w, "  %-38s %10s %10s\n", "(POST to the endpoint signed by hand)", ms(pct(raw, 50)), ms(pct(raw, 90)))
	diff := pct(ep, 50) - pct(ct, 50)
	fmt.Fprintf(w, "  endpoint adds (median difference): %s; ratio %.2fx   [target < 0.5 ms more]\n",
		ms(diff), float64(pct(ep, 50))/float64(pct(ct, 50)))
	fmt.Fprintf(w, "  of which the endpoint itself (POST signed by hand - container): %s, the SDK client: %s\n",
		ms(pct(raw, 50)-pct(ct, 50)), ms(pct(ep, 50)-pct(raw, 50)))
	fmt.Fprintf(w, "RESULT invoke_endpoint_median_ms=%.3f invoke_endpoint_p90_ms=%.3f invoke_direct_median_ms=%.3f invoke_direct_p90_ms=%.3f invoke_added_ms=%.3f invoke_unsigned_endpoint_median_ms=%.3f\n",
		msf(pct(ep, 50)), msf(pct(ep, 90)), msf(pct(ct, 50)), msf(pct(ct, 90)), msf(diff), msf(pct(raw, 50)))
	if cpu >= 0 {
		perCall := float64(cpu) / float64(time.Microsecond) / float64(2*o.n)
		fmt.Fprintf(w, "  the endpoint's CPU (utime + stime of pid %d) per call: %.0f µs\n", o.pid, perCall)
		fmt.Fprintf(w, "RESULT invoke_endpoint_cpu_us=%.0f\n", perCall)
	}

	// Streaming: the sample agent sends one word every 50 ms; the first byte must not wait
	// for the last.
	var epFirst, epTotal, ctFirst, ctTotal, rawFirst, rawTotal []time.Duration
	for range o.streams {
		for _, p := range []struct {
			c            call
			first, total *[]time.Duration
		}{{viaEndpoint, &epFirst, &epTotal}, {viaContainer, &ctFirst, &ctTotal}, {viaEndpointRaw, &rawFirst, &rawTotal}} {
			first, total, body, err := p.c(ctx, streamPayload)
			if err != nil {
				return err
			}
			if !bytes.Contains(body, []byte("data: ")) {
				return errors.New("the streamed answer is not server-sent events: " + string(body))
			}
			*p.first = append(*p.first, first)
			*p.total = append(*p.total, total)
		}
	}
	fmt.Fprintf(w, "streamed answer (%s: server-sent events, one word every 50 ms), median of %d\n", streamPayload, o.streams)
	fmt.Fprintf(w, "  %-38s %10s %10s\n", "path", "1st byte", "last byte")
	fmt.Fprintf(w, "  %-38s %10s %10s\n", "InvokeAgentRuntime via local endpoint", ms(pct(epFirst, 50)), ms(pct(epTotal, 50)))
	fmt.Fprintf(w, "  %-38s %10s %10s\n", "POST /invocations to the container", ms(pct(ctFirst, 50)), ms(pct(ctTotal, 50)))
	fmt.Fprintf(w, "  %-38s %10s %10s\n", "(POST to the endpoint signed by hand)", ms(pct(rawFirst, 50)), ms(pct(rawTotal, 50)))
	fmt.Fprintf(w, "  first byte via the endpoint - direct: %s   [target < 0.5 ms]; of which the endpoint itself: %s, the SDK client: %s\n",
		ms(pct(epFirst, 50)-pct(ctFirst, 50)), ms(pct(rawFirst, 50)-pct(ctFirst, 50)), ms(pct(epFirst, 50)-pct(rawFirst, 50)))
	fmt.Fprintf(w, "RESULT stream_endpoint_ttfb_ms=%.3f stream_endpoint_total_ms=%.3f stream_direct_ttfb_ms=%.3f stream_direct_total_ms=%.3f stream_ttfb_added_ms=%.3f\n",
		msf(pct(epFirst, 50)), msf(pct(epTotal, 50)), msf(pct(ctFirst, 50)), msf(pct(ctTotal, 50)), msf(pct(epFirst, 50)-pct(ctFirst, 50)))

	// A new session against the live one: the first byte of a call with a session id never
	// used before (AgentCore gives it a sandbox of its own: with a warm pool, one already
	// started) and of a call in the session used above, interleaved.
	var fresh, live []time.Duration
	for i := range o.sessions {
		id := fmt.Sprintf("invokebench-new-%d-%024d", time.Now().UnixNano(), i)
		first, _, _, err := inSession(ctx, id, plainPayload)
		if err != nil {
			return fmt.Errorf("invoking in new session %s: %w", id, err)
		}
		fresh = append(fresh, first)
		if first, _, _, err = viaEndpoint(ctx, plainPayload); err != nil {
			return err
		}
		live = append(live, first)
	}
	fmt.Fprintf(w, "first byte of a new session against the live one, %d calls each, median (p90)\n", o.sessions)
	fmt.Fprintf(w, "  %-38s %10s %10s\n", "new session (fresh session id)", ms(pct(fresh, 50)), ms(pct(fresh, 90)))
	fmt.Fprintf(w, "  %-38s %10s %10s\n", "live session", ms(pct(live, 50)), ms(pct(live, 90)))
	fmt.Fprintf(w, "  new - live: %s   [target < 50 ms]\n", ms(pct(fresh, 50)-pct(live, 50)))
	fmt.Fprintf(w, "RESULT session_new_ttfb_ms=%.3f session_live_ttfb_ms=%.3f session_new_added_ms=%.3f\n",
		msf(pct(fresh, 50)), msf(pct(live, 50)), msf(pct(fresh, 50)-pct(live, 50)))
	return nil
}

// readTimed reads r to the end, noting when the first byte came.
func readTimed(start time.Time, r io.Reader) (ttfb, total time.Duration, body []byte, err error) {
	var buf bytes.Buffer
	chunk := make([]byte, 32<<10)
	for {
		n, err := r.Read(chunk)
		if n > 0 {
			if ttfb == 0 {
				ttfb = time.Since(start)
			}
			buf.Write(chunk[:n])
		}
		if err == io.EOF {
			return ttfb, time.Since(start), buf.Bytes(), nil
		}
		if err != nil {
			return 0, 0, nil, err
		}
	}
}

// processCPU is the user + system CPU time of process pid so far (Linux /proc; -1 when it
// cannot be read).
func processCPU(pid int) time.Duration {
	if pid <= 0 {
		return -1
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	// the fields after the command name (in parentheses, which may hold spaces)
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return -1
	}
	var utime, stime int64
	fmt.Sscan(f[11], &utime)
	fmt.Sscan(f[12], &stime)
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc's CPU times: 100 on every Linux architecture Go
// supports.
const clockTicks = 100

// pct returns the p-th percentile (nearest rank) of ds.
func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p+99)/100 - 1
	return s[max(i, 0)]
}

func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func ms(d time.Duration) string { return fmt.Sprintf("%.3f ms", msf(d)) }
