package blob

import (
	"bytes"
	"context"
	"io"
	"sync"
	"time"
)

// Memory keeps blobs in memory (mem://): for tests and trials, lost when
// the process ends. Callers bound what they Put, as with every Store.
type Memory struct {
	mu    sync.Mutex
	blobs map[string]memBlob
}

type memBlob struct {
	data []byte // never changed once stored
	mod  time.Time
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty store in memory.
func NewMemory() *Memory { return &Memory{blobs: map[string]memBlob{}} }

// Put implements Store. The blob appears only once r is read to the end.
func (m *Memory) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if err := ValidKey(key); err != nil {
		return 0, err
	}
	var buf bytes.Buffer
	n, err := io.Copy(&buf, ctxReader{ctx, r})
	if err != nil {
		return n, err
	}
	m.mu.Lock()
	m.blobs[key] = memBlob{data: buf.Bytes(), mod: time.Now()}
	m.mu.Unlock()
	return n, nil
}

// Open implements Store.
func (m *Memory) Open(_ context.Context, key string) (Object, error) {
	if err := ValidKey(key); err != nil {
		return nil, err
	}
	m.mu.Lock()
	b, ok := m.blobs[key]
	m.mu.Unlock()
	if !ok {
		return nil, ErrNotFound
	}
	return &memObject{Reader: bytes.NewReader(b.data), mod: b.mod}, nil
}

// Delete implements Store.
func (m *Memory) Delete(_ context.Context, key string) error {
	if err := ValidKey(key); err != nil {
		return err
	}
	m.mu.Lock()
	delete(m.blobs, key)
	m.mu.Unlock()
	return nil
}

// Close implements Store.
func (m *Memory) Close() error { return nil }

type memObject struct {
	*bytes.Reader
	mod time.Time
}

func (o *memObject) ModTime() time.Time { return o.mod }
func (o *memObject) Close() error       { return nil }
