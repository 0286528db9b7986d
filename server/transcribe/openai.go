package transcribe

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"time"
	"unicode"
)

// Bounds on what an endpoint may send back.
const (
	maxResponseBytes = 4 << 20 // verbose_json of 5 minutes is ~100 KB
	maxErrorBytes    = 64 << 10
	maxReasonRunes   = 200
	openAITimeout    = time.Minute // API.md: the result comes within a minute
)

// OpenAI talks to an OpenAI-compatible POST /v1/audio/transcriptions (OpenAI
// itself, faster-whisper-server, whisper.cpp's server, ...).
type OpenAI struct {
	Endpoint string // the full transcriptions URL
	Key      string
	Model    string
	Client   *http.Client
}

// NewOpenAI builds the engine from cfg. cfg.URL may be the service's base
// ("https://api.openai.com"), its /v1, or the full transcriptions URL.
func NewOpenAI(cfg Config) *OpenAI {
	model := cfg.Model
	if model == "" {
		model = DefaultModel
	}
	return &OpenAI{
		Endpoint: endpoint(cfg.URL),
		Key:      cfg.Key,
		Model:    model,
		Client:   &http.Client{Timeout: openAITimeout},
	}
}

func endpoint(base string) string {
	u := strings.TrimRight(base, "/")
	switch {
	case strings.HasSuffix(u, "/audio/transcriptions"):
		return u
	case strings.HasSuffix(u, "/v1"):
		return u + "/audio/transcriptions"
	}
	return u + "/v1/audio/transcriptions"
}

// verbose is the part of the verbose_json answer Parley uses.
type verbose struct {
	Text     string `json:"text"`
	Language string `json:"language"`
}

// Transcribe uploads audio as multipart form data and reads the transcript.
func (o *OpenAI) Transcribe(ctx context.Context, audio io.Reader, filename, contentType string) (Result, error) {
	body, ctype := multipartBody(audio, filename, contentType, o.Model)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.Endpoint, body)
	if err != nil {
		body.Close()
		return Result{}, final("the transcription service URL is invalid", err)
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Accept", "application/json")
	if o.Key != "" {
		req.Header.Set("Authorization", "Bearer "+o.Key)
	}
	resp, err := o.Client.Do(req)
	if err != nil {
		return Result{}, temporary("the transcription service could not be reached", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Result{}, statusError(resp)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return Result{}, temporary("the transcription service's answer was cut off", err)
	}
	if len(b) > maxResponseBytes {
		return Result{}, final("the transcription service's answer is too large", nil)
	}
	var v verbose
	if err := json.Unmarshal(b, &v); err != nil {
		return Result{}, temporary("the transcription service's answer could not be read", err)
	}
	return newResult(v.Text, LanguageCode(v.Language)), nil
}

// multipartBody streams the form (file, model, response_format) without
// holding the audio in memory. The pipe is closed when the request ends.
func multipartBody(audio io.Reader, filename, contentType, model string) (io.ReadCloser, string) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		pw.CloseWithError(writeForm(mw, audio, filename, contentType, model))
	}()
	return pr, mw.FormDataContentType()
}

func writeForm(mw *multipart.Writer, audio io.Reader, filename, contentType, model string) error {
	for _, f := range [][2]string{{"model", model}, {"response_format", "verbose_json"}} {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			return err
		}
	}
	if filename == "" {
		filename = "audio"
	}
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, safeFilename(filename)))
	h.Set("Content-Type", contentType)
	part, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	if _, err := io.Copy(part, audio); err != nil {
		return err
	}
	return mw.Close()
}

// safeFilename keeps a filename fit for a header: printable, no quotes or
// backslashes, bounded. Services look only at its extension.
func safeFilename(name string) string {
	var b strings.Builder
	for _, r := range name {
		if b.Len() >= 100 {
			break
		}
		if r < 0x20 || r == 0x7f || r == '"' || r == '\\' || r > unicode.MaxASCII {
			r = '_'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// statusError maps a non-200 answer: rate limits and server errors are
// temporary; other 4xx are final, with the service's own message (OpenAI's
// {"error":{"message":...}}, or a plain {"detail":...}) as the reason.
// A refused key gets a fixed reason: services echo part of the key.
func statusError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBytes))
	cause := fmt.Errorf("HTTP %d", resp.StatusCode)
	switch code := resp.StatusCode; {
	case code == http.StatusTooManyRequests:
		return temporary("the transcription service is busy (rate limited)", cause)
	case code == http.StatusRequestTimeout || code >= 500:
		return temporary("the transcription service is unavailable", cause)
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return final("the transcription service refused the configured key", cause)
	case code == http.StatusRequestEntityTooLarge:
		return final("the transcription service refused the file as too large", cause)
	}
	if msg := serviceMessage(b); msg != "" {
		return final("the transcription service refused the audio: "+msg, cause)
	}
	return final("the transcription service refused the audio", cause)
}

func serviceMessage(b []byte) string {
	var e struct {
		Error  json.RawMessage `json:"error"`
		Detail json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(b, &e) != nil {
		return ""
	}
	var nested struct {
		Message string `json:"message"`
	}
	var s string
	switch {
	case json.Unmarshal(e.Error, &nested) == nil && nested.Message != "":
		s = nested.Message
	case json.Unmarshal(e.Error, &s) == nil, json.Unmarshal(e.Detail, &s) == nil:
	}
	return bounded(s)
}

// bounded trims s to one printable line of at most maxReasonRunes.
func bounded(s string) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) || unicode.IsSpace(r) }), " ")
	if r := []rune(s); len(r) > maxReasonRunes {
		s = string(r[:maxReasonRunes-1]) + "…"
	}
	return s
}
