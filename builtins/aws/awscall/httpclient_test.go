package awscall

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"reflect"
	"testing"

	smithyhttp "github.com/aws/smithy-go/transport/http"
)

type captureClient struct{ body io.ReadCloser }

func (c *captureClient) Do(r *http.Request) (*http.Response, error) {
	c.body = r.Body
	return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
}

// TestHTTPClientClosedBody replays what net/http's transport does after Do has returned and
// smithy-go has closed the request body: one more copy of the body to check it is over. That
// copy must end cleanly, not fail (which has the transport close the connection under the
// response).
func TestHTTPClientClosedBody(t *testing.T) {
	send := func(c *captureClient, guard bool) error {
		req := smithyhttp.NewStackRequest().(*smithyhttp.Request)
		req.Method = http.MethodPost
		req.URL.Scheme, req.URL.Host = "http", "127.0.0.1"
		r, err := req.SetStream(bytes.NewReader([]byte(`{"a":1}`)))
		if err != nil {
			t.Fatal(err)
		}
		built := r.Build(context.Background())
		var client interface {
			Do(*http.Request) (*http.Response, error)
		} = c
		if guard {
			client = HTTPClient(c)
		}
		if _, err := client.Do(built); err != nil {
			t.Fatal(err)
		}
		built.Body.Close() // smithy-go, once Do has returned
		_, err = io.Copy(io.Discard, c.body)
		return err
	}
	if err := send(&captureClient{}, true); err != nil {
		t.Fatalf("the guarded body, closed, copies with an error: %v", err)
	}
	if err := send(&captureClient{}, false); err == nil {
		t.Log("smithy-go's closed body now copies cleanly on its own: the guard may no longer be needed")
	}
	// A small body goes from memory, as a reader the transport writes with the headers.
	c := &captureClient{}
	if err := send(c, true); err != nil {
		t.Fatal(err)
	}
	if reflect.TypeOf(c.body) != reflect.TypeOf(io.NopCloser(bytes.NewReader(nil))) {
		t.Fatalf("a small body is sent as %T, not from memory", c.body)
	}
	if c := HTTPClient(nil); HTTPClient(c) != c {
		t.Fatal("HTTPClient wraps its own client twice")
	}
}
