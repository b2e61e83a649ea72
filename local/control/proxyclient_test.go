package control

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// agentServer is a stand-in agent on loopback counting the connections it accepted.
func agentServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

func newProxyClient() *proxyClient {
	var d net.Dialer
	return &proxyClient{dial: d.DialContext, maxIdle: 4}
}

func post(t *testing.T, ctx context.Context, url, body string) *http.Request {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// Answers read to the end leave their connection for the next call; each call's body and
// headers reach the agent.
func TestProxyClientKeepsConnections(t *testing.T) {
	srv, conns := agentServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Got", r.Header.Get("X-Test"))
		w.Write(append([]byte("echo:"), b...))
	})
	c := newProxyClient()
	defer c.CloseIdleConnections()
	for i := range 5 {
		req := post(t, context.Background(), srv.URL+"/invocations", strings.Repeat("x", i))
		req.Header.Set("X-Test", "h")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "echo:"+strings.Repeat("x", i) || resp.Header.Get("X-Got") != "h" {
			t.Fatalf("call %d: %q %v", i, b, resp.Header)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections for 5 sequential calls, want 1", n)
	}
}

// Each chunk of a streamed answer can be read as soon as the agent flushed it.
func TestProxyClientStreams(t *testing.T) {
	release := make(chan struct{})
	srv, _ := agentServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: 1\n\n")
		w.(http.Flusher).Flush()
		<-release
		io.WriteString(w, "data: 2\n\n")
	})
	c := newProxyClient()
	defer c.CloseIdleConnections()
	resp, err := c.Do(post(t, context.Background(), srv.URL+"/invocations", "{}"))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, err := resp.Body.Read(buf)
	if err != nil || string(buf[:n]) != "data: 1\n\n" {
		t.Fatalf("first chunk: %q %v", buf[:n], err)
	}
	close(release)
	rest, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(rest) != "data: 2\n\n" {
		t.Fatalf("rest: %q %v", rest, err)
	}
}

// A kept connection the agent closed while idle: the call goes again on a new connection when
// its body can be sent again, and fails without a second send otherwise.
func TestProxyClientAgentClosedIdle(t *testing.T) {
	var calls atomic.Int32
	srv, conns := agentServer(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		io.ReadAll(r.Body)
		io.WriteString(w, "ok")
	})
	c := newProxyClient()
	defer c.CloseIdleConnections()
	call := func(rewind bool) error {
		req := post(t, context.Background(), srv.URL+"/invocations", `{"a":1}`)
		if !rewind {
			req.GetBody = nil
		}
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err == nil && string(b) != "ok" {
			t.Fatalf("answer %q", b)
		}
		return err
	}
	if err := call(true); err != nil {
		t.Fatal(err)
	}
	srv.CloseClientConnections() // as an agent's keep-alive timeout does
	time.Sleep(50 * time.Millisecond)
	if err := call(true); err != nil {
		t.Fatalf("after the agent closed the kept connection: %v", err)
	}
	if conns.Load() != 2 || calls.Load() != 2 {
		t.Fatalf("%d connections, %d calls; want 2 and 2", conns.Load(), calls.Load())
	}
	srv.CloseClientConnections()
	time.Sleep(50 * time.Millisecond)
	if err := call(false); !errors.Is(err, errNoAnswer) {
		t.Fatalf("a body that cannot be sent again: %v, want errNoAnswer", err)
	}
	if calls.Load() != 2 {
		t.Fatalf("the agent got %d calls, want 2", calls.Load())
	}
}

// Cancelling the call's context unblocks a read of the answer; the connection is not kept.
func TestProxyClientCancel(t *testing.T) {
	srv, conns := agentServer(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "data: 1\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	c := newProxyClient()
	defer c.CloseIdleConnections()
	ctx, cancel := context.WithCancel(context.Background())
	resp, err := c.Do(post(t, ctx, srv.URL+"/invocations", "{}"))
	if err != nil {
		t.Fatal(err)
	}
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	done := make(chan error, 1)
	go func() { _, err := io.ReadAll(resp.Body); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("the read ended cleanly after the cancel")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the read did not end after the cancel")
	}
	resp.Body.Close()
	resp, err = c.Do(post(t, context.Background(), srv.URL+"/invocations", "{}"))
	if err == nil {
		resp.Body.Close()
	}
	if conns.Load() != 2 {
		t.Fatalf("%d connections: the cancelled one was kept", conns.Load())
	}
}

// An answer whose headers never end is refused, not buffered without bound.
func TestProxyClientHeaderLimit(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		buf := make([]byte, 4096)
		conn.Read(buf)
		io.WriteString(conn, "HTTP/1.1 200 OK\r\n")
		line := "X-Big: " + strings.Repeat("a", 1000) + "\r\n"
		for range 2000 {
			if _, err := io.WriteString(conn, line); err != nil {
				return
			}
		}
	}()
	c := newProxyClient()
	_, err = c.Do(post(t, context.Background(), "http://"+ln.Addr().String()+"/invocations", "{}"))
	if err == nil || !strings.Contains(err.Error(), "headers") {
		t.Fatalf("2 MB of headers: %v", err)
	}
}
