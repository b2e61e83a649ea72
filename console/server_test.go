package console

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// newTest serves a console whose runner echoes the recipe it was asked for as one event.
func newTest(t *testing.T) (*Server, *httptest.Server, *[]string) {
	t.Helper()
	var ran []string
	s := &Server{Token: NewToken(), Env: "dev", Run: func(ctx context.Context, recipe string, args []string, w io.Writer) error {
		ran = append(ran, recipe)
		fmt.Fprintf(w, "{\"type\":\"chunk\",\"message\":\"hi\"}\n{\"type\":\"result\",\"recipe\":%q,\"ok\":true,\"result\":{}}\n", recipe)
		return nil
	}}
	ts := httptest.NewServer(nil)
	ts.Config.Handler = s.Handler()
	s.SetPort(ts.Listener.Addr().String()[strings.LastIndexByte(ts.Listener.Addr().String(), ':')+1:])
	t.Cleanup(ts.Close)
	return s, ts, &ran
}

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func apiReq(ts *httptest.Server, s *Server, cookie, header bool, body string) *http.Request {
	req, _ := http.NewRequest("POST", ts.URL+"/api/run", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if cookie {
		req.AddCookie(&http.Cookie{Name: CookieName, Value: s.Token})
	}
	if header {
		req.Header.Set(TokenHeader, s.Token)
	}
	return req
}

const statusBody = `{"recipe":"status","args":[]}`

func TestTokenExchangedForStrictHttpOnlyCookie(t *testing.T) {
	s, ts, _ := newTest(t)
	req, _ := http.NewRequest("GET", ts.URL+"/?token="+s.Token, nil)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("token exchange: %d to %q, want 303 to /", resp.StatusCode, resp.Header.Get("Location"))
	}
	sc := resp.Header.Get("Set-Cookie")
	for _, want := range []string{CookieName + "=" + s.Token, "HttpOnly", "SameSite=Strict"} {
		if !strings.Contains(sc, want) {
			t.Errorf("Set-Cookie %q lacks %q", sc, want)
		}
	}
	// the page, with the cookie, carries the token for its API calls
	req, _ = http.NewRequest("GET", ts.URL+"/", nil)
	req.AddCookie(&http.Cookie{Name: CookieName, Value: s.Token})
	code, body := do(t, req)
	if code != 200 || !strings.Contains(body, `content="`+s.Token+`"`) {
		t.Fatalf("page with cookie: %d %.200s", code, body)
	}
	// a wrong token gets nothing
	req, _ = http.NewRequest("GET", ts.URL+"/?token=nope", nil)
	if code, _ := do(t, req); code != 401 {
		t.Fatalf("wrong token: %d, want 401", code)
	}
}

func TestNoTokenIs401(t *testing.T) {
	s, ts, ran := newTest(t)
	for name, req := range map[string]*http.Request{
		"page without cookie":  func() *http.Request { r, _ := http.NewRequest("GET", ts.URL+"/", nil); return r }(),
		"asset without cookie": func() *http.Request { r, _ := http.NewRequest("GET", ts.URL+"/assets/app.js", nil); return r }(),
		"api without anything": apiReq(ts, s, false, false, statusBody),
		"api with cookie only": apiReq(ts, s, true, false, statusBody),
		"api with header only": apiReq(ts, s, false, true, statusBody),
	} {
		if code, body := do(t, req); code != 401 {
			t.Errorf("%s: %d %s, want 401", name, code, body)
		}
	}
	if len(*ran) != 0 {
		t.Fatalf("recipes ran without the token: %v", *ran)
	}
	code, body := do(t, apiReq(ts, s, true, true, statusBody))
	if code != 200 || !strings.Contains(body, `data: {"type":"chunk","message":"hi"}`) || !strings.Contains(body, "event: end") {
		t.Fatalf("api with cookie and header: %d %s", code, body)
	}
}

func TestForeignOriginIs403(t *testing.T) {
	s, ts, ran := newTest(t)
	req := apiReq(ts, s, true, true, statusBody)
	req.Header.Set("Origin", "https://attacker.example")
	if code, _ := do(t, req); code != 403 {
		t.Fatalf("foreign Origin: %d, want 403", code)
	}
	req = apiReq(ts, s, true, true, statusBody)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if code, _ := do(t, req); code != 403 {
		t.Fatalf("cross-site fetch: %d, want 403", code)
	}
	req = apiReq(ts, s, true, true, statusBody)
	req.Header.Set("Origin", "http://127.0.0.1:"+s.port) // its own page
	if code, _ := do(t, req); code != 200 {
		t.Fatalf("own Origin: %d, want 200", code)
	}
	if len(*ran) != 1 {
		t.Fatalf("ran %v, want only the own-origin request", *ran)
	}
}

