// Package console is the web console of `agentcore console`: a small HTTP server on loopback
// that serves an embedded page (assets/) and a JSON API that runs the same recipes as the
// commands, streaming their -o json events to the page as server-sent events. The server owns
// the security rules (a per-start token exchanged for a cookie, the token in a header on every
// API call, Host and Origin checks); what a recipe run means is the Runner's, given by cmd.
package console

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
)

//go:embed assets
var assets embed.FS

// Runner runs a recipe with arguments as the command line gives them (agentcore NAME ARGS -o
// json) and writes its JSON events and result object, one per line, to w. It returns when the
// recipe ends or ctx is cancelled (the page went away).
type Runner func(ctx context.Context, recipe string, args []string, w io.Writer) error

// Recipes are what the page may run: the read-only views, invoke (chat; an MCP agent's tools
// with --tools and --call), sessions (stop) and gateway (a gateway's tools, and calling one).
var Recipes = map[string]bool{
	"status": true, "invoke": true, "logs": true, "traces": true, "metrics": true,
	"sessions": true, "memory": true, "gateway": true,
}

// Server is one start of the console.
type Server struct {
	Token string // made per start; the URL carries it once, then the cookie and header do
	Env   string // the environment shown (the page says which)
	Run   Runner
	port  string
}

// CookieName holds the token in the browser.
const CookieName = "agentcore_console"

// TokenHeader carries the token on every API request: a page of another origin can make the
// browser send the cookie, but cannot read the token to set a header.
const TokenHeader = "X-Agentcore-Token"

// NewToken makes a random token for one start.
func NewToken() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return hex.EncodeToString(b)
}

// Listen opens 127.0.0.1:port (0: a free one).
func Listen(port int) (net.Listener, error) {
	return net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
}

// URL is what the owner opens: the token goes once in the query, then lives in a cookie.
func (s *Server) URL(ln net.Listener) string {
	return fmt.Sprintf("http://%s/?token=%s", ln.Addr().String(), s.Token)
}

// Serve serves on ln until ctx ends.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	_, s.port, _ = net.SplitHostPort(ln.Addr().String())
	srv := &http.Server{Handler: s.Handler(), BaseContext: func(net.Listener) context.Context { return ctx }}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	err := srv.Serve(ln)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// Handler is the console's routes behind the checks; SetPort tells it the port it answers
// for (Serve does).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.index)
	sub, _ := fs.Sub(assets, "assets")
	static := http.FileServerFS(sub)
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", s.needCookie(static)))
	mux.Handle("POST /api/run", s.needCookie(s.needHeader(http.HandlerFunc(s.run))))
	return s.front(mux)
}

// SetPort sets the port whose loopback names the Host header may carry.
func (s *Server) SetPort(port string) { s.port = port }

func deny(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	fmt.Fprintln(w, msg)
}

// front refuses what only another site or a rebinding DNS name sends: a Host that is not this
// port's loopback name (403), a foreign Origin (403), and a cross-site fetch.
func (s *Server) front(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hostAllowed(r.Host) {
			deny(w, http.StatusForbidden, fmt.Sprintf("agentcore console answers only at 127.0.0.1:%[1]s or localhost:%[1]s, not %[2]q (DNS rebinding is refused)", s.port, r.Host))
			return
		}
		if o := r.Header.Get("Origin"); o != "" && !s.originAllowed(o) {
			deny(w, http.StatusForbidden, fmt.Sprintf("agentcore console refuses requests from origin %q: it is its owner's alone", o))
			return
		}
		if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
			deny(w, http.StatusForbidden, "agentcore console refuses requests from other sites")
			return
		}
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
		next.ServeHTTP(w, r)
	})
}

func (s *Server) hostAllowed(host string) bool {
	h, p, err := net.SplitHostPort(host)
	if err != nil || p != s.port {
		return false
	}
	return h == "127.0.0.1" || strings.EqualFold(h, "localhost")
}

func (s *Server) originAllowed(o string) bool {
	for _, h := range []string{"127.0.0.1", "localhost"} {
		if strings.EqualFold(o, "http://"+h+":"+s.port) {
			return true
		}
	}
	return false
}

func (s *Server) tokenOK(v string) bool {
	return v != "" && subtle.ConstantTimeCompare([]byte(v), []byte(s.Token)) == 1
}

func (s *Server) hasCookie(r *http.Request) bool {
	c, err := r.Cookie(CookieName)
	return err == nil && s.tokenOK(c.Value)
}

