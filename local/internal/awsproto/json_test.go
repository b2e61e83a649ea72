package awsproto

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestDecodeJSON(t *testing.T) {
	for _, tc := range []struct {
		body string
		want string // error code, "" for none
	}{
		{``, ""},
		{"  \n", ""},
		{`{"name":"a"}`, ""},
		{`{"name":"a"} {"name":"b"}`, "SerializationException"},
		{`{"name":"a"} x`, "SerializationException"},
		{`{"name":`, "SerializationException"},
		{`{"name":1}`, "SerializationException"},
	} {
		var v struct {
			Name string `json:"name"`
		}
		err := DecodeJSON(httptest.NewRequest("POST", "/", strings.NewReader(tc.body)), &v)
		var ae *Error
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.body, err)
		case tc.want != "" && (!errors.As(err, &ae) || ae.Code != tc.want):
			t.Errorf("%q: error %v, want %s", tc.body, err, tc.want)
		case tc.want == "" && strings.HasPrefix(tc.body, "{") && v.Name != "a":
			t.Errorf("%q: decoded %+v", tc.body, v)
		}
	}
	// the whole body is read before the answer, however it is sent
	r := httptest.NewRequest("POST", "/", strings.NewReader(`{"name":"a"}`+strings.Repeat(" ", 100000)))
	var v struct{ Name string }
	if err := DecodeJSON(r, &v); err != nil {
		t.Fatal(err)
	}
	if n, _ := r.Body.Read(make([]byte, 1)); n != 0 {
		t.Fatal("DecodeJSON left part of the body unread")
	}
}
