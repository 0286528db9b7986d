package app

import (
	"net/http"
	"net/http/pprof"
)

// DebugHandler serves net/http/pprof under /debug/pprof/, for the
// loopback-only PARLEY_DEBUG_ADDR: never part of the public routes (its
// own mux, not http.DefaultServeMux).
func DebugHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
