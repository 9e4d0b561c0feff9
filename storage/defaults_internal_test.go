package storage

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestDefaultsAgreeAcrossClients: a single server, Sentinel and Cluster
// clients get the same bounded timeouts and retries (a hung Redis must
// degrade alike whatever the URL), with context deadlines honoured.
func TestDefaultsAgreeAcrossClients(t *testing.T) {
	const timeout = 700 * time.Millisecond
	var plain redis.Options
	clientDefaults(&plain, timeout)
	var fo redis.FailoverOptions
	failoverDefaults(&fo, timeout)
	var co redis.ClusterOptions
	clusterDefaults(&co, timeout)
	if !plain.ContextTimeoutEnabled || !fo.ContextTimeoutEnabled || !co.ContextTimeoutEnabled {
		t.Fatalf("ContextTimeoutEnabled: plain %v, sentinel %v, cluster %v", plain.ContextTimeoutEnabled, fo.ContextTimeoutEnabled, co.ContextTimeoutEnabled)
	}
	if plain.ReadTimeout <= 0 || plain.ReadTimeout > time.Second || plain.MaxRetries < 0 {
		t.Fatalf("plain defaults not bounded: read %v, retries %d", plain.ReadTimeout, plain.MaxRetries)
	}
	type got struct {
		dial, read, write, pool, backoff time.Duration
		retries, dialRetries             int
	}
	want := got{plain.DialTimeout, plain.ReadTimeout, plain.WriteTimeout, plain.PoolTimeout, plain.MaxRetryBackoff, plain.MaxRetries, plain.DialerRetries}
	for name, g := range map[string]got{
		"sentinel": {fo.DialTimeout, fo.ReadTimeout, fo.WriteTimeout, fo.PoolTimeout, fo.MaxRetryBackoff, fo.MaxRetries, fo.DialerRetries},
		"cluster":  {co.DialTimeout, co.ReadTimeout, co.WriteTimeout, co.PoolTimeout, co.MaxRetryBackoff, co.MaxRetries, co.DialerRetries},
	} {
		if g != want {
			t.Errorf("%s defaults = %+v, want the single server's %+v", name, g, want)
		}
	}
	if co.PipelineReadBufferSize != 0 {
		t.Errorf("cluster pipeline buffer = %d, want go-redis's default (no pipeline pool per node)", co.PipelineReadBufferSize)
	}
}
