// Package bkstatus decodes BuildKit's build progress: the StatusResponse protobuf messages a
// Docker engine relays, base64 in the aux field of "moby.buildkit.trace" JSON messages, while
// it builds with BuildKit. It reads the wire format directly (the message schema is
// moby.buildkit.v1.StatusResponse in BuildKit's api/services/control/control.proto), so that
// showing a build's progress does not need BuildKit's Go module and its dependencies.
// Unknown fields are skipped, so newer engines' additions do no harm.
package bkstatus

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// Status is one progress update: vertexes (build steps) that changed, progress of their
// sub-tasks, their output, and warnings (engines with BuildKit 0.10 and later).
type Status struct {
	Vertexes []Vertex
	Statuses []VertexStatus
	Logs     []Log
	Warnings []Warning
}

// Vertex is a build step as BuildKit names it ("[2/3] COPY agent /agent", "[internal] load
// remote build context"). Started and Completed are zero until they happen; Error is set when
// the step failed.
type Vertex struct {
	Digest    string
	Inputs    []string
	Name      string
	Cached    bool
	Started   time.Time
	Completed time.Time
	Error     string
}

// VertexStatus is the progress of a step's sub-task (a layer being pulled, the context being
// transferred).
type VertexStatus struct {
	ID        string
	Vertex    string
	Name      string
	Current   int64
	Total     int64
	Timestamp time.Time
	Started   time.Time
	Completed time.Time
}

// Log is output of a step; Stream is 1 for stdout and 2 for stderr. Msg is a chunk of the
// stream, not necessarily a whole line.
type Log struct {
	Vertex    string
	Timestamp time.Time
	Stream    int64
	Msg       []byte
}

// Warning is a build warning about a step (a deprecated instruction, a lint finding).
type Warning struct {
	Vertex string
	Level  int64
	Short  string
	Detail []string
	URL    string
}

// Decode parses one serialized StatusResponse.
func Decode(b []byte) (Status, error) {
	var s Status
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			x, err := decodeVertex(v)
			if err != nil {
				return fmt.Errorf("vertex: %w", err)
			}
			s.Vertexes = append(s.Vertexes, x)
		case 2:
			x, err := decodeVertexStatus(v)
			if err != nil {
				return fmt.Errorf("status: %w", err)
			}
			s.Statuses = append(s.Statuses, x)
		case 3:
			x, err := decodeLog(v)
			if err != nil {
				return fmt.Errorf("log: %w", err)
			}
			s.Logs = append(s.Logs, x)
		case 4:
			x, err := decodeWarning(v)
			if err != nil {
				return fmt.Errorf("warning: %w", err)
			}
			s.Warnings = append(s.Warnings, x)
		}
		return nil
	})
	if err != nil {
		return Status{}, fmt.Errorf("decoding a BuildKit status message: %w", err)
	}
	return s, nil
}

func decodeVertex(b []byte) (Vertex, error) {
	var x Vertex
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error {
		var err error
		switch {
		case num == 1 && typ == protowire.BytesType:
			x.Digest = string(v)
		case num == 2 && typ == protowire.BytesType:
			x.Inputs = append(x.Inputs, string(v))
		case num == 3 && typ == protowire.BytesType:
			x.Name = string(v)
		case num == 4 && typ == protowire.VarintType:
			x.Cached = n != 0
		case num == 5 && typ == protowire.BytesType:
			x.Started, err = decodeTime(v)
		case num == 6 && typ == protowire.BytesType:
			x.Completed, err = decodeTime(v)
		case num == 7 && typ == protowire.BytesType:
			x.Error = string(v)
		}
		return err
	})
	return x, err
}

func decodeVertexStatus(b []byte) (VertexStatus, error) {
	var x VertexStatus
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error {
		var err error
		switch {
		case num == 1 && typ == protowire.BytesType:
			x.ID = string(v)
		case num == 2 && typ == protowire.BytesType:
			x.Vertex = string(v)
		case num == 3 && typ == protowire.BytesType:
			x.Name = string(v)
		case num == 4 && typ == protowire.VarintType:
			x.Current = int64(n)
		case num == 5 && typ == protowire.VarintType:
			x.Total = int64(n)
		case num == 6 && typ == protowire.BytesType:
			x.Timestamp, err = decodeTime(v)
		case num == 7 && typ == protowire.BytesType:
			x.Started, err = decodeTime(v)
		case num == 8 && typ == protowire.BytesType:
			x.Completed, err = decodeTime(v)
		}
		return err
	})
	return x, err
}

func decodeLog(b []byte) (Log, error) {
	var x Log
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error {
		var err error
		switch {
		case num == 1 && typ == protowire.BytesType:
			x.Vertex = string(v)
		case num == 2 && typ == protowire.BytesType:
			x.Timestamp, err = decodeTime(v)
		case num == 3 && typ == protowire.VarintType:
			x.Stream = int64(n)
		case num == 4 && typ == protowire.BytesType:
			x.Msg = append([]byte(nil), v...)
		}
		return err
	})
	return x, err
}

func decodeWarning(b []byte) (Warning, error) {
	var x Warning
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error {
		switch {
		case num == 1 && typ == protowire.BytesType:
			x.Vertex = string(v)
		case num == 2 && typ == protowire.VarintType:
			x.Level = int64(n)
		case num == 3 && typ == protowire.BytesType:
			x.Short = string(v)
		case num == 4 && typ == protowire.BytesType:
			x.Detail = append(x.Detail, string(v))
		case num == 5 && typ == protowire.BytesType:
			x.URL = string(v)
		}
		return nil
	})
	return x, err
}

// decodeTime parses a google.protobuf.Timestamp {int64 seconds = 1; int32 nanos = 2}.
func decodeTime(b []byte) (time.Time, error) {
	var sec, nsec int64
	err := fields(b, func(num protowire.Number, typ protowire.Type, _ []byte, n uint64) error {
		if typ != protowire.VarintType {
			return nil
		}
		switch num {
		case 1:
			sec = int64(n)
		case 2:
			nsec = int64(int32(n))
		}
		return nil
	})
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(sec, nsec), nil
}

// fields calls fn for each field of a message: v holds a length-delimited field's bytes, n a
// varint's value; fixed-size fields are skipped (none of the messages read here has one).
func fields(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error) error {
	for len(b) > 0 {
		num, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return protowire.ParseError(l)
		}
		b = b[l:]
		var (
			v []byte
			n uint64
		)
		switch typ {
		case protowire.VarintType:
			n, l = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			v, l = protowire.ConsumeBytes(b)
		default:
			l = protowire.ConsumeFieldValue(num, typ, b)
		}
		if l < 0 {
			return protowire.ParseError(l)
		}
		b = b[l:]
		if typ != protowire.VarintType && typ != protowire.BytesType {
			continue
		}
		if err := fn(num, typ, v, n); err != nil {
			return err
		}
	}
	return nil
}
