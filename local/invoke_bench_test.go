//go:build unix

package local

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/agentcore/agentcore/local/control"
)

// BenchmarkInvoke measures what the endpoint adds to an invocation, in process: the real
// server on loopback, the test agent in a container, the aws-sdk-go-v2 client. Each iteration
// makes one InvokeAgentRuntime call through the endpoint and one POST /invocations straight to
// the session's container, in alternating order; the medians and their difference are
// reported (added-ms is the issue 19 figure, < 0.5 ms). The stream sub-benchmark does the same
// for the first byte of a server-sent-events answer. Run with -cpuprofile to see the
// endpoint's share (its functions are local/..., net/http.(*conn).serve and the proxy's
// transport); allocs/op count both sides.
//
//	go test -run XXX -bench Invoke -benchtime 400x ./local/
func BenchmarkInvoke(b *testing.B) {
	cli := dockerEngine(b)
	dir := b.TempDir()
	b.Cleanup(func() { Reset(context.Background(), dir) })
	b.Setenv(control.PoolSizeEnv, "0")
	r := start(b, dir)
	b.Cleanup(func() { r.stop(b) })
	id, arn, _ := containerAgent(b, r, cli, "bench-agent", "benchAgent", map[string]string{"TESTAGENT_STREAM_DELAY": "50ms"})

	const session = "bench-invoke-session-000000000000000001"
	client := bedrockagentcore.NewFromConfig(r.cfg, func(o *bedrockagentcore.Options) {
		o.BaseEndpoint = aws.String(r.url)
		o.HTTPClient = memBodyClient{awshttp.NewBuildableClient()}
	})
	ctx := context.Background()
	viaEndpoint := func(payload string) (first, total time.Duration, body []byte) {
		start := time.Now()
		out, err := client.InvokeAgentRuntime(ctx, &bedrockagentcore.InvokeAgentRuntimeInput{
			AgentRuntimeArn: aws.String(arn), RuntimeSessionId: aws.String(session),
			ContentType: aws.String("application/json"), Payload: []byte(payload),
		})
		if err != nil {
			b.Fatalf("InvokeAgentRuntime: %v", err)
		}
		defer out.Response.Close()
		return readTimed(b, start, out.Response)
	}
	viaEndpoint(`{"warm":1}`) // starts the session's sandbox

	// The endpoint alone: the same request signed beforehand (SigV4, as the SDK signs it) and
	// sent with a plain client, so that what is timed is what the endpoint adds, not the SDK's
	// client-side middleware (which costs the same against AWS).
	creds, err := r.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		b.Fatal(err)
	}
	signer := v4.NewSigner()
	raw := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	invokeURL := r.url + "/runtimes/" + url.PathEscape(arn) + "/invocations"
	viaEndpointRaw := func(payload string) (first, total time.Duration, body []byte) {
		req, _ := http.NewRequest(http.MethodPost, invokeURL, strings.NewReader(payload))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id", session)
		sum := sha256.Sum256([]byte(payload))
		if err := signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "bedrock-agentcore", r.cfg.Region, time.Now()); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		resp, err := raw.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			msg, _ := io.ReadAll(resp.Body)
			b.Fatalf("signed POST: %s %s", resp.Status, msg)
		}
		return readTimed(b, start, resp.Body)
	}

	// The direct path: the session's container at its address on the agents' network.
	list, err := cli.ContainerList(ctx, container.ListOptions{Filters: filters.NewArgs(
		filters.Arg("label", control.LabelRuntime+"="+id), filters.Arg("label", control.LabelSession+"="+session))})
	if err != nil || len(list) != 1 {
		b.Fatalf("the session's container: %v %v", list, err)
	}
	ins, err := cli.ContainerInspect(ctx, list[0].ID)
	if err != nil {
		b.Fatal(err)
	}
	var ip string
	for _, n := range ins.NetworkSettings.Networks {
		ip = n.IPAddress
	}
	direct := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	viaContainer := func(payload string) (first, total time.Duration, body []byte) {
		start := time.Now()
		req, _ := http.NewRequest(http.MethodPost, "http://"+ip+":8080/invocations", strings.NewReader(payload))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id", session)
		resp, err := direct.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		return readTimed(b, start, resp.Body)
	}

	compare := func(b *testing.B, payload string, stat func(first, total time.Duration) time.Duration, check func(body []byte) bool) {
		for range 10 {
			viaEndpoint(payload)
			viaEndpointRaw(payload)
			viaContainer(payload)
		}
		var ep, raw, ct []time.Duration
		b.ReportAllocs()
		cpu0 := cpuTime()
		b.ResetTimer()
		for i := range b.N {
			// The three paths in a rotating order, so that none always runs right after another.
			paths := []func(string) (time.Duration, time.Duration, []byte){viaEndpoint, viaEndpointRaw, viaContainer}
			outs := []*[]time.Duration{&ep, &raw, &ct}
			for k := range 3 {
				j := (k + i) % 3
				first, total, body := paths[j](payload)
				if !check(body) {
					b.Fatalf("unexpected answer %s", body)
				}
				*outs[j] = append(*outs[j], stat(first, total))
			}
		}
		b.StopTimer()
		// this process's CPU (the clients, the endpoint) per iteration
		b.ReportMetric(ms(cpuTime()-cpu0)/float64(b.N), "cpu-ms/op")
		e, rw, c := median(ep), median(raw), median(ct)
		b.ReportMetric(ms(e), "endpoint-ms")
		b.ReportMetric(ms(c), "direct-ms")
		// added-ms: the SDK's InvokeAgentRuntime minus a plain POST to the container (the SDK's
		// client-side work included); endpoint-added-ms: a request signed beforehand, sent with a
		// plain client, minus the same plain POST: what the endpoint itself adds.
		b.ReportMetric(ms(e-c), "added-ms")
		b.ReportMetric(ms(rw-c), "endpoint-added-ms")
	}
	b.Run("plain", func(b *testing.B) {
		compare(b, `{"prompt":"hello from the benchmark"}`, func(_, total time.Duration) time.Duration { return total },
			func(body []byte) bool { return bytes.Contains(body, []byte("hello from the benchmark")) })
	})
	b.Run("stream-first-byte", func(b *testing.B) {
		compare(b, `{"stream":2}`, func(first, _ time.Duration) time.Duration { return first },
			func(body []byte) bool { return bytes.Count(body, []byte("data: ")) == 2 })
	})
}

// memBodyClient sends the SDK's request body from memory, as agentcore's own client does
// (builtins/aws/awscall): smithy-go's body wrapper, read again by net/http after the answer
// came, can close the connection under a streamed answer (aws/aws-sdk-go-v2#2737).
type memBodyClient struct{ aws.HTTPClient }

func (c memBodyClient) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	return c.HTTPClient.Do(r)
}

func readTimed(b *testing.B, start time.Time, r io.Reader) (first, total time.Duration, body []byte) {
	var buf bytes.Buffer
	chunk := make([]byte, 32<<10)
	for {
		n, err := r.Read(chunk)
		if n > 0 && first == 0 {
			first = time.Since(start)
		}
		buf.Write(chunk[:n])
		if err == io.EOF {
			return first, time.Since(start), buf.Bytes()
		}
		if err != nil {
			b.Fatal(fmt.Errorf("reading the answer: %w", err))
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
