//go:build unix

package local

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/agentcore/agentcore/local/auth"
	"github.com/agentcore/agentcore/local/control"
)

// BenchmarkWebSocket measures what the endpoint adds to WebSocket streaming (issue 18's
// target: first frame < 1 ms added), in process: the real server on loopback, the test agent
// in a container, github.com/coder/websocket as the client. Each iteration opens one
// connection through the endpoint (/runtimes/ARN/ws, SigV4 headers signed per connection as a
// client would) and one straight to the session's container (GET /ws), in alternating order,
// sends a message and reads its echo: first-frame is from the dial to that echo. The rtt
// sub-benchmark is one message's round trip on a connection already open. Medians and their
// difference (added-ms) are reported.
//
//	go test -run XXX -bench WebSocket -benchtime 300x ./local/
func BenchmarkWebSocket(b *testing.B) {
	cli := dockerEngine(b)
	dir := b.TempDir()
	b.Cleanup(func() { Reset(context.Background(), dir) })
	b.Setenv(control.PoolSizeEnv, "0")
	r := start(b, dir)
	b.Cleanup(func() { r.stop(b) })
	id, arn, _ := containerAgent(b, r, cli, "bench-ws", "benchWs", nil)
	const session = "bench-websocket-session-00000000000000001"
	ctx := context.Background()
	wsURL := r.url + "/runtimes/" + url.PathEscape(arn) + "/ws?qualifier=DEFAULT"
	creds := r.srv.Credentials()
	viaEndpoint := func() (*websocket.Conn, error) {
		req, _ := http.NewRequest(http.MethodGet, wsURL, nil)
		req.Header.Set("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id", session)
		if err := auth.Sign(req, creds, "us-east-1", "bedrock-agentcore", time.Now()); err != nil {
			return nil, err
		}
		c, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: req.Header})
		return c, err
	}
	c, err := viaEndpoint() // starts the session's sandbox
	if err != nil {
		b.Fatal(err)
	}
	c.CloseNow()

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
	direct := func() (*websocket.Conn, error) {
		c, _, err := websocket.Dial(ctx, "ws://"+ip+":8080/ws", &websocket.DialOptions{
			HTTPHeader: http.Header{"X-Amzn-Bedrock-Agentcore-Runtime-Session-Id": {session}}})
		return c, err
	}
	msg := []byte(`{"prompt":"hello from the benchmark"}`)
	roundTrip := func(c *websocket.Conn) {
		if err := c.Write(ctx, websocket.MessageText, msg); err != nil {
			b.Fatal(err)
		}
		if _, got, err := c.Read(ctx); err != nil || string(got) != string(msg) {
			b.Fatalf("echo: %q %v", got, err)
		}
	}
	report := func(b *testing.B, ep, ct []time.Duration) {
		e, d := median(ep), median(ct)
		b.ReportMetric(ms(e), "endpoint-ms")
		b.ReportMetric(ms(d), "direct-ms")
		b.ReportMetric(ms(e-d), "added-ms")
	}

	b.Run("first-frame", func(b *testing.B) {
		first := func(dial func() (*websocket.Conn, error)) time.Duration {
			start := time.Now()
			c, err := dial()
			if err != nil {
				b.Fatal(err)
			}
			roundTrip(c)
			d := time.Since(start)
			c.Close(websocket.StatusNormalClosure, "")
			return d
		}
		for range 10 {
			first(viaEndpoint)
			first(direct)
		}
		b.ReportAllocs()
		b.ResetTimer()
		ep, ct := alternate(b.N, func() time.Duration { return first(viaEndpoint) }, func() time.Duration { return first(direct) })
		b.StopTimer()
		report(b, ep, ct)
	})

	b.Run("rtt", func(b *testing.B) {
		e, err := viaEndpoint()
		if err != nil {
			b.Fatal(err)
		}
		defer e.CloseNow()
		d, err := direct()
		if err != nil {
			b.Fatal(err)
		}
		defer d.CloseNow()
		timed := func(c *websocket.Conn) time.Duration {
			start := time.Now()
			roundTrip(c)
			return time.Since(start)
		}
		for range 20 {
			timed(e)
			timed(d)
		}
		b.ResetTimer()
		ep, ct := alternate(b.N, func() time.Duration { return timed(e) }, func() time.Duration { return timed(d) })
		b.StopTimer()
		report(b, ep, ct)
	})
}

// alternate runs x and y n times each, x first on even rounds and y first on odd ones (so
// neither always pays for a cold cache), and returns their durations.
func alternate(n int, x, y func() time.Duration) (xs, ys []time.Duration) {
	for i := range n {
		if i%2 == 0 {
			xs = append(xs, x())
			ys = append(ys, y())
		} else {
			ys = append(ys, y())
			xs = append(xs, x())
		}
	}
	return xs, ys
}
