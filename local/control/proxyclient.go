package control

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// proxyClient sends invocations to sandboxes over kept-alive HTTP/1.1 connections, writing the
// request and reading the answer on the caller's goroutine. net/http's Transport gives each
// connection a writer and a reader goroutine and hands every request and answer between them
// and the caller: three goroutine wake-ups per invocation, and a fourth read to park the idle
// connection, which on a busy 2-core machine were most of what the endpoint added to a call
// (issue 19). Here the handler writes, reads the headers and streams the body itself.
//
// A connection is kept for the next call when its answer was read to the end; a kept
// connection the agent closed meanwhile (its keep-alive timeout) is seen when its answer
// ends before a byte of it came, and the request goes again on a new connection when its
// body can be sent again (Request.GetBody), as net/http does for a server-closed idle
// connection.
type proxyClient struct {
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
	maxIdle int // kept connections per address

	mu    sync.Mutex
	idle  map[string][]*proxyConn
	swept time.Time // the last sweep of connections idle too long
}

// maxAnswerHeader bounds an answer's status line and headers, as Transport's
// MaxResponseHeaderBytes does by default.
const maxAnswerHeader = 1 << 20

type proxyConn struct {
	net.Conn
	lim       *limitedConn
	br        *bufio.Reader
	bw        *bufio.Writer
	idleSince time.Time
}

// proxyIdleTimeout is how long a connection is kept unused: one to a sandbox that ended is
// closed within it (the sweep in put).
const proxyIdleTimeout = 30 * time.Second

// limitedConn bounds what may be read through it while left >= 0 (the answer's headers).
type limitedConn struct {
	net.Conn
	left int64 // -1: no bound
}

func (c *limitedConn) Read(p []byte) (int, error) {
	if c.left == 0 {
		return 0, fmt.Errorf("the agent's answer has more than %d bytes of headers", maxAnswerHeader)
	}
	if c.left > 0 && int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.Conn.Read(p)
	if c.left > 0 {
		c.left -= int64(n)
	}
	return n, err
}

// aLongTimeAgo is a deadline in the past: it unblocks a read or write at once.
var aLongTimeAgo = time.Unix(1, 0)

// Do sends req (its URL's host is the sandbox's address) and returns the answer, whose body
// the caller must close. The request's context cancels the call, body included.
func (c *proxyClient) Do(req *http.Request) (*http.Response, error) {
	addr := req.URL.Host
	if pc := c.get(addr); pc != nil {
		resp, err := c.roundTrip(pc, req)
		if err == nil || !errors.Is(err, errNoAnswer) || req.Context().Err() != nil {
			return resp, err
		}
		// The kept connection was closed by the agent: send again on a new one if we can.
		if req.Body != nil && req.Body != http.NoBody {
			if req.GetBody == nil {
				return nil, err
			}
			body, gerr := req.GetBody()
			if gerr != nil {
				return nil, err
			}
			req = req.Clone(req.Context())
			req.Body = body
		}
	}
	conn, err := c.dial(req.Context(), "tcp", addr)
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	lim := &limitedConn{Conn: conn, left: -1}
	pc := &proxyConn{Conn: conn, lim: lim, br: bufio.NewReader(lim), bw: bufio.NewWriter(conn)}
	return c.roundTrip(pc, req)
}

// errNoAnswer: the connection ended before a byte of the answer came.
var errNoAnswer = errors.New("the connection closed before the answer")

func (c *proxyClient) roundTrip(pc *proxyConn, req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	stop := context.AfterFunc(ctx, func() { pc.SetDeadline(aLongTimeAgo) })
	fail := func(err error) (*http.Response, error) {
		stop()
		pc.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	if err := req.Write(pc.bw); err != nil {
		if isReset(err) {
			err = fmt.Errorf("%w: %w", errNoAnswer, err)
		}
		return fail(err)
	}
	if err := pc.bw.Flush(); err != nil {
		return fail(fmt.Errorf("%w: %w", errNoAnswer, err))
	}
	pc.lim.left = maxAnswerHeader
	var resp *http.Response
	for {
		if _, err := pc.br.Peek(1); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || isReset(err) {
				err = fmt.Errorf("%w: %w", errNoAnswer, err)
			}
			return fail(err)
		}
		r, err := http.ReadResponse(pc.br, req)
		if err != nil {
			return fail(err)
		}
		if r.StatusCode >= 100 && r.StatusCode < 200 && r.StatusCode != http.StatusSwitchingProtocols {
			continue // an interim answer (100 Continue): the final one follows
		}
		resp = r
		break
	}
	pc.lim.left = -1
	resp.Body = &proxyBody{rc: resp.Body, pc: pc, c: c, addr: req.URL.Host, stop: stop, keep: !resp.Close && !req.Close}
	return resp, nil
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// proxyBody is an answer's body: read to its end, its connection goes back to the pool on
// Close; closed before, the connection is closed.
type proxyBody struct {
	rc   io.ReadCloser
	pc   *proxyConn
	c    *proxyClient
	addr string
	stop func() bool
	keep bool
	eof  bool
	done bool
}

func (b *proxyBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, net.ErrClosed
	}
	n, err := b.rc.Read(p)
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

func (b *proxyBody) Close() error {
	if b.done {
		return nil
	}
	b.done = true
	// stop is false when the context's cancellation already set a past deadline.
	if b.stop() && b.eof && b.keep && b.pc.br.Buffered() == 0 {
		b.c.put(b.addr, b.pc)
		return nil
	}
	return b.pc.Close()
}

// get takes the most recently used kept connection to addr, nil when there is none.
func (c *proxyClient) get(addr string) *proxyConn {
	c.mu.Lock()
	defer c.mu.Unlock()
	for conns := c.idle[addr]; len(conns) > 0; conns = c.idle[addr] {
		pc := conns[len(conns)-1]
		c.idle[addr] = conns[:len(conns)-1]
		if time.Since(pc.idleSince) < proxyIdleTimeout {
			return pc
		}
		pc.Close()
	}
	delete(c.idle, addr)
	return nil
}

// put keeps pc for the next call to addr; at most every few seconds it also closes the
// connections idle too long (those to sandboxes that ended, whose addresses are not called
// again).
func (c *proxyClient) put(addr string, pc *proxyConn) {
	now := time.Now()
	pc.idleSince = now
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.idle == nil {
		c.idle = map[string][]*proxyConn{}
	}
	if now.Sub(c.swept) > proxyIdleTimeout/4 {
		c.swept = now
		for a, conns := range c.idle {
			kept := conns[:0]
			for _, k := range conns {
				if now.Sub(k.idleSince) < proxyIdleTimeout {
					kept = append(kept, k)
				} else {
					k.Close()
				}
			}
			if len(kept) == 0 {
				delete(c.idle, a)
			} else {
				c.idle[a] = kept
			}
		}
	}
	if len(c.idle[addr]) >= c.maxIdle {
		pc.Close()
		return
	}
	c.idle[addr] = append(c.idle[addr], pc)
}

// CloseIdleConnections closes the kept connections.
func (c *proxyClient) CloseIdleConnections() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for addr, conns := range c.idle {
		for _, pc := range conns {
			pc.Close()
		}
		delete(c.idle, addr)
	}
}
