package auth_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentcore/agentcore/local/auth"
)

// rss is this process's resident set size in bytes (Linux).
func rss(t *testing.T) int64 {
	t.Helper()
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	t.Skip("no VmRSS")
	return 0
}

// zeros is an endless body of n zero bytes that costs no memory.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), z.n)
	clear(p[:k])
	z.n -= k
	return int(k), nil
}

// TestUnauthenticatedBodiesCostNoMemory sends four parallel 250 MiB bodies that announce no
// digest, with the endpoint's (public) access key id and a zero signature: the endpoint must
// hash them as they stream, not hold them, so its RSS stays near its idle RSS.
func TestUnauthenticatedBodiesCostNoMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 1 GiB")
	}
	h := newHarness(t)
	debug.FreeOSMemory()
	idle := rss(t)
	var peak atomic.Int64
	peak.Store(idle)
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		for {
			if v := rss(t); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	})
	now := time.Now().UTC()
	var wg sync.WaitGroup
	codes := make([]int, 4)
	for i := range codes {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", h.url+"/runtimes/x/invocations", &zeros{250 << 20})
			req.ContentLength = 250 << 20
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Amz-Date", now.Format("20060102T150405Z"))
			req.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=%s/%s/us-east-1/bedrock-agentcore/aws4_request, SignedHeaders=host;x-amz-date, Signature=%s",
				h.creds.AccessKeyID, now.Format("20060102"), strings.Repeat("0", 64)))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("request %d: %v", i, err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			codes[i] = resp.StatusCode
		})
	}
	wg.Wait()
	close(stop)
	sampler.Wait()
	runtime.KeepAlive(h)
	for i, c := range codes {
		if c != http.StatusForbidden {
			t.Errorf("request %d: status %d, want 403", i, c)
		}
	}
	ratio := float64(peak.Load()) / float64(idle)
	t.Logf("idle RSS %d MiB, peak %d MiB under 4 × 250 MiB bogus-signature bodies: ratio %.2f", idle>>20, peak.Load()>>20, ratio)
	if ratio > 2 {
		t.Fatalf("RSS rose from %d MiB to %d MiB (×%.1f) for bodies whose signature is false", idle>>20, peak.Load()>>20, ratio)
	}
	if h.last() != nil {
		t.Fatal("a request with a false signature got through")
	}
}

// TestBodyLimitPerAPI: a route's MaxBody bounds the body hashed before authentication.
func TestBodyLimitPerAPI(t *testing.T) {
	h := newHarness(t)
	h.guard.Classify = func(r *http.Request) auth.Route {
		rt := classify(r)
		rt.MaxBody = 1 << 20
		return rt
	}
	cfgBody := bytes.Repeat([]byte("x"), 1<<20+1)
	req, _ := http.NewRequest("POST", h.url+"/runtimes/x/invocations", bytes.NewReader(cfgBody))
	req.Header.Set("Content-Type", "application/json")
	h.sign(req, "bedrock-agentcore", time.Now())
	req.Header.Del("X-Amz-Content-Sha256")
	code, _, body := do(t, req)
	if code == http.StatusOK || !strings.Contains(body, "1 MiB") {
		t.Fatalf("a body over the route's limit: %d %s", code, body)
	}
}
