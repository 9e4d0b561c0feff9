// Command kbexport writes the knowledge base the bot answers from — the
// content file plus every FAQ entry staff taught it with /learn and every
// project added with /addproject — as one content file, so what staff
// taught the bot can be reviewed and committed as the new knowledge.yaml.
//
//	REDIS_URL=redis://127.0.0.1:6379/0 go run ./cmd/kbexport -o content/knowledge.yaml
//
// It reads REDIS_URL (required), REDIS_PREFIX (default zm:) and
// CONTENT_FILE (default: the embedded knowledge base), like the bot.
// Entries that no longer fit the content file are left out and listed on
// stderr. The output is validated before it is written, and a file is
// replaced only once it is complete.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/zhangmiao/communitybot/content"
	"github.com/zhangmiao/communitybot/staff"
	"github.com/zhangmiao/communitybot/storage"
)

func main() {
	// A flag set of our own: the OpenCC package (through qa) registers a
	// global -dir flag that has nothing to do with this tool.
	flags := flag.NewFlagSet(os.Args[0], flag.ExitOnError)
	out := flags.String("o", "-", "output file (- for standard output)")
	_ = flags.Parse(os.Args[1:])
	if err := run(context.Background(), os.Getenv, *out, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "kbexport:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string, out string, stdout, stderr io.Writer) error {
	url := getenv("REDIS_URL")
	if url == "" {
		return errors.New("REDIS_URL is required: the learned entries live in Redis")
	}
	prefix := getenv("REDIS_PREFIX")
	if prefix == "" {
		prefix = storage.DefaultPrefix
	}
	var base *content.KnowledgeBase
	var err error
	if f := getenv("CONTENT_FILE"); f != "" {
		base, err = content.LoadFile(f)
	} else {
		base, err = content.Default()
	}
	if err != nil {
		return err
	}
	openCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	store, err := storage.Open(openCtx, url, storage.Options{Prefix: prefix})
	if err != nil {
		return err
	}
	defer store.Close()
	learned, err := store.LearnedEntries(ctx)
	if err != nil {
		return err
	}
	added, err := store.AddedProjects(ctx)
	if err != nil {
		return err
	}
	kb, skipped := staff.Merge(base, learned, added)
	for _, s := range skipped {
		fmt.Fprintln(stderr, "left out:", s)
	}
	var buf bytes.Buffer
	if err := kb.Export(&buf); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%d learned entries, %d added projects merged\n", len(learned)-countLearned(skipped), len(added))
	if out == "-" {
		_, err := stdout.Write(buf.Bytes())
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".kbexport-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), out)
}

func countLearned(skipped []string) int {
	n := 0
	for _, s := range skipped {
		if len(s) > 8 && s[:8] == "learned " {
			n++
		}
	}
	return n
}
