// Command server runs Parley: `go run ./server` (add --demo for a demo
// organisation). Configuration comes from the environment: --help lists it
// (and README.md explains it).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"parley/server/app"
	"parley/server/logx"
)

func main() {
	opts, code := parseArgs(os.Args[1:], os.Stdout, os.Stderr)
	if code >= 0 {
		os.Exit(code)
	}
	cfg, err := app.FromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "parley:", err)
		os.Exit(1)
	}
	log, _ := logx.New(os.Stderr, cfg.LogLevel, cfg.LogFormat) // FromEnv checked both
	slog.SetDefault(log)
	cfg.Log, cfg.Demo = log, opts.demo
	if err := run(cfg); err != nil {
		log.Error("parley stopped", "err", err)
		os.Exit(1)
	}
}

type options struct{ demo bool }

// parseArgs reads the command line. A code >= 0 means exit with it:
// 0 after --help or --version, 2 for arguments it does not know.
func parseArgs(args []string, stdout, stderr io.Writer) (options, int) {
	var o options
	fs := flag.NewFlagSet("parley", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&o.demo, "demo", false, "seed a demo organisation (users, chats, channels, sessions) and print its logins")
	version := fs.Bool("version", false, "print the version and commit, and exit")
	fs.Usage = func() { usage(fs, fs.Output()) }
	switch err := fs.Parse(args); {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
		return o, 0
	case err != nil:
		return o, 2 // flag has printed the error and the usage
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "parley takes no arguments, only flags (got %d)\n", fs.NArg())
		fs.Usage()
		return o, 2
	case *version:
		fmt.Fprintln(stdout, app.Version())
		return o, 0
	}
	return o, -1
}

func usage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprintln(w, "Usage: parley [--demo] [--version] [--help]")
	fmt.Fprintln(w, "\nFlags:")
	fs.PrintDefaults()
	fmt.Fprintln(w, "\nSettings (environment variables; README.md explains each):")
	app.PrintSettings(w)
}

func run(cfg app.Config) error {
	log := cfg.Log
	for _, w := range cfg.Warnings() {
		log.Warn(w)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Bound before anything slow, so a taken port fails at once.
	l, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s (PARLEY_ADDR): %w", cfg.Addr, err)
	}
	defer l.Close()
	if cfg.DebugAddr != "" {
		dl, err := net.Listen("tcp", cfg.DebugAddr)
		if err != nil {
			return fmt.Errorf("cannot listen on %s (PARLEY_DEBUG_ADDR): %w", cfg.DebugAddr, err)
		}
		debug := &http.Server{Handler: app.DebugHandler(), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = debug.Serve(dl) }()
		defer debug.Close()
		log.Info("profiling at /debug/pprof/", "addr", dl.Addr().String())
	}

	a, err := app.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	if cfg.Demo {
		logins, err := a.SeedDemo(ctx)
		if err != nil {
			return fmt.Errorf("seeding the demo: %w", err)
		}
		fmt.Fprint(os.Stderr, logins)
	}

	workers := make(chan error, 1)
	go func() { workers <- a.Run(ctx) }()
	log.Info("parley listening", "addr", l.Addr().String(), "public_url", cfg.PublicURL, "plan", cfg.Plan, "version", app.Version())
	// Serve returns once ctx ends and it has shut down: WebSockets are
	// closed with 1012, so clients reconnect to another instance or to this
	// one restarted.
	err = a.Serve(ctx, l)
	if ctx.Err() == nil {
		return err // serving failed
	}
	if err != nil {
		log.Warn("shutdown", "err", err)
	}
	<-workers
	return nil
}
