package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Signature Version 4, verified as AWS verifies it: the canonical request rebuilt from what was
// received, the string to sign, the key derived from the secret and the credential scope.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html

const (
	algorithm = "AWS4-HMAC-SHA256"
	// amzDate is the format of X-Amz-Date and of the string to sign.
	amzDate = "20060102T150405Z"
	// MaxSkew is how far a request's time may be from the server's, as AWS allows.
	MaxSkew = 15 * time.Minute

	UnsignedPayload = "UNSIGNED-PAYLOAD"
	emptySHA256     = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// Kind classifies a refusal; each protocol names it with its own error code.
type Kind int

const (
	Missing      Kind = iota + 1 // no Authorization header nor presigned query
	Malformed                    // an Authorization header or query that is not SigV4
	UnknownKey                   // an access key id this endpoint did not issue
	BadSignature                 // the signature does not match
	Skewed                       // the request's time is more than MaxSkew from now
	Expired                      // a presigned URL past its X-Amz-Expires
	BadDigest                    // the body does not match X-Amz-Content-Sha256
	Denied                       // refused before authentication: Host, Origin, content type
)

// Failure is why a request was refused, with the message AWS would give.
type Failure struct {
	Kind Kind
	Msg  string
	Key  string // the access key id presented, when there was one
}

func (f *Failure) Error() string { return f.Msg }

// Messages AWS gives, word for word (SDKs and users search for them).
const (
	msgInvalidToken = "The security token included in the request is invalid."
	msgBadSignature = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgMissingToken = "Missing Authentication Token"
)

// Identity is who signed a request and with what: the S3 service needs the seed signature
// and the signing key to check the chunk signatures of a STREAMING-AWS4-HMAC-SHA256-PAYLOAD
// body.
type Identity struct {
	AccessKeyID   string
	Service       string // from the credential scope: bedrock-agentcore, ecr, ssm, sts, s3...
	Region        string
	Time          time.Time // X-Amz-Date
	Scope         string    // date/region/service/aws4_request
	Signature     string    // the request's (seed) signature
	SigningKey    []byte
	PayloadSHA256 string // the value signed: a hex digest, UNSIGNED-PAYLOAD or STREAMING-...
	Presigned     bool
	// Agent is the agent runtime whose sandbox credentials signed the request (see
	// Credentials.Agent), "" for the endpoint's owner.
	Agent string
}

type identityKey struct{}

// FromContext returns the identity the middleware verified, or nil.
func FromContext(ctx context.Context) *Identity {
	id, _ := ctx.Value(identityKey{}).(*Identity)
	return id
}

// Verifier checks SigV4 signatures against one key pair.
type Verifier struct {
	Creds Credentials
	Now   func() time.Time // default time.Now
	// MaxBody bounds a body read to hash it (one that announces no digest) or to check it
	// against the digest announced; 0 means DefaultMaxBody.
	MaxBody int64
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// sigv4 is what a request says about its own signature.
type sigv4 struct {
	key, date, region, service, terminal string
	signedHeaders                        []string
	signature                            string
	amzDate                              string
	expires                              time.Duration // presigned only
	presigned                            bool
}

// Verify checks r's signature, header or presigned query form, and returns the signer. It may
// read and replace r.Body (to hash a body that does not announce its digest).
func (v *Verifier) Verify(r *http.Request) (*Identity, *Failure) {
	s, f := parse(r)
	if f != nil {
		return nil, f
	}
	t, err := time.Parse(amzDate, s.amzDate)
	if err != nil {
		return nil, &Failure{Kind: Malformed, Key: s.key, Msg: fmt.Sprintf("X-Amz-Date %q is not a date in the form %s", s.amzDate, amzDate)}
	}
	secret, agent := v.Creds.SecretAccessKey, ""
	if s.key != v.Creds.AccessKeyID {
		tok := r.Header.Get("X-Amz-Security-Token")
		if s.presigned {
			tok = r.URL.Query().Get("X-Amz-Security-Token")
		}
		var ok bool
		if agent, secret, ok = v.Creds.agentSecret(s.key, tok); !ok {
			return nil, &Failure{Kind: UnknownKey, Key: s.key, Msg: msgInvalidToken}
		}
	}
	if s.date != t.Format("20060102") {
		return nil, &Failure{Kind: BadSignature, Key: s.key, Msg: fmt.Sprintf("Credential should be scoped to a valid date: %s is not the date of X-Amz-Date %s", s.date, s.amzDate)}
	}
	if s.terminal != "aws4_request" {
		return nil, &Failure{Kind: Malformed, Key: s.key, Msg: fmt.Sprintf("Credential should be scoped with a valid terminator: 'aws4_request', not '%s'.", s.terminal)}
	}
	if !contains(s.signedHeaders, "host") {
		return nil, &Failure{Kind: Malformed, Key: s.key, Msg: "'Host' must be a 'SignedHeader' in the AWS Authorization."}
	}
	now := v.now().UTC()
	if f := checkTime(s, t, now); f != nil {
		return nil, f
	}

	payload, f := v.payloadHash(r, s)
	if f != nil {
		return nil, f
	}
	canonical := canonicalRequest(r, s, payload)
	scope := s.date + "/" + s.region + "/" + s.service + "/" + s.terminal
	toSign := algorithm + "\n" + s.amzDate + "\n" + scope + "\n" + hexSHA256([]byte(canonical))
	key := signingKeys.get(secret, s.date, s.region, s.service)
	want := hex.EncodeToString(hmacSHA256(key, []byte(toSign)))
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(s.signature))) {
		discardBody(r)
		return nil, &Failure{Kind: BadSignature, Key: s.key, Msg: msgBadSignature}
	}
	if isHex64(payload) && s.service != "s3" {
		// A digest the client announced: the body must match it (S3 checks its own, as it
		// streams).
		if f := checkBody(r, payload, v.MaxBody); f != nil {
			return nil, f
		}
	}
	return &Identity{
		AccessKeyID: s.key, Service: s.service, Region: s.region, Time: t, Scope: scope,
		Signature: strings.ToLower(s.signature), SigningKey: key, PayloadSHA256: payload, Presigned: s.presigned, Agent: agent,
	}, nil
}

