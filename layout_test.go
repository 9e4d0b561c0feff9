package communitybot_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/zhangmiao/communitybot"

// channelRules are who may import a channel. Features must not know which
// channel they serve: Telegram's client and package bot belong to bot/
// (and cmd/, which wires everything); the web page belongs to cmd/ alone.
// A key is an import path or a prefix ending in "/"; the value lists the
// package directories (relative to the module, prefixes ending in "/")
// allowed to import it.
var channelRules = map[string][]string{
	"github.com/go-telegram/bot":  {"bot", "bot/", "cmd/"},
	"github.com/go-telegram/bot/": {"bot", "bot/", "cmd/"},
	module + "/bot":               {"bot/", "cmd/"},
	module + "/bot/":              {"bot", "bot/", "cmd/"},
	module + "/web":               {"cmd/"},
	module + "/web/":              {"web", "cmd/"},
}

// violations returns "dir imports path" for every import a rule forbids.
// imports maps a package directory to what its non-test files import.
func violations(imports map[string][]string) []string {
	var out []string
	for dir, paths := range imports {
		for _, p := range paths {
			for key, allowed := range channelRules {
				if !(p == key || strings.HasSuffix(key, "/") && strings.HasPrefix(p, key)) {
					continue
				}
				ok := slices.ContainsFunc(allowed, func(a string) bool {
					return dir == a || strings.HasSuffix(a, "/") && strings.HasPrefix(dir, a)
				})
				if !ok {
					out = append(out, dir+" imports "+p)
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// moduleImports parses the imports of every non-test Go file of the module
// (".": the root package), by package directory.
func moduleImports(t *testing.T) map[string][]string {
	t.Helper()
	imports := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(p))
		for _, imp := range f.Imports {
			v, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return err
			}
			imports[dir] = append(imports[dir], v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return imports
}

// TestNoFeatureImportsAChannel: only bot/ (and cmd/) import Telegram's
// client or package bot, only cmd/ imports the web page. Adding a channel
// must not change how a feature decides what to answer, so no feature
// may know one.
func TestNoFeatureImportsAChannel(t *testing.T) {
	imports := moduleImports(t)
	// The walk must have seen the tree: the features, and the channels
	// importing what they may.
	for _, dir := range []string{".", "assistant", "membership", "staff", "study", "subscriptions", "jobs", "help", "bot", "web", "cmd/communitybot"} {
		if _, ok := imports[dir]; !ok {
			t.Fatalf("package %s not found: is the test run from the module root?", dir)
		}
	}
	if !slices.Contains(imports["bot"], "github.com/go-telegram/bot") || !slices.Contains(imports["cmd/communitybot"], module+"/web") {
		t.Fatal("the walk missed imports it should have seen")
	}
	for _, v := range violations(imports) {
		t.Error(v)
	}
}

// TestLayoutRuleCatches: the rule itself refuses what it should (so the
// test above can fail).
func TestLayoutRuleCatches(t *testing.T) {
	got := violations(map[string][]string{
		"membership":       {module, module + "/bot"},
		"staff":            {"github.com/go-telegram/bot/models"},
		"study":            {module + "/web"},
		"subscriptions":    {module + "/bot/tgtest"},
		"bot":              {"github.com/go-telegram/bot", module + "/web"},
		"bot/tgtest":       {"github.com/go-telegram/bot/models"},
		"web":              {module + "/assistant"},
		"cmd/communitybot": {module + "/bot", module + "/web", "github.com/go-telegram/bot/models"},
	})
	want := []string{
		"bot imports " + module + "/web",
		"membership imports " + module + "/bot",
		"staff imports github.com/go-telegram/bot/models",
		"study imports " + module + "/web",
		"subscriptions imports " + module + "/bot/tgtest",
	}
	if !slices.Equal(got, want) {
		t.Errorf("violations =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
