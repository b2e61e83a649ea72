package awsproto

import (
	"encoding/base64"

	bolt "go.etcd.io/bbolt"
)

// PageToken is the NextToken of a listing that resumes after the key after: opaque to the
// caller, as AWS's are.
func PageToken(after string) string { return base64.RawURLEncoding.EncodeToString([]byte(after)) }

// ParsePageToken returns the key a NextToken resumes after ("" for none given); invalid is
// the error a token that is not one of PageToken's gets, in the service's wording.
func ParsePageToken(tok *string, invalid error) (string, error) {
	if tok == nil || *tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*tok)
	if err != nil || len(b) == 0 {
		return "", invalid
	}
	return string(b), nil
}

// SeekAfter positions c on the first key after the key after, or on the first key when
// after is "": where the page a NextToken names starts.
func SeekAfter(c *bolt.Cursor, after string) (k, v []byte) {
	if after == "" {
		return c.First()
	}
	k, v = c.Seek([]byte(after))
	if k != nil && string(k) == after {
		k, v = c.Next()
	}
	return k, v
}
