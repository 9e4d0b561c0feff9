package storage

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// renamedKeys maps keys of earlier versions to their names now, for keys
// that were given a hash tag so that a script may touch them together on
// Redis Cluster. Paths are relative to the prefix.
var renamedKeys = []struct{ old, now []string }{
	{[]string{"user", "info"}, []string{"{user}", "info"}},
	{[]string{"user", "uname"}, []string{"{user}", "uname"}},
}

// renameIfOld renames KEYS[1] to KEYS[2] unless the new one exists.
var renameIfOld = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('RENAMENX', KEYS[1], KEYS[2]) end
return 0`)

// migrateKeys renames the keys of earlier versions (renamedKeys), once,
// atomically per key. Only a single server (or a Sentinel's master) can
// hold them: without the hash tag, the bot's scripts never ran on a
// Cluster, and there the old and new names are in different slots.
func (s *Store) migrateKeys(ctx context.Context) error {
	if _, ok := s.rdb.(*redis.ClusterClient); ok {
		return nil
	}
	for _, r := range renamedKeys {
		if err := s.runScript(ctx, renameIfOld, []string{s.key(r.old...), s.key(r.now...)}).Err(); err != nil {
			return fmt.Errorf("rename %s: %w", s.key(r.old...), err)
		}
	}
	return nil
}
