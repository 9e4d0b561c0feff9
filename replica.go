package communitybot

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
)

// NewReplicaID names this process among the replicas sharing one Redis, in
// leases and locks: host, pid and a random part (pids repeat across
// containers). Operators can tell from a lease key which process holds it.
func NewReplicaID() string {
	host, _ := os.Hostname()
	var b [3]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}
