// Command server runs Parley: `go run ./server` (add --demo for a demo
// organisation). Configuration comes from the environment; see README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

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

	// Hijacked connections (WebSockets) outlive http.Server.Shutdown; their
	// requests derive from this context, cancelled when shutdown begins.
	baseCtx, cancelConns := context.WithCancel(context.Background())
	defer cancelConns()
	srv := &http.Server{
		Addr:              cfg.Addr,
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return baseCtx },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(cancelConns)

	workers := make(chan error, 1)
	go func() { workers <- a.Run(ctx) }()
	serveErr := make(chan error, 1)
	go func() {
		log.Info("parley listening", "addr", cfg.Addr, "public_url", cfg.PublicURL, "plan", cfg.Plan)
		serveErr <- srv.ListenAndServe()
	}()

	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("shutdown", "err", err)
	}
	<-workers
	return nil
}
