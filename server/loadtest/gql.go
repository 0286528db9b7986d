package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// gqlClient posts GraphQL operations over HTTP to the server under test.
type gqlClient struct {
	endpoint string // http://host:port/query
	hc       *http.Client
}

func newGQLClient(base string, conns int) *gqlClient {
	tr := &http.Transport{
		Proxy:               nil, // loopback only: never through a proxy from the environment
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &gqlClient{endpoint: base + "/query", hc: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// gqlError is the first error of a GraphQL response.
type gqlError struct {
	Message string
	Code    string
}

func (e *gqlError) Error() string { return fmt.Sprintf("%s (%s)", e.Message, e.Code) }

func codeOf(err error) string {
	if e, ok := err.(*gqlError); ok {
		return e.Code
	}
	return ""
}

// do runs one operation and decodes its data into out (if not nil).
func (g *gqlClient) do(ctx context.Context, token, query string, vars map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := g.hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message    string `json:"message"`
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("HTTP %d, not a GraphQL response: %.200s", res.StatusCode, raw)
	}
	if len(r.Errors) > 0 {
		return &gqlError{Message: r.Errors[0].Message, Code: r.Errors[0].Extensions.Code}
	}
	if out != nil {
		return json.Unmarshal(r.Data, out)
	}
	return nil
}
