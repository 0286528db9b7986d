// Command server runs Parley: `go run ./server` (add --demo for a demo
// organisation). Configuration comes from the environment; see README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"parley/server/app"
)

func main() {
	demo := flag.Bool("demo", false, "seed a demo organisation (users, chats, channels, sessions) and print its logins")
	flag.Parse()
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	slog.SetDefault(log)
	if err := run(log, *demo); err != nil {
		log.Error("parley stopped", "err", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger, demo bool) error {
	cfg, err := app.FromEnv(os.Getenv)
	if err != nil {
		return err
	}
	cfg.Log, cfg.Demo = log, demo
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	a, err := app.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	if demo {
		logins, err := a.SeedDemo(ctx)
		if err != nil {
			return fmt.Errorf("seeding the demo: %w", err)
		}
		fmt.Fprint(os.Stderr, logins)
	}

	l, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	workers := make(chan error, 1)
	go func() { workers <- a.Run(ctx) }()
	log.Info("parley listening", "addr", cfg.Addr, "public_url", cfg.PublicURL, "plan", cfg.Plan)
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