// A form of another page: the browser sends the cookie (were it not SameSite=Strict), a form
// content type, no custom header; refused whatever it carries.
func TestCrossOriginFormPostRefused(t *testing.T) {
	s, ts, ran := newTest(t)
	for name, ct := range map[string]string{"urlencoded": "application/x-www-form-urlencoded", "multipart": "multipart/form-data; boundary=x", "text": "text/plain"} {
		req, _ := http.NewRequest("POST", ts.URL+"/api/run", strings.NewReader(statusBody))
		req.Header.Set("Content-Type", ct)
		req.AddCookie(&http.Cookie{Name: CookieName, Value: s.Token})
		req.Header.Set("Origin", "http://evil.example")
		if code, _ := do(t, req); code != 403 {
			t.Errorf("%s form from another origin: %d, want 403", name, code)
		}
		req, _ = http.NewRequest("POST", ts.URL+"/api/run", strings.NewReader(statusBody))
		req.Header.Set("Content-Type", ct)
		req.AddCookie(&http.Cookie{Name: CookieName, Value: s.Token})
		if code, _ := do(t, req); code != 401 {
			t.Errorf("%s form without Origin (no header token): %d, want 401", name, code)
		}
		req = apiReq(ts, s, true, true, statusBody)
		req.Header.Set("Content-Type", ct)
		if code, _ := do(t, req); code != 415 {
			t.Errorf("%s body with the token: %d, want 415", name, code)
		}
	}
	if len(*ran) != 0 {
		t.Fatalf("a form ran %v", *ran)
	}
}

func TestWrongHostRefused(t *testing.T) {
	s, ts, ran := newTest(t)
	for _, host := range []string{"attacker.example:" + s.port, "127.0.0.1:1", "localhost", "0.0.0.0:" + s.port} {
		req := apiReq(ts, s, true, true, statusBody)
		req.Host = host
		if code, _ := do(t, req); code != 403 {
			t.Errorf("Host %q: %d, want 403", host, code)
		}
	}
	req := apiReq(ts, s, true, true, statusBody)
	req.Host = "localhost:" + s.port
	if code, _ := do(t, req); code != 200 {
		t.Errorf("Host localhost: %d, want 200", code)
	}
	if len(*ran) != 1 {
		t.Fatalf("ran %v", *ran)
	}
}

func TestOnlyConsoleRecipesAndNoFiles(t *testing.T) {
	s, ts, ran := newTest(t)
	for _, body := range []string{`{"recipe":"destroy","args":["my-bot"]}`, `{"recipe":"invoke","args":["my-bot","--payload","@/etc/passwd"]}`,
		`{"recipe":"invoke","args":["my-bot","--payload=-"]}`, `{"recipe":"invoke","args":["my-bot","--payload","-"]}`, `not json`} {
		if code, _ := do(t, apiReq(ts, s, true, true, body)); code != 400 {
			t.Errorf("%s: %d, want 400", body, code)
		}
	}
	if len(*ran) != 0 {
		t.Fatalf("ran %v", *ran)
	}
	// a prompt may start with @ or be a dash: only --payload reads files
	if code, body := do(t, apiReq(ts, s, true, true, `{"recipe":"invoke","args":["my-bot","--prompt","@bot hi"]}`)); code != 200 {
		t.Fatalf("a prompt starting with @: %d %s", code, body)
	}
	// the Tools view: a gateway's tools and a call to one
	if code, body := do(t, apiReq(ts, s, true, true, `{"recipe":"gateway","args":["call","tools","calc___add","--args","{\"a\":2}"]}`)); code != 200 {
		t.Fatalf("gateway call: %d %s", code, body)
	}
}

func TestAssetsSmall(t *testing.T) {
	total := 0
	err := fs.WalkDir(assets, "assets", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := assets.ReadFile(path)
		total += len(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if total == 0 || total > 200<<10 {
		t.Fatalf("assets are %d bytes, want some and at most 200 KB", total)
	}
}
