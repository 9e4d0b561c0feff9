package communitybot

import "context"

type onceKey struct{}

// WithOnceKey marks work done under ctx as one logical event (a scheduled
// fire, a handled update) that may be attempted more than once: a replica
// died mid-way and another retried, or an update was handled again after a
// crash. Whoever creates something under such a context (a broadcast)
// creates it at most once per key and returns the first one on a retry.
func WithOnceKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, onceKey{}, key)
}

// OnceKey returns the key set by WithOnceKey, if any.
func OnceKey(ctx context.Context) (string, bool) {
	k, ok := ctx.Value(onceKey{}).(string)
	return k, ok && k != ""
}
