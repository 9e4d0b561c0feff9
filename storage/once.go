package storage

import (
	"context"
	"fmt"
)

// OnceValue returns what ClaimOnce recorded under a once key, and whether
// anything is. An admin command uses it to find the reply it gave to an
// update it is handling again, instead of repeating the change (see
// bot's replyOnce); the reply is recorded with ClaimOnce.
func (s *Store) OnceValue(ctx context.Context, key string) (string, bool, error) {
	v, err := s.rdb.Get(ctx, s.bcKey("once", key)).Result()
	if isNil(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("once %s: %w", key, err)
	}
	return v, true, nil
}
