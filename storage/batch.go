package storage

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/redis/go-redis/v9"
)

// A Batch collects writes that need not be done before the reply is sent
// (a conversation's context, question counters, the unanswered log) so that
// they reach Redis in one round trip together with the update's inbox
// acknowledgement. A plain question then costs two round trips: reading
// the conversation, and this flush.
//
// If the process dies before the flush, the update was not acknowledged
// either, so it is handled again and the writes are redone: nothing is lost
// that a second handling does not restore.
type Batch struct {
	mu  sync.Mutex
	ops []func(ctx context.Context, pipe redis.Pipeliner)
}

type batchKey struct{}

// WithBatch returns a context whose deferrable writes go into a new Batch
// instead of to Redis.
func WithBatch(ctx context.Context) (context.Context, *Batch) {
	b := &Batch{}
	return context.WithValue(ctx, batchKey{}, b), b
}

func (b *Batch) add(op func(ctx context.Context, pipe redis.Pipeliner)) {
	b.mu.Lock()
	b.ops = append(b.ops, op)
	b.mu.Unlock()
}

// Len reports how many writes wait in the batch.
func (b *Batch) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.ops)
}

// peek returns the writes without removing them; drop removes the first n
// once they are done.
func (b *Batch) peek() []func(ctx context.Context, pipe redis.Pipeliner) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.ops)
}

func (b *Batch) drop(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.ops = b.ops[min(n, len(b.ops)):]
}

func (b *Batch) take() []func(ctx context.Context, pipe redis.Pipeliner) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ops := b.ops
	b.ops = nil
	return ops
}

// deferWrite runs op now in its own pipeline, or queues it in the
// context's Batch when there is one. Only commands that are safe to repeat
// belong here (see Batch).
func (s *Store) deferWrite(ctx context.Context, op func(ctx context.Context, pipe redis.Pipeliner)) error {
	if b, ok := ctx.Value(batchKey{}).(*Batch); ok && b != nil {
		b.add(op)
		return nil
	}
	pipe := s.rdb.Pipeline()
	op(ctx, pipe)
	_, err := pipe.Exec(ctx)
	return err
}

// Flush sends the batch's writes in one round trip.
func (s *Store) Flush(ctx context.Context, b *Batch) error {
	ops := b.take()
	if len(ops) == 0 {
		return nil
	}
	pipe := s.rdb.Pipeline()
	for _, op := range ops {
		op(ctx, pipe)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("flush %d deferred writes: %w", len(ops), err)
	}
	return nil
}
