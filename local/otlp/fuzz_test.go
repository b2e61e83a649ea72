package otlp

import "testing"

// FuzzDecodeProto: any OTLP/HTTP protobuf body decodes to spans and records or an error.
func FuzzDecodeProto(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x05, 0x12, 0x03, 0x0a, 0x01, 0x00})
	f.Add([]byte{0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		DecodeTracesProto(b)
		DecodeLogsProto(b)
	})
}

// FuzzDecodeJSON: any OTLP/HTTP JSON body decodes to spans and records or an error.
func FuzzDecodeJSON(f *testing.F) {
	f.Add([]byte(`{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"a"}}]},"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","name":"s","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}`))
	f.Add([]byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"1","body":{"kvlistValue":{"values":[{"key":"k","value":{"arrayValue":{"values":[{"intValue":"3"}]}}}]}}}]}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		DecodeTracesJSON(b)
		DecodeLogsJSON(b)
	})
}
