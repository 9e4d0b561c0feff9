package storagetest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// Slot returns the Redis Cluster hash slot of key: CRC16 (XMODEM) of the
// key's hash tag (the part between the first "{" and the next "}", when
// not empty) or of the whole key, modulo 16384.
func Slot(key string) int {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	var crc uint16
	for k := 0; k < len(key); k++ {
		crc ^= uint16(key[k]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return int(crc) % 16384
}

// keysOf returns the keys a command names, for the commands the bot sends
// that may name more than one (and the first argument of any other).
func keysOf(cmd redis.Cmder) []string {
	args := cmd.Args()
	str := func(xs []any) []string {
		out := make([]string, 0, len(xs))
		for _, x := range xs {
			out = append(out, fmt.Sprint(x))
		}
		return out
	}
	num := func(i int) int {
		if i >= len(args) {
			return 0
		}
		n, _ := strconv.Atoi(fmt.Sprint(args[i]))
		return n
	}
	if len(args) < 2 {
		return nil
	}
	switch name := strings.ToLower(cmd.Name()); name {
	case "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro":
		n := num(2)
		if 3+n > len(args) {
			return nil
		}
		return str(args[3 : 3+n])
	case "del", "unlink", "exists", "mget", "touch", "watch", "sunion", "sinter", "sdiff",
		"sunionstore", "sinterstore", "sdiffstore", "pfcount", "pfmerge":
		return str(args[1:])
	case "mset", "msetnx":
		var out []string
		for i := 1; i < len(args); i += 2 {
			out = append(out, fmt.Sprint(args[i]))
		}
		return out
	case "rename", "renamenx", "smove", "rpoplpush", "lmove", "blmove", "copy":
		if len(args) < 3 {
			return nil
		}
		return str(args[1:3])
	case "zunionstore", "zinterstore", "zdiffstore":
		n := num(2)
		if 3+n > len(args) {
			return nil
		}
		return append([]string{fmt.Sprint(args[1])}, str(args[3:3+n])...)
	case "xread", "xreadgroup":
		for i, a := range args {
			if strings.EqualFold(fmt.Sprint(a), "streams") {
				rest := args[i+1:]
				return str(rest[:len(rest)/2])
			}
		}
		return nil
	case "multi", "exec", "ping", "info", "script", "cluster", "scan", "client", "hello", "select", "auth":
		return nil
	default:
		return []string{fmt.Sprint(args[1])}
	}
}

// crossSlot returns an error naming the keys when keys span more than one
// slot, as a Cluster would refuse them.
func crossSlot(what string, keys []string) error {
	if len(keys) < 2 {
		return nil
	}
	first := Slot(keys[0])
	for _, k := range keys[1:] {
		if Slot(k) != first {
			return crossSlotError(fmt.Sprintf("storagetest: %s names keys in different cluster slots (%q in %d, %q in %d): it would fail with CROSSSLOT on Redis Cluster; give them one hash tag",
				what, keys[0], first, k, Slot(k)))
		}
	}
	return nil
}

// crossSlotError is an error reply, as the Cluster's own CROSSSLOT is
// (redis.Error): a client hook such as the store's circuit counts it as
// Redis answering, not as Redis being down.
type crossSlotError string

func (e crossSlotError) Error() string { return string(e) }
func (crossSlotError) RedisError()     {}

// SlotCheck is a go-redis hook that refuses, with an error, what Redis
// Cluster would refuse with CROSSSLOT: a command, a script call or a
// MULTI/EXEC whose keys are not all in one slot. storagetest.New installs
// it, so every storage test checks this on a single server too. Plain
// pipelines are not checked: go-redis splits them by slot on a Cluster.
// It also records which scripts ran (by SHA1), see ScriptsRun.
type SlotCheck struct{ label string }

func (SlotCheck) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h SlotCheck) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if err := h.check(cmd); err != nil {
			cmd.SetErr(err)
			return err
		}
		return next(ctx, cmd)
	}
}

func (h SlotCheck) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		tx := len(cmds) > 0 && cmds[0].Name() == "multi"
		var all []string
		for _, cmd := range cmds {
			if err := h.check(cmd); err != nil {
				cmd.SetErr(err)
				return err
			}
			if tx {
				all = append(all, keysOf(cmd)...)
			}
		}
		if err := crossSlot("a MULTI/EXEC transaction", all); err != nil {
			for _, cmd := range cmds {
				cmd.SetErr(err)
			}
			return err
		}
		return next(ctx, cmds)
	}
}

func (h SlotCheck) check(cmd redis.Cmder) error {
	name := strings.ToLower(cmd.Name())
	what := "command " + strings.ToUpper(name)
	args := cmd.Args()
	switch name {
	case "evalsha", "evalsha_ro":
		if len(args) > 1 {
			sha := fmt.Sprint(args[1])
			recordScript(h.label, sha)
			what = "script " + sha
		}
	case "eval", "eval_ro":
		if len(args) > 1 {
			sha := redis.NewScript(fmt.Sprint(args[1])).Hash()
			recordScript(h.label, sha)
			what = "script " + sha
		}
	}
	return crossSlot(what, keysOf(cmd))
}

var scriptsRun = struct {
	sync.Mutex
	m map[string]map[string]bool
}{m: map[string]map[string]bool{}}

func recordScript(label, sha string) {
	scriptsRun.Lock()
	defer scriptsRun.Unlock()
	if scriptsRun.m[label] == nil {
		scriptsRun.m[label] = map[string]bool{}
	}
	scriptsRun.m[label][sha] = true
}

// ScriptsRun returns the SHA1s of the scripts run by stores from New and
// NewAt on the given kind of server ("redis", "sentinel" or "cluster",
// after the URL's scheme) so far in this test binary.
func ScriptsRun(kind string) map[string]bool {
	scriptsRun.Lock()
	defer scriptsRun.Unlock()
	out := map[string]bool{}
	for sha := range scriptsRun.m[kind] {
		out[sha] = true
	}
	return out
}

// kindOf names the server kind of a URL, for ScriptsRun.
func kindOf(url string) string {
	scheme, _, _ := strings.Cut(url, "://")
	switch {
	case strings.HasSuffix(scheme, "+sentinel"):
		return "sentinel"
	case strings.HasSuffix(scheme, "+cluster"):
		return "cluster"
	}
	return "redis"
}
