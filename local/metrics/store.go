// Package metrics keeps the local endpoint's runtime metrics and serves them as Amazon
// CloudWatch does: GetMetricData, GetMetricStatistics and ListMetrics in the protocols of the
// botocore model cloudwatch/2010-08-01 that the SDKs choose (smithy-rpc-v2-cbor, used by
// aws-sdk-go-v2 and botocore, and awsJson1_0).
//
// The metrics are those AgentCore Runtime publishes
// (https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/observability-runtime-metrics.html):
// namespace AWS/Bedrock-AgentCore, metrics Invocations, Throttles, SystemErrors, UserErrors,
// Latency, Duration and SessionCount, with the dimensions Operation=InvokeAgentRuntime,
// Resource=<agent runtime ARN> and Name=<runtimeName>::<endpointName> (the dimension set
// AgentCore's service metrics use:
// https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/gateway-advanced-observability-metrics.html
// lists Operation, Resource and Name). They are counted per minute by the endpoint itself,
// kept in bbolt (written every 2 s and at shutdown: a kill -9 loses at most that) for 15 days,
// CloudWatch's retention of one-minute data.
package metrics

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/agentcore/agentcore/local/internal/awsproto"
)

// Namespace and dimension values of the runtime metrics.
const (
	Namespace = "AWS/Bedrock-AgentCore"
	Operation = "InvokeAgentRuntime"
)

// Metric names, and their units.
var units = map[string]string{
	"Invocations": "Count", "Throttles": "Count", "SystemErrors": "Count", "UserErrors": "Count",
	"SessionCount": "Count", "Latency": "Milliseconds", "Duration": "Milliseconds",
}

var bucketMinutes = []byte("metrics.minutes") // series key + minute → minute JSON

const retention = 15 * 24 * time.Hour

// maxSamples bounds the latency and duration values a minute keeps for percentiles.
const maxSamples = 256

// Sample is one invocation.
type Sample struct {
	Resource   string // runtime ARN
	Name       string // runtimeName::endpointName
	Time       time.Time
	Latency    float64 // ms to the first byte of the answer
	Duration   float64 // ms to its end
	Status     int     // HTTP status answered (0: the caller went away)
	NewSession bool
}

type stat struct {
	Count   float64   `json:"n"`
	Sum     float64   `json:"sum"`
	Min     float64   `json:"min"`
	Max     float64   `json:"max"`
	Samples []float64 `json:"s,omitempty"`
}

func (s *stat) add(v float64) {
	if s.Count == 0 || v < s.Min {
		s.Min = v
	}
	if s.Count == 0 || v > s.Max {
		s.Max = v
	}
	s.Count++
	s.Sum += v
	if len(s.Samples) < maxSamples {
		s.Samples = append(s.Samples, v)
	}
}

func (s *stat) merge(o *stat) {
	if o.Count == 0 {
		return
	}
	if s.Count == 0 || o.Min < s.Min {
		s.Min = o.Min
	}
	if s.Count == 0 || o.Max > s.Max {
		s.Max = o.Max
	}
	s.Count += o.Count
	s.Sum += o.Sum
	s.Samples = append(s.Samples, o.Samples...)
}

// minute is one series' counters for one minute.
type minute struct {
	Counts    map[string]float64 `json:"c"` // Invocations, Throttles, SystemErrors, UserErrors, SessionCount
	Latency   stat               `json:"l"`
	Duration  stat               `json:"d"`
	LastError int64              `json:"e,omitempty"` // unix ms
}

type seriesKey struct{ Resource, Name string }

type bucketKey struct {
	seriesKey
	Minute int64 // unix minutes
}

// Store counts samples and answers queries.
type Store struct {
	db  *bolt.DB
	now func() time.Time

	mu      sync.Mutex
	minutes map[bucketKey]*minute
	dirty   map[bucketKey]bool
	stop    chan struct{}
	done    chan struct{}
}

// Config is what the store is built from: its database and clock.
type Config = awsproto.Config

// New loads the kept minutes and starts writing new ones every 2 seconds.
func New(cfg Config) (*Store, error) {
	cfg = cfg.WithDefaults()
	db, now := cfg.DB, cfg.Now
	if db == nil {
		return nil, errors.New("metrics: Config.DB is required")
	}
	s := &Store{db: db, now: now, minutes: map[bucketKey]*minute{}, dirty: map[bucketKey]bool{}, stop: make(chan struct{}), done: make(chan struct{})}
	oldest := now().Add(-retention).Unix() / 60
	err := db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketMinutes)
		if err != nil {
			return err
		}
		var stale [][]byte
		err = b.ForEach(func(k, v []byte) error {
			key, ok := parseKey(k)
			if !ok || key.Minute < oldest {
				stale = append(stale, append([]byte(nil), k...))
				return nil
			}
			var m minute
			if json.Unmarshal(v, &m) == nil {
				s.minutes[key] = &m
			}
			return nil
		})
		for _, k := range stale {
			b.Delete(k)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	go s.flusher()
	return s, nil
}

func keyBytes(k bucketKey) []byte {
	b := []byte(k.Resource + "\x00" + k.Name + "\x00")
	return binary.BigEndian.AppendUint64(b, uint64(k.Minute))
}

func parseKey(b []byte) (bucketKey, bool) {
	if len(b) < 10 {
		return bucketKey{}, false
	}
	parts := strings.SplitN(string(b[:len(b)-8]), "\x00", 3)
	if len(parts) != 3 {
		return bucketKey{}, false
	}
	return bucketKey{seriesKey{parts[0], parts[1]}, int64(binary.BigEndian.Uint64(b[len(b)-8:]))}, true
}

