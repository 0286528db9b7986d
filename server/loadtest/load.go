package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// result is everything one run measured.
type result struct {
	cfg *config
	rs  *receivers

	connectTime, readyTime time.Duration
	connected, dialFailed  int
	before, idle, end      procStats // server, from /proc

	sendWindow         time.Duration
	sentOK, sendFailed int64
	skipped, expected  int64
	deliveredInWindow  int64
	drainTime          time.Duration
	sendLat            histogram
	firstSendErr       string
	serverCPU, toolCPU time.Duration // during the send window
	otherCPU           time.Duration // everything else on the machine, same window
	groupsN            int
}

// loadRun sends at the configured rate for the configured time, then waits
// for outstanding deliveries.
func loadRun(ctx context.Context, c *config, g *gqlClient, groups []*group, rs *receivers, runTag string, r *result) {
	r.groupsN = len(groups)
	pad := strings.Repeat("x", c.textBytes)
	jobs := make(chan int, c.senders)
	var (
		wg                                sync.WaitGroup
		ok, failed, skipped, expected     atomic.Int64
		firstErr                          atomic.Pointer[string]
		windowSent, windowFail, lastDeliv int64
	)
	for w := 0; w < c.senders; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				gr := groups[i%len(groups)]
				from := gr.members[(i/len(groups))%len(gr.members)]
				start := time.Now()
				text := fmt.Sprintf("lt1 %s %d ", runTag, start.UnixNano())
				if len(text) < c.textBytes {
					text += pad[:c.textBytes-len(text)]
				}
				key := ""
				if c.clientID {
					key = fmt.Sprintf("%s-%d", runTag, i)
				}
				err := c.tgt.send(ctx, g, from, gr, text, key)
				r.sendLat.record(time.Since(start))
				if err != nil {
					failed.Add(1)
					msg := err.Error()
					firstErr.CompareAndSwap(nil, &msg)
					continue
				}
				ok.Add(1)
				expected.Add(gr.ready.Load())
			}
		}()
	}

	self := os.Getpid()
	srv0, tool0, all0 := procOrZero(c.serverPID), procOrZero(self), machineBusy()
	interval := time.Duration(float64(time.Second) / c.rate)
	start := time.Now()
	end := start.Add(c.duration)
	tick := start.Add(time.Second)
	logf("sending %.0f/s for %v from %d senders", c.rate, c.duration, c.senders)
	i := 0
	for ctx.Err() == nil {
		now := time.Now()
		if !now.Before(end) {
			break
		}
		for due := int(now.Sub(start)/interval) + 1; i < due; i++ {
			select {
			case jobs <- i:
			default:
				skipped.Add(1) // every sender busy: the server is not keeping up
			}
		}
		if !now.Before(tick) {
			s, f, d := ok.Load(), failed.Load(), rs.delivered.Load()
			logf("  %3.0fs  sent %5d/s  errors %d  skipped %d  delivered %6d/s  p50 %s  p99 %s",
				now.Sub(start).Seconds(), s-windowSent, f-windowFail, skipped.Load(), d-lastDeliv,
				ms(rs.window.quantile(0.5)), ms(rs.window.quantile(0.99)))
			windowSent, windowFail, lastDeliv = s, f, d
			rs.window.reset()
			tick = tick.Add(time.Second)
		}
		next := start.Add(time.Duration(i) * interval)
		if next.After(end) {
			next = end
		}
		time.Sleep(time.Until(next))
	}
	close(jobs)
	wg.Wait()
	r.sendWindow = time.Since(start)
	r.deliveredInWindow = rs.delivered.Load()
	srv1, tool1, all1 := procOrZero(c.serverPID), procOrZero(self), machineBusy()
	r.serverCPU, r.toolCPU = srv1.CPU-srv0.CPU, tool1.CPU-tool0.CPU
	r.otherCPU = max(0, all1-all0-r.serverCPU-r.toolCPU)

	t0 := time.Now()
	for rs.delivered.Load() < expected.Load() && time.Since(t0) < c.drain && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	r.drainTime = time.Since(t0)
	r.sentOK, r.sendFailed, r.skipped, r.expected = ok.Load(), failed.Load(), skipped.Load(), expected.Load()
	if p := firstErr.Load(); p != nil {
		r.firstSendErr = *p
	}
}

