package metrics

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/aws/smithy-go/encoding/cbor"
	bolt "go.etcd.io/bbolt"
)

// FuzzServeCBOR: any rpc-v2-cbor or awsJson body, to any operation, is answered (no panic).
func FuzzServeCBOR(f *testing.F) {
	f.Add("GetMetricData", true, cbor.Encode(cbor.Map{"MetricDataQueries": cbor.List{cbor.Map{"Id": cbor.String("q")}}}))
	f.Add("ListMetrics", true, cbor.Encode(cbor.Map{"Namespace": cbor.String("AWS/Bedrock-AgentCore")}))
	f.Add("GetMetricStatistics", false, []byte(`{"Namespace":"x","MetricName":"Invocations","StartTime":1,"EndTime":2,"Period":60}`))
	f.Add("ListMetrics", true, []byte{0xbf, 0xff})
	db, err := bolt.Open(filepath.Join(f.TempDir(), "state.db"), 0o600, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	st, err := New(Config{DB: db})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, op string, isCBOR bool, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		if isCBOR {
			req.URL.Path = cborPrefix + op
		} else {
			req.Header.Set("X-Amz-Target", Service+"."+op)
		}
		st.ServeHTTP(httptest.NewRecorder(), req)
	})
}
