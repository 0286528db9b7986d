package transcribe

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Debian 12's pocketsphinx-en-us model.
const (
	debianModelDir = "/usr/share/pocketsphinx/model/en-us"
	localTimeout   = 2 * time.Minute // 5 minutes of speech take ~1 minute of a core
	maxLocalInput  = 64 << 20        // bytes of audio written to the work file
	maxLocalOutput = 256 << 10
)

// ffmpegFormats are the demuxers ffmpeg may use on a customer's file: audio
// containers only. Playlists and concat scripts (HLS, ffconcat) would make
// it fetch URLs or read other local files.
const ffmpegFormats = "ogg,mp3,mov,mp4,m4a,matroska,webm,wav,w64,aac,flac,amr,caf,aiff"

// Local decodes with ffmpeg to 16 kHz mono WAV and recognises English with
// pocketsphinx_continuous (pocketsphinx 0.8). Its language is always "en".
type Local struct {
	FFmpeg, Sphinx  string // executables
	HMM, LM, Dict   string // acoustic model dir, language model, dictionary
	Timeout         time.Duration
	MaxInputSeconds int // decoded audio is cut here
}

// FindLocal returns the local engine when ffmpeg, pocketsphinx_continuous
// (found with lookPath, normally exec.LookPath) and the en-us model are all
// installed.
func FindLocal(lookPath func(string) (string, error)) (*Local, bool) {
	ffmpeg, err1 := lookPath("ffmpeg")
	sphinx, err2 := lookPath("pocketsphinx_continuous")
	l := &Local{
		FFmpeg: ffmpeg, Sphinx: sphinx,
		HMM:             filepath.Join(debianModelDir, "en-us"),
		LM:              filepath.Join(debianModelDir, "en-us.lm.bin"),
		Dict:            filepath.Join(debianModelDir, "cmudict-en-us.dict"),
		Timeout:         localTimeout,
		MaxInputSeconds: MaxSeconds + 30,
	}
	if err1 != nil || err2 != nil {
		return nil, false
	}
	for _, p := range []string{l.HMM, l.LM, l.Dict} {
		if _, err := os.Stat(p); err != nil {
			return nil, false
		}
	}
	return l, true
}

// Transcribe writes audio to a private work directory, decodes it and runs
// the recogniser, each bounded by Timeout and by output size.
func (l *Local) Transcribe(ctx context.Context, audio io.Reader, filename, contentType string) (Result, error) {
	parent := ctx
	if l.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, l.Timeout)
		defer cancel()
	}
	dir, err := os.MkdirTemp("", "parley-transcribe-")
	if err != nil {
		return Result{}, temporary("the speech engine could not start", err)
	}
	defer os.RemoveAll(dir)

	in, wav := filepath.Join(dir, "in"), filepath.Join(dir, "audio.wav")
	if err := writeLimited(in, audio, maxLocalInput); err != nil {
		return Result{}, err
	}
	args := []string{"-nostdin", "-hide_banner", "-loglevel", "error",
		"-protocol_whitelist", "file", "-format_whitelist", ffmpegFormats, "-i", in, "-vn"}
	if l.MaxInputSeconds > 0 {
		args = append(args, "-t", strconv.Itoa(l.MaxInputSeconds))
	}
	args = append(args, "-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le", "-f", "wav", wav)
	if _, err := l.run(ctx, l.FFmpeg, args...); err != nil {
		return Result{}, runError(parent, ctx, "the audio could not be decoded", err)
	}
	// pocketsphinx's default search: narrower ones (-maxhmmpf, -maxwpf,
	// -topn) were ~30% faster but lost ~10 points of word accuracy
	// (BENCHMARKS.md, "Local transcription").
	out, err := l.run(ctx, l.Sphinx, "-infile", wav, "-hmm", l.HMM, "-lm", l.LM, "-dict", l.Dict, "-logfn", os.DevNull)
	if err != nil {
		return Result{}, runError(parent, ctx, "the speech engine failed", err)
	}
	return newResult(strings.Join(strings.Fields(string(out)), " "), "en"), nil
}

// writeLimited copies at most limit bytes of r to a new file at path.
func writeLimited(path string, r io.Reader, limit int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return temporary("the speech engine could not start", err)
	}
	n, err := io.Copy(f, io.LimitReader(r, limit+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		return temporary("the audio could not be read", err)
	case n > limit:
		return final("the audio file is too large to transcribe", nil)
	}
	return nil
}

// errOutput is a tool writing more than maxLocalOutput.
var errOutput = errors.New("too much output")

// run starts a tool with no stdin and returns its stdout, capped.
func (l *Local) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = 5 * time.Second
	var out, stderr capped
	out.max, stderr.max = maxLocalOutput, 4<<10
	cmd.Stdout, cmd.Stderr = &out, &stderr
	err := cmd.Run()
	if err == nil && out.over {
		err = errOutput
	}
	if err != nil && stderr.Len() > 0 {
		err = errors.Join(err, errors.New(bounded(stderr.String())))
	}
	return out.Bytes(), err
}

// runError says why a tool failed: the caller's cancellation is temporary
// (shutting down), our own timeout final (the audio will take as long next
// time).
func runError(parent, ctx context.Context, reason string, err error) error {
	switch {
	case parent.Err() != nil:
		return temporary("transcription was interrupted", err)
	case ctx.Err() != nil:
		return final("the speech engine took too long", err)
	}
	return final(reason, err)
}

// capped is a buffer that keeps the first max bytes and notes the rest.
type capped struct {
	bytes.Buffer
	max  int
	over bool
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.Len(); len(p) > room {
		c.over = true
		c.Buffer.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return c.Buffer.Write(p)
}