func (r *result) print(w io.Writer) {
	c, rs := r.cfg, r.rs
	secs := r.sendWindow.Seconds()
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("")
	p("== Parley load test: %d %s subscribers in %d groups of %d, %.0f sends/s offered for %v ==",
		r.connected, c.subscription, r.groupsN, c.groupSize, c.rate, c.duration)
	p("target:       %s at %s", c.target, c.url)
	p("sockets:      %d open (%d failed) in %v; all subscriptions live after %v",
		r.connected, r.dialFailed, r.connectTime.Round(time.Millisecond), r.readyTime.Round(time.Millisecond))
	if c.serverPID != 0 {
		perConn := float64(r.idle.RSS-r.before.RSS) / float64(max(r.connected, 1))
		p("server mem:   RSS %s before connecting, %s idle with %d sockets, %s at the end",
			mib(r.before.RSS), mib(r.idle.RSS), r.connected, mib(r.end.RSS))
		p("              = %.1f KiB per idle connection ((idle - before) / sockets; meaningful on a freshly started server); %d open files",
			perConn/1024, r.idle.Files)
	}
	p("sends:        %d ok = %.0f/s, %d errors, %d skipped (due while all %d senders were busy)",
		r.sentOK, float64(r.sentOK)/secs, r.sendFailed, r.skipped, c.senders)
	if r.firstSendErr != "" {
		p("              first error: %s", r.firstSendErr)
	}
	p("send latency: p50 %s  p99 %s  max %s", ms(r.sendLat.quantile(0.5)), ms(r.sendLat.quantile(0.99)), ms(r.sendLat.maxValue()))
	delivered := rs.delivered.Load()
	pct := 100.0
	if r.expected > 0 {
		pct = 100 * float64(delivered) / float64(r.expected)
	}
	p("deliveries:   %d of %d expected (%.2f%%); %.0f/s while sending; drained in %v",
		delivered, r.expected, pct, float64(r.deliveredInWindow)/secs, r.drainTime.Round(time.Millisecond))
	p("              other frames %d, subscriptions ended %d, sockets closed %d", rs.other.Load(), rs.errors.Load(), rs.closed.Load())
	if e := rs.firstErr.Load(); e != nil {
		p("              first: %s", *e)
	}
	p("send→receive: p50 %s  p95 %s  p99 %s  max %s", ms(rs.lat.quantile(0.5)), ms(rs.lat.quantile(0.95)),
		ms(rs.lat.quantile(0.99)), ms(rs.lat.maxValue()))
	if c.serverPID != 0 {
		p("CPU:          server %.2f cores, this tool %.2f, everything else %.2f (PostgreSQL, other users), of %d, while sending",
			r.serverCPU.Seconds()/secs, r.toolCPU.Seconds()/secs, r.otherCPU.Seconds()/secs, runtime.NumCPU())
	}
	p("")
	p("| sub | sockets | group | offered/s | sends ok/s | errors+skipped | deliveries/s | p50 | p99 | max | send p99 | KiB/conn idle | CPU server/tool/other |")
	perConn := "-"
	if c.serverPID != 0 {
		perConn = fmt.Sprintf("%.1f", float64(r.idle.RSS-r.before.RSS)/float64(max(r.connected, 1))/1024)
	}
	p("| %s | %d | %d | %.0f | %.0f | %d | %.0f | %s | %s | %s | %s | %s | %.2f/%.2f/%.2f |",
		c.subscription, r.connected, c.groupSize, c.rate, float64(r.sentOK)/secs, r.sendFailed+r.skipped,
		float64(r.deliveredInWindow)/secs, ms(rs.lat.quantile(0.5)), ms(rs.lat.quantile(0.99)), ms(rs.lat.maxValue()),
		ms(r.sendLat.quantile(0.99)), perConn, r.serverCPU.Seconds()/secs, r.toolCPU.Seconds()/secs, r.otherCPU.Seconds()/secs)
}
