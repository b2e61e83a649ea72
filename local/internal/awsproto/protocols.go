package awsproto

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/aws/smithy-go/encoding/cbor"
)

// Protocol writes one wire protocol's errors. An error that is not an *Error is the
// protocol's internal error, with the error's text as message.
type Protocol interface {
	WriteError(w http.ResponseWriter, r *http.Request, err error)
}

func internal(status int, code string) func(string) *Error {
	return func(msg string) *Error { return &Error{Status: status, Code: code, Message: msg} }
}

// orDefault returns s, or def when s is "".
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ---- restJson1 ----

// RestJSON is restJson1 (bedrock-agentcore-control, bedrock-agentcore, and the endpoint's own
// paths): the type in X-Amzn-ErrorType, a JSON body with the message, and for a
// ValidationException its reason and fieldList.
type RestJSON struct {
	Internal string // code of unexpected errors; default InternalServerException
}

// WriteError implements Protocol.
func (p RestJSON) WriteError(w http.ResponseWriter, _ *http.Request, err error) {
	e := asError(err, internal(http.StatusInternalServerError, orDefault(p.Internal, "InternalServerException")))
	body := map[string]any{"message": e.Message}
	if e.Code == "ValidationException" {
		body["reason"] = orDefault(e.Reason, "FieldValidationFailed")
		if len(e.Fields) > 0 {
			body["fieldList"] = e.Fields
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	json.NewEncoder(w).Encode(body)
}

// Write writes v as the JSON body of a response of the given status.
func (RestJSON) Write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// ---- awsJson 1.0 and 1.1 ----

// JSON is awsJson1_0 and awsJson1_1: errors carry their type in __type (and, unless the type
// is qualified by a namespace, in X-Amzn-ErrorType).
type JSON struct {
	Version string // "1.0" or "1.1"
	// Namespace qualifies __type, as services modelled in Smithy answer
	// ("com.amazonaws.cloudwatch#"); "" for the bare code.
	Namespace string
	// QueryCompatible services (the awsQueryCompatible trait) also send the awsQuery code in
	// X-Amzn-Query-Error.
	QueryCompatible bool
	// BothMessages also sends the message as "Message": exception shapes name the member
	// "message" or "Message" depending on the service and shape, and a service whose shapes
	// use both sends both, so that every typed exception carries the text.
	BothMessages  bool
	Internal      string // code of unexpected errors
	InternalQuery string // its awsQuery code
}

// ContentType is the protocol's media type.
func (p JSON) ContentType() string { return "application/x-amz-json-" + p.Version }

// WriteError implements Protocol.
func (p JSON) WriteError(w http.ResponseWriter, _ *http.Request, err error) {
	e := asError(err, func(msg string) *Error {
		return &Error{Status: http.StatusInternalServerError, Code: p.Internal, QueryCode: p.InternalQuery, Message: msg}
	})
	w.Header().Set("Content-Type", p.ContentType())
	if p.Namespace == "" {
		w.Header().Set("X-Amzn-ErrorType", e.Code)
	}
	if p.QueryCompatible {
		queryError(w, e)
	}
	w.WriteHeader(e.Status)
	body := map[string]string{"__type": p.Namespace + e.Code, "message": e.Message}
	if p.BothMessages {
		body["Message"] = e.Message
	}
	b, _ := json.Marshal(body)
	w.Write(b)
}

// Write writes v as the body of a successful response.
func (p JSON) Write(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		p.WriteError(w, nil, err)
		return
	}
	w.Header().Set("Content-Type", p.ContentType())
	w.Write(b)
}

// queryError sets X-Amzn-Query-Error: the awsQuery code and whose fault it is.
func queryError(w http.ResponseWriter, e *Error) {
	w.Header().Set("X-Amzn-Query-Error", orDefault(e.QueryCode, e.Code)+";"+fault(e.Status))
}

// fault is awsQuery's Type: Sender for the caller's errors, Receiver for the service's.
func fault(status int) string {
	if status >= 500 {
		return "Receiver"
	}
	return "Sender"
}

// ---- rpc-v2-cbor ----

// CBOR is smithy-rpc-v2-cbor: the error's __type and message in a CBOR map.
type CBOR struct {
	Namespace       string // qualifies __type, as JSON's
	QueryCompatible bool
	Internal        string
	InternalQuery   string
}

func (CBOR) headers(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
}

// WriteError implements Protocol.
func (p CBOR) WriteError(w http.ResponseWriter, _ *http.Request, err error) {
	e := asError(err, func(msg string) *Error {
		return &Error{Status: http.StatusInternalServerError, Code: p.Internal, QueryCode: p.InternalQuery, Message: msg}
	})
	p.headers(w)
	if p.QueryCompatible {
		queryError(w, e)
	}
	w.WriteHeader(e.Status)
	w.Write(cbor.Encode(cbor.Map{"__type": cbor.String(p.Namespace + e.Code), "message": cbor.String(e.Message)}))
}

// Write writes v as the body of a successful response.
func (p CBOR) Write(w http.ResponseWriter, v cbor.Value) {
	p.headers(w)
	w.Write(cbor.Encode(v))
}

// ---- awsQuery ----

// Query is awsQuery (STS): XML bodies in the service's namespace, errors as ErrorResponse.
type Query struct {
	Xmlns    string // the service's XML namespace
	Internal string // code of unexpected errors; default InternalFailure
}

// WriteError implements Protocol.
func (p Query) WriteError(w http.ResponseWriter, _ *http.Request, err error) {
	e := asError(err, internal(http.StatusInternalServerError, orDefault(p.Internal, "InternalFailure")))
	var b struct {
		XMLName xml.Name `xml:"ErrorResponse"`
		Xmlns   string   `xml:"xmlns,attr"`
		Error   struct {
			Type    string `xml:"Type"`
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		} `xml:"Error"`
		RequestID string `xml:"RequestId"`
	}
	b.Xmlns = p.Xmlns
	b.Error.Type, b.Error.Code, b.Error.Message = fault(e.Status), e.Code, e.Message
	b.RequestID = requestID(w, "x-amzn-RequestId", RequestID)
	p.write(w, e.Status, b)
}

// Write writes the response of action: <ActionResponse> holding result (whose XMLName is
// <ActionResult>) and the request id.
func (p Query) Write(w http.ResponseWriter, action string, result any) {
	var b struct {
		XMLName          xml.Name
		Xmlns            string `xml:"xmlns,attr"`
		Result           any
		ResponseMetadata struct {
			RequestID string `xml:"RequestId"`
		}
	}
	b.XMLName.Local, b.Xmlns, b.Result = action+"Response", p.Xmlns, result
	b.ResponseMetadata.RequestID = requestID(w, "x-amzn-RequestId", RequestID)
	p.write(w, http.StatusOK, b)
}

func (p Query) write(w http.ResponseWriter, status int, v any) {
	b, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	w.Write([]byte(xml.Header))
	w.Write(b)
}

// ---- rest-xml (S3) ----

// RestXML is rest-xml with S3's error shape: <Error> with Code, Message, the error's elements,
// RequestId and HostId; a HEAD response carries only the status.
type RestXML struct{}

// S3RequestID is the form of S3's request ids: 16 upper-case hexadecimal digits.
func S3RequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

// WriteError implements Protocol.
func (RestXML) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	e := asError(err, func(msg string) *Error {
		return &Error{Status: http.StatusInternalServerError, Code: "InternalError", Message: "We encountered an internal error. Please try again. (local: " + msg + ")"}
	})
	id := requestID(w, "x-amz-request-id", S3RequestID)
	if r != nil && r.Method == http.MethodHead {
		w.WriteHeader(e.Status)
		return
	}
	var b strings.Builder
	b.WriteString(xml.Header)
	b.WriteString("<Error><Code>")
	xml.EscapeText(&b, []byte(e.Code))
	b.WriteString("</Code><Message>")
	xml.EscapeText(&b, []byte(e.Message))
	b.WriteString("</Message>")
	for _, kv := range e.Elements {
		fmt.Fprintf(&b, "<%s>", kv[0])
		xml.EscapeText(&b, []byte(kv[1]))
		fmt.Fprintf(&b, "</%s>", kv[0])
	}
	fmt.Fprintf(&b, "<RequestId>%s</RequestId><HostId>%s</HostId></Error>", id, id)
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", fmt.Sprint(b.Len()))
	w.WriteHeader(e.Status)
	io.WriteString(w, b.String())
}

// Write writes v as the XML body of a response of the given status.
func (RestXML) Write(w http.ResponseWriter, status int, v any) {
	out, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", fmt.Sprint(len(xml.Header)+len(out)))
	w.WriteHeader(status)
	io.WriteString(w, xml.Header)
	w.Write(out)
}

// ---- the OCI distribution API ----

// Registry is the OCI distribution API's error body: {"errors":[{code, message, detail}]};
// a 401 asks for Basic credentials.
type Registry struct{}

// RegistryChallenge is the WWW-Authenticate of a 401: ECR's Basic realm.
const RegistryChallenge = `Basic realm="agentcore-local",service="ecr.amazonaws.com"`

// WriteError implements Protocol.
func (Registry) WriteError(w http.ResponseWriter, _ *http.Request, err error) {
	e := asError(err, internal(http.StatusInternalServerError, "UNKNOWN"))
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", RegistryChallenge)
	}
	w.WriteHeader(e.Status)
	type entry struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Detail  any    `json:"detail,omitempty"`
	}
	json.NewEncoder(w).Encode(map[string][]entry{"errors": {{e.Code, e.Message, e.Detail}}})
}