// checkTime applies AWS's window: ±MaxSkew for a signed header, and for a presigned URL no
// earlier than X-Amz-Date - MaxSkew and no later than X-Amz-Date + X-Amz-Expires.
func checkTime(s *sigv4, t, now time.Time) *Failure {
	f := func(format string, args ...any) *Failure {
		return &Failure{Kind: Skewed, Key: s.key, Msg: fmt.Sprintf(format, args...)}
	}
	if s.presigned {
		if now.After(t.Add(s.expires)) {
			return &Failure{Kind: Expired, Key: s.key, Msg: fmt.Sprintf("Request has expired: signed at %s, valid for %d seconds, now %s",
				s.amzDate, int(s.expires.Seconds()), now.Format(amzDate))}
		}
		if t.After(now.Add(MaxSkew)) {
			return f("Signature not yet current: %s is still later than %s (%s + 15 min.)", s.amzDate, now.Add(MaxSkew).Format(amzDate), now.Format(amzDate))
		}
		return nil
	}
	if t.Before(now.Add(-MaxSkew)) {
		return f("Signature expired: %s is now earlier than %s (%s - 15 min.)", s.amzDate, now.Add(-MaxSkew).Format(amzDate), now.Format(amzDate))
	}
	if t.After(now.Add(MaxSkew)) {
		return f("Signature not yet current: %s is still later than %s (%s + 15 min.)", s.amzDate, now.Add(MaxSkew).Format(amzDate), now.Format(amzDate))
	}
	return nil
}

