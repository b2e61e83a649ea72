package local

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	dp "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	dpt "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore/types"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
)

// benchMemory creates an ACTIVE memory with a semantic and a summary strategy.
func benchMemory(b *testing.B, r *running) (*ctl.Client, *dp.Client, string) {
	b.Helper()
	c := ctl.NewFromConfig(r.cfg, func(o *ctl.Options) { o.BaseEndpoint = aws.String(r.url) })
	d := dp.NewFromConfig(r.cfg, func(o *dp.Options) { o.BaseEndpoint = aws.String(r.url) })
	out, err := c.CreateMemory(context.Background(), &ctl.CreateMemoryInput{Name: aws.String("bench"), EventExpiryDuration: aws.Int32(30),
		MemoryStrategies: []types.MemoryStrategyInput{
			&types.MemoryStrategyInputMemberSemanticMemoryStrategy{Value: types.SemanticMemoryStrategyInput{Name: aws.String("facts"), NamespaceTemplates: []string{"/facts/{actorId}"}}},
			&types.MemoryStrategyInputMemberSummaryMemoryStrategy{Value: types.SummaryMemoryStrategyInput{Name: aws.String("sums")}},
		}})
	if err != nil {
		b.Fatal(err)
	}
	for {
		g, err := c.GetMemory(context.Background(), &ctl.GetMemoryInput{MemoryId: out.Memory.Id})
		if err != nil {
			b.Fatal(err)
		}
		if g.Memory.Status == types.MemoryStatusActive {
			return c, d, *out.Memory.Id
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// reportPercentiles reports the median and 95th percentile of durations, in milliseconds.
func reportPercentiles(b *testing.B, ds []time.Duration) {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(ds[len(ds)/2]), "p50-ms")
	b.ReportMetric(ms(ds[len(ds)*95/100]), "p95-ms")
}

// BenchmarkMemoryCreateEvent is CreateEvent through the endpoint (SigV4 checked, one bbolt
// transaction with the event and its extraction jobs), with the extractor running behind
// it. Target: p50 < 2 ms.
func BenchmarkMemoryCreateEvent(b *testing.B) {
	r := start(b, b.TempDir())
	defer r.stop(b)
	_, d, id := benchMemory(b, r)
	ctx := context.Background()
	ds := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		t := time.Now()
		_, err := d.CreateEvent(ctx, &dp.CreateEventInput{MemoryId: aws.String(id), ActorId: aws.String(fmt.Sprintf("actor%d", i%10)),
			SessionId: aws.String(fmt.Sprintf("s%d", i%50)), EventTimestamp: aws.Time(time.Now()),
			Payload: []dpt.PayloadType{turn(dpt.RoleUser, "I like green tea in the morning. Where is the station?"), turn(dpt.RoleAssistant, "The station is two streets north.")}})
		ds = append(ds, time.Since(t))
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportPercentiles(b, ds)
}

// words is a synthetic vocabulary, drawn from with a Zipf distribution as natural text is.
func words(n int) []string {
	out := make([]string, n)
	syl := []string{"ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ze", "po", "da", "fe"}
	for i := range out {
		var b strings.Builder
		for x := i + 1; x > 0; x /= len(syl) {
			b.WriteString(syl[x%len(syl)])
		}
		out[i] = b.String() + "x"
	}
	return out
}

// BenchmarkMemoryRetrieve100k is RetrieveMemoryRecords through the endpoint over a memory of
// 100,000 records (written with BatchCreateMemoryRecords, 12 words each from a Zipf-
// distributed vocabulary of 20,000, in 100 namespaces), asking a namespace prefix that holds
// all of them, topK 10. Target: p50 < 50 ms. It also reports the heap the index adds per
// record.
func BenchmarkMemoryRetrieve100k(b *testing.B) {
	r := start(b, b.TempDir())
	defer r.stop(b)
	_, d, id := benchMemory(b, r)
	ctx := context.Background()
	vocab := words(20000)
	rng := rand.New(rand.NewPCG(1, 2))
	zipf := rand.NewZipf(rng, 1.1, 1, uint64(len(vocab)-1))
	sentence := func(n int) string {
		w := make([]string, n)
		for i := range w {
			w[i] = vocab[zipf.Uint64()]
		}
		return strings.Join(w, " ")
	}
	const total = 100000
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < total; i += 100 {
		recs := make([]dpt.MemoryRecordCreateInput, 100)
		for j := range recs {
			recs[j] = dpt.MemoryRecordCreateInput{RequestIdentifier: aws.String(fmt.Sprintf("r%d", j)), Namespaces: []string{fmt.Sprintf("/facts/actor%d", (i+j)%100)},
				Content: &dpt.MemoryContentMemberText{Value: sentence(12)}, Timestamp: aws.Time(time.Now())}
		}
		out, err := d.BatchCreateMemoryRecords(ctx, &dp.BatchCreateMemoryRecordsInput{MemoryId: aws.String(id), Records: recs})
		if err != nil || len(out.FailedRecords) > 0 {
			b.Fatalf("seeding: %v %+v", err, out)
		}
	}
	queries := make([]string, 64)
	for i := range queries {
		queries[i] = sentence(4)
	}
	// The first retrieval loads the memory's index: its time is not the target's, its heap is.
	if _, err := d.RetrieveMemoryRecords(ctx, &dp.RetrieveMemoryRecordsInput{MemoryId: aws.String(id),
		SearchCriteria: &dpt.SearchCriteria{SearchQuery: aws.String(queries[0])}}); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	ds := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		t := time.Now()
		out, err := d.RetrieveMemoryRecords(ctx, &dp.RetrieveMemoryRecordsInput{MemoryId: aws.String(id), Namespace: aws.String("/facts/"),
			SearchCriteria: &dpt.SearchCriteria{SearchQuery: aws.String(queries[i%len(queries)]), TopK: aws.Int32(10)}})
		ds = append(ds, time.Since(t))
		if err != nil || len(out.MemoryRecordSummaries) == 0 {
			b.Fatalf("RetrieveMemoryRecords: %v %+v", err, out)
		}
	}
	b.StopTimer()
	reportPercentiles(b, ds)
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/total, "heap-B/record")
}
