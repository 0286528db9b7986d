package main

import (
	"bufio"
	"fmt"
	"math/bits"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// histogram records durations in microseconds with under 1% error, lock-free:
// values below 256 µs are exact; above, each power of two has 128 buckets.
type histogram struct {
	buckets [4096]atomic.Uint64
	count   atomic.Uint64
	max     atomic.Int64
}

func bucketOf(us int64) int {
	if us < 0 {
		us = 0
	}
	if us < 256 {
		return int(us)
	}
	e := bits.Len64(uint64(us)) - 8
	i := 256 + (e-1)*128 + int(us>>e) - 128
	if i >= 4096 {
		return 4095
	}
	return i
}

// lowOf is the smallest value in bucket i.
func lowOf(i int) int64 {
	if i < 256 {
		return int64(i)
	}
	e := (i-256)/128 + 1
	m := int64((i-256)%128 + 128)
	return m << e
}

func (h *histogram) record(d time.Duration) {
	us := d.Microseconds()
	h.buckets[bucketOf(us)].Add(1)
	h.count.Add(1)
	for {
		m := h.max.Load()
		if us <= m || h.max.CompareAndSwap(m, us) {
			return
		}
	}
}

// quantile returns the q-th quantile (0 < q ≤ 1).
func (h *histogram) quantile(q float64) time.Duration {
	n := h.count.Load()
	if n == 0 {
		return 0
	}
	rank := uint64(q*float64(n) + 0.5)
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i := range h.buckets {
		seen += h.buckets[i].Load()
		if seen >= rank {
			return time.Duration(lowOf(i)) * time.Microsecond
		}
	}
	return h.maxValue()
}

func (h *histogram) maxValue() time.Duration { return time.Duration(h.max.Load()) * time.Microsecond }

func (h *histogram) reset() {
	for i := range h.buckets {
		h.buckets[i].Store(0)
	}
	h.count.Store(0)
	h.max.Store(0)
}

// procStats is what /proc tells about a process.
type procStats struct {
	RSS   int64         // resident set, bytes
	CPU   time.Duration // user + system time so far
	Files int           // open file descriptors
}

// clockTick is USER_HZ, 100 on every Linux this runs on (no cgo for sysconf).
const clockTick = 100

func readProc(pid int) (procStats, error) {
	var s procStats
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			s.RSS = kb << 10
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// Fields after the command name (which may hold spaces): utime is the 14th field overall.
	if i := strings.LastIndexByte(string(stat), ')'); i > 0 {
		fs := strings.Fields(string(stat[i+1:]))
		if len(fs) > 13 {
			ut, _ := strconv.ParseInt(fs[11], 10, 64)
			st, _ := strconv.ParseInt(fs[12], 10, 64)
			s.CPU = time.Duration(ut+st) * time.Second / clockTick
		}
	}
	if ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
		s.Files = len(ents)
	}
	return s, nil
}

// machineBusy returns the CPU time all processes of the machine have used so
// far (every core, not idle), from /proc/stat: with the server's and this
// tool's share it shows how much else ran during a measurement.
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fs := strings.Fields(line)
	var busy int64
	for i, f := range fs[1:] {
		v, _ := strconv.ParseInt(f, 10, 64)
		if i != 3 && i != 4 && i < 8 { // not idle, not iowait; guest time is already in user
			busy += v
		}
	}
	return time.Duration(busy) * time.Second / clockTick
}

// openFilesLimit reads the soft "Max open files" of a process.
func openFilesLimit(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "Max open files") {
			fs := strings.Fields(strings.TrimPrefix(line, "Max open files"))
			if len(fs) > 0 {
				if fs[0] == "unlimited" {
					return 1 << 40, nil
				}
				return strconv.ParseInt(fs[0], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("no open-files limit in /proc/%d/limits", pid)
}

// listenerPID finds the process listening on a TCP port of this machine, by
// matching the socket's inode in /proc/net/tcp{,6} with the open files of
// each process we may read (`go run` puts the server in a child process, so
// its pid is not the one the shell printed).
func listenerPID(port int) (int, error) {
	inodes := map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fs := strings.Fields(line)
			if len(fs) < 10 || fs[3] != "0A" { // 0A: LISTEN
				continue
			}
			_, hexPort, _ := strings.Cut(fs[1], ":")
			if p, err := strconv.ParseInt(hexPort, 16, 32); err == nil && int(p) == port {
				inodes["socket:["+fs[9]+"]"] = true
			}
		}
	}
	if len(inodes) == 0 {
		return 0, fmt.Errorf("nothing listens on port %d", port)
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/fd")
	for _, dir := range procs {
		fds, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if target, err := os.Readlink(filepath.Join(dir, fd.Name())); err == nil && inodes[target] {
				return strconv.Atoi(strings.Split(dir, "/")[2])
			}
		}
	}
	return 0, fmt.Errorf("the process listening on port %d is not readable here", port)
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
