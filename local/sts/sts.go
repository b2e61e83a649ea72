// Package sts serves STS GetCallerIdentity (awsQuery protocol) for the local provider.
//
// Every caller is the same IAM user, arn:aws:iam::ACCOUNT:user/local, whatever credentials it
// signs with: the local provider does not check signatures.
package sts

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"net/http"
)

const xmlns = "https://sts.amazonaws.com/doc/2011-06-15/"

// UserID is the unique id reported for the local user (IAM user ids start with AIDA).
const UserID = "AIDALOCALAGENTCORE00"

// Handler answers awsQuery requests (form-encoded POST, or GET with a query string).
type Handler struct {
	account string
}

// New returns the STS handler.
func New(account string) http.Handler { return &Handler{account: account} }

// Arn is the identity every caller has.
func Arn(account string) string { return "arn:aws:iam::" + account + ":user/local" }

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

type getCallerIdentityResponse struct {
	XMLName xml.Name `xml:"GetCallerIdentityResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Result  struct {
		Arn     string `xml:"Arn"`
		UserID  string `xml:"UserId"`
		Account string `xml:"Account"`
	} `xml:"GetCallerIdentityResult"`
	ResponseMetadata responseMetadata `xml:"ResponseMetadata"`
}

type errorResponse struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

func requestID() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	id := requestID()
	w.Header().Set("x-amzn-RequestId", id)
	if err := req.ParseForm(); err != nil {
		writeError(w, id, http.StatusBadRequest, "MalformedQueryString", "could not parse the request: "+err.Error())
		return
	}
	action := req.Form.Get("Action")
	switch action {
	case "GetCallerIdentity":
		if v := req.Form.Get("Version"); v != "" && v != "2011-06-15" {
			writeError(w, id, http.StatusBadRequest, "InvalidAction", "Could not find operation GetCallerIdentity for version "+v)
			return
		}
		var out getCallerIdentityResponse
		out.Xmlns = xmlns
		out.Result.Arn = Arn(h.account)
		out.Result.UserID = UserID
		out.Result.Account = h.account
		out.ResponseMetadata.RequestID = id
		writeXML(w, http.StatusOK, out)
	case "":
		writeError(w, id, http.StatusBadRequest, "MissingAction", "Missing Action")
	default:
		writeError(w, id, http.StatusBadRequest, "InvalidAction", "Could not find operation "+action+" for version 2011-06-15")
	}
}

func writeError(w http.ResponseWriter, id string, status int, code, msg string) {
	var out errorResponse
	out.Xmlns = xmlns
	out.Error.Type = "Sender"
	out.Error.Code = code
	out.Error.Message = msg
	out.RequestID = id
	writeXML(w, status, out)
}

func writeXML(w http.ResponseWriter, status int, v any) {
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
