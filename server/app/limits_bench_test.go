package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"syscall"
	"testing"
	"time"

	"parley/graph"
	"parley/server/apitest"
	"parley/server/app"
)

// BenchmarkRefusedDocuments records the CPU a hostile document costs the
// whole process (server and this client) through the real handler:
// cpu-ms/op. Before DocumentLimits the fragment bomb cost ~5 s and the
// field bomb minutes. "largest accepted" is the worst a document under the
// limits costs, validation included (BENCHMARKS.md).
func BenchmarkRefusedDocuments(b *testing.B) {
	env := apitest.Start(b, "sqlite", apitest.Options{})
	for _, c := range []struct {
		name  string
		query func(i int) string
		vars  []int // sent as the variable "a", unused
		code  string
	}{
		{"fragment bomb 905 B", func(int) string { return fragmentBomb(25) }, nil, "LIMIT_EXCEEDED"},
		{"field bomb 1 MiB", func(int) string { return fieldBomb((app.DefaultMaxBody - 64) / len("__typename ")) }, nil, "LIMIT_EXCEEDED"},
		// A new alias each time keeps it out of the query cache.
		{"largest accepted", func(i int) string { return fmt.Sprintf("{a%d:__typename ", i) + fieldBomb(graph.MaxNodes - 1)[1:] }, nil, ""},
		// Not a document limit: what decoding a full body costs.
		{"1 MiB of variables", func(int) string { return "{__typename}" }, make([]int, (app.DefaultMaxBody-64)/2), ""},
	} {
		b.Run(c.name, func(b *testing.B) {
			bodies := make([][]byte, b.N)
			for i := range bodies {
				bodies[i], _ = json.Marshal(map[string]any{"query": c.query(i), "variables": map[string]any{"a": c.vars}})
			}
			b.SetBytes(int64(len(bodies[0])))
			b.ResetTimer()
			before := cpuTime()
			for i := 0; i < b.N; i++ {
				req, _ := http.NewRequest(http.MethodPost, env.URL+"/query", bytes.NewReader(bodies[i]))
				req.Header.Set("Content-Type", "application/json")
				if r := env.Anonymous().Send(req); r.Code() != c.code {
					b.Fatalf("want %q, got %+v", c.code, r.Errors)
				}
			}
			b.ReportMetric(float64((cpuTime()-before).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}

// cpuTime is the user and system CPU this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
