package storage_test

import (
	"os"
	"testing"

	"github.com/zhangmiao/communitybot/storage/storagetest"
)

// TestMain stops the shared Sentinel and Cluster fixtures (REDIS_HA_TESTS=1)
// after the tests.
func TestMain(m *testing.M) { os.Exit(storagetest.RunHA(m)) }