func parse(r *http.Request) (*sigv4, *Failure) {
	s := &sigv4{}
	q := r.URL.Query()
	h := r.Header.Get("Authorization")
	switch {
	case h != "":
		alg, rest, _ := strings.Cut(h, " ")
		if alg != algorithm {
			return nil, &Failure{Kind: Malformed, Msg: fmt.Sprintf("Authorization header uses %q: the local endpoint accepts only AWS Signature Version 4 (%s)", alg, algorithm)}
		}
		fields := map[string]string{}
		for _, part := range strings.Split(rest, ",") {
			k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
			if ok {
				fields[k] = val
			}
		}
		for _, k := range []string{"Credential", "SignedHeaders", "Signature"} {
			if fields[k] == "" {
				return nil, &Failure{Kind: Malformed, Msg: fmt.Sprintf("Authorization header requires '%s' parameter. Authorization=%s", k, truncate(h, 120))}
			}
		}
		if f := s.credential(fields["Credential"]); f != nil {
			return nil, f
		}
		s.signedHeaders = strings.Split(fields["SignedHeaders"], ";")
		s.signature = fields["Signature"]
		s.amzDate = r.Header.Get("X-Amz-Date")
		if s.amzDate == "" {
			if d, err := http.ParseTime(r.Header.Get("Date")); err == nil {
				s.amzDate = d.UTC().Format(amzDate)
			} else {
				return nil, &Failure{Kind: Malformed, Key: s.key, Msg: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."}
			}
		}
	case q.Has("X-Amz-Signature") || q.Has("X-Amz-Credential") || q.Has("X-Amz-Algorithm"):
		s.presigned = true
		if a := q.Get("X-Amz-Algorithm"); a != algorithm {
			return nil, &Failure{Kind: Malformed, Msg: fmt.Sprintf("X-Amz-Algorithm %q: the local endpoint accepts only %s", a, algorithm)}
		}
		for _, k := range []string{"X-Amz-Credential", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Date"} {
			if q.Get(k) == "" {
				return nil, &Failure{Kind: Malformed, Msg: fmt.Sprintf("Query-string authentication requires the %s parameter", k)}
			}
		}
		if f := s.credential(q.Get("X-Amz-Credential")); f != nil {
			return nil, f
		}
		s.signedHeaders = strings.Split(q.Get("X-Amz-SignedHeaders"), ";")
		s.signature = q.Get("X-Amz-Signature")
		s.amzDate = q.Get("X-Amz-Date")
		secs, err := strconv.Atoi(q.Get("X-Amz-Expires"))
		if q.Get("X-Amz-Expires") == "" {
			secs, err = 604800, nil
		}
		if err != nil || secs < 0 || secs > 604800 {
			return nil, &Failure{Kind: Malformed, Key: s.key, Msg: "X-Amz-Expires must be a number of seconds from 0 to 604800 (7 days)"}
		}
		s.expires = time.Duration(secs) * time.Second
	default:
		return nil, &Failure{Kind: Missing, Msg: msgMissingToken}
	}
	return s, nil
}

func (s *sigv4) credential(c string) *Failure {
	parts := strings.Split(c, "/")
	if len(parts) != 5 {
		return &Failure{Kind: Malformed, Msg: fmt.Sprintf("Credential should have the form ACCESS_KEY_ID/DATE/REGION/SERVICE/aws4_request, not %q", c)}
	}
	s.key, s.date, s.region, s.service, s.terminal = parts[0], parts[1], parts[2], parts[3], parts[4]
	return nil
}

// payloadHash is the last line of the canonical request: X-Amz-Content-Sha256 as sent (a hex
// digest, UNSIGNED-PAYLOAD, STREAMING-...), UNSIGNED-PAYLOAD for a presigned S3 URL, or else
// the digest of the body, which is read for it.
func (v *Verifier) payloadHash(r *http.Request, s *sigv4) (string, *Failure) {
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" {
		return h, nil
	}
	if s.presigned {
		if h := r.URL.Query().Get("X-Amz-Content-Sha256"); h != "" {
			return h, nil
		}
		if s.service == "s3" {
			return UnsignedPayload, nil
		}
	}
	if r.Body == nil || r.Body == http.NoBody {
		return emptySHA256, nil
	}
	return spoolBody(r, v.MaxBody, s.key)
}

// checkBody reads the body to compare it with the digest the client signed.
func checkBody(r *http.Request, want string, maxBody int64) *Failure {
	if r.Body == nil || r.Body == http.NoBody {
		if want != emptySHA256 {
			return &Failure{Kind: BadDigest, Msg: "The provided 'x-amz-content-sha256' header does not match what was computed."}
		}
		return nil
	}
	got, f := spoolBody(r, maxBody, "")
	if f != nil {
		return f
	}
	if got != strings.ToLower(want) {
		discardBody(r)
		return &Failure{Kind: BadDigest, Msg: "The provided 'x-amz-content-sha256' header does not match what was computed."}
	}
	return nil
}

