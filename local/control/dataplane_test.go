package control

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The body sent to a sandbox: the payload intact with its length (an in-memory one, a large
// one, an unsized one, an empty one), and unsent only until the transport read it.
func TestUpstreamBody(t *testing.T) {
	type seen struct {
		length  int64
		chunked bool
		body    string
	}
	got := make(chan seen, 1)
	agent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.ContentLength, len(r.TransferEncoding) > 0, string(b)}
	}))
	defer agent.Close()
	big := strings.Repeat("x", memBody+1)
	for _, tc := range []struct {
		name    string
		payload string
		length  int64 // the caller's Content-Length (-1: chunked)
		inMem   bool
	}{
		{"small", `{"prompt":"hi"}`, 15, true},
		{"empty", "", 0, true},
		{"large", big, int64(len(big)), false},
		{"unsized", `{"prompt":"chunked"}`, -1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := httptest.NewRequest(http.MethodPost, "/invocations", strings.NewReader(tc.payload))
			in.ContentLength = tc.length
			body, err := upstreamBody(httptest.NewRecorder(), in)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := body.(*memReader); ok != tc.inMem {
				t.Fatalf("in memory = %v, want %v", ok, tc.inMem)
			}
			if !body.unsent() {
				t.Fatal("unsent() = false before the request")
			}
			up, _ := http.NewRequest(http.MethodPost, agent.URL, body.reader())
			up.ContentLength = tc.length
			resp, err := agent.Client().Do(up)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			s := <-got
			if s.body != tc.payload {
				t.Fatalf("the agent got %d bytes, want %d", len(s.body), len(tc.payload))
			}
			if tc.length >= 0 && (s.length != tc.length || s.chunked) {
				t.Fatalf("the agent got Content-Length %d (chunked %v), want %d", s.length, s.chunked, tc.length)
			}
			if tc.payload != "" && body.unsent() {
				t.Fatal("unsent() = true after the request")
			}
		})
	}

	// A payload shorter than its Content-Length is the caller's error, not a hang.
	in := httptest.NewRequest(http.MethodPost, "/invocations", strings.NewReader("abc"))
	in.ContentLength = 10
	if _, err := upstreamBody(httptest.NewRecorder(), in); err == nil {
		t.Fatal("a short payload was accepted")
	}
}

// stream passes every chunk on as it arrives, and the whole answer, with a buffer reused
// between calls.
func TestStream(t *testing.T) {
	for _, size := range []int{0, 5, 32 << 10, 100<<10 + 7} {
		want := bytes.Repeat([]byte("abcdefg"), size/7+1)[:size]
		rec := httptest.NewRecorder()
		stream(rec, bytes.NewReader(want))
		if !bytes.Equal(rec.Body.Bytes(), want) {
			t.Fatalf("size %d: got %d bytes back", size, rec.Body.Len())
		}
	}
	// Chunks reach the caller one by one (each flushed, the headers with the first), not when
	// the answer ends.
	pr, pw := io.Pipe()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stream(w, pr)
	}))
	defer srv.Close()
	defer pw.Close()
	type answer struct {
		resp *http.Response
		err  error
	}
	answers := make(chan answer, 1)
	go func() {
		resp, err := srv.Client().Get(srv.URL)
		answers <- answer{resp, err}
	}()
	for i, chunk := range []string{"data: one\n\n", "data: two\n\n"} {
		if _, err := pw.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			a := <-answers
			if a.err != nil {
				t.Fatal(a.err)
			}
			defer a.resp.Body.Close()
			answers <- a
		}
		a := <-answers
		answers <- a
		buf := make([]byte, len(chunk))
		if _, err := io.ReadFull(a.resp.Body, buf); err != nil || string(buf) != chunk {
			t.Fatalf("chunk %d: got %q (%v), want %q", i, buf, err, chunk)
		}
	}
}
