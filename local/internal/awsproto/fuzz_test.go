package awsproto

import (
	"bytes"
	"net/http/httptest"
	"testing"
)

// FuzzDecode: any awsJson body decodes into a typical input or is a SerializationException.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"Name":"/p","Value":"v","Overwrite":true,"Tags":[{"Key":"k","Value":"v"}],"Time":1700000000.5}`))
	f.Add([]byte(`{"Name":"/p"} trailing`))
	f.Add([]byte(`{"Time":"x"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var in struct {
			Name      string
			Value     *string
			Overwrite bool
			Tags      []struct{ Key, Value string }
			Time      Epoch
			Limit     int32
			Any       map[string]any
		}
		err := DecodeJSON(httptest.NewRequest("POST", "/", bytes.NewReader(body)), &in)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("%T: %v", err, err)
			}
		}
	})
}