func canonicalRequest(r *http.Request, s *sigv4, payload string) string {
	rawPath, rawQuery, _ := strings.Cut(r.RequestURI, "?")
	if r.RequestURI == "" || strings.HasPrefix(rawPath, "http://") || strings.HasPrefix(rawPath, "https://") {
		rawPath, rawQuery = r.URL.EscapedPath(), r.URL.RawQuery
	}
	if rawPath == "" {
		rawPath = "/"
	}
	uri := rawPath
	if s.service != "s3" {
		// Every service but S3 signs the path as sent, URI-encoded once more.
		uri = EscapePath(rawPath)
	}
	var b strings.Builder
	b.WriteString(r.Method + "\n" + uri + "\n" + canonicalQuery(rawQuery, s.presigned) + "\n")
	for _, name := range s.signedHeaders {
		b.WriteString(name + ":" + headerValue(r, name) + "\n")
	}
	b.WriteString("\n" + strings.Join(s.signedHeaders, ";") + "\n" + payload)
	return b.String()
}

// canonicalQuery sorts the query's parameters by name then value, each URI-encoded; a
// presigned URL's X-Amz-Signature is left out.
func canonicalQuery(raw string, presigned bool) string {
	if raw == "" {
		return ""
	}
	type kv struct{ k, v string }
	var pairs []kv
	for _, p := range strings.Split(raw, "&") {
		if p == "" {
			continue
		}
		k, v, _ := strings.Cut(p, "=")
		k, v = unescape(k), unescape(v)
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		pairs = append(pairs, kv{Escape(k), Escape(v)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	out := make([]string, len(pairs))
	for i, p := range pairs {
		out[i] = p.k + "=" + p.v
	}
	return strings.Join(out, "&")
}

// unescape decodes %XX (a '+' stays a '+': SDKs encode a space as %20 when they sign).
func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

func headerValue(r *http.Request, name string) string {
	var vals []string
	switch name {
	case "host":
		vals = []string{r.Host}
	case "content-length":
		vals = r.Header.Values("Content-Length")
		if len(vals) == 0 && r.ContentLength >= 0 {
			vals = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	case "transfer-encoding":
		vals = r.TransferEncoding
	default:
		vals = r.Header.Values(name)
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(out, ",")
}

// Escape is SigV4's URI encoding: every byte but the unreserved characters (A-Z a-z 0-9 - _ .
// ~) as %XX with upper-case hex.
func Escape(s string) string { return escape(s, false) }

// EscapePath is Escape keeping '/'.
func EscapePath(s string) string { return escape(s, true) }

func escape(s string, keepSlash bool) string {
	const hexdig = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || keepSlash && c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexdig[c>>4])
		b.WriteByte(hexdig[c&15])
	}
	return b.String()
}

// SigningKey derives the key of a day, region and service from the secret.
func SigningKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), []byte(date))
	k = hmacSHA256(k, []byte(region))
	k = hmacSHA256(k, []byte(service))
	return hmacSHA256(k, []byte("aws4_request"))
}

// signingKeys remembers the keys derived for each day, region and service: deriving one is
// four HMACs, on every request otherwise. Keys are shared read-only (Identity.SigningKey).
var signingKeys keyCache

type keyCache struct {
	mu   sync.Mutex
	keys map[[4]string][]byte
}

func (c *keyCache) get(secret, date, region, service string) []byte {
	k := [4]string{secret, date, region, service}
	c.mu.Lock()
	defer c.mu.Unlock()
	if key, ok := c.keys[k]; ok {
		return key
	}
	if c.keys == nil || len(c.keys) >= 64 {
		c.keys = map[[4]string][]byte{} // dates move on; a few services a day
	}
	key := SigningKey(secret, date, region, service)
	c.keys[k] = key
	return key
}

func hmacSHA256(key, data []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(data)
	return m.Sum(nil)
}

func hexSHA256(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
