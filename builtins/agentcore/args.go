package agentcore

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/agentcore/agentcore/internal/lazyregexp"
)

// Version is a runtime version as the API spells it ("1", "2"). Arguments accept a number
// (2), a string ("2") or the console's form ("V2").
type Version string

// ParseVersion normalises 2, "2" and "V2" to "2".
func ParseVersion(s string) (Version, error) {
	t := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "V"), "v")
	if n, err := strconv.ParseUint(t, 10, 32); err == nil && n > 0 {
		return Version(strconv.FormatUint(n, 10)), nil
	}
	return "", fmt.Errorf("version %q is not a runtime version (1, \"2\" or \"V3\")", s)
}

// UnmarshalJSON implements json.Unmarshaler.
func (v *Version) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n float64
		if err := json.Unmarshal(b, &n); err != nil {
			return errors.New("version: expected a number or a string")
		}
		s = strconv.FormatFloat(n, 'f', -1, 64)
	}
	p, err := ParseVersion(s)
	if err != nil {
		return err
	}
	*v = p
	return nil
}

func (v Version) ptr() *string {
	if v == "" {
		return nil
	}
	s := string(v)
	return &s
}

// Seconds is a duration argument: a number of seconds (90) or a Go duration ("10m", "1h30m").
type Seconds time.Duration

// UnmarshalJSON implements json.Unmarshaler.
func (d *Seconds) UnmarshalJSON(b []byte) error {
	var n float64
	if err := json.Unmarshal(b, &n); err == nil {
		if n < 0 || math.IsInf(n, 0) {
			return fmt.Errorf("duration %v is negative", n)
		}
		*d = Seconds(time.Duration(n * float64(time.Second)))
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("duration: expected seconds (a number) or a string such as \"10m\"")
	}
	p, err := time.ParseDuration(s)
	if err != nil || p < 0 {
		return fmt.Errorf("duration %q: expected seconds (a number) or a string such as \"10m\"", s)
	}
	*d = Seconds(p)
	return nil
}

func (d *Seconds) int32Ptr() *int32 {
	if d == nil {
		return nil
	}
	n := int32(time.Duration(*d) / time.Second)
	return &n
}

// runtimeName is AgentCore's rule for runtime names.
var runtimeName = lazyregexp.New(`^[a-zA-Z][a-zA-Z0-9_]{0,47}$`)