func (s *Server) needCookie(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hasCookie(r) {
			deny(w, http.StatusUnauthorized, "open the URL that agentcore console printed (it carries this start's token)")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// needHeader asks for the token in a header and a JSON body: a form of another page can send
// neither (a JSON content type or a custom header needs CORS, which this server never grants).
func (s *Server) needHeader(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.tokenOK(r.Header.Get(TokenHeader)) {
			deny(w, http.StatusUnauthorized, "missing or wrong "+TokenHeader+" header")
			return
		}
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
			deny(w, http.StatusUnsupportedMediaType, "the console API takes application/json")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// index exchanges ?token= for the cookie (and drops it from the address bar), then serves the
// page with the token in a meta tag for its API calls: only a page of this origin reads it.
func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	if t := r.URL.Query().Get("token"); t != "" {
		if !s.tokenOK(t) {
			deny(w, http.StatusUnauthorized, "wrong token: open the URL that this start of agentcore console printed")
			return
		}
		http.SetCookie(w, &http.Cookie{Name: CookieName, Value: s.Token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	if !s.hasCookie(r) {
		deny(w, http.StatusUnauthorized, "open the URL that agentcore console printed (it carries this start's token)")
		return
	}
	page, err := assets.ReadFile("assets/index.html")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	html := strings.Replace(string(page), "{{TOKEN}}", s.Token, 1)
	html = strings.ReplaceAll(html, "{{ENV}}", htmlEscape(s.Env))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	io.WriteString(w, html)
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;").Replace(s)
}

// runRequest is the body of POST /api/run.
type runRequest struct {
	Recipe string   `json:"recipe"`
	Args   []string `json:"args"`
}

// run runs one recipe and streams its events as server-sent events, each `data:` one JSON
// line of -o json (chunk events carry an invocation's answer as it arrives), then `event: end`.
func (s *Server) run(w http.ResponseWriter, r *http.Request) {
	var req runRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 8<<20)).Decode(&req); err != nil {
		deny(w, http.StatusBadRequest, "bad request body: "+err.Error())
		return
	}
	if !Recipes[req.Recipe] {
		deny(w, http.StatusBadRequest, fmt.Sprintf("the console does not run %q", req.Recipe))
		return
	}
	if v, ok := readsFile(req.Args); ok {
		deny(w, http.StatusBadRequest, fmt.Sprintf("--payload %s reads a file or stdin; the console sends the payload itself", v))
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	sw := &sseWriter{w: w}
	sw.f, _ = w.(http.Flusher)
	sw.flush()
	err := s.Run(r.Context(), req.Recipe, req.Args, sw)
	sw.close()
	end := map[string]any{"ok": err == nil}
	if err != nil {
		end["error"] = err.Error()
	}
	b, _ := json.Marshal(end)
	fmt.Fprintf(w, "event: end\ndata: %s\n\n", b)
	sw.flush()
}

// readsFile finds a --payload that names a file (@FILE) or stdin (-): the console's runs send
// values only, as a page must not make the server read its files.
func readsFile(args []string) (string, bool) {
	for i, a := range args {
		v, ok := strings.CutPrefix(a, "--payload=")
		if a == "--payload" && i+1 < len(args) {
			v, ok = args[i+1], true
		}
		if ok && (v == "-" || strings.HasPrefix(v, "@")) {
			return v, true
		}
	}
	return "", false
}

// sseWriter turns the runner's JSON lines into server-sent events, flushed one by one so that
// a streamed answer reaches the page as it arrives.
type sseWriter struct {
	w   io.Writer
	f   http.Flusher
	buf []byte
}

func (s *sseWriter) Write(p []byte) (int, error) {
	s.buf = append(s.buf, p...)
	for {
		i := strings.IndexByte(string(s.buf), '\n')
		if i < 0 {
			break
		}
		line := s.buf[:i]
		if len(line) > 0 {
			if _, err := fmt.Fprintf(s.w, "data: %s\n\n", line); err != nil {
				return 0, err
			}
		}
		s.buf = s.buf[i+1:]
	}
	s.flush()
	return len(p), nil
}

func (s *sseWriter) close() {
	if len(s.buf) > 0 {
		sc := bufio.NewScanner(strings.NewReader(string(s.buf)))
		for sc.Scan() {
			fmt.Fprintf(s.w, "data: %s\n\n", sc.Text())
		}
		s.buf = nil
	}
}

func (s *sseWriter) flush() {
	if s.f != nil {
		s.f.Flush()
	}
}