func (s *Store) flusher() {
	defer close(s.done)
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			s.flush()
			return
		case <-tick.C:
			s.flush()
		}
	}
}

func (s *Store) flush() {
	s.mu.Lock()
	if len(s.dirty) == 0 {
		s.mu.Unlock()
		return
	}
	writes := map[string][]byte{}
	for k := range s.dirty {
		b, _ := json.Marshal(s.minutes[k])
		writes[string(keyBytes(k))] = b
	}
	oldest := s.now().Add(-retention).Unix() / 60
	var stale []bucketKey
	for k := range s.minutes {
		if k.Minute < oldest {
			stale = append(stale, k)
		}
	}
	for _, k := range stale {
		delete(s.minutes, k)
	}
	s.dirty = map[bucketKey]bool{}
	s.mu.Unlock()
	s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMinutes)
		for k, v := range writes {
			if err := b.Put([]byte(k), v); err != nil {
				return err
			}
		}
		for _, k := range stale {
			b.Delete(keyBytes(k))
		}
		return nil
	})
}

// Close writes what is pending and stops the writer.
func (s *Store) Close() {
	select {
	case <-s.stop:
		return
	default:
	}
	close(s.stop)
	<-s.done
}

// Record counts one invocation.
func (s *Store) Record(x Sample) {
	k := bucketKey{seriesKey{x.Resource, x.Name}, x.Time.Unix() / 60}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.minutes[k]
	if m == nil {
		m = &minute{Counts: map[string]float64{}}
		s.minutes[k] = m
	}
	m.Counts["Invocations"]++
	for _, name := range []string{"Throttles", "SystemErrors", "UserErrors"} {
		m.Counts[name] += 0 // present (0) in every minute with invocations, as AgentCore publishes them
	}
	switch {
	case x.Status == 429:
		m.Counts["Throttles"]++
	case x.Status >= 500:
		m.Counts["SystemErrors"]++
	case x.Status >= 400:
		m.Counts["UserErrors"]++
	}
	if x.Status >= 400 {
		m.LastError = max(m.LastError, x.Time.UnixMilli())
	}
	if x.NewSession {
		m.Counts["SessionCount"]++
	} else if _, ok := m.Counts["SessionCount"]; !ok {
		m.Counts["SessionCount"] = 0
	}
	if x.Status > 0 {
		m.Latency.add(x.Latency)
		m.Duration.add(x.Duration)
	}
	s.dirty[k] = true
}

// LastError returns the time of the last failed invocation of a series (zero: none kept).
func (s *Store) LastError(resource, name string) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var last int64
	for k, m := range s.minutes {
		if k.Resource == resource && (name == "" || k.Name == name) && m.LastError > last {
			last = m.LastError
		}
	}
	if last == 0 {
		return time.Time{}
	}
	return time.UnixMilli(last)
}

// point is one aggregated period of one metric.
type point struct {
	t time.Time
	v stat
}

// query aggregates a metric of a series over [start, end) in periods of period seconds.
func (s *Store) query(series seriesKey, metric string, start, end time.Time, period int64) []point {
	if period < 60 {
		period = 60
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	agg := map[int64]*stat{}
	lo, hi := start.Unix(), end.Unix()
	for k, m := range s.minutes {
		if k.seriesKey != series {
			continue
		}
		t := k.Minute * 60
		if t < lo-lo%60 || t >= hi {
			continue
		}
		p := t - t%period
		st := agg[p]
		if st == nil {
			st = &stat{}
			agg[p] = st
		}
		switch metric {
		case "Latency":
			st.merge(&m.Latency)
		case "Duration":
			st.merge(&m.Duration)
		default:
			v, ok := m.Counts[metric]
			if !ok {
				continue
			}
			// A count is one datapoint a minute whose value is the count.
			st.merge(&stat{Count: 1, Sum: v, Min: v, Max: v, Samples: []float64{v}})
		}
	}
	var out []point
	for p, st := range agg {
		if st.Count > 0 {
			out = append(out, point{t: time.Unix(p, 0).UTC(), v: *st})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].t.Before(out[j].t) })
	return out
}

// value computes a statistic: Sum, Average, Minimum, Maximum, SampleCount or pNN.
func (st stat) value(name string) (float64, bool) {
	switch name {
	case "Sum":
		return st.Sum, true
	case "Average":
		return st.Sum / st.Count, true
	case "Minimum":
		return st.Min, true
	case "Maximum":
		return st.Max, true
	case "SampleCount":
		return st.Count, true
	}
	if p, ok := percentile(name); ok && len(st.Samples) > 0 {
		v := append([]float64(nil), st.Samples...)
		sort.Float64s(v)
		i := int(math.Ceil(p/100*float64(len(v)))) - 1
		return v[max(0, min(i, len(v)-1))], true
	}
	return 0, false
}

func percentile(name string) (float64, bool) {
	if !strings.HasPrefix(name, "p") {
		return 0, false
	}
	var p float64
	if err := json.Unmarshal([]byte(name[1:]), &p); err != nil || p <= 0 || p > 100 {
		return 0, false
	}
	return p, true
}

// series lists the kept series.
func (s *Store) series() []seriesKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[seriesKey]bool{}
	var out []seriesKey
	for k := range s.minutes {
		if !seen[k.seriesKey] {
			seen[k.seriesKey] = true
			out = append(out, k.seriesKey)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Resource != out[j].Resource {
			return out[i].Resource < out[j].Resource
		}
		return out[i].Name < out[j].Name
	})
	return out
}
